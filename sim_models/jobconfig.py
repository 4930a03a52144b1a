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
from dataclasses import dataclass, field, fields, replace
from typing import Any, Self

__all__ = ["Walk3D", "JobLoop", "LayerJob", "CAUSES"]

#: The ERROR causes of the IMA's configuration checker (hw/ima/regmap.py), as
#: :meth:`LayerJob.problems` names them.
CAUSES = ("window", "length", "address", "adc", "array")


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
        must fit the engine's buffers; with ``arrays`` the job's array must exist. The message is
        the first of :meth:`problems`.
        """
        for name, value in self._int_fields():
            _int(name, value)
        if len(self.loops) != 3:
            raise ValueError(f"loops must hold 3 JobLoop, not {len(self.loops)}")
        found = self.problems(rows=rows, cols=cols, tcdm_bytes=tcdm_bytes, dac_depth=dac_depth,
                              adc_depth=adc_depth, arrays=arrays)
        if found:
            raise ValueError(found[0][1])
        return self

    def causes(self, **limits: int | None) -> frozenset[str]:
        """The ERROR causes of the IMA's configuration checker this layer earns (empty: valid).

        The reference the hardware's ERROR bits are checked against (``tb/check/regfuzz.py``);
        ``limits`` as :meth:`validate`. See :meth:`problems` for the rules.
        """
        return frozenset(cause for cause, _ in self.problems(**limits))

    def problems(self, *, rows: int | None = None, cols: int | None = None,
                 tcdm_bytes: int | None = None, dac_depth: int | None = None,
                 adc_depth: int | None = None, arrays: int | None = None) -> list[tuple[str, str]]:
        """Every rule the layer breaks, as ``(cause, message)`` in a fixed order (the first is
        :meth:`validate`'s message); ``cause`` is the IMA's ERROR field that rule sets
        (:data:`CAUSES`). Integer fields are assumed (:meth:`validate` checks the types).

        Each rule is judged on its own, as the hardware checker judges a configuration written
        to its registers (``hw/ima/jobregs.py``), so a configuration may earn several causes:

        * ``length``: ``height``, ``width``, a walk length or a job-loop count outside
          1..0xFFFF, or a walk's byte count differing from ``height`` / ``width``;
        * ``window``: ``row`` / ``col`` outside 0..0xFFFF, a job-loop row / column stride
          outside the signed 16 bits, ``height`` / ``width`` beyond the DAC / ADC buffer, or
          job windows off the array;
        * ``address``: a byte of the source or destination walk outside the TCDM (or a base /
          stride outside 32 bits, which no register can hold);
        * ``adc``: ``adc_m`` not signed 16-bit, ``adc_s`` outside 0..31, ``adc_lo`` / ``adc_hi``
          outside -128..255 or ``adc_lo > adc_hi``;
        * ``array``: ``array`` outside 0..0xFFFF or >= ``arrays``.

        The geometric rules (buffers, window and byte ranges) use the low 16 bits of every
        16-bit field (lengths, counts, ``row``, ``col``, ``height``, ``width``; the row / column
        strides sign-extended from 16 bits), as the hardware's datapath does: a field out of its
        16-bit range already earns its own cause, and the others are judged on what the
        datapath sees.
        """
        out: list[tuple[str, str]] = []

        def rng(cause, name, value, lo=None, hi=None):
            if lo is not None and value < lo:
                out.append((cause, f"{name} must be >= {lo}, not {value}"))
            elif hi is not None and value > hi:
                out.append((cause, f"{name} must be <= {hi}, not {value}"))

        u32 = (1 << 32) - 1
        rng("address", "src_addr", self.src_addr, 0, u32)
        rng("address", "dst_addr", self.dst_addr, 0, u32)
        rng("length", "height", self.height, 1, 0xFFFF)
        rng("length", "width", self.width, 1, 0xFFFF)
        rng("window", "row", self.row, 0, 0xFFFF)
        rng("window", "col", self.col, 0, 0xFFFF)
        rng("array", "array", self.array, 0, 0xFFFF)
        if arrays is not None and arrays <= self.array <= 0xFFFF:
            out.append(("array", f"array {self.array} does not exist: the IMA has {arrays} array(s)"))
        rng("adc", "adc_m", self.adc_m, -(1 << 15), (1 << 15) - 1)
        rng("adc", "adc_s", self.adc_s, 0, 31)
        rng("adc", "adc_lo", self.adc_lo, -128, 255)
        rng("adc", "adc_hi", self.adc_hi, -128, 255)
        if self.adc_lo > self.adc_hi:
            out.append(("adc", f"adc_lo ({self.adc_lo}) must be <= adc_hi ({self.adc_hi})"))
        for name, walk in (("src", self.src), ("dst", self.dst)):
            for f in ("len0", "len1", "len2"):
                rng("length", f"{name}.{f}", getattr(walk, f), 1, 0xFFFF)
            for f in ("stride1", "stride2"):
                rng("address", f"{name}.{f}", getattr(walk, f), -(1 << 31), (1 << 31) - 1)
        for k, loop in enumerate(self.loops):
            rng("length", f"loops[{k}].count", loop.count, 1, 0xFFFF)
            for f in ("src_stride", "dst_stride"):
                rng("address", f"loops[{k}].{f}", getattr(loop, f), -(1 << 31), (1 << 31) - 1)
            for f in ("row_stride", "col_stride"):
                rng("window", f"loops[{k}].{f}", getattr(loop, f), -(1 << 15), (1 << 15) - 1)
        if self.src.total != self.height:
            out.append(("length", f"src walk moves {self.src.total} bytes but height is {self.height}"))
        if self.dst.total != self.width:
            out.append(("length", f"dst walk moves {self.dst.total} bytes but width is {self.width}"))
        t = self._datapath()
        if dac_depth is not None and t.height > dac_depth:
            out.append(("window", f"height {t.height} exceeds the DAC buffer ({dac_depth} rows)"))
        if adc_depth is not None and t.width > adc_depth:
            out.append(("window", f"width {t.width} exceeds the ADC buffer ({adc_depth} columns)"))
        rows_lo, rows_hi = t._extent(lambda lp: lp.row_stride, t.row, t.height)
        cols_lo, cols_hi = t._extent(lambda lp: lp.col_stride, t.col, t.width)
        if rows_lo < 0 or (rows is not None and rows_hi > rows):
            out.append(("window", f"job windows span rows {rows_lo}..{rows_hi - 1}, off the "
                                  f"{rows}-row array"))
        if cols_lo < 0 or (cols is not None and cols_hi > cols):
            out.append(("window", f"job windows span columns {cols_lo}..{cols_hi - 1}, "
                                  f"off the {cols}-column array"))
        if tcdm_bytes is not None:
            for name, base, walk, key in (("source", t.src_addr, t.src, "src_stride"),
                                          ("destination", t.dst_addr, t.dst, "dst_stride")):
                lo, hi = t.byte_range(base, walk, key)
                if lo < 0 or hi > tcdm_bytes:
                    out.append(("address", f"{name} bytes {lo:#x}..{hi - 1:#x} fall outside the "
                                           f"{tcdm_bytes:#x}-byte TCDM"))
        return out

    def _int_fields(self) -> Iterator[tuple[str, Any]]:
        for f in ("src_addr", "dst_addr", "height", "width", "row", "col", "array", "adc_m",
                  "adc_s", "adc_lo", "adc_hi"):
            yield f, getattr(self, f)
        for name, walk in (("src", self.src), ("dst", self.dst)):
            for f in fields(walk):
                yield f"{name}.{f.name}", getattr(walk, f.name)
        for k, loop in enumerate(self.loops):
            for f in fields(loop):
                yield f"loops[{k}].{f.name}", getattr(loop, f.name)

    def _datapath(self) -> "LayerJob":
        """This layer as the checker's datapath sees it: 16-bit fields cut to their low 16
        bits, row / column strides sign-extended from 16 bits (see :meth:`problems`)."""
        def u16(v):
            return v & 0xFFFF

        def s16(v):
            return ((v + 0x8000) & 0xFFFF) - 0x8000

        def walk(w):
            return replace(w, len0=u16(w.len0), len1=u16(w.len1), len2=u16(w.len2))
        loops = tuple(replace(lp, count=u16(lp.count), row_stride=s16(lp.row_stride),
                              col_stride=s16(lp.col_stride)) for lp in self.loops)
        return replace(self, src=walk(self.src), dst=walk(self.dst), row=u16(self.row),
                       col=u16(self.col), height=u16(self.height), width=u16(self.width),
                       loops=loops)

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
