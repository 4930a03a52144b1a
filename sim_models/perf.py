"""Analytic cycle model of the IMA running ``LayerJob``s (no contention).

The streamer moves data in *chunks*: for every contiguous run of ``len0`` bytes of a walk (the
innermost level) it needs ``words`` = the number of 32-bit aligned words the run touches, and issues
them ``ports`` words at a time, one chunk per cycle without bank contention. Hence, per job::

    STREAMIN  = sum over source runs ceil(words(run) / ports) + streamin_overhead
    COMPUTE   = mvm_cycles                            (18 cycles at 70 ns, 250 MHz)
    STREAMOUT = sum over sink runs   ceil(words(run) / ports) + streamout_overhead
    job       = STREAMIN + COMPUTE + STREAMOUT + job_overhead          (phases do not overlap)
    layer     = sum over jobs + layer_overhead                         (per LayerJob)

The overheads are parameters, placeholders until calibrated on the RTL. With zero overheads the
paper's sanity check (docs/spec.md section 5: 3x3 conv, 32 -> 64 channels: 72 input words, 18 compute
cycles, 16 output words at 1/1 ports) gives 106 cycles per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt

from .jobconfig import LayerJob, Walk3D
from .mapping import LayerMapping

__all__ = ["rtl_params", "RTL_STREAMIN_OVERHEAD", "RTL_STREAMOUT_OVERHEAD", "PerfParams", "LayerPerf",
           "words_touched", "walk_run_bases", "job_phase_cycles", "layer_cycles", "mapping_cycles",
           "overlapped_schedule", "occupied_cycles", "layer_cycles_overlapped",
           "mapping_cycles_overlapped"]


@dataclass(frozen=True)
class PerfParams:
    """Parameters of the cycle model.

    ``ports`` (N load = N store ports) and ``mvm_cycles`` (one analog MVM, from
    :func:`sim_models.crossbar.latency_cycles`; :attr:`hw.config.ImaConfig.mvm_cycles`) come from
    the hardware configuration of the caller; the overheads default to none.
    """
    ports: int
    mvm_cycles: int
    streamin_overhead: int = 0
    streamout_overhead: int = 0
    job_overhead: int = 0
    layer_overhead: int = 0

    def validate(self) -> Self:
        if not isinstance(self.ports, int) or not 1 <= self.ports <= 16:
            raise ValueError(f"ports must be an integer in 1..16, not {self.ports!r}")
        if not isinstance(self.mvm_cycles, int) or isinstance(self.mvm_cycles, bool) \
                or self.mvm_cycles < 1:
            raise ValueError(f"mvm_cycles must be an integer >= 1, not {self.mvm_cycles!r}")
        for name in ("streamin_overhead", "streamout_overhead", "job_overhead", "layer_overhead"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {v!r}")
        return self


#: Structural per-job overheads of our RTL (hw/ima/sequential.py + hw/hwpe/streamer): the engine's
#: start cycle plus the Source's start-to-done latency of C+3 -> C+4 cycles of STREAMIN; the Sink's
#: C+2 -> C+3 of STREAMOUT. tests/hw/ima/test_ima.py asserts the RTL's phase counters equal the model.
RTL_STREAMIN_OVERHEAD = 4
RTL_STREAMOUT_OVERHEAD = 3


def rtl_params(ports: int, mvm_cycles: int, **overrides: int) -> PerfParams:
    """PerfParams calibrated on the RTL's structure (not on any paper figure)."""
    return PerfParams(ports=ports, mvm_cycles=mvm_cycles, streamin_overhead=RTL_STREAMIN_OVERHEAD,
                      streamout_overhead=RTL_STREAMOUT_OVERHEAD, **overrides)


@dataclass(frozen=True)
class LayerPerf:
    """Cycle totals of one LayerJob (sums over its jobs) and the layer total."""
    jobs: int
    streamin: int
    compute: int
    streamout: int
    overhead: int
    total: int

    @property
    def per_job(self) -> float:
        return self.total / self.jobs

    def __add__(self, other: LayerPerf) -> LayerPerf:
        return LayerPerf(*(a + b for a, b in zip(self._tuple(), other._tuple(), strict=True)))

    def _tuple(self) -> tuple[int, int, int, int, int, int]:
        return (self.jobs, self.streamin, self.compute, self.streamout, self.overhead, self.total)


def words_touched(addr: npt.ArrayLike, length: int) -> npt.NDArray[np.int64]:
    """32-bit aligned words touched by ``length`` bytes from ``addr`` (numpy-broadcast)."""
    addr = np.asarray(addr, dtype=np.int64)
    return (addr + length - 1) // 4 - addr // 4 + 1


def walk_run_bases(walk: Walk3D) -> npt.NDArray[np.int64]:
    """Start offsets of the ``len1 * len2`` contiguous runs of a Walk3D."""
    i2, i1 = np.meshgrid(np.arange(walk.len2), np.arange(walk.len1), indexing="ij")
    return (i2 * walk.stride2 + i1 * walk.stride1).reshape(-1).astype(np.int64)


def _walk_cycles(bases, walk, ports):
    """Chunk cycles of the walk for every job base in ``bases`` (array, one value per job)."""
    runs = bases[:, None] + walk_run_bases(walk)[None, :]
    return (-(-words_touched(runs, walk.len0) // ports)).sum(axis=1)


def job_phase_cycles(layer: LayerJob, params: PerfParams
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per-job ``(streamin, compute, streamout)`` cycle arrays for a LayerJob (overheads included)."""
    params.validate()
    jobs = np.array(list(layer.jobs()), dtype=np.int64).reshape(-1, 4)
    sin = _walk_cycles(jobs[:, 0], layer.src, params.ports) + params.streamin_overhead
    sout = _walk_cycles(jobs[:, 1], layer.dst, params.ports) + params.streamout_overhead
    comp = np.full(len(jobs), params.mvm_cycles, dtype=np.int64)
    return sin, comp, sout


def layer_cycles(layer: LayerJob, params: PerfParams, **overrides: int) -> LayerPerf:
    """Cycle totals of a LayerJob; keyword overrides replace fields of ``params``.

    Example: ``layer_cycles(job, params, ports=1)``.
    """
    if overrides:
        params = PerfParams(**{**params.__dict__, **overrides})
    sin, comp, sout = job_phase_cycles(layer, params)
    n = len(sin)
    ovh = n * params.job_overhead + params.layer_overhead
    s_in, s_c, s_out = int(sin.sum()), int(comp.sum()), int(sout.sum())
    return LayerPerf(n, s_in, s_c, s_out, ovh, s_in + s_c + s_out + ovh)


def mapping_cycles(mapping: LayerMapping, params: PerfParams, **overrides: int) -> LayerPerf:
    """Sum of ``layer_cycles`` over the LayerJobs of a ``LayerMapping`` (one configuration each)."""
    total = None
    for job in mapping.jobs:
        p = layer_cycles(job, params, **overrides)
        total = p if total is None else total + p
    return total


# --------------------------------------------------------------------------- overlapped engine
def overlapped_schedule(layer: LayerJob, params: PerfParams
                        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """Cycle schedule of a LayerJob on the overlapped engine (``ImaConfig.overlap``, no contention).

    The engine (``hw/ima/overlapped.py``) starts in cycle 0; job ``i`` has the per-job phase lengths
    ``S_i, L, O_i`` of :func:`job_phase_cycles` (overheads included, the same as the sequential
    engine's) and the hand-over rules give, exactly for the RTL with ``rtl_params``::

        g_0 = 1,  g_i = c_{i-1}                              STREAMIN start
        c_i = max(g_i + S_i - 1, c_{i-1} + L + job_overhead, s_{i-1})   COMPUTE start
        s_i = max(c_i + L, s_{i-1} + O_{i-1} - 1)           STREAMOUT start
        end = s_{n-1} + O_{n-1} - 1                          last STREAMOUT done = layer time

    (the first job's COMPUTE starts in its source's done cycle, the next MVM the cycle after the
    core's done, a STREAMOUT in the cycle after its MVM's done or in the previous one's done
    cycle). Returns ``(g, c, s, end)``: three int arrays and the layer time (without
    ``layer_overhead``).
    """
    sin, comp, sout = job_phase_cycles(layer, params)
    n = len(sin)
    g = np.zeros(n, dtype=np.int64)
    c = np.zeros(n, dtype=np.int64)
    s = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if i == 0:
            g[i] = 1
            c[i] = g[i] + sin[i] - 1
            s[i] = c[i] + comp[i]
        else:
            g[i] = c[i - 1]
            c[i] = max(g[i] + sin[i] - 1, c[i - 1] + comp[i - 1] + params.job_overhead, s[i - 1])
            s[i] = max(c[i] + comp[i], s[i - 1] + sout[i - 1] - 1)
    end = int(s[-1] + sout[-1] - 1) if n else 0
    return g, c, s, end


def occupied_cycles(starts: npt.ArrayLike, lengths: npt.ArrayLike) -> int:
    """Cycles covered by the intervals ``[starts[i], starts[i] + lengths[i] - 1]``.

    The intervals are those of one unit taking jobs in order (each starts no earlier than the
    previous one ends, or in its last cycle): a cycle shared by the end of one job and the start
    of the next counts once.
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = starts + lengths - 1
    shared = np.maximum(0, ends[:-1] - starts[1:] + 1)
    return int(lengths.sum() - shared.sum())


def layer_cycles_overlapped(layer: LayerJob, params: PerfParams, **overrides: int) -> LayerPerf:
    """Cycle totals of a LayerJob on the overlapped engine.

    ``streamin``, ``compute``, ``streamout`` are the cycles in which the Source, the analog core
    and the Sink are occupied by a job (:func:`occupied_cycles` of the schedule's phase
    intervals), what the RTL's ``stat`` counters count: each job's phase from its start cycle to
    its done cycle, a cycle in which one job's phase ends and the next job's begins counted
    once, so none exceeds the layer time. (The sequential engine never shares a cycle: there
    they are the sums of :func:`layer_cycles`.) ``total`` is the wall-clock layer time from
    :func:`overlapped_schedule` plus ``layer_overhead``; ``overhead`` =
    ``total - (streamin + compute + streamout)``, negative when the overlap hides cycles.
    """
    if overrides:
        params = PerfParams(**{**params.__dict__, **overrides})
    sin, comp, sout = job_phase_cycles(layer, params)
    g, c, s, end = overlapped_schedule(layer, params)
    total = end + params.layer_overhead
    s_in, s_c, s_out = occupied_cycles(g, sin), occupied_cycles(c, comp), occupied_cycles(s, sout)
    return LayerPerf(len(sin), s_in, s_c, s_out, total - (s_in + s_c + s_out), total)


def mapping_cycles_overlapped(mapping: LayerMapping, params: PerfParams, **overrides: int) -> LayerPerf:
    """Sum of ``layer_cycles_overlapped`` over the LayerJobs of a ``LayerMapping``."""
    total = None
    for job in mapping.jobs:
        p = layer_cycles_overlapped(job, params, **overrides)
        total = p if total is None else total + p
    return total
