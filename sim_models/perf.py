"""Analytic cycle model of the IMA running ``LayerJob``s (no contention).

The streamer moves data in *chunks*: for every contiguous run of ``len0`` bytes of a walk (the
innermost level) it needs ``words`` = the number of 32-bit aligned words the run touches, and issues
them ``ports`` words at a time, one chunk per cycle without bank contention. Hence, per job::

    STREAMIN  = sum over source runs ceil(words(run) / ports) + streamin_overhead
    COMPUTE   = mvm_cycles                            (18 cycles at 70 ns, 250 MHz)
    STREAMOUT = sum over sink runs   ceil(words(run) / ports) + streamout_overhead
    job       = STREAMIN + COMPUTE + STREAMOUT + job_overhead          (phases do not overlap)
    layer     = sum over jobs + layer_overhead                         (per LayerJob)

**Shared data interface** (``PerfParams.shared_ports``; ``ImaConfig.data_interface ==
"shared"``, Garofalo et al. 2022, Sec. III-B): the Source and the Sink share the N ports,
arbitrated round robin by chunk (``hw/hwpe/streamer/shared_port.py``, no added latency). The
sequential engine never runs them together, so its figures are those above. On the overlapped
engine the STREAMIN of job i+1 and the STREAMOUT of job i-1 (or any other pair that overlaps)
contend: :func:`overlapped_schedule` then steps the shared ports chunk by chunk (one chunk per
cycle in total; under contention the two sides alternate), which is exact for the RTL when no
other master stalls the IMA's ports.

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
           "words_touched", "walk_run_bases", "job_bases", "job_phase_cycles", "layer_cycles",
           "mapping_cycles", "overlapped_schedule", "shared_phase_lengths", "occupied_cycles",
           "layer_cycles_overlapped", "overlapped_perf", "overlapped_perf_reference",
           "overlapped_prefix_perfs", "overlapped_perf_periodic", "CHECKPOINT_JOBS",
           "mapping_cycles_overlapped"]


@dataclass(frozen=True)
class PerfParams:
    """Parameters of the cycle model.

    ``ports`` (N load = N store ports) and ``mvm_cycles`` (one analog MVM, from
    :func:`sim_models.crossbar.latency_cycles`; :attr:`hw.config.ImaConfig.mvm_cycles`) come from
    the hardware configuration of the caller; the overheads default to none. ``shared_ports``:
    the Source and the Sink share the N ports (``ImaConfig.data_interface == "shared"``); it
    changes only the overlapped engine's schedule (:func:`overlapped_schedule`), which then needs
    ``streamin_overhead`` and ``streamout_overhead`` >= 2 (the RTL's first chunk is requested 2
    cycles after a phase's start).
    """
    ports: int
    mvm_cycles: int
    streamin_overhead: int = 0
    streamout_overhead: int = 0
    job_overhead: int = 0
    layer_overhead: int = 0
    shared_ports: bool = False

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
        if not isinstance(self.shared_ports, bool):
            raise ValueError(f"shared_ports must be a bool, not {self.shared_ports!r}")
        return self


#: Structural per-job overheads of our RTL (hw/ima/sequential.py + hw/hwpe/streamer): the engine's
#: start cycle plus the Source's start-to-done latency of C+3 -> C+4 cycles of STREAMIN; the Sink's
#: C+2 -> C+3 of STREAMOUT. tests/hw/ima/test_ima.py asserts the RTL's phase counters equal the model.
RTL_STREAMIN_OVERHEAD = 4
RTL_STREAMOUT_OVERHEAD = 3


def rtl_params(ports: int, mvm_cycles: int, **overrides: int | bool) -> PerfParams:
    """PerfParams calibrated on the RTL's structure (not on any paper figure); e.g.
    ``rtl_params(4, 65, shared_ports=True)`` for the shared data interface."""
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
    i2 = np.arange(walk.len2, dtype=np.int64)[:, None]
    i1 = np.arange(walk.len1, dtype=np.int64)[None, :]
    return (i2 * walk.stride2 + i1 * walk.stride1).reshape(-1)


def _walk_cycles(bases, walk, ports):
    """Chunk cycles of the walk for every job base in ``bases`` (array, one value per job).

    A run's words depend on its start address modulo 4 only, and every run of a job is its base
    plus a fixed offset: the walk's cycles are a function of ``base % 4``, computed once for the
    four residues and looked up (the same numbers as summing every run of every job)."""
    runs = np.arange(4, dtype=np.int64)[:, None] + walk_run_bases(walk)[None, :]
    table = (-(-words_touched(runs, walk.len0) // ports)).sum(axis=1)
    return table[np.asarray(bases, dtype=np.int64) % 4]


def job_bases(layer: LayerJob) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``(src_base, dst_base)`` arrays of every job of ``layer`` in execution order (the first two
    fields of :meth:`sim_models.jobconfig.LayerJob.jobs`, vectorised)."""
    l0, l1, _ = layer.loops
    j = np.arange(layer.num_jobs, dtype=np.int64)
    j0, j1, j2 = j % l0.count, (j // l0.count) % l1.count, j // (l0.count * l1.count)
    out = []
    for base, f in ((layer.src_addr, "src_stride"), (layer.dst_addr, "dst_stride")):
        s0, s1, s2 = (getattr(lp, f) for lp in layer.loops)
        out.append(base + j0 * s0 + j1 * s1 + j2 * s2)
    return out[0], out[1]


def job_phase_cycles(layer: LayerJob, params: PerfParams
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per-job ``(streamin, compute, streamout)`` cycle arrays for a LayerJob (overheads included)."""
    params.validate()
    src, dst = job_bases(layer)
    sin = _walk_cycles(src, layer.src, params.ports) + params.streamin_overhead
    sout = _walk_cycles(dst, layer.dst, params.ports) + params.streamout_overhead
    comp = np.full(len(src), params.mvm_cycles, dtype=np.int64)
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
#: Cycles from a Source / Sink start to its first chunk request (RTL structure,
#: hw/hwpe/streamer/addressgen.py: the generator's output register).
FIRST_REQUEST = 2


def overlapped_schedule(layer: LayerJob, params: PerfParams
                        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """Cycle schedule of a LayerJob on the overlapped engine (``ImaConfig.overlap``, no stalls from
    other masters).

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

    With ``params.shared_ports`` the phase *ends* come from the shared ports instead of
    ``S_i``/``O_i`` (:func:`shared_phase_lengths`): the same recurrence with each phase's length
    stretched by the cycles it lost to the other side.
    """
    g, c, s, _, _, end = _overlapped(layer, params)
    return g, c, s, end


def shared_phase_lengths(layer: LayerJob, params: PerfParams
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per-job STREAMIN and STREAMOUT lengths (start to done cycle + 1) on the overlapped engine:
    ``S_i``/``O_i`` of :func:`job_phase_cycles`, longer with ``params.shared_ports`` by the
    chunks of the other side served in between."""
    _, _, _, sin, sout, _ = _overlapped(layer, params)
    return sin, sout


def _overlapped(layer, params):
    """``(g, c, s, S_eff, O_eff, end)`` of the overlapped engine (see :func:`overlapped_schedule`)."""
    return _overlapped_arrays(*job_phase_cycles(layer, params), params)


def _overlapped_arrays(sin, comp, sout, params):
    """:func:`_overlapped` from the per-job phase lengths of :func:`job_phase_cycles`."""
    if params.shared_ports:
        return _shared_schedule(sin, comp, sout, params)
    n = len(sin)
    si, L, so = sin.tolist(), comp.tolist(), sout.tolist()      # Python ints: a faster loop
    jo = params.job_overhead
    g, c, s = [0] * n, [0] * n, [0] * n
    for i in range(n):
        if i == 0:
            g[i] = 1
            c[i] = g[i] + si[i] - 1
            s[i] = c[i] + L[i]
        else:
            g[i] = c[i - 1]
            c[i] = max(g[i] + si[i] - 1, c[i - 1] + L[i - 1] + jo, s[i - 1])
            s[i] = max(c[i] + L[i], s[i - 1] + so[i - 1] - 1)
    end = s[-1] + so[-1] - 1 if n else 0
    g_, c_, s_ = (np.array(x, dtype=np.int64) for x in (g, c, s))
    return g_, c_, s_, sin, sout, end


def _shared_schedule(sin, comp, sout, params):
    """The overlapped schedule with the Source and the Sink on one group of N ports.

    Event-stepped model of ``hw/hwpe/streamer/shared_port.py`` under the overlapped sequencer:
    a side's phase requests its ``C`` chunks (``C = S - streamin_overhead`` or ``O -
    streamout_overhead``) one per cycle from ``FIRST_REQUEST`` cycles after its start, each
    after the previous one is granted; the ports grant one chunk per cycle in total, to the side
    that requests, or under contention to the side with priority, which after each chunk passes
    to the other side (the Source has it at the start of a layer: the reset value, and the last
    chunk of every layer is the Sink's). A phase's ``done`` comes ``overhead - FIRST_REQUEST``
    cycles after its last grant (Source: 2, Sink: 1), so ``S_eff = S + lost cycles``. The
    hand-over rules are those of :func:`overlapped_schedule` with ``S_eff``/``O_eff``:
    ``c_i = max(din_i, c_{i-1} + L + job_overhead, s_{i-1})``,
    ``s_i = max(c_i + L, dout_{i-1})``, ``g_{i+1} = c_i``.
    """
    n = len(sin)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z, z, 0
    g, c, s, din, dout = _shared_lists(np.asarray(sin).tolist(), np.asarray(comp).tolist(),
                                       np.asarray(sout).tolist(), params)
    g_, c_, s_ = (np.array(x, dtype=np.int64) for x in (g, c, s))
    s_eff = np.array(din, dtype=np.int64) - g_ + 1
    o_eff = np.array(dout, dtype=np.int64) - s_ + 1
    return g_, c_, s_, s_eff, o_eff, int(dout[-1])


def _shared_lists(sin: list[int], L: list[int], sout: list[int], params: PerfParams
                  ) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """The event-stepped model of :func:`_shared_schedule` on Python int lists (at least one
    job): ``(g, c, s, din, dout)``, the three start cycles and the STREAMIN / STREAMOUT done
    cycles of every job."""
    n = len(sin)
    in_tail = params.streamin_overhead - FIRST_REQUEST
    out_tail = params.streamout_overhead - FIRST_REQUEST
    if in_tail < 0 or out_tail < 0:
        raise ValueError("shared_ports needs streamin_overhead and streamout_overhead >= "
                         f"{FIRST_REQUEST}, not {params.streamin_overhead}, {params.streamout_overhead}")
    cin = [x - params.streamin_overhead for x in sin]
    cout = [x - params.streamout_overhead for x in sout]
    jo = params.job_overhead
    unknown = -1
    g, c, s = [unknown] * n, [unknown] * n, [unknown] * n
    din, dout = [unknown] * n, [unknown] * n

    # side state: [job, next request cycle, chunks left] or None (no phase in progress)
    src = snk = None
    next_src = 0              # next job to stream in / out
    next_snk = 0

    def start_src(i, t0):
        nonlocal src, next_src
        g[i] = t0
        next_src = i + 1
        if cin[i] <= 0:       # empty walk: no request (the checker rejects these jobs)
            din[i] = t0 + sin[i] - 1
            src = None
        else:
            src = [i, t0 + FIRST_REQUEST, cin[i]]

    def start_snk(i, t0):
        nonlocal snk, next_snk
        s[i] = t0
        next_snk = i + 1
        if cout[i] <= 0:
            dout[i] = t0 + sout[i] - 1
            snk = None
        else:
            snk = [i, t0 + FIRST_REQUEST, cout[i]]

    next_c = 0                # first job whose COMPUTE start is not known yet

    def resolve():
        """Fix every start time whose inputs are known; start the phases that can start."""
        nonlocal next_c
        progress = True
        while progress:
            progress = False
            i = next_c
            if i < n and din[i] != unknown and (i == 0 or s[i - 1] != unknown):
                c[i] = din[i] if i == 0 else max(din[i], c[i - 1] + L[i - 1] + jo, s[i - 1])
                next_c = i + 1
                progress = True
            i = next_src
            if src is None and i < n and (i == 0 or c[i - 1] != unknown):
                start_src(i, 1 if i == 0 else c[i - 1])
                progress = True
            i = next_snk
            if snk is None and i < n and c[i] != unknown and (i == 0 or dout[i - 1] != unknown):
                start_snk(i, c[i] + L[i] if i == 0 else max(c[i] + L[i], dout[i - 1]))
                progress = True

    prio_snk = False
    resolve()
    t = 0
    # Grants come in runs between the events that can change who requests (a phase's end, which
    # may start others in resolve(); a side's first request): one side alone takes one chunk per
    # cycle, two sides that both request alternate, the side with priority first. Each run is
    # applied at once -- the same grants, cycle for cycle, as stepping one cycle at a time.
    inf = float("inf")
    while src is not None or snk is not None:
        want_src = src is not None and src[1] <= t
        want_snk = snk is not None and snk[1] <= t
        if not (want_src or want_snk):
            t = min(x[1] for x in (src, snk) if x is not None)
            continue
        if want_src and want_snk:
            first, second = (snk, src) if prio_snk else (src, snk)
            a, b = first[2], second[2]
            k = min(2 * a - 1, 2 * b)               # grants until one side is done
            first[2] -= (k + 1) // 2
            second[2] -= k // 2
            last = t + k - 1
            first[1] = last + 1 if k % 2 else last   # last grant of each side, + 1
            second[1] = last + 1 if not k % 2 else last
            served_last_snk = (first is snk) == bool(k % 2)
            prio_snk = not served_last_snk
            done = first if first[2] == 0 else second
        else:
            side, other = (snk, src) if want_snk else (src, snk)
            limit = other[1] - t if other is not None else inf   # until the other side requests
            k = int(min(side[2], limit))
            side[2] -= k
            last = t + k - 1
            side[1] = last + 1
            prio_snk = side is not snk
            done = side if side[2] == 0 else None
        if done is not None:
            if done is snk:
                dout[done[0]] = last + out_tail
                snk = None
            else:
                din[done[0]] = last + in_tail
                src = None
            resolve()
        t = last + 1
    if unknown in dout:               # a hand-over rule never fired: a bug of this model
        raise RuntimeError(f"shared-port schedule stalled at job {dout.index(unknown)} of {n}")
    return g, c, s, din, dout


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
    return overlapped_perf(*job_phase_cycles(layer, params), params)


def overlapped_perf(sin: npt.ArrayLike, comp: npt.ArrayLike, sout: npt.ArrayLike,
                    params: PerfParams) -> LayerPerf:
    """:func:`layer_cycles_overlapped` of the jobs whose per-job ``(streamin, compute,
    streamout)`` lengths are given (those of :func:`job_phase_cycles`, or any run of jobs of
    them, e.g. the first ``m`` jobs of a LayerJob)."""
    si, L, so = _int_lists(sin, comp, sout)
    return LayerPerf(*_overlapped_totals(si, L, so, params)[0])


def _int_lists(sin, comp, sout) -> tuple[list[int], list[int], list[int]]:
    """The per-job phase lengths as Python int lists (a faster loop than over numpy scalars);
    ``ValueError`` unless they have one length."""
    si, L, so = (np.asarray(a, dtype=np.int64).tolist() for a in (sin, comp, sout))
    if len(L) != len(si) or len(so) != len(si):
        raise ValueError(f"sin, comp, sout must have one length, not {len(si)}, {len(L)}, {len(so)}")
    return si, L, so


def overlapped_perf_reference(sin: npt.ArrayLike, comp: npt.ArrayLike, sout: npt.ArrayLike,
                              params: PerfParams) -> LayerPerf:
    """:func:`overlapped_perf` the long way, kept as its reference: the whole schedule as
    arrays (:func:`overlapped_schedule`'s) and :func:`occupied_cycles` of its phase intervals.
    tests/sim_models/test_perf.py checks that the two agree in every field on random jobs."""
    sin, comp, sout = (np.asarray(a, dtype=np.int64) for a in (sin, comp, sout))
    g, c, s, sin, sout, end = _overlapped_arrays(sin, comp, sout, params)
    total = end + params.layer_overhead
    s_in, s_c, s_out = occupied_cycles(g, sin), occupied_cycles(c, comp), occupied_cycles(s, sout)
    return LayerPerf(len(sin), s_in, s_c, s_out, total - (s_in + s_c + s_out), total)


def overlapped_prefix_perfs(sin: npt.ArrayLike, comp: npt.ArrayLike, sout: npt.ArrayLike,
                            params: PerfParams, ks: list[int]) -> list[LayerPerf]:
    """``[overlapped_perf(sin[:k], comp[:k], sout[:k], params) for k in ks]`` from one schedule
    (``ks`` increasing, each in ``1..len(sin)``): what the steady-state extrapolation of
    :func:`sim_models.fastmodel.ima_layer_perf` needs. With separate ports the first ``k`` jobs'
    schedule is a prefix of the longer one (the recurrence looks back only); with shared ports
    it is until job ``k``'s STREAMIN would start, which then contends with the last STREAMOUTs:
    there the ``k``-job schedule forks off and runs on without job ``k``."""
    si, L, so = _int_lists(sin, comp, sout)
    ks = [int(k) for k in ks]
    if not ks or any(not 1 <= k <= len(si) for k in ks) \
            or any(a >= b for a, b in zip(ks[:-1], ks[1:], strict=True)):
        raise ValueError(f"ks must increase within 1..{len(si)}, not {ks}")
    return [LayerPerf(*x) for x in _overlapped_totals(si, L, so, params, ks)]


def _overlapped_totals(si: list[int], L: list[int], so: list[int], params: PerfParams,
                       ks: list[int] | None = None) -> list[tuple[int, int, int, int, int, int]]:
    """The fields of :func:`overlapped_perf` of the first ``k`` jobs for each ``k`` in ``ks``
    (default: all jobs) from Python int lists, with no arrays (the fixed cost of numpy calls
    dominates these short schedules): the recurrence of :func:`overlapped_schedule` (or
    :func:`_shared_forks`) with the occupied cycles of :func:`occupied_cycles` summed on the way
    (a phase's length less the cycle it shares with the previous job's phase on the same unit,
    if any; never for COMPUTE, which starts at least ``job_overhead`` cycles after the previous
    one's last)."""
    n = len(si)
    lo = params.layer_overhead
    if n == 0:
        return [(0, 0, 0, 0, lo, lo)]
    ks = [n] if ks is None else ks
    out = []
    if params.shared_ports:
        return [_shared_totals(sched, L, k, lo)
                for k, sched in zip(ks, _shared_forks(si, L, so, params, ks), strict=True)]
    jo = params.job_overhead
    want = set(ks)
    occ_in, occ_c, occ_out = si[0], L[0], so[0]
    gp = 1                                   # job i - 1's g, c, s, phase lengths
    cp = si[0]                               # g_0 + S_0 - 1
    sp = cp + L[0]
    sip, lp, sop = si[0], L[0], so[0]
    for i in range(1, n + 1):
        if i in want:                        # the first i jobs: job i - 1 is the last
            total = sp + sop - 1 + lo
            out.append((i, occ_in, occ_c, occ_out, total - (occ_in + occ_c + occ_out), total))
        if i == n or i > ks[-1]:
            break
        gi = cp
        a, b = gi + si[i] - 1, cp + lp + jo
        ci = a if a > b else b
        if sp > ci:
            ci = sp
        li = L[i]
        a, b = ci + li, sp + sop - 1
        s_i = a if a > b else b
        sip_, sop_ = si[i], so[i]
        # shared cycles: previous end (start + length - 1) at or after this start
        d = gp + sip - gi
        occ_in += sip_ - (d if d > 0 else 0)
        d = sp + sop - s_i
        occ_out += sop_ - (d if d > 0 else 0)
        occ_c += li
        gp, cp, sp, sip, lp, sop = gi, ci, s_i, sip_, li, sop_
    return out


def _shared_totals(sched, L: list[int], k: int, lo: int) -> tuple[int, int, int, int, int, int]:
    """The fields of :func:`overlapped_perf` of the first ``k`` jobs of a finished shared-port
    schedule ``sched = (g, c, s, din, dout)`` (:func:`occupied_cycles` of its intervals, summed
    job by job; ``L``: the COMPUTE lengths, ``lo``: ``layer_overhead``)."""
    g, _, s, din, dout = sched
    if -1 in dout[:k]:                # a hand-over rule never fired: a bug of this model
        raise RuntimeError(f"shared-port schedule stalled at job {dout.index(-1)} of {k}")
    occ_in = din[0] - g[0] + 1
    occ_out = dout[0] - s[0] + 1
    for i in range(1, k):
        gi, s_i = g[i], s[i]
        d = din[i - 1] - gi + 1
        occ_in += din[i] - gi + 1 - (d if d > 0 else 0)
        d = dout[i - 1] - s_i + 1
        occ_out += dout[i] - s_i + 1 - (d if d > 0 else 0)
    occ_c = sum(L[:k])
    total = dout[k - 1] + lo
    return (k, occ_in, occ_c, occ_out, total - (occ_in + occ_c + occ_out), total)


def _min_period(*seqs: list[int]) -> int:
    """The smallest ``P`` dividing ``r = len(seqs[0])`` with every sequence ``P``-periodic (the
    sequences are one period of an ``r``-periodic sequence, so ``P`` divides ``r``)."""
    r = len(seqs[0])
    for p in range(1, r):
        if r % p == 0 and all(a[p:] == a[:-p] for a in seqs):
            return p
    return r


#: Least number of jobs between two checkpoints of :func:`overlapped_perf_periodic` with shared
#: ports (a multiple of the lengths' period). 1: a checkpoint every period -- the recurrence is
#: found within a few jobs, and a signature costs less than the jobs a sparser check runs on
#: (4 cost 17 % more instructions on the IMA jobs of MobileNetV2 224 and the reduced one).
CHECKPOINT_JOBS = 1


def overlapped_perf_periodic(sin: list[int], comp: int, sout: list[int], n: int, params: PerfParams,
                             *, check_jobs: int = 1024, memo=None) -> LayerPerf:
    """:func:`overlapped_perf` of ``n`` jobs whose STREAMIN / STREAMOUT lengths repeat ``sin`` /
    ``sout`` (one period, ``r`` jobs: job ``i`` has ``sin[i % r]``, ``sout[i % r]``) and whose
    COMPUTE lengths are all ``comp``: the same figures, in time that does not grow with ``n``
    once the schedule is in a steady state -- which is proved, not guessed.

    The schedule is a deterministic function of its state at a job boundary and of the jobs
    still to come, and invariant under a shift of every time. At checkpoints ``k`` (multiples of
    the lengths' period ``P``, where the jobs to come are the same sequence) the state is reduced
    to what the rest of the schedule depends on, with every time relative to one of them (the
    signature); when a signature recurs, at ``k1`` and ``k2 = k1 + D`` with the times shifted by
    ``T``, every further ``D`` jobs repeat the same schedule shifted by ``T``, exactly:

    * separate ports (the recurrence of :func:`overlapped_schedule`): the state after job
      ``i - 1`` is ``(c_{i-1} - g_{i-1}, s_{i-1} - c_{i-1})`` (with the period's position); the
      whole periods are skipped, the occupied cycles advanced by the period's increments;
    * shared ports (:func:`_shared_run`): the state at the cycle job ``k``'s STREAMIN would
      start is the port model's (the Sink in progress, its requests and chunks left, the next
      jobs to resolve, the priority, the time) and those start and done cycles already known
      that the rest of the run or an occupied-cycle term not yet complete reads. The end of the layer
      changes the last jobs' contention, so ``n = m + J D`` (``k1 < m``): the ``m``-job
      schedule is run to its end from the recurrence's state and every skipped period adds
      what one period of the steady state adds (:func:`_shared_periodic`).

    Checkpoints are taken over the first ``check_jobs`` jobs; a schedule with no recurrence
    there (or a layer with fewer than three periods) is run whole. ``memo`` (shared ports): a
    function ``(key, compute) -> value`` that keeps ``compute()`` under ``key`` (e.g.
    :func:`sim_models.fastmodel._memo`); the recurrence found for these lengths is kept there
    and reused for any other ``n`` (its proof does not depend on ``n``). Exact in every field:
    tests/sim_models/test_perf.py compares it with :func:`overlapped_perf` of the whole
    sequence."""
    si, so = [int(x) for x in sin], [int(x) for x in sout]
    comp = int(comp)
    if len(si) != len(so) or not si:
        raise ValueError(f"sin and sout must be one period of equal, non-zero length, "
                         f"not {len(si)} and {len(so)}")
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    r = len(si)
    if n <= 2 * r + 8:                          # short: the whole schedule
        return LayerPerf(*_overlapped_totals(_tiled(si, n), [comp] * n, _tiled(so, n), params)[0])
    if params.shared_ports:
        steady = None if memo is None else memo(("steady", tuple(si), comp, tuple(so), params, check_jobs),
                                                dict)
        return LayerPerf(*_shared_periodic(si, comp, so, n, params, _min_period(si, so), check_jobs,
                                           steady)[0])
    return LayerPerf(*_separate_periodic(si, comp, so, n, params, _min_period(si, so), check_jobs)[0])


def _tiled(pattern: list[int], n: int) -> list[int]:
    """The first ``n`` terms of the sequence that repeats ``pattern``."""
    r = len(pattern)
    return (pattern * (n // r + 1))[:n] if r > 1 else pattern * n


def _separate_periodic(si, comp, so, n, params, step, check_jobs):
    """``(fields, skipped)``: :func:`overlapped_perf_periodic`'s fields with separate ports (the
    loop of :func:`_overlapped_totals` with a checkpoint every ``step`` jobs up to
    ``check_jobs``) and the number of jobs skipped in whole periods."""
    lo, jo, r = params.layer_overhead, params.job_overhead, len(si)
    occ_in, occ_c, occ_out = si[0], comp, so[0]
    gp, cp = 1, si[0]
    sp = cp + comp
    sip, sop = si[0], so[0]
    seen: dict[tuple[int, int], tuple[int, int, int, int, int]] | None = {}
    i, skipped = 1, 0
    while i < n:
        if seen is not None and i % step == 0:
            sig = (cp - gp, sp - cp)
            if sig in seen:                 # a steady state: skip its whole periods
                i1, c1, in1, c_1, out1 = seen[sig]
                d = i - i1
                j = (n - i) // d
                i += j * d
                skipped = j * d
                dt = j * (cp - c1)
                gp, cp, sp = gp + dt, cp + dt, sp + dt
                occ_in, occ_c, occ_out = (occ_in + j * (occ_in - in1), occ_c + j * (occ_c - c_1),
                                          occ_out + j * (occ_out - out1))
                seen = None
                continue
            seen[sig] = (i, cp, occ_in, occ_c, occ_out)
            if i >= check_jobs:
                seen = None
        x = i % r
        gi = cp
        a, b = gi + si[x] - 1, cp + comp + jo
        ci = a if a > b else b
        if sp > ci:
            ci = sp
        a, b = ci + comp, sp + sop - 1
        s_i = a if a > b else b
        sip_, sop_ = si[x], so[x]
        d = gp + sip - gi
        occ_in += sip_ - (d if d > 0 else 0)
        d = sp + sop - s_i
        occ_out += sop_ - (d if d > 0 else 0)
        occ_c += comp
        gp, cp, sp, sip, sop = gi, ci, s_i, sip_, sop_
        i += 1
    total = sp + sop - 1 + lo
    return (n, occ_in, occ_c, occ_out, total - (occ_in + occ_c + occ_out), total), skipped


def _tiled_from(pattern: list[int], start: int, count: int) -> list[int]:
    """Terms ``start .. start + count - 1`` of the sequence that repeats ``pattern``."""
    r = len(pattern)
    if r == 1:
        return pattern * count
    q = start % r
    return ((pattern[q:] + pattern[:q]) * (count // r + 1))[:count]


def _shared_grow(lists, sched, pats, n: int, m: int) -> int:
    """Grow the job lists ``lists`` (``pats``' terms) and the schedule lists ``sched`` (unknown
    entries, -1) of :func:`_shared_periodic` to ``min(n, m)`` jobs if they are shorter; their
    new length."""
    have = len(sched[0])
    m = n if n < m else m
    if m > have:
        for x, pat in zip(lists, pats, strict=True):
            x.extend(_tiled_from(pat, have, m - have))
        for x in sched:
            x.extend([-1] * (m - have))
    return max(m, have)


def _shared_periodic(si, comp, so, n, params, step, check_jobs, steady=None):
    """``(fields, skipped)``: :func:`overlapped_perf_periodic`'s fields with shared ports (see
    there) and the number of jobs not scheduled (extrapolated).

    The ``n``-job schedule is run, a checkpoint every ``every`` jobs (a multiple of the lengths'
    period) up to ``min(check_jobs, n - 2)``, until the state of :func:`_shared_run` there
    recurs: at ``k1`` and ``k2 = k1 + D``, times shifted by ``T``. The state holds the port
    model's scalars and every known entry that the run reads later or that an occupied-cycle
    term of :func:`_shared_totals` not yet complete reads (a STREAMIN term of job ``j`` reads
    ``g_j``, ``din_j``, ``din_{j-1}``; a STREAMOUT term ``s_j``, ``dout_j``, ``dout_{j-1}``):
    so everything written after ``k2`` is what was written after ``k1``, ``D`` jobs later and
    ``T`` cycles later, and so is every term completed after ``k2``. ``Delta``, the terms
    completed between ``k1`` and ``k2`` (the STREAMINs of jobs ``k1 .. k2 - 1``, the
    STREAMOUTs of the ``D`` jobs after the last one done at ``k1``), is what every further
    period adds. The ``m``-job schedule with ``m = n - J D`` in ``k1 + 1 .. k2`` (or ``D``
    more, past ``k2``, if it is not ``k2``) reaches job ``k1``'s state as the ``n``-job one
    does (the two runs are the same until job ``m``'s STREAMIN would start) and has as many
    jobs to come after it as the ``n``-job one after ``k1 + J D``, whose state is that one
    shifted by ``J T``: both complete the same terms before ``k1``, the ``n``-job one ``J``
    periods of ``Delta`` between ``k1`` and ``k1 + J D``, and then the same terms as the
    ``m``-job one after ``k1`` -- so the ``n``-job totals are the ``m``-job totals plus ``J``
    times ``Delta`` (jobs ``D``, COMPUTE ``D comp``, the layer's end ``T``). The ``m``-job
    schedule is the run stopped at job ``m``'s STREAMIN and run on to its end with ``m`` jobs,
    from the state at ``k2``: in place, or -- with ``steady``, a dict kept for these lengths
    between calls (:func:`overlapped_perf_periodic`'s ``memo``) -- from a copy of it kept there
    with ``k1``, ``k2``, ``Delta`` and the ``m``-job totals, which hold for every ``n`` of at
    least ``m`` jobs. tests/sim_models/test_perf.py checks the claim (the reference model's
    whole schedule repeats from ``k2`` on) and the fields."""
    in_tail = params.streamin_overhead - FIRST_REQUEST
    out_tail = params.streamout_overhead - FIRST_REQUEST
    if in_tail < 0 or out_tail < 0:
        raise ValueError("shared_ports needs streamin_overhead and streamout_overhead >= "
                         f"{FIRST_REQUEST}, not {params.streamin_overhead}, {params.streamout_overhead}")
    pats = ([x - params.streamin_overhead for x in si], [x - params.streamout_overhead for x in so],
            si, so, [comp])
    lo = params.layer_overhead
    rec = None if steady is None else steady.get("rec")
    if rec is not None:               # the recurrence of an earlier call: the m-job totals
        k1, k2, d, delta, snap, tails = rec
        m = k1 + (n - k1 - 1) % d + 1
        if m < k2:
            m += d
        if m <= n:
            fields = tails.get(m)
            if fields is None:
                sched = tuple(x[:] + [-1] * (m - len(x)) for x in snap[0])
                src, snk = snap[1][:2]
                state = (src and src[:], snk and snk[:]) + snap[1][2:]
                ins = tuple(_tiled_from(x, 0, m) for x in pats) + (params.job_overhead, in_tail, out_tail)
                _shared_run(sched, state, m, None, ins)
                fields = tails[m] = _shared_totals(sched, ins[4], m, lo)
            return _plus_periods(fields, delta, (n - m) // d), n - m
        steady = None                 # too short for it: on its own
    # the job lists (cin, cout, sin, sout, L) and the schedule lists, grown in chunks as the run
    # goes on: a run to job k's STREAMIN needs k + 1 jobs; 16 hold every MobileNetV2 layer's
    size = n if n < 16 else 16
    lists = [_tiled_from(x, 0, size) for x in pats]
    consts = (*lists, params.job_overhead, in_tail, out_tail)
    sched = ([-1] * size, [-1] * size, [-1] * size, [-1] * size, [-1] * size)
    every = step * -(-CHECKPOINT_JOBS // step)      # checkpoints: a multiple of the period
    last = check_jobs if check_jobs < n - 2 else n - 2   # the last checkpoint (the run stops after it)
    check = (every, last, {})
    state = (None, None, 0, 0, 0, False, 0)
    while True:                       # in runs as long as the lists grown so far
        stop = size - 1 if size - 1 < last + 1 else last + 1
        found, state = _shared_run(sched, state, n, stop, consts, check)
        if found is not False or state[2] > last:
            break
        size = _shared_grow(lists, sched, pats, n, 2 * size + 16)
    if found is False:                # no recurrence proved: the whole schedule, on from here
        _shared_grow(lists, sched, pats, n, n)
        _shared_run(sched, state, n, None, consts)
        return _shared_totals(sched, lists[4], n, lo), 0
    k1, ref1, k2, ref2, nd = found
    d, shift = k2 - k1, ref2 - ref1
    g, _, s, din, dout = sched
    d_in = d_out = 0                  # Delta: the terms completed between the two checkpoints
    for i in range(k1, k2):           # STREAMIN: jobs k1 .. k2 - 1
        gi = g[i]
        x = din[i - 1] - gi + 1
        d_in += din[i] - gi + 1 - (x if x > 0 else 0)
    for i in range(k1 + nd, k2 + nd):  # STREAMOUT: the D jobs whose STREAMOUTs ended in between
        s_i = s[i]
        x = dout[i - 1] - s_i + 1
        d_out += dout[i] - s_i + 1 - (x if x > 0 else 0)
    m = k1 + (n - k1 - 1) % d + 1               # k1 < m <= k2, n = m + J d
    if m < k2:
        m += d
    delta = (d, d_in, d * comp, d_out, shift - d_in - d * comp - d_out, shift)
    if steady is not None:
        src, snk = state[:2]          # copies: the run below changes the lists in place
        g, c, s, din, dout = sched
        snap = ((g[:], c[:], s[:], din[:], dout[:]), (src and src[:], snk and snk[:]) + state[2:])
        steady["rec"] = (k1, k2, d, delta, snap, {})
    _shared_grow(lists, sched, pats, n, m)
    _shared_run(sched, state, m, None, consts)  # the m-job schedule: on from job k2's STREAMIN
    fields = _shared_totals(sched, lists[4], m, lo)
    if steady is not None:
        steady["rec"][5][m] = fields
    return _plus_periods(fields, delta, (n - m) // d), n - m


def _plus_periods(fields, delta, j: int) -> tuple[int, int, int, int, int, int]:
    """``fields + j delta``, field by field."""
    a0, a1, a2, a3, a4, a5 = fields
    b0, b1, b2, b3, b4, b5 = delta
    return (a0 + j * b0, a1 + j * b1, a2 + j * b2, a3 + j * b3, a4 + j * b4, a5 + j * b5)


def _shared_forks(sin: list[int], L: list[int], sout: list[int], params: PerfParams, ks: list[int]
                  ) -> list[tuple[list[int], list[int], list[int], list[int], list[int]]]:
    """``(g, c, s, din, dout)`` of :func:`_shared_lists` for the first ``k`` jobs, for each ``k``
    in ``ks`` (increasing, ``1..len(sin)``), from one run: the ``len(sin)``-job schedule is run
    until job ``k``'s STREAMIN would start (the first event that depends on job ``k``), a copy
    of its state runs on with ``k`` jobs, the original goes on to the next ``k``. The same
    event-stepped model as :func:`_shared_lists` (its reference) with its state in locals."""
    in_tail = params.streamin_overhead - FIRST_REQUEST
    out_tail = params.streamout_overhead - FIRST_REQUEST
    if in_tail < 0 or out_tail < 0:
        raise ValueError("shared_ports needs streamin_overhead and streamout_overhead >= "
                         f"{FIRST_REQUEST}, not {params.streamin_overhead}, {params.streamout_overhead}")
    n_all = len(sin)
    consts = ([x - params.streamin_overhead for x in sin], [x - params.streamout_overhead for x in sout],
              sin, sout, L, params.job_overhead, in_tail, out_tail)
    u = -1
    sched = ([u] * n_all, [u] * n_all, [u] * n_all, [u] * n_all, [u] * n_all)
    state = (None, None, 0, 0, 0, False, 0)
    out = []
    for k in ks:
        if k < n_all:
            _, state = _shared_run(sched, state, n_all, k, consts)       # up to job k's STREAMIN
            fork = tuple(x[:] for x in sched)
            src, snk = state[:2]
            _shared_run(fork, (src and src[:], snk and snk[:]) + state[2:], k, None, consts)
        else:
            fork = sched
            _shared_run(fork, state, k, None, consts)
        if u in fork[4][:k]:          # a hand-over rule never fired: a bug of this model
            raise RuntimeError(f"shared-port schedule stalled at job {fork[4].index(u)} of {k}")
        out.append(tuple(x[:k] for x in fork))
    return out


def _shared_run(sched, state, n, stop, consts, check=None):
    """Run the shared-port model of :func:`_shared_forks` on ``n`` jobs from ``state`` (``src,
    snk, next_src, next_snk, next_c, prio_snk, t``; a side is ``[job, next request cycle,
    chunks left]`` or None), filling ``sched`` = ``(g, c, s, din, dout)`` in place, until job
    ``stop``'s STREAMIN would start (then ``(False, state)``) or to the end (``(True, state)``).
    Resolution and grant runs as in :func:`_shared_lists` (the sides in local scalars).

    The lists are **write-once**: an entry goes from -1 to its value once and never changes
    (``c[i]`` is written when ``next_c`` passes ``i``, ``g[i]`` / ``s[i]`` when ``next_src`` /
    ``next_snk`` does, ``din[i]`` / ``dout[i]`` when job ``i``'s STREAMIN / STREAMOUT ends, and
    each counter only grows), so what a checkpoint saw of them can be read again later.

    ``check = (every, last, seen)``: also where job ``k``'s STREAMIN would start for every ``k``
    in ``1..last`` that ``every`` divides (once a STREAMOUT is done), the state is a checkpoint
    of the steady-state proof (:func:`_shared_periodic`), reduced to what the rest depends on,
    every time relative to ``ref = c[k - 1]`` (that STREAMIN's start). At a checkpoint the
    Source is idle (``next_src = k``, every ``g`` and ``din`` up to ``k - 1`` known), ``next_c
    <= k`` and ``next_snk <= next_c`` (a phase starts after its job's COMPUTE does), and ``nd``
    (``next_snk``, less one while a Sink phase is in progress) STREAMOUTs are done. From here
    on the run reads only ``c[next_c - 1]``, ``s[next_c - 1]`` and ``din[next_c .. k - 1]`` (the
    next COMPUTE starts), ``c[next_snk .. next_c - 1]`` and ``dout[next_snk - 1]`` (the next
    Sink starts), what it writes itself, and the job lengths (the same sequence at every
    checkpoint); the occupied-cycle terms still open read ``din[k - 1]`` (job ``k``'s STREAMIN
    term), ``dout[nd - 1]`` and ``s[nd .. next_snk - 1]`` (the open STREAMOUT terms). So the
    checkpoint keeps the scalars (the priority, the Sink's job, next request and chunks left,
    ``next_snk - k``, ``next_c - k``, the time) and those entries -- ``c`` from ``min(next_c -
    1, next_snk)``, ``s`` from ``min(next_c - 1, nd)``, ``din`` from ``min(next_c, k - 1)``,
    each to its last known entry, and ``dout[nd - 1]`` -- whose ranges the scalars give: two
    checkpoints with equal scalars and equal entries (relative to their ``ref``) have the same
    future, shifted. The scalars with ``din[k - 1]`` and ``dout[nd - 1]`` are the key of
    ``seen`` (a dict of candidates ``(k, ref)``); the other entries are compared
    (:func:`_shared_windows_equal`, read back from the write-once lists) only when the key
    recurs, and the run goes on when they differ. At the first checkpoint ``k2`` equal to an
    earlier one ``k1``, the run stops: ``((k1, ref1, k2, ref2, nd - k), state)``."""
    g, c, s, din, dout = sched
    cin, cout, sin, sout, L, jo, in_tail, out_tail = consts
    src, snk, nsrc, nsnk, nc, prio_snk, t = state
    # the sides: job (-1 when no phase is in progress), next request cycle, chunks left
    ai, at, an = (-1, 0, 0) if src is None else src
    bi, bt, bn = (-1, 0, 0) if snk is None else snk
    every, last, seen = (1, -1, None) if check is None else check
    nxt = -1 if check is None else nsrc + (-nsrc) % every if nsrc else every   # the next checkpoint
    fr = FIRST_REQUEST
    u = -1
    while True:
        # Fix every start time whose inputs are known, in passes: a pass checks COMPUTE, the
        # Source and the Sink in this order, and another one follows only if it set what an
        # earlier check reads: ``s[i]`` at a Sink start, when job ``i + 1``'s COMPUTE is next
        # and its STREAMIN done; ``din[i]`` of an empty walk (``c[i]``, the Source free again);
        # ``dout[i]`` of an empty walk (the Sink free again). Every other change is read later
        # in the same pass (``c[i]`` by both phases' starts) or by no check (``g[i]``, a phase
        # started), so this is the same fixed point, reached in the same order, as passes until
        # nothing changes.
        again = True
        while again:
            again = False
            i = nc
            if i < n and din[i] != u and (i == 0 or s[i - 1] != u):
                x = din[i]                 # max(din_i, c_{i-1} + L + jo, s_{i-1}), no calls
                if i:
                    y = c[i - 1] + L[i - 1] + jo
                    if y > x:
                        x = y
                    y = s[i - 1]
                    if y > x:
                        x = y
                c[i] = x
                nc = i + 1
            i = nsrc
            if ai < 0 and i < n and (i == 0 or c[i - 1] != u):
                if i == stop:
                    return False, (None, None if bi < 0 else [bi, bt, bn], nsrc, nsnk, nc, prio_snk, t)
                if i == nxt and i <= last and (nsnk > 1 or bi < 0 < nsnk):
                    # a checkpoint (with a STREAMOUT done: nd = next_snk - busy >= 1)
                    ref = c[i - 1]
                    nd = nsnk if bi < 0 else nsnk - 1
                    key = (prio_snk, None if bi < 0 else (bi - i, bt - ref, bn), nsnk - i, nc - i,
                           t - ref, din[i - 1] - ref, dout[nd - 1] - ref)
                    here = (i, ref)
                    earlier = seen.get(key)
                    if earlier is None:
                        seen[key] = [here]
                    else:
                        for first in earlier:
                            if _shared_windows_equal(sched, first, here, nc - i, nsnk - i, nd - i):
                                return first + (i, ref, nd - i), (None, None if bi < 0 else [bi, bt, bn],
                                                                  nsrc, nsnk, nc, prio_snk, t)
                        earlier.append(here)
                if i == nxt:
                    nxt += every
                t0 = 1 if i == 0 else c[i - 1]
                g[i] = t0
                nsrc = i + 1
                if cin[i] <= 0:
                    din[i] = t0 + sin[i] - 1
                    again = True
                else:
                    ai, at, an = i, t0 + fr, cin[i]
            i = nsnk
            if bi < 0 and i < n and c[i] != u and (i == 0 or dout[i - 1] != u):
                t0 = c[i] + L[i]
                if i and dout[i - 1] > t0:
                    t0 = dout[i - 1]
                s[i] = t0
                nsnk = i + 1
                if cout[i] <= 0:
                    dout[i] = t0 + sout[i] - 1
                    again = True
                else:
                    bi, bt, bn = i, t0 + fr, cout[i]
                    again = nc == i + 1 < n and din[nc] != u
        if ai < 0:
            if bi < 0:
                return True, (None, None, nsrc, nsnk, nc, prio_snk, t)
            if bt > t:
                t = bt                 # nothing requests yet: on to the first request
        elif at > t and (bi < 0 or bt > t):
            t = at if bi < 0 or at < bt else bt
        while True:                    # grant runs until a phase ends
            if ai >= 0 and at <= t:
                if bi >= 0 and bt <= t:
                    # both request: they alternate, the side with priority first, until one is
                    # done -- the first one after 2a - 1 grants (a <= b), else the second after 2b
                    a, b = (bn, an) if prio_snk else (an, bn)
                    if a <= b:
                        t += 2 * a - 1         # the last grant's cycle + 1
                        if prio_snk:
                            an -= a - 1
                            at = t - 1
                            dout[bi] = t - 1 + out_tail
                            bi = -1
                        else:
                            bn -= a - 1
                            bt = t - 1
                            din[ai] = t - 1 + in_tail
                            ai = -1
                        prio_snk = not prio_snk
                    else:
                        t += 2 * b
                        if prio_snk:
                            bn -= b
                            bt = t - 1
                            din[ai] = t - 1 + in_tail
                            ai = -1
                        else:
                            an -= b
                            at = t - 1
                            dout[bi] = t - 1 + out_tail
                            bi = -1
                    break
                k = an                         # the Source alone, until the Sink requests
                if bi >= 0 and bt - t < k:
                    k = bt - t
                an -= k
                t += k
                at = t
                prio_snk = True
                if an == 0:
                    din[ai] = t - 1 + in_tail
                    ai = -1
                    break
            elif bi >= 0 and bt <= t:
                k = bn                         # the Sink alone, until the Source requests
                if ai >= 0 and at - t < k:
                    k = at - t
                bn -= k
                t += k
                bt = t
                prio_snk = False
                if bn == 0:
                    dout[bi] = t - 1 + out_tail
                    bi = -1
                    break
            else:                              # (a run ends when the other side requests)
                raise RuntimeError("shared-port model: no side requests after a grant run")


def _shared_windows_equal(sched, first, here, nc: int, nsnk: int, nd: int) -> bool:
    """Whether the entries of the schedule lists that :func:`_shared_run`'s checkpoints keep
    (``c`` from ``min(next_c - 1, next_snk)``, ``s`` from ``min(next_c - 1, nd)``, ``din`` from
    ``min(next_c, k - 1)``, each to the end of its known prefix) are equal at ``first = (k1,
    ref1)`` and ``here = (k2, ref2)`` relative to ``ref1`` and ``ref2``, the checkpoints' scalars
    being equal (``nc``, ``nsnk``, ``nd``: ``next_c``, ``next_snk`` and ``nd`` less ``k``). Both
    are read from the lists now: they are write-once, so the earlier checkpoint's entries still
    hold what it saw."""
    k1, ref1 = first
    k2, ref2 = here
    d = ref2 - ref1
    _, c, s, din, _ = sched
    for x, a, b in ((c, nc - 1 if nc - 1 < nsnk else nsnk, nc), (s, nc - 1 if nc - 1 < nd else nd, nsnk),
                    (din, nc if nc < -1 else -1, 0)):
        if x[k2 + a:k2 + b] != list(map(d.__add__, x[k1 + a:k1 + b])):
            return False
    return True


def mapping_cycles_overlapped(mapping: LayerMapping, params: PerfParams, **overrides: int) -> LayerPerf:
    """Sum of ``layer_cycles_overlapped`` over the LayerJobs of a ``LayerMapping``."""
    total = None
    for job in mapping.jobs:
        p = layer_cycles_overlapped(job, params, **overrides)
        total = p if total is None else total + p
    return total
