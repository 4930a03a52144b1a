"""Mappings of layers onto the IMA: crossbar placement, TCDM buffers and one ``LayerJob`` per layer.

Every mapping turns ONE layer description (shapes, weights, ADC parameters) into a
``LayerMapping``: the weight windows to program (``Placement``), the input/output buffers in TCDM
(``Buffer``) and the ``LayerJob`` list (``sim_models.jobconfig``) that runs the whole layer from
one configuration each. docs/spec.md section 3:

* **conv KxK** (``map_conv``): virtual im2col. Crossbar rows = ``K*K*C_in`` in order
  ``(ky, kx, c)``, columns = ``C_out``; one job per output pixel. The input buffer is
  *pre-padded* in TCDM (``pad`` zero pixels on each side, written by whoever fills it), so a job's
  source is ``K`` runs of ``K*C_in`` contiguous bytes, one per kernel row.
* **pointwise** (``map_pointwise``): a 1x1 conv: rows ``C_in``, columns ``C_out``.
* **fully connected** (``map_fc``): one job over the flattened input.
* **depthwise KxK** (``map_depthwise``): block-diagonal with ``C_job`` channels per job. A block
  is ``K*K*C_job`` rows x ``C_job`` columns (row order ``(ky, kx, c)``, weight ``w[c,ky,kx]`` on
  the column of channel ``c``, zeros elsewhere). Job loop 0 walks the channel groups (source and
  sink step ``C_job`` bytes, the window steps one block), loops 1 and 2 the output pixels. With
  ``layout='diagonal'`` group ``g`` sits at ``(row + g*K*K*C_job, col + g*C_job)``; with
  ``layout='packed'`` the blocks share rows, ``(row, col + g*C_job)``: legal because a job reads
  only its own columns, and the only way the bottleneck's 192-channel depthwise fits a 256x256
  array. When ``C`` is not a multiple of ``C_job`` the last, smaller group needs a second
  ``LayerJob`` (same pixel loops, its own window): a mapping returns a *list* of LayerJobs, run in
  order.
* **bottleneck** (``map_bottleneck``): expand / depthwise / project / residual for the SW-free
  mappings ``HYBRID`` (depthwise on the cores), ``IMA8`` and ``IMA16``; the expand output goes
  straight into the interior of the depthwise's pre-padded input buffer.

The PCM cost of a mapping is 2 devices per crossbar location used (``Placement.weights.size``,
padding inside a block included, docs/spec.md section 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from .dwa import KERNEL, DwJob, weights_to_tcdm
from .jobconfig import JobLoop, LayerJob, Walk3D

__all__ = ["TCDM_BYTES", "Buffer", "ring_runs", "TcdmAllocator", "Placement", "LayerMapping", "SwStep",
           "WeightTarget", "XbarPacker", "target_for", "ColumnTile",
           "BottleneckMapping", "check_disjoint", "map_conv", "map_pointwise",
           "map_fc", "map_depthwise", "depthwise_footprint", "depthwise_devices", "DwaLayer",
           "map_depthwise_dwa", "map_bottleneck", "conv_out_size"]

#: TCDM size, bytes (docs/spec.md section 1: 512 KiB).
TCDM_BYTES = 512 * 1024


class WeightTarget(Protocol):
    """What a mapping programs its weights into (duck-typed): a
    :class:`sim_models.crossbar.Crossbar`, or any other model of the array with the same
    ``program`` (e.g. a testbench view of an RTL array's weight memory)."""

    def program(self, row: int, col: int, weights: npt.ArrayLike) -> None: ...


# ====================================================================== TCDM buffers
@dataclass(frozen=True)
class Buffer:
    """A tensor in TCDM. HWC buffers may carry ``pad`` zero pixels around the two spatial dims.

    ``shape`` is the logical (unpadded) shape; ``padded_shape`` the stored one.
    """
    name: str
    addr: int
    shape: tuple[int, ...]
    dtype: str = "uint8"
    pad: int = 0

    @property
    def padded_shape(self) -> tuple[int, ...]:
        if self.pad:
            h, w, c = self.shape
            return (h + 2 * self.pad, w + 2 * self.pad, c)
        return tuple(self.shape)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.padded_shape))

    @property
    def interior_addr(self) -> int:
        """Address of element ``[0, 0, 0]`` of the unpadded tensor."""
        if not self.pad:
            return self.addr
        _, wp, c = self.padded_shape
        return self.addr + (self.pad * wp + self.pad) * c

    @property
    def row_pitch(self) -> int:
        """Bytes between two consecutive (padded) rows of an HWC buffer."""
        _, wp, c = self.padded_shape
        return wp * c

    def write(self, image: npt.NDArray[np.uint8], array: npt.ArrayLike) -> None:
        """Store ``array`` (logical shape) into ``image``, zeros in the padding."""
        a = np.asarray(array)
        if a.shape != tuple(self.shape):
            raise ValueError(f"buffer {self.name} holds shape {tuple(self.shape)}, not {a.shape}")
        if self.pad:
            p = self.pad
            a = np.pad(a, ((p, p), (p, p), (0, 0)))
        image[self.addr:self.addr + self.nbytes] = a.astype(self.dtype).reshape(-1).view(np.uint8)

    def read(self, image: npt.NDArray[np.uint8], padded: bool = False) -> np.ndarray:
        """The tensor (``dtype``) as stored in ``image``; the interior unless ``padded``."""
        raw = np.asarray(image[self.addr:self.addr + self.nbytes], dtype=np.uint8)
        a = raw.view(self.dtype).reshape(self.padded_shape).copy()
        if self.pad and not padded:
            p = self.pad
            a = a[p:-p, p:-p, :]
        return a


def ring_runs(buf: Buffer) -> list[tuple[int, int]]:
    """The padding ring of a padded HWC buffer as contiguous byte runs ``[(addr, n), ...]``: the
    top rows with the first interior row's left pad, then each row's right pad with the next
    row's left pad, then the last right pad with the bottom rows (``H + 1`` runs; none without
    padding). The cores' ring-zeroing kernel (``tb.bfm.kernels.sw_zero_ring``) stores these runs
    and the fast model (``sim_models.fastmodel``) costs them."""
    hp, wp, c = buf.padded_shape
    p, h = buf.pad, buf.shape[0]
    if not p:
        return []
    pitch = wp * c
    runs = [(buf.addr, (p * wp + p) * c)]
    for y in range(h):
        right = buf.addr + (p + y) * pitch + (wp - p) * c
        n = 2 * p * c if y < h - 1 else (p + p * wp) * c
        runs.append((right, n))
    return runs


class TcdmAllocator:
    """Bump allocator of byte addresses in a TCDM of ``size`` bytes.

    Parameters
    ----------
    size : int
        TCDM bytes (default 512 KiB).
    align : int
        Default alignment of every buffer, bytes (a power of two).
    base : int
        First free address.
    """

    def __init__(self, size: int = TCDM_BYTES, *, align: int = 4, base: int = 0) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"TCDM size must be a positive integer, not {size!r}")
        self._check_align(align)
        self.size, self.align, self.top = size, align, base
        self.buffers: dict[str, Buffer] = {}

    @staticmethod
    def _check_align(align):
        if not isinstance(align, int) or align < 1 or align & (align - 1):
            raise ValueError(f"alignment must be a power of two, not {align!r}")

    @property
    def used(self) -> int:
        return self.top

    def alloc(self, name: str, shape: Sequence[int], dtype: npt.DTypeLike = "uint8", *, pad: int = 0,
              align: int | None = None) -> Buffer:
        """Reserve a buffer; returns its ``Buffer``.

        Raises
        ------
        ValueError
            If the name is taken or the buffer does not fit in the TCDM.
        """
        if name in self.buffers:
            raise ValueError(f"buffer name {name!r} is already allocated")
        align = self.align if align is None else align
        self._check_align(align)
        addr = -(-self.top // align) * align
        buf = Buffer(name, addr, tuple(int(n) for n in shape), np.dtype(dtype).name, pad)
        if addr + buf.nbytes > self.size:
            raise ValueError(f"buffer {name!r} ({buf.nbytes} bytes at {addr:#x}) does not fit in "
                             f"the {self.size}-byte TCDM ({self.size - addr} bytes left)")
        self.top = addr + buf.nbytes
        self.buffers[name] = buf
        return buf

    def image(self) -> npt.NDArray[np.uint8]:
        """A zeroed TCDM byte image."""
        return np.zeros(self.size, dtype=np.uint8)


# ====================================================================== crossbar placement
def target_for(targets: Any, array: int) -> Any:
    """The weight target (or crossbar) of ``array``: ``targets[array]`` when ``targets`` is a
    list or tuple (one per array of a multi-array IMA), else ``targets`` itself, which serves
    array 0 only.

    Raises
    ------
    ValueError
        ``array`` out of range for ``targets``.
    """
    if isinstance(targets, (list, tuple)):
        if not 0 <= array < len(targets):
            raise ValueError(f"array {array} does not exist: {len(targets)} array(s) given")
        return targets[array]
    if array != 0:
        raise ValueError(f"array {array} does not exist: one array given (pass one per array)")
    return targets


@dataclass(frozen=True)
class Placement:
    """A window of integer weights to program with its top-left corner at ``(row, col)`` of
    crossbar ``array`` (a multi-array IMA's index, :attr:`LayerJob.array`; 0 for one array)."""
    row: int
    col: int
    weights: np.ndarray
    name: str = ""
    array: int = 0

    @property
    def height(self) -> int:
        return self.weights.shape[0]

    @property
    def width(self) -> int:
        return self.weights.shape[1]

    @property
    def devices(self) -> int:
        return 2 * self.weights.size

    def overlaps(self, other: Placement) -> bool:
        """Same array and intersecting windows."""
        return (self.array == other.array
                and self.row < other.row + other.height and other.row < self.row + self.height
                and self.col < other.col + other.width and other.col < self.col + self.width)


def check_disjoint(placements: Sequence[Placement], rows: int, cols: int,
                   arrays: int | None = None) -> None:
    """Raise ``ValueError`` when a placement is off its array (or names an array ``>= arrays``)
    or two placements of one array overlap."""
    for p in placements:
        if p.array < 0 or (arrays is not None and p.array >= arrays):
            raise ValueError(f"{p.name or 'placement'} is on array {p.array}, but the IMA has "
                             f"{arrays} array(s)")
        if p.row < 0 or p.col < 0 or p.row + p.height > rows or p.col + p.width > cols:
            raise ValueError(f"{p.name or 'placement'} (rows {p.row}..{p.row + p.height - 1}, cols "
                             f"{p.col}..{p.col + p.width - 1}) does not fit the {rows}x{cols} array")
    for i, a in enumerate(placements):
        for b in placements[i + 1:]:
            if a.overlaps(b):
                raise ValueError(f"{a.name or 'placement'} at ({a.row}, {a.col}) {a.height}x{a.width} "
                                 f"{'' if not a.array else f'on array {a.array} '}"
                                 f"overlaps {b.name or 'placement'} at ({b.row}, {b.col}) "
                                 f"{b.height}x{b.width}")


class XbarPacker:
    """Places rectangular layer footprints at disjoint windows of a ``rows`` x ``cols`` array.

    ``place`` takes an explicit position or finds the first free one (candidate corners: the
    origin and the right/bottom edges of what is already placed, scanned row-major).
    """

    def __init__(self, rows: int = 256, cols: int = 256) -> None:
        self.rows, self.cols = rows, cols
        self.regions: list[Placement] = []      # Placement-like rectangles (weights = empty marker array)

    def _rect(self, name, row, col, height, width):
        return Placement(row, col, np.empty((height, width), dtype=np.int8), name)

    def _fits(self, rect):
        return (rect.row + rect.height <= self.rows and rect.col + rect.width <= self.cols and
                not any(rect.overlaps(r) for r in self.regions))

    def place(self, name: str, height: int, width: int, row: int | None = None,
              col: int | None = None) -> tuple[int, int]:
        """Reserve a ``height`` x ``width`` window; returns ``(row, col)``.

        Raises
        ------
        ValueError
            If the window does not fit (explicit position: names the overlap).
        """
        if row is not None or col is not None:
            rect = self._rect(name, row or 0, col or 0, height, width)
            check_disjoint(self.regions + [rect], self.rows, self.cols)
            self.regions.append(rect)
            return rect.row, rect.col
        rs = sorted({0} | {r.row + r.height for r in self.regions})
        cs = sorted({0} | {r.col + r.width for r in self.regions})
        for r in rs:
            for c in cs:
                rect = self._rect(name, r, c, height, width)
                if self._fits(rect):
                    self.regions.append(rect)
                    return r, c
        used = sum(x.height * x.width for x in self.regions)
        raise ValueError(f"layer {name!r} ({height}x{width} crossbar window) does not fit the "
                         f"{self.rows}x{self.cols} array next to "
                         f"{[x.name for x in self.regions]} ({used} locations used)")


# ====================================================================== layer mappings
@dataclass
class LayerMapping:
    """Everything one IMA layer needs: weight placements, buffers, LayerJobs.

    Attributes
    ----------
    jobs : list of LayerJob
        Run in order (depthwise with a remainder group has two).
    placements : list of Placement
        Windows to program before the first job.
    src, dst : Buffer
        Input (pre-padded for KxK) and output buffers.
    """
    name: str
    kind: str
    jobs: list[LayerJob]
    placements: list[Placement]
    src: Buffer
    dst: Buffer
    adc: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def weights_used(self) -> int:
        """Crossbar locations used (block padding included)."""
        return sum(p.weights.size for p in self.placements)

    @property
    def devices(self) -> int:
        """PCM devices: two per crossbar location."""
        return 2 * self.weights_used

    @property
    def footprint(self) -> tuple[int, int, int, int]:
        """Bounding window ``(row, col, height, width)`` of the placements."""
        r0 = min(p.row for p in self.placements)
        c0 = min(p.col for p in self.placements)
        r1 = max(p.row + p.height for p in self.placements)
        c1 = max(p.col + p.width for p in self.placements)
        return r0, c0, r1 - r0, c1 - c0

    @property
    def num_jobs(self) -> int:
        return sum(j.num_jobs for j in self.jobs)

    @property
    def arrays_used(self) -> list[int]:
        """The arrays holding a placement of this layer, ascending."""
        return sorted({p.array for p in self.placements})

    def program(self, xbar: WeightTarget | Sequence[WeightTarget]) -> None:
        """Program every placement into ``xbar`` (anything with ``program(row, col, w)``), or
        into ``xbar[p.array]`` when given one target per array (see :func:`target_for`)."""
        for p in self.placements:
            target_for(xbar, p.array).program(p.row, p.col, p.weights)

    def validate(self, rows: int, cols: int, tcdm_bytes: int = TCDM_BYTES,
                 arrays: int | None = None) -> Self:
        """Validate every LayerJob against the array(s) and the TCDM; check placements disjoint."""
        check_disjoint(self.placements, rows, cols, arrays)
        for j in self.jobs:
            j.validate(rows=rows, cols=cols, tcdm_bytes=tcdm_bytes, arrays=arrays)
        return self


def conv_out_size(n: int, k: int, stride: int, pad: int) -> int:
    """Output size of a KxK window over ``n`` inputs with ``pad`` on each side."""
    if n + 2 * pad < k:
        raise ValueError(f"input size {n} + 2*pad {pad} is smaller than the kernel {k}")
    return (n + 2 * pad - k) // stride + 1


def _check_adc(adc: Sequence[int]) -> tuple[int, ...]:
    if len(adc) != 4:
        raise ValueError(f"adc must be (m, s, lo, hi), not {adc!r}")
    return tuple(int(v) for v in adc)


def _check_weights(w: npt.ArrayLike, ndim: int, name: str) -> npt.NDArray[np.int8]:
    w = np.asarray(w)
    if w.ndim != ndim or not np.issubdtype(w.dtype, np.integer):
        raise ValueError(f"{name} weights must be a {ndim}D integer array, not {w.dtype} {w.shape}")
    if w.size and (w.min() < -7 or w.max() > 7):
        raise ValueError(f"{name} weights must lie in [-7, 7] (-8 excluded), "
                         f"found {int(w.min())}..{int(w.max())}")
    return w.astype(np.int8)


def _check_stride(stride):
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, not {stride!r}")


def _io_buffers(name, alloc, src, dst, in_shape, pad, out_shape, lo):
    alloc = TcdmAllocator() if alloc is None else alloc
    if src is None:
        src = alloc.alloc(f"{name}.in", in_shape, "uint8", pad=pad)
    elif tuple(src.shape) != tuple(in_shape) or src.pad < pad:
        raise ValueError(f"source buffer {src.name} is {src.shape} pad {src.pad}, the layer needs "
                         f"{tuple(in_shape)} pad {pad} (or more)")
    dtype = "uint8" if lo >= 0 else "int8"
    if dst is None:
        dst = alloc.alloc(f"{name}.out", out_shape, dtype)
    elif tuple(dst.shape) != tuple(out_shape):
        raise ValueError(f"destination buffer {dst.name} is {dst.shape}, the layer writes "
                         f"{tuple(out_shape)}")
    return src, dst


def _origin(src: Buffer, pad: int) -> int:
    """Address of the first byte a layer with padding ``pad`` reads from ``src``: the buffer's
    start when it holds exactly ``pad`` (the usual case), else the corner of the ``pad``-wide
    window inside its wider ring (one buffer serves consumers with different paddings)."""
    d = src.pad - pad
    return src.addr + (d * src.row_pitch + d * src.padded_shape[-1] if d else 0)


def _walk(len0, len1=1, stride1=0, len2=1, stride2=0):
    return Walk3D(len0, len1, stride1 if len1 > 1 else 0, len2, stride2 if len2 > 1 else 0)


@dataclass(frozen=True)
class ColumnTile:
    """One piece of a layer split by output columns (channels) across crossbars: columns
    ``c0 .. c0+width-1`` of the layer's weight matrix (all its rows) placed with their top-left
    corner at ``(row, col)`` of array ``array``. Each piece is one ``LayerJob`` (one
    configuration, ``J_ARRAY = array``) writing its channels at offset ``c0`` of every output
    pixel. A placement algorithm (e.g. Tile&Pack) produces these; the mappings read them.

    Splitting by rows (inputs) would need the partial sums of several arrays added before the
    ADC transfer, which the IMA cannot do: one LayerMapping's rows fit one array. A layer whose
    rows exceed an array is mapped as one LayerMapping per row piece (``in_slice`` of
    :func:`map_pointwise` / :func:`map_fc`), each writing signed 8-bit partials that the cores
    add and requantise (:mod:`sim_models.compiler`).
    """
    array: int
    row: int
    col: int
    c0: int
    width: int


def _column_tiles(name, tiles, cout, array, row, col):
    if tiles is None:
        return [ColumnTile(array, row, col, 0, cout)]
    tiles = sorted(tiles, key=lambda t: t.c0)
    c = 0
    for t in tiles:
        if not isinstance(t, ColumnTile):
            raise ValueError(f"{name}: tiles must be ColumnTile, not {t!r}")
        if t.c0 != c or t.width < 1:
            raise ValueError(f"{name}: column tiles must cover channels 0..{cout - 1} once, in "
                             f"pieces of >= 1; found a piece at {t.c0} of width {t.width} after {c}")
        c += t.width
    if c != cout:
        raise ValueError(f"{name}: column tiles cover {c} channels, the layer has {cout}")
    return tiles


def _check_slice(name, in_slice, n):
    """``(c0, c1)`` of an input slice, ``(0, n)`` for none; ValueError naming ``in_slice``."""
    if in_slice is None:
        return 0, n
    c0, c1 = (int(v) for v in in_slice)
    if not 0 <= c0 < c1 <= n:
        raise ValueError(f"{name}: in_slice must be (c0, c1) with 0 <= c0 < c1 <= {n}, not {in_slice!r}")
    return c0, c1


def map_conv(x_shape: Sequence[int], w: npt.ArrayLike, adc: Sequence[int], *, stride: int = 1, pad: int = 0,
             row: int = 0, col: int = 0, alloc: TcdmAllocator | None = None, src: Buffer | None = None,
             dst: Buffer | None = None, name: str = "conv", array: int = 0,
             tiles: Sequence[ColumnTile] | None = None,
             in_slice: tuple[int, int] | None = None) -> LayerMapping:
    """Map a KxK convolution (virtual im2col), one job per output pixel.

    Parameters
    ----------
    x_shape : (H, W, C_in)
        Unpadded input shape; the input buffer holds it with ``pad`` zero pixels around.
    w : int array [C_out, K, K, C_in]
    adc : (m, s, lo, hi)
    stride : 1 or 2
    pad : int
        Zero padding on each side, stored in TCDM.
    row, col : int
        Top-left corner of the ``K*K*C_in`` x ``C_out`` window on the crossbar.
    alloc : TcdmAllocator, optional
        Where new buffers go (a fresh 512 KiB one by default).
    src, dst : Buffer, optional
        Existing buffers (``dst`` may be padded: the layer writes its interior).
    array : int
        The crossbar of a multi-array IMA holding the window (``LayerJob.array``).
    tiles : sequence of ColumnTile, optional
        Split the ``C_out`` columns into pieces on several arrays (replaces ``row``, ``col``,
        ``array``): one LayerJob per piece, run in order, each writing its channels.
    in_slice : (c0, c1), optional
        1x1 kernels only: use input channels ``c0 .. c1-1`` (crossbar rows ``c0 .. c1-1`` of the
        weight matrix) and nothing else -- one row piece of a layer whose rows exceed an array.
        The source walk starts ``c0`` bytes into every pixel; ``w`` is still the whole layer's.

    Returns
    -------
    LayerMapping
    """
    w = _check_weights(w, 4, name)
    adc = _check_adc(adc)
    _check_stride(stride)
    h, wd, cin = (int(n) for n in x_shape)
    cout, k, k2, wcin = w.shape
    if k != k2 or wcin != cin:
        raise ValueError(f"{name}: weights {w.shape} do not match a KxK kernel over {cin} channels")
    if in_slice is not None and k != 1:
        raise ValueError(f"{name}: in_slice needs a 1x1 kernel (a {k}x{k} kernel's rows interleave "
                         f"kernel taps and channels), not {k}x{k}")
    c0, c1 = _check_slice(name, in_slice, cin)
    pieces = _column_tiles(name, tiles, cout, array, row, col)
    ho, wo = conv_out_size(h, k, stride, pad), conv_out_size(wd, k, stride, pad)
    src, dst = _io_buffers(name, alloc, src, dst, (h, wd, cin), pad, (ho, wo, cout), adc[2])
    in_pitch = src.row_pitch
    out_pitch = dst.row_pitch if len(dst.shape) == 3 else wo * cout
    weights = w.transpose(1, 2, 3, 0).reshape(k * k * cin, cout)   # rows (ky, kx, c), cols c_out
    weights = weights[c0:c1] if in_slice is not None else weights       # 1x1: rows are channels
    rows = k * k * (c1 - c0)
    jobs, placements = [], []
    for t in pieces:
        jobs.append(LayerJob(src_addr=_origin(src, pad) + c0, dst_addr=dst.interior_addr + t.c0,
                             src=_walk(k * (c1 - c0), k, in_pitch), dst=_walk(t.width),
                             row=t.row, col=t.col, height=rows, width=t.width,
                             adc_m=adc[0], adc_s=adc[1], adc_lo=adc[2], adc_hi=adc[3],
                             loops=(JobLoop(wo, stride * cin, cout),
                                    JobLoop(ho, stride * in_pitch, out_pitch), JobLoop()),
                             array=t.array))
        pname = name if tiles is None else f"{name}[{t.c0}:{t.c0 + t.width}]"
        placements.append(Placement(t.row, t.col, weights[:, t.c0:t.c0 + t.width].copy(), pname,
                                    t.array))
    params = {"k": k, "stride": stride, "pad": pad, "out_shape": (ho, wo, cout)}
    if in_slice is not None:
        params["in_slice"] = (c0, c1)
    return LayerMapping(name, "conv", jobs, placements, src, dst, adc, params)


def map_pointwise(x_shape: Sequence[int], w: npt.ArrayLike, adc: Sequence[int], *, stride: int = 1,
                  row: int = 0, col: int = 0, alloc: TcdmAllocator | None = None, src: Buffer | None = None,
                  dst: Buffer | None = None, name: str = "pw", array: int = 0,
                  tiles: Sequence[ColumnTile] | None = None,
                  in_slice: tuple[int, int] | None = None) -> LayerMapping:
    """Map a pointwise (1x1) layer: rows ``C_in``, columns ``C_out``; ``w`` is ``[C_out, C_in]``
    (``array``, ``tiles``, ``in_slice``: see :func:`map_conv`)."""
    w = _check_weights(w, 2, name)
    m = map_conv(x_shape, w[:, None, None, :], adc, stride=stride, pad=0, row=row, col=col,
                 alloc=alloc, src=src, dst=dst, name=name, array=array, tiles=tiles, in_slice=in_slice)
    m.kind = "pointwise"
    return m


def map_fc(x_shape: int | Sequence[int], w: npt.ArrayLike, adc: Sequence[int], *, row: int = 0, col: int = 0,
           alloc: TcdmAllocator | None = None, src: Buffer | None = None, dst: Buffer | None = None,
           name: str = "fc", array: int = 0, tiles: Sequence[ColumnTile] | None = None,
           in_slice: tuple[int, int] | None = None) -> LayerMapping:
    """Map a fully connected layer on the flattened input: one job per column piece, ``w`` is
    ``[C_out, C_in]``, on crossbar ``array`` (``tiles``: column pieces on several arrays, see
    :func:`map_conv`; ``in_slice=(c0, c1)``: inputs ``c0 .. c1-1`` only, one row piece)."""
    w = _check_weights(w, 2, name)
    adc = _check_adc(adc)
    x_shape = tuple(int(n) for n in np.atleast_1d(x_shape))
    cin = int(np.prod(x_shape))
    cout = w.shape[0]
    if w.shape[1] != cin:
        raise ValueError(f"{name}: weights {w.shape} do not match {cin} inputs")
    c0, c1 = _check_slice(name, in_slice, cin)
    pieces = _column_tiles(name, tiles, cout, array, row, col)
    alloc = TcdmAllocator() if alloc is None else alloc
    src = alloc.alloc(f"{name}.in", x_shape) if src is None else src
    if src.nbytes != cin:
        raise ValueError(f"source buffer {src.name} holds {src.nbytes} bytes, the layer reads {cin}")
    dst = alloc.alloc(f"{name}.out", (cout,), "uint8" if adc[2] >= 0 else "int8") \
        if dst is None else dst
    wt = w.T[c0:c1]
    jobs, placements = [], []
    for t in pieces:
        jobs.append(LayerJob(src_addr=src.addr + c0, dst_addr=dst.interior_addr + t.c0,
                             src=_walk(c1 - c0), dst=_walk(t.width), row=t.row, col=t.col,
                             height=c1 - c0, width=t.width,
                             adc_m=adc[0], adc_s=adc[1], adc_lo=adc[2], adc_hi=adc[3], array=t.array))
        pname = name if tiles is None else f"{name}[{t.c0}:{t.c0 + t.width}]"
        placements.append(Placement(t.row, t.col, wt[:, t.c0:t.c0 + t.width].copy(), pname, t.array))
    params: dict[str, Any] = {"out_shape": (cout,)}
    if in_slice is not None:
        params["in_slice"] = (c0, c1)
    return LayerMapping(name, "fc", jobs, placements, src, dst, adc, params)


def _groups(c, c_job):
    """``[(c0, size), ...]``: full ``c_job`` groups then the remainder."""
    return [(c0, min(c_job, c - c0)) for c0 in range(0, c, c_job)]


def depthwise_footprint(c: int, k: int = 3, c_job: int = 8, layout: str = "diagonal") -> tuple[int, int]:
    """``(height, width)`` of the crossbar window a depthwise layer occupies."""
    cj = min(c_job, c)
    if layout == "diagonal":
        return k * k * c, c
    if layout == "packed":
        return k * k * cj, c
    raise ValueError(f"layout must be 'diagonal' or 'packed', not {layout!r}")


def depthwise_devices(c: int, k: int = 3, c_job: int = 8) -> int:
    """PCM devices of a block-diagonal depthwise: ``2 * sum(K^2 * size^2)`` over the groups.

    Equals ``2 * K^2 * C * C_job`` (docs/spec.md ``N_xbar``) when ``C_job`` divides ``C``.
    """
    return 2 * sum(k * k * n * n for _, n in _groups(c, c_job))


def _dw_block(w, c0, n):
    """Block of channels ``c0 .. c0+n-1``: ``[(ky, kx, i), i] = w[c0+i, ky, kx]``."""
    k = w.shape[1]
    blk = np.zeros((k, k, n, n), dtype=np.int8)
    idx = np.arange(n)
    blk[:, :, idx, idx] = w[c0:c0 + n].transpose(1, 2, 0)
    return blk.reshape(k * k * n, n)


def map_depthwise(x_shape: Sequence[int], w: npt.ArrayLike, adc: Sequence[int], *, c_job: int = 8,
                  stride: int = 1, pad: int = 1, layout: str = "diagonal", row: int = 0, col: int = 0,
                  alloc: TcdmAllocator | None = None, src: Buffer | None = None, dst: Buffer | None = None,
                  name: str = "dw", array: int = 0) -> LayerMapping:
    """Map a KxK depthwise layer block-diagonally, ``c_job`` channels per job, on crossbar
    ``array``.

    Job loop 0 = channel groups, loop 1 = output columns, loop 2 = output rows. When ``C`` is not
    a multiple of ``c_job`` the returned mapping holds two LayerJobs (full groups, remainder).

    Parameters
    ----------
    x_shape : (H, W, C)
    w : int array [C, K, K]
    c_job : int
        Channels per job (8 = IMA8, 16 = IMA16).
    layout : 'diagonal' or 'packed'
        Blocks on the diagonal, or side by side on the same rows (see the module docstring).
    """
    w = _check_weights(w, 3, name)
    adc = _check_adc(adc)
    _check_stride(stride)
    if not isinstance(c_job, int) or c_job < 1:
        raise ValueError(f"c_job must be a positive integer, not {c_job!r}")
    h, wd, c = (int(n) for n in x_shape)
    if w.shape[0] != c or w.shape[1] != w.shape[2]:
        raise ValueError(f"{name}: weights {w.shape} do not match a KxK depthwise over {c} channels")
    depthwise_footprint(c, w.shape[1], c_job, layout)   # validates layout
    k = w.shape[1]
    ho, wo = conv_out_size(h, k, stride, pad), conv_out_size(wd, k, stride, pad)
    src, dst = _io_buffers(name, alloc, src, dst, (h, wd, c), pad, (ho, wo, c), adc[2])
    groups = _groups(c, c_job)
    diag = layout == "diagonal"
    placements = [Placement(row + (c0 * k * k if diag else 0), col + c0, _dw_block(w, c0, n),
                            f"{name}[{c0}:{c0 + n}]", array) for c0, n in groups]
    runs = [groups[:c // c_job], groups[c // c_job:]]      # full groups, remainder
    jobs = []
    for run in runs:
        if not run:
            continue
        (c0, n), p = run[0], placements[groups.index(run[0])]
        jobs.append(LayerJob(
            src_addr=_origin(src, pad) + c0, dst_addr=dst.interior_addr + c0,
            src=_walk(n, k, c, k, src.row_pitch), dst=_walk(n),
            row=p.row, col=p.col, height=k * k * n, width=n,
            adc_m=adc[0], adc_s=adc[1], adc_lo=adc[2], adc_hi=adc[3],
            loops=(JobLoop(len(run), n, n, k * k * n if diag else 0, n),
                   JobLoop(wo, stride * c, c),
                   JobLoop(ho, stride * src.row_pitch, dst.row_pitch)), array=array))
    return LayerMapping(name, "depthwise", jobs, placements, src, dst, adc,
                        {"k": k, "stride": stride, "pad": pad, "c_job": c_job, "layout": layout,
                         "out_shape": (ho, wo, c)})


# ====================================================================== depthwise on the DWA
@dataclass
class DwaLayer:
    """A 3x3 depth-wise layer on the digital depth-wise accelerator (``IMADW``): one
    :class:`sim_models.dwa.DwJob` over HWC buffers, no crossbar, no re-layout.

    ``src`` is the pre-padded input (the zero ring is in memory, the accelerator has no hardware
    padding), ``w_buf`` the ``[3, 3, C]`` tap-major signed 8-bit weights
    (:func:`sim_models.dwa.weights_to_tcdm`, ``weights`` holds those bytes), ``dst`` the output.
    The cores only write ``weights`` into the TCDM image (:meth:`load`) before the run.
    """
    name: str
    job: DwJob
    src: Buffer
    dst: Buffer
    w_buf: Buffer
    weights: np.ndarray
    adc: tuple[int, int, int, int]
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "depthwise"

    @property
    def devices(self) -> int:
        """PCM devices: none (the accelerator is digital, its weights live in the TCDM)."""
        return 0

    def load(self, image: npt.NDArray[np.uint8]) -> None:
        """Store the layer's weights into a TCDM byte image."""
        b = self.w_buf
        image[b.addr:b.addr + b.nbytes] = self.weights.reshape(-1).view(np.uint8)

    def validate(self, tcdm_bytes: int = TCDM_BYTES) -> Self:
        """The job's fields and every byte it touches against a TCDM of ``tcdm_bytes``
        (:meth:`sim_models.dwa.DwJob.validate`: ValueError naming the field or the region)."""
        self.job.validate(tcdm_bytes)
        return self


def map_depthwise_dwa(x_shape: Sequence[int], w: npt.ArrayLike, adc: Sequence[int], *, stride: int = 1,
                      pad: int = 1, alloc: TcdmAllocator | None = None, src: Buffer | None = None,
                      dst: Buffer | None = None, w_buf: Buffer | None = None,
                      name: str = "dw") -> DwaLayer:
    """Map a 3x3 depth-wise layer onto the depth-wise accelerator (one ``DwJob``).

    The input buffer is HWC with ``pad`` zero pixels around (written by whoever fills it, e.g.
    the expand layer of a bottleneck writes only its interior): the job reads padded rows and
    columns ``0 .. (out-1)*stride + 2``. Weights may be any signed 8-bit values (the
    accelerator's multipliers are 8 x 8 bit, unlike the IMA's 4-bit PCM weights).

    Parameters
    ----------
    x_shape : (H, W, C)
        Unpadded input shape.
    w : int array [C, 3, 3]
    adc : (m, s, lo, hi)
        The output transfer (the IMA ADC's: :func:`sim_models.golden.requant`).
    stride : 1 or 2
    pad : int
        Zero padding on each side, stored in TCDM (0..2).
    alloc : TcdmAllocator, optional
        Where new buffers go (input, output, weights).
    src, dst, w_buf : Buffer, optional
        Existing buffers (``dst`` may be padded: the layer writes its interior).

    Returns
    -------
    DwaLayer
    """
    adc = _check_adc(adc)
    _check_stride(stride)
    alloc = TcdmAllocator() if alloc is None else alloc
    w = np.asarray(w)
    h, wd, c = (int(n) for n in x_shape)
    if w.ndim != 3 or w.shape != (c, KERNEL, KERNEL) or not np.issubdtype(w.dtype, np.integer):
        raise ValueError(f"{name}: the depth-wise accelerator needs integer weights of shape "
                         f"[{c}, {KERNEL}, {KERNEL}], not {w.dtype} {w.shape}")
    if not isinstance(pad, int) or not 0 <= pad < KERNEL:
        raise ValueError(f"pad must be in 0..{KERNEL - 1}, not {pad!r}")
    wt = weights_to_tcdm(w)                  # ValueError outside signed 8 bit
    ho, wo = conv_out_size(h, KERNEL, stride, pad), conv_out_size(wd, KERNEL, stride, pad)
    src, dst = _io_buffers(name, alloc, src, dst, (h, wd, c), pad, (ho, wo, c), adc[2])
    if w_buf is None:
        w_buf = alloc.alloc(f"{name}.w", (KERNEL, KERNEL, c), "int8")
    elif w_buf.nbytes != wt.size:
        raise ValueError(f"weight buffer {w_buf.name} holds {w_buf.nbytes} bytes, the layer needs "
                         f"{wt.size}")
    out_pitch = dst.row_pitch
    job = DwJob(in_addr=_origin(src, pad), in_row_stride=src.row_pitch, out_addr=dst.interior_addr,
                out_row_stride=out_pitch, w_addr=w_buf.addr, channels=c, out_h=ho, out_w=wo,
                stride=stride, adc_m=adc[0], adc_s=adc[1], adc_lo=adc[2], adc_hi=adc[3])
    layer = DwaLayer(name, job, src, dst, w_buf, wt, adc,
                     {"k": KERNEL, "stride": stride, "pad": pad, "out_shape": (ho, wo, c)})
    return layer.validate(alloc.size)


# ====================================================================== bottleneck
@dataclass
class SwStep:
    """A step the cores run (HYBRID depthwise, residual add): inputs, output, parameters."""
    name: str
    kind: str            # 'depthwise' or 'residual'
    srcs: list[Buffer]
    dst: Buffer
    weights: np.ndarray | None = None
    adc: tuple[int, int, int, int] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class BottleneckMapping:
    """The four steps of a MobileNetV2 bottleneck, in order, and their buffers.

    ``steps`` holds ``LayerMapping`` (IMA), ``DwaLayer`` (depth-wise accelerator, ``IMADW``) and
    ``SwStep`` (cores) objects; ``buffers`` names ``x, e`` (expand out = padded depthwise in),
    ``d, p, y``.
    """
    mapping: str
    steps: list[LayerMapping | SwStep]
    buffers: dict[str, Buffer]
    rows: int
    cols: int
    alloc: TcdmAllocator

    @property
    def ima_layers(self) -> list[LayerMapping]:
        return [s for s in self.steps if isinstance(s, LayerMapping)]

    @property
    def weights_used(self) -> int:
        return sum(m.weights_used for m in self.ima_layers)

    @property
    def devices(self) -> int:
        """PCM devices of all IMA layers (two per crossbar location)."""
        return 2 * self.weights_used

    @property
    def utilisation(self) -> float:
        """Fraction of the array's locations holding a weight of this block."""
        return self.weights_used / (self.rows * self.cols)

    @property
    def dwa_layers(self) -> list[DwaLayer]:
        return [s for s in self.steps if isinstance(s, DwaLayer)]

    def program(self, xbar: WeightTarget) -> None:
        for m in self.ima_layers:
            m.program(xbar)


#: Bottleneck mapping -> where its depthwise runs: the cores (None), the IMA with ``C_job``
#: channels per job (an int), or the depth-wise accelerator ("DWA").
MAPPINGS: dict[str, int | str | None] = {"HYBRID": None, "IMA8": 8, "IMA16": 16, "IMADW": "DWA"}


def map_bottleneck(x_shape: Sequence[int], w_exp: npt.ArrayLike, w_dw: npt.ArrayLike, w_proj: npt.ArrayLike,
                   adc_exp: tuple[int, int, int, int], adc_dw: tuple[int, int, int, int],
                   adc_proj: tuple[int, int, int, int], *, mapping: str = "HYBRID",
                   rows: int = 256, cols: int = 256, alloc: TcdmAllocator | None = None,
                   dw_layout: str = "packed") -> BottleneckMapping:
    """Map a stride-1 MobileNetV2 bottleneck (expand, depthwise 3x3 pad 1, project, residual).

    Parameters
    ----------
    x_shape : (H, W, C)
    w_exp : [tC, C]; w_dw : [tC, 3, 3]; w_proj : [C, tC]
    adc_exp, adc_dw, adc_proj : (m, s, lo, hi) per layer
    mapping : 'HYBRID', 'IMA8', 'IMA16' or 'IMADW'
        HYBRID runs the depthwise on the cores (a ``SwStep``), IMADW on the depth-wise
        accelerator (a ``DwaLayer`` reading the expand output's padded buffer ``e`` in place, its
        weights in a TCDM buffer ``w_dw``; no HWC->CHW step).
    rows, cols : int
        Crossbar size; the layers are packed first-fit (``XbarPacker``), ValueError if they do
        not fit.
    dw_layout : 'packed' or 'diagonal'

    Returns
    -------
    BottleneckMapping
    """
    if mapping not in MAPPINGS:
        raise ValueError(f"mapping must be one of {sorted(MAPPINGS)}, not {mapping!r}")
    h, wd, c = (int(n) for n in x_shape)
    tc = np.shape(w_exp)[0]
    alloc = TcdmAllocator() if alloc is None else alloc
    bufs = {"x": alloc.alloc("x", (h, wd, c)),
            "e": alloc.alloc("e", (h, wd, tc), pad=1),
            "d": alloc.alloc("d", (h, wd, tc)),
            "p": alloc.alloc("p", (h, wd, c), "int8"),
            "y": alloc.alloc("y", (h, wd, c))}
    packer = XbarPacker(rows, cols)
    r, cc = packer.place("expand", c, tc)
    expand = map_pointwise((h, wd, c), w_exp, adc_exp, row=r, col=cc, src=bufs["x"],
                           dst=bufs["e"], name="expand")
    r, cc = packer.place("project", tc, c)
    project = map_pointwise((h, wd, tc), w_proj, adc_proj, row=r, col=cc, src=bufs["d"],
                            dst=bufs["p"], name="project")
    c_job = MAPPINGS[mapping]
    dw: SwStep | LayerMapping | DwaLayer
    if c_job == "DWA":
        dw = map_depthwise_dwa((h, wd, tc), w_dw, adc_dw, src=bufs["e"], dst=bufs["d"],
                               w_buf=alloc.alloc("w_dw", (3, 3, tc), "int8"), name="depthwise")
    elif c_job is None:
        dw = SwStep("depthwise", "depthwise", [bufs["e"]], bufs["d"], np.asarray(w_dw), adc_dw,
                    {"k": 3, "stride": 1, "pad": 1})
    else:
        fh, fw = depthwise_footprint(tc, 3, c_job, dw_layout)
        r, cc = packer.place("depthwise", fh, fw)
        dw = map_depthwise((h, wd, tc), w_dw, adc_dw, c_job=c_job, layout=dw_layout, row=r, col=cc,
                           src=bufs["e"], dst=bufs["d"], name="depthwise")
    res = SwStep("residual", "residual", [bufs["x"], bufs["p"]], bufs["y"])
    bm = BottleneckMapping(mapping, [expand, dw, project, res], bufs, rows, cols, alloc)
    check_disjoint([p for m in bm.ima_layers for p in m.placements], rows, cols)
    return bm
