"""Tile&Pack: placing the weight matrices of a whole network on many crossbar arrays.

Garofalo et al., JETCAS 2022, Sec. VI, Alg. 1 ("Tile&Pack"): a multi-array IMA holds N crossbars
of S x S (S = 256 in the paper). Every layer on the IMA is a weight matrix of R x C (rows = K*K*C_in
in the order ky, kx, c; columns = C_out: BRIEF.md section 3).

1. **Tile**: a matrix larger than one array is split into S x S tiles plus remainder tiles (the
   last row of tiles is ``R mod S`` high, the last column ``C mod S`` wide). Tiling is only used to
   make a layer fit an array, never to cut a piece smaller to fill a hole.
2. **Pack**: all pieces (whole small layers and tiles) are packed into the arrays by 2-D bin packing
   with the Python package ``rectpack``, as the paper did: offline mode, bin best fit
   (``PackingBin.BBF``), MaxRects best-short-side-fit (``MaxRectsBssf``), no rotation (a rotated
   piece would swap the crossbar's inputs and outputs). The packer sorts the pieces by area,
   largest first (its default); ties keep the input order, so the result is deterministic.

Arrays may be rectangular (``array_rows`` x ``array_cols``); tiles then are ``array_rows`` x
``array_cols``. With ``arrays=None`` the packer opens as many arrays as it needs; with a given
number a layer that does not fit is a ``ValueError`` naming it.

The result is data (:class:`Floorplan`): one :class:`TilePlacement` per piece
``(layer, tile (ti, tj), array, row, col, height, width)``, the tile's source window in its
layer's matrix being rows ``ti*array_rows ..`` and columns ``tj*array_cols ..``. The mappings and
the HAL read it: :meth:`Floorplan.program` builds the weight image of every array from the layers'
matrices, :meth:`Floorplan.gather` reads a layer's matrix back from those images.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rectpack import MaxRectsBssf, PackingBin, PackingMode, newPacker

__all__ = ["WeightMatrix", "Tile", "TilePlacement", "Floorplan", "tile_layer", "tile_and_pack",
           "ARRAY_ROWS", "ARRAY_COLS"]

#: Garofalo et al. 2022, Sec. III-A / VI: one crossbar is 256 x 256 PCM cells (the HERMES core).
ARRAY_ROWS = ARRAY_COLS = 256


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class WeightMatrix:
    """A layer's weight matrix on the crossbars: ``rows`` (inputs, K*K*C_in) x ``cols`` (C_out)."""
    name: str
    rows: int
    cols: int

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"layer name must be a non-empty string, not {self.name!r}")
        _positive_int(f"rows of layer {self.name!r}", self.rows)
        _positive_int(f"cols of layer {self.name!r}", self.cols)

    @property
    def weights(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True)
class Tile:
    """One piece of a layer (Alg. 1, tiling step): tile ``(ti, tj)`` covers rows ``row0 ..
    row0 + height - 1`` and columns ``col0 .. col0 + width - 1`` of the layer's matrix."""
    layer: str
    ti: int
    tj: int
    row0: int
    col0: int
    height: int
    width: int


@dataclass(frozen=True)
class TilePlacement:
    """Where one tile lives: array ``array``, top-left cell ``(row, col)``, ``height`` x ``width``
    (Alg. 1, packing step). ``tile = (ti, tj)`` indexes the tile inside its layer (``(0, 0)`` for a
    layer that fits one array)."""
    layer: str
    tile: tuple[int, int]
    array: int
    row: int
    col: int
    height: int
    width: int

    @property
    def weights(self) -> int:
        return self.height * self.width

    def overlaps(self, other: TilePlacement) -> bool:
        """Same array and the two rectangles share a cell."""
        return (self.array == other.array and
                self.row < other.row + other.height and other.row < self.row + self.height and
                self.col < other.col + other.width and other.col < self.col + self.width)


def tile_layer(layer: WeightMatrix, array_rows: int = ARRAY_ROWS,
               array_cols: int = ARRAY_COLS) -> list[Tile]:
    """Alg. 1, tiling step: split ``layer`` into ``array_rows`` x ``array_cols`` tiles plus
    remainder tiles (last tile row ``rows mod array_rows`` high, last tile column ``cols mod
    array_cols`` wide), in row-major tile order. A layer that fits one array is one tile."""
    array_rows = _positive_int("array_rows", array_rows)
    array_cols = _positive_int("array_cols", array_cols)
    tiles = []
    for ti, r0 in enumerate(range(0, layer.rows, array_rows)):
        for tj, c0 in enumerate(range(0, layer.cols, array_cols)):
            tiles.append(Tile(layer.name, ti, tj, r0, c0, min(array_rows, layer.rows - r0),
                              min(array_cols, layer.cols - c0)))
    return tiles


@dataclass(frozen=True)
class Floorplan:
    """The result of Tile&Pack: the arrays' size, the layers and where each of their tiles lives.

    ``arrays`` is the number of arrays the IMA has (``None``: as many as the packer opened, i.e.
    :attr:`arrays_used`).
    """
    array_rows: int
    array_cols: int
    layers: tuple[WeightMatrix, ...]
    placements: tuple[TilePlacement, ...]
    arrays: int | None = None
    _by_layer: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_layer: dict[str, list[TilePlacement]] = {m.name: [] for m in self.layers}
        for p in self.placements:
            by_layer[p.layer].append(p)
        object.__setattr__(self, "_by_layer", {k: tuple(v) for k, v in by_layer.items()})

    # --------------------------------------------------------------- lookups
    @property
    def arrays_used(self) -> int:
        """Arrays holding at least one tile (the packer numbers them 0, 1, ... without gaps)."""
        return 1 + max((p.array for p in self.placements), default=-1)

    @property
    def capacity(self) -> int:
        """Cells of one array."""
        return self.array_rows * self.array_cols

    @property
    def weights(self) -> int:
        """Weights of all layers (each placed exactly once)."""
        return sum(m.weights for m in self.layers)

    def layer(self, name: str) -> WeightMatrix:
        for m in self.layers:
            if m.name == name:
                return m
        raise KeyError(f"no layer {name!r} in this floorplan")

    def of_layer(self, name: str) -> tuple[TilePlacement, ...]:
        """The tiles of layer ``name`` in row-major tile order."""
        if name not in self._by_layer:
            raise KeyError(f"no layer {name!r} in this floorplan")
        return tuple(sorted(self._by_layer[name], key=lambda p: p.tile))

    def on_array(self, array: int) -> tuple[TilePlacement, ...]:
        """The tiles on array ``array``, by position (row, then column)."""
        return tuple(sorted((p for p in self.placements if p.array == array),
                            key=lambda p: (p.row, p.col)))

    def arrays_of(self, name: str) -> tuple[int, ...]:
        """The arrays layer ``name`` is spread over, ascending."""
        return tuple(sorted({p.array for p in self.of_layer(name)}))

    def source(self, p: TilePlacement) -> tuple[int, int]:
        """Top-left ``(row, col)`` of placement ``p``'s tile in its layer's matrix."""
        return p.tile[0] * self.array_rows, p.tile[1] * self.array_cols

    def used(self, array: int) -> int:
        """Cells of ``array`` holding a weight."""
        return sum(p.weights for p in self.placements if p.array == array)

    def fill(self) -> list[float]:
        """Per array used: weights placed / (array_rows * array_cols)."""
        used = [0] * self.arrays_used
        for p in self.placements:
            used[p.array] += p.weights
        return [u / self.capacity for u in used]

    # --------------------------------------------------------------- weights
    def program(self, weights: Mapping[str, npt.ArrayLike], dtype: npt.DTypeLike = np.int8) -> np.ndarray:
        """The weight image of every array: ``[arrays_used, array_rows, array_cols]``, each layer's
        ``rows x cols`` matrix (``weights[name]``) cut into its tiles at their cells, 0 elsewhere."""
        image = np.zeros((self.arrays_used, self.array_rows, self.array_cols), dtype=dtype)
        for m in self.layers:
            w = np.asarray(weights[m.name])
            if w.shape != (m.rows, m.cols):
                raise ValueError(f"weights of layer {m.name!r} must be {m.rows}x{m.cols}, not "
                                 f"{'x'.join(map(str, w.shape))}")
            for p in self.of_layer(m.name):
                r0, c0 = self.source(p)
                image[p.array, p.row:p.row + p.height, p.col:p.col + p.width] = \
                    w[r0:r0 + p.height, c0:c0 + p.width]
        return image

    def gather(self, image: npt.ArrayLike, name: str) -> np.ndarray:
        """Layer ``name``'s ``rows x cols`` matrix read back from the arrays' weight ``image``."""
        image = np.asarray(image)
        m = self.layer(name)
        w = np.zeros((m.rows, m.cols), dtype=image.dtype)
        for p in self.of_layer(name):
            r0, c0 = self.source(p)
            w[r0:r0 + p.height, c0:c0 + p.width] = \
                image[p.array, p.row:p.row + p.height, p.col:p.col + p.width]
        return w

    def summary(self) -> dict:
        """Plain data for reports and ``--json``."""
        return {"array_rows": self.array_rows, "array_cols": self.array_cols,
                "arrays": self.arrays, "arrays_used": self.arrays_used, "layers": len(self.layers),
                "tiles": len(self.placements), "weights": self.weights,
                "fill": [round(f, 6) for f in self.fill()],
                "mean_fill": round(self.weights / (self.arrays_used * self.capacity), 6)
                if self.placements else 0.0}


def _matrices(layers: Iterable) -> tuple[WeightMatrix, ...]:
    out = []
    for layer in layers:
        if isinstance(layer, WeightMatrix):
            out.append(layer)
        else:
            name, rows, cols = layer
            out.append(WeightMatrix(name, rows, cols))
    names = [m.name for m in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"layer names must be unique; repeated: {', '.join(dup)}")
    return tuple(out)


def tile_and_pack(layers: Sequence[WeightMatrix | tuple[str, int, int]], array_rows: int = ARRAY_ROWS,
                  array_cols: int = ARRAY_COLS, arrays: int | None = None) -> Floorplan:
    """Garofalo et al. 2022, Alg. 1 (Tile&Pack): tile every layer (:func:`tile_layer`), then pack
    all tiles into ``array_rows`` x ``array_cols`` arrays with rectpack (offline, bin best fit,
    MaxRects-BSSF, no rotation).

    Parameters
    ----------
    layers
        :class:`WeightMatrix` or ``(name, rows, cols)`` tuples; names unique.
    array_rows, array_cols
        Size of one crossbar array (default 256 x 256, the paper's).
    arrays
        Number of arrays available; ``None`` opens as many as needed.

    Raises
    ------
    ValueError
        A bad parameter (named), or -- with ``arrays`` given -- the layers whose tiles do not fit,
        by name.
    """
    array_rows = _positive_int("array_rows", array_rows)
    array_cols = _positive_int("array_cols", array_cols)
    if arrays is not None:
        arrays = _positive_int("arrays", arrays)
    mats = _matrices(layers)
    tiles = [t for m in mats for t in tile_layer(m, array_rows, array_cols)]

    packer = newPacker(mode=PackingMode.Offline, bin_algo=PackingBin.BBF, pack_algo=MaxRectsBssf,
                       rotation=False)
    packer.add_bin(array_cols, array_rows, count=float("inf") if arrays is None else arrays)
    for i, t in enumerate(tiles):               # rectpack: width = x = columns, height = y = rows
        packer.add_rect(t.width, t.height, rid=i)
    packer.pack()

    placed: dict[int, TilePlacement] = {}
    for array, x, y, w, h, rid in packer.rect_list():
        t = tiles[rid]
        if (w, h) != (t.width, t.height):       # no rotation: rectpack must keep the shape
            raise AssertionError(f"rectpack returned tile {t} as {h}x{w}")
        placed[rid] = TilePlacement(t.layer, (t.ti, t.tj), array, y, x, h, w)
    missing = [t for i, t in enumerate(tiles) if i not in placed]
    if missing:
        per_layer: dict[str, list[Tile]] = {}
        for t in missing:
            per_layer.setdefault(t.layer, []).append(t)
        what = "; ".join(
            f"layer {name!r} ({len(ts)} of {sum(1 for t in tiles if t.layer == name)} tiles, e.g. "
            f"{ts[0].height}x{ts[0].width})" for name, ts in per_layer.items())
        raise ValueError(f"Tile&Pack: {what} cannot be placed in {arrays} arrays of "
                         f"{array_rows}x{array_cols} (the weights alone need at least "
                         f"{-(-sum(m.weights for m in mats) // (array_rows * array_cols))} arrays)")
    return Floorplan(array_rows, array_cols, mats, tuple(placed[i] for i in range(len(tiles))), arrays)
