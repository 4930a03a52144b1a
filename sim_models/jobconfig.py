"""The configuration of one IMA *layer*: everything the streamer and engine need, as plain data.

This is the contract between the mappings (``sim_models.mapping`` produces it), the job-level
executor (``sim_models.executor`` walks it over a byte image of the TCDM), the register file
(``hw.ima.regmap`` encodes it into registers) and the RTL (which implements the same walk).
Pure Python: no Amaranth, no cocotb.

A layer is a set of *jobs* (one analog MVM each) chained by three nested job loops; one
configuration runs them all. For job ``(j2, j1, j0)`` (``j0`` innermost)::

    src_base = src_addr + j0*job[0].src_stride + j1*job[1].src_stride + j2*job[2].src_stride
    dst_base = dst_addr + sum_k j_k*job[k].dst_stride
    row0     = row + sum_k j_k*job[k].row_stride      # crossbar window of this job
    col0     = col + sum_k j_k*job[k].col_stride

STREAMIN fills DAC buffer positions ``0 .. height-1`` in order from the 3D source walk::

    for i2 in range(src.len2):
        for i1 in range(src.len1):
            for i0 in range(src.len0):                 # contiguous bytes
                byte at src_base + i2*src.stride2 + i1*src.stride1 + i0

(``src.len0 * src.len1 * src.len2 == height``). COMPUTE drives crossbar rows ``row0 ..
row0+height-1`` with those bytes and reads columns ``col0 .. col0+width-1`` through the ADC
transfer ``clamp((acc*adc_m + 2**(adc_s-1)) >> adc_s, adc_lo, adc_hi)`` (no rounding term when
``adc_s == 0``). STREAMOUT writes the ``width`` output bytes (two's complement low byte of each
result) by the same 3D walk over ``dst`` (``dst.len0 * dst.len1 * dst.len2 == width``).

All addresses and strides are in bytes, relative to the start of the TCDM; strides may be
negative. Job-loop counts of 1 disable a loop.

``array`` selects the crossbar of a multi-array IMA (Garofalo et al. 2022, Sec. VI: one array
active at a time) on which every job of the layer runs; windows are checked against that array's
``rows x cols``. A layer split across arrays is one ``LayerJob`` per array piece.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Self

__all__ = ["Walk3D", "JobLoop", "LayerJob"]


def _int(name, value, lo=None, hi=None):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if lo is not None and value < lo:
        raise ValueError(f"{name} must be >= {lo}, not {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi}, not {value}")


@dataclass(frozen=True)
class Walk3D:
    """A 3D byte walk: ``len0`` contiguous bytes, repeated ``len1`` x ``len2`` times at strides."""
    len0: int
    len1: int = 1
    stride1: int = 0
    len2: int = 1
    stride2: int = 0

    @property
    def total(self) -> int:
        return self.len0 * self.len1 * self.len2

    def offsets(self) -> list[int]:
        """Byte offsets (relative to the base) in stream order."""
        return [i2 * self.stride2 + i1 * self.stride1 + i0
                for i2 in range(self.len2) for i1 in range(self.len1) for i0 in range(self.len0)]

    def validate(self, name: str) -> None:
        _int(f"{name}.len0", self.len0, 1, 0xFFFF)
        _int(f"{name}.len1", self.len1, 1, 0xFFFF)
        _int(f"{name}.len2", self.len2, 1, 0xFFFF)
        _int(f"{name}.stride1", self.stride1, -(1 << 31), (1 << 31) - 1)
        _int(f"{name}.stride2", self.stride2, -(1 << 31), (1 << 31) - 1)


@dataclass(frozen=True)
class JobLoop:
    """One job loop: ``count`` jobs, each step moving source, sink and the crossbar window."""
    count: int = 1
    src_stride: int = 0
    dst_stride: int = 0
    row_stride: int = 0
    col_stride: int = 0

    def validate(self, name: str) -> None:
        _int(f"{name}.count", self.count, 1, 0xFFFF)
        for f in ("src_stride", "dst_stride"):
            _int(f"{name}.{f}", getattr(self, f), -(1 << 31), (1 << 31) - 1)
        for f in ("row_stride", "col_stride"):
            _int(f"{name}.{f}", getattr(self, f), -(1 << 15), (1 << 15) - 1)


def _default_loops() -> tuple[JobLoop, JobLoop, JobLoop]:
    return (JobLoop(), JobLoop(), JobLoop())


@dataclass(frozen=True)
class LayerJob:
    """Everything one IMA configuration runs: window, ADC transfer, source/sink walks, job loops."""
    src_addr: int
    dst_addr: int
    src: Walk3D
    dst: Walk3D
    row: int
    col: int
    height: int
    width: int
    adc_m: int = 1
    adc_s: int = 0
    adc_lo: int = 0
    adc_hi: int = 255
    loops: tuple[JobLoop, JobLoop, JobLoop] = field(default_factory=_default_loops)
    array: int = 0

    @property
    def num_jobs(self) -> int:
        n = 1
        for loop in self.loops:
            n *= loop.count
        return n

    def jobs(self) -> Iterator[tuple[int, int, int, int]]:
        """Yield ``(src_base, dst_base, row0, col0)`` for every job, in execution order."""
        l0, l1, l2 = self.loops
        for j2 in range(l2.count):
            for j1 in range(l1.count):
                for j0 in range(l0.count):
                    steps = list(zip((j0, j1, j2), self.loops, strict=True))
                    yield (self.src_addr + sum(j * lp.src_stride for j, lp in steps),
                           self.dst_addr + sum(j * lp.dst_stride for j, lp in steps),
                           self.row + sum(j * lp.row_stride for j, lp in steps),
                           self.col + sum(j * lp.col_stride for j, lp in steps))

    def validate(self, *, rows: int | None = None, cols: int | None = None, tcdm_bytes: int | None = None,
                 dac_depth: int | None = None, adc_depth: int | None = None,
                 arrays: int | None = None) -> Self:
        """Raise ``ValueError`` naming the first field that is out of range.

        With ``rows/cols`` the job windows must lie on the array; with ``tcdm_bytes`` every
        byte the layer reads or writes must lie in the TCDM; with ``dac_depth/adc_depth`` the job
        must fit the engine's buffers; with ``arrays`` the job's array must exist.
        """
        _int("src_addr", self.src_addr, 0)
        _int("dst_addr", self.dst_addr, 0)
        _int("height", self.height, 1)
        _int("width", self.width, 1)
        _int("row", self.row, 0)
        _int("col", self.col, 0)
        _int("array", self.array, 0, 0xFFFF)
        if arrays is not None and self.array >= arrays:
            raise ValueError(f"array {self.array} does not exist: the IMA has {arrays} array(s)")
        _int("adc_m", self.adc_m, -(1 << 15), (1 << 15) - 1)
        _int("adc_s", self.adc_s, 0, 31)
        _int("adc_lo", self.adc_lo, -128, 255)
        _int("adc_hi", self.adc_hi, -128, 255)
        if self.adc_lo > self.adc_hi:
            raise ValueError(f"adc_lo ({self.adc_lo}) must be <= adc_hi ({self.adc_hi})")
        self.src.validate("src")
        self.dst.validate("dst")
        if len(self.loops) != 3:
            raise ValueError(f"loops must hold 3 JobLoop, not {len(self.loops)}")
        for k, loop in enumerate(self.loops):
            loop.validate(f"loops[{k}]")
        if self.src.total != self.height:
            raise ValueError(f"src walk moves {self.src.total} bytes but height is {self.height}")
        if self.dst.total != self.width:
            raise ValueError(f"dst walk moves {self.dst.total} bytes but width is {self.width}")
        if dac_depth is not None and self.height > dac_depth:
            raise ValueError(f"height {self.height} exceeds the DAC buffer ({dac_depth} rows)")
        if adc_depth is not None and self.width > adc_depth:
            raise ValueError(f"width {self.width} exceeds the ADC buffer ({adc_depth} columns)")
        rows_lo, rows_hi = self._extent(lambda lp: lp.row_stride, self.row, self.height)
        cols_lo, cols_hi = self._extent(lambda lp: lp.col_stride, self.col, self.width)
        if rows_lo < 0 or (rows is not None and rows_hi > rows):
            raise ValueError(f"job windows span rows {rows_lo}..{rows_hi - 1}, off the {rows}-row array")
        if cols_lo < 0 or (cols is not None and cols_hi > cols):
            raise ValueError(f"job windows span columns {cols_lo}..{cols_hi - 1}, "
                             f"off the {cols}-column array")
        if tcdm_bytes is not None:
            for name, base, walk, key in (("source", self.src_addr, self.src, "src_stride"),
                                          ("destination", self.dst_addr, self.dst, "dst_stride")):
                lo, hi = self.byte_range(base, walk, key)
                if lo < 0 or hi > tcdm_bytes:
                    raise ValueError(f"{name} bytes {lo:#x}..{hi - 1:#x} fall outside the "
                                     f"{tcdm_bytes:#x}-byte TCDM")
        return self

    def _extent(self, stride_of: Callable[[JobLoop], int], base: int, size: int) -> tuple[int, int]:
        lo = hi = base
        for lp in self.loops:
            step = stride_of(lp) * (lp.count - 1)
            lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
        return lo, hi + size

    def byte_range(self, base: int, walk: Walk3D, job_stride_field: str) -> tuple[int, int]:
        """[lo, hi) of every byte the walk touches over all jobs (exact for the bounding box)."""
        lo = hi = base
        terms = [(walk.stride1, walk.len1), (walk.stride2, walk.len2)]
        terms += [(getattr(lp, job_stride_field), lp.count) for lp in self.loops]
        for stride, count in terms:
            step = stride * (count - 1)
            lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
        return lo, hi + walk.len0

    def as_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["src"] = vars(self.src).copy()
        d["dst"] = vars(self.dst).copy()
        d["loops"] = [vars(lp).copy() for lp in self.loops]
        return d
