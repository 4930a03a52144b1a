"""Under-provisioned analog tiles: which layers go on T tiles, and the coverage that gives.

Klein et al., "Which Coupled is Best Coupled? An Exploration of AIMC Tile Interfaces and Load
Balancing for CNNs", IEEE TPDS 35(10) 2024 (abstract; our definitions in
``shared/papers/tpds2024-notes.md``): a system whose analog tiles cannot hold the whole network
puts part of it on tiles and runs the rest in software on the cores. **Coverage** = parameters
placed on tiles / all parameters of the network (depth-wise weights included: they count in the
total and never go on a tile here, as in Garofalo et al. 2022's mapping they go elsewhere).

A **tile** is one crossbar of ``tile_rows`` x ``tile_cols`` (default 256 x 256, the HERMES core,
:data:`sim_models.placement.ARRAY_ROWS`). A crossbar layer (conv, pointwise, fc) of ``rows`` =
K*K*C_in by ``cols`` = C_out needs ``ceil(rows / tile_rows) * ceil(cols / tile_cols)`` tiles
(:func:`sim_models.placement.tile_layer`'s tiling; no packing of several small layers into one
tile: the TPDS abstract counts tiles per layer, and it keeps a tile's owner unambiguous under tight
coupling). The placement **unit** is, by ``granularity``:

``"layer"``    the whole layer: it is on tiles or in software;
``"columns"``  one slab of ``tile_cols`` output channels (all rows): a layer may be partly on
               tiles (those output channels on the IMA, the rest on the cores); slabs are
               independent (no partial sums cross slabs).

**Bins**: with ``coupling="loose"`` the T tiles are one pool (one multi-array IMA any core may
use); with ``"tight"`` each of the ``cores`` cores owns ``T // cores`` tiles (the first
``T % cores`` cores one more) and a unit must fit inside one core's tiles. A unit goes to the bin
with the most free tiles that can hold it (ties: the lowest index), which spreads the offloaded
layers over the cores' private tiles (what tight coupling's balance needs).

**Policies** (order in which units are offered; a unit that does not fit is skipped and the next
one tried -- all three are greedy fills except the knapsack's selection):

``"macs_per_weight"``  highest MACs per weight first (weight reuse: a conv's output pixels; an fc
                       has 1): the units where an analog tile saves the most work per cell.
``"order"``            network order: the first layers first.
``"knapsack"``         (our choice) the set of units that maximises the given ``value`` (the study
                       passes the software cycles a unit saves) under the tile budget, by exact 0/1
                       dynamic programming over tiles; with tight coupling the selection is made
                       under the total budget with units no larger than a core's share, then
                       assigned to bins largest first, and what does not fit a bin is dropped and
                       the space refilled greedily by value per tile.

Ties in every ordering keep network order, so a placement is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sim_models.graph import XBAR_KINDS
from sim_models.placement import ARRAY_COLS, ARRAY_ROWS, WeightMatrix, tile_layer

__all__ = ["Unit", "Placement", "POLICIES", "GRANULARITIES", "COUPLINGS", "units", "bins", "place",
           "total_params", "tiles_for_full_coverage"]

POLICIES = ("macs_per_weight", "order", "knapsack")
GRANULARITIES = ("layer", "columns")
COUPLINGS = ("tight", "loose")


@dataclass(frozen=True)
class Unit:
    """One placement unit: layer ``layer`` (its index ``index`` in the network), output channels
    ``col0 .. col0 + cols - 1`` of its ``rows`` x ``layer_cols`` matrix, needing ``tiles`` tiles.
    ``macs`` are the unit's MACs in one inference (the layer's MACs x cols / layer_cols)."""
    layer: str
    index: int
    col0: int
    rows: int
    cols: int
    layer_cols: int
    tiles: int
    macs: int

    @property
    def params(self) -> int:
        return self.rows * self.cols

    @property
    def fraction(self) -> float:
        """Share of the layer's output channels (and work) the unit is."""
        return self.cols / self.layer_cols

    @property
    def key(self) -> tuple[str, int]:
        return (self.layer, self.col0)


def _pos(name, v):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{name} must be a positive integer, not {v!r}")
    return v


def total_params(layers: Sequence) -> int:
    """All weights of the network (every layer with weights, depth-wise included)."""
    return sum(int(lay.n_params) for lay in layers)


def units(layers: Sequence, granularity: str = "layer", tile_rows: int = ARRAY_ROWS,
          tile_cols: int = ARRAY_COLS) -> list[Unit]:
    """The placement units of the crossbar layers of ``layers`` (graph.Layer-like objects with
    ``name``, ``kind``, ``xbar_shape``, ``macs``), in network order."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}")
    _pos("tile_rows", tile_rows)
    _pos("tile_cols", tile_cols)
    out = []
    for i, lay in enumerate(layers):
        if lay.kind not in XBAR_KINDS or lay.xbar_shape is None:
            continue
        rows, cols = lay.xbar_shape
        tiles = tile_layer(WeightMatrix(lay.name, rows, cols), tile_rows, tile_cols)
        if granularity == "layer":
            out.append(Unit(lay.name, i, 0, rows, cols, cols, len(tiles), int(lay.macs)))
            continue
        for c0 in range(0, cols, tile_cols):
            w = min(tile_cols, cols - c0)
            n = sum(1 for t in tiles if t.col0 == c0)
            out.append(Unit(lay.name, i, c0, rows, w, cols, n, int(lay.macs) * w // cols))
    return out


def bins(tiles: int, coupling: str, cores: int) -> list[int]:
    """Tile capacity of each bin: ``[tiles]`` (loose) or each core's private share (tight)."""
    if coupling not in COUPLINGS:
        raise ValueError(f"coupling must be one of {', '.join(COUPLINGS)}, not {coupling!r}")
    if isinstance(tiles, bool) or not isinstance(tiles, int) or tiles < 0:
        raise ValueError(f"tiles must be an integer >= 0, not {tiles!r}")
    _pos("cores", cores)
    if coupling == "loose":
        return [tiles]
    return [tiles // cores + (k < tiles % cores) for k in range(cores)]


@dataclass(frozen=True)
class Placement:
    """Where the units went: ``assigned[(layer, col0)] = bin`` (the owning core under tight
    coupling, 0 under loose); every unit not in it runs in software."""
    tiles: int
    coupling: str
    policy: str
    granularity: str
    capacity: tuple[int, ...]
    units: tuple[Unit, ...]
    assigned: Mapping[tuple[str, int], int]
    all_params: int
    cores: int = 8

    @property
    def placed(self) -> list[Unit]:
        return [u for u in self.units if u.key in self.assigned]

    @property
    def params_on_tiles(self) -> int:
        return sum(u.params for u in self.placed)

    @property
    def coverage(self) -> float:
        """Parameters on tiles / all parameters (0 for a network without weights)."""
        return self.params_on_tiles / self.all_params if self.all_params else 0.0

    @property
    def tiles_used(self) -> int:
        return sum(u.tiles for u in self.placed)

    def used(self, b: int) -> int:
        """Tiles used in bin ``b``."""
        return sum(u.tiles for u in self.placed if self.assigned[u.key] == b)

    def of_layer(self, name: str) -> list[tuple[Unit, int | None]]:
        """The units of layer ``name`` with their bin (``None``: software)."""
        return [(u, self.assigned.get(u.key)) for u in self.units if u.layer == name]


def _fill(order, cap, free, assigned):
    """Greedy fill: each unit in ``order`` to the bin with the most free tiles that holds it."""
    for u in order:
        if u.key in assigned:
            continue
        best = max((b for b in range(len(cap)) if free[b] >= u.tiles), key=lambda b: (free[b], -b),
                   default=None)
        if best is not None:
            assigned[u.key] = best
            free[best] -= u.tiles


def _knapsack(us: Sequence[Unit], budget: int, value: Callable[[Unit], float]) -> list[Unit]:
    """Exact 0/1 knapsack over tiles: the subset of ``us`` of largest total value within
    ``budget`` tiles (ties: the earlier units of the network, by construction of the DP)."""
    best = [0.0] * (budget + 1)
    take = [[False] * (budget + 1) for _ in us]
    for i, u in enumerate(us):
        v, w = value(u), u.tiles
        if v <= 0:
            continue
        for c in range(budget, w - 1, -1):
            if best[c - w] + v > best[c]:
                best[c] = best[c - w] + v
                take[i][c] = True
    chosen, c = [], budget
    for i in range(len(us) - 1, -1, -1):
        if take[i][c]:
            chosen.append(us[i])
            c -= us[i].tiles
    return chosen[::-1]


def place(layers: Sequence, tiles: int, policy: str = "macs_per_weight", *, coupling: str = "loose",
          cores: int = 8, granularity: str = "layer", value: Callable[[Unit], float] | None = None,
          tile_rows: int = ARRAY_ROWS, tile_cols: int = ARRAY_COLS) -> Placement:
    """Place the crossbar layers of ``layers`` on ``tiles`` tiles by ``policy`` (see the module
    docstring). ``value(unit)`` is the knapsack's objective (required for ``"knapsack"``)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    cap = bins(tiles, coupling, cores)
    us = units(layers, granularity, tile_rows, tile_cols)
    free = list(cap)
    assigned: dict[tuple[str, int], int] = {}
    if policy == "macs_per_weight":
        _fill(sorted(us, key=lambda u: -u.macs / u.params), cap, free, assigned)
    elif policy == "order":
        _fill(us, cap, free, assigned)
    else:
        if value is None:
            raise ValueError("policy 'knapsack' needs value(unit), the objective to maximise")
        fits = [u for u in us if u.tiles <= max(cap, default=0)]
        chosen = _knapsack(fits, sum(cap), value)
        _fill(sorted(chosen, key=lambda u: -u.tiles), cap, free, assigned)
        rest = sorted(fits, key=lambda u: -value(u) / u.tiles)
        _fill([u for u in rest if value(u) > 0], cap, free, assigned)
    return Placement(tiles, coupling, policy, granularity, tuple(cap), tuple(us), assigned,
                     total_params(layers), cores)


def tiles_for_full_coverage(layers: Sequence, granularity: str = "layer",
                            tile_rows: int = ARRAY_ROWS, tile_cols: int = ARRAY_COLS) -> int:
    """Tiles that hold every crossbar layer (loose coupling): the top of a tile sweep."""
    return sum(u.tiles for u in units(layers, granularity, tile_rows, tile_cols))

