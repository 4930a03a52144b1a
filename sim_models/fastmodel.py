"""Fast cluster model: cycles and energy of layers, workloads and whole networks without a simulator.

Pure numpy / Python. It composes the exact pieces the project already has -- it re-derives none
of them:

* **IMA jobs** (:mod:`sim_models.perf`): a ``LayerJob``'s STREAMIN / COMPUTE / STREAMOUT from its
  source and sink walks (chunks of ``ports`` words), the sequential engine as the sum of the
  phases, the overlapped engine (``ImaConfig.overlap``) from its hand-over recurrence, and the
  shared data interface (``data_interface == "shared"``) from the event-stepped port model --
  each exact for the RTL (tests/hw/ima). Multi-array layers are one ``LayerJob`` per column tile
  (``J_ARRAY``), run in order, so they add up.
* **The depth-wise accelerator** (:func:`sim_models.dwa_perf.engine_cycles`, exact without
  contention; in the cluster nothing contends with it: the cores sleep while it runs).
* **Software kernels** on 1..8 cores (:mod:`sim_models.swcost`): each core's share of the work
  split as PULP-NN splits it (:func:`sim_models.swcost.chunk`, the split the core BFMs use) costs
  ``SwCost``'s cycles; the phase lasts as long as its slowest core, then the barrier.
* **Energy** (:func:`sim_models.energy.energy_report`) on the same event counts the RTL testbench
  collects (cores active / idle, TCDM accesses, IMA phases, MVM windows, DWA busy / MAC cycles).

What the model adds, and where it approximates (docs/fastmodel.md has the measured errors):

* **Control overheads** around an accelerator job (core 0 acquires the accelerator, writes its
  job registers over the peripheral bus, triggers it, sleeps until the end-of-job event, reads
  ERROR) and around every phase (the hardware barrier): :class:`Overheads` counts the
  peripheral-bus accesses of the HAL (``tb/bfm/ima_hal.py``, ``tb/bfm/dwa_hal.py``), two cycles
  each, plus one start constant per accelerator CALIBRATED on single-layer RTL runs whose shapes
  the validation (tests/tb/cli/test_net.py, tests/hw/cluster/) does not use.
* **TCDM bank contention** of the software kernels: a core's kernel lasts ``max(cost, access
  time)`` (the BFM pads a kernel to its cost; stalls only show when the loads and stores
  themselves take longer, :meth:`tb.bfm.core.Core.kernel_time`). Access time: one word per cycle,
  :data:`RUN_LATENCY` per contiguous run, and the stalls of bank conflicts, APPROXIMATED: the
  kernels stream contiguous runs, and lockstep streams over ``B`` word-interleaved banks collide
  only when two enter the same bank in the same cycle, after which the loser trails by one
  cycle -- ``(k - 1) / B`` stalls per run for ``k`` active cores; a run every core reads at once
  (a matmul's weights, an fc's input) staircases them, ``(k - 1) / 2`` on average. The IMA and
  the DWA never run together with the cores (the cores sleep at the barrier), so their ports see
  no contention.
* **Energy events** the RTL counts and the model derives: TCDM accesses (the words of every run
  of the IMA, the DWA and the kernels, as the BFMs issue them), the cores' active cycles (core 0
  on the peripheral bus; each core's kernel) and idle cycles (the rest).
* **Speed**: an IMA LayerJob's per-job lengths and words come from one period of its jobs'
  address residues (:func:`_residue_period`, a closed form of the job loops) instead of a walk of
  every job; the overlapped engine's schedule skips the whole periods of a proved steady state
  (:func:`ima_layer_perf`, exact); the software kernels' traffic is counted in closed forms (a
  row or a residue class of rows at a time, one cost per distinct part size); the engines'
  results are memoised by what determines them (:func:`clear_memo`); and the per-phase
  bookkeeping keeps each phase's events as a vector in one key order (:data:`_EVENT_ORDER`),
  summed per layer column by column, the energy a dot product, the ``events`` dicts built when
  read. ``ima_layer_perf(..., walk=True)`` keeps the walk of every job as the reference the tests
  compare with.

Entry points: :func:`layer_cost` (one graph layer on one engine, independent of TCDM addresses:
what the tile / coupling study builds on), :func:`estimate_phases` (a list of
:class:`sim_models.workloads.Phase`), :func:`estimate_program` (a compiled network, the fields of
``ima-sim net --json``) and :func:`estimate_workload` (an ``ima-sim run`` workload, the fields of
``ima-sim run --json``). The hardware ``cfg`` is duck-typed on :class:`hw.config.ClusterConfig`
(``ima.ports``, ``ima.mvm_cycles``, ``ima.overlap``, ``ima.data_interface``, ``ima.clock_hz``,
``ima.rows``, ``ima.cols``, ``n_cores``, ``banks``, ``dwa``, ``dwa_ports``, ``sw_cost``; ``imas``
if it has it, else 1: private IMAs, :func:`_ima_phase`, whose idle cycles the energy counts).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from sim_models import dwa_perf, perf
from sim_models.dwa import GROUP, KERNEL, DwJob
from sim_models.energy import EVENT_KEYS, EnergyParams, energy_report
from sim_models.graph import Layer
from sim_models.jobconfig import LayerJob
from sim_models.mapping import (
    Buffer,
    ColumnTile,
    TcdmAllocator,
    map_conv,
    map_depthwise_dwa,
    map_fc,
)
from sim_models.swcost import SwCost, sw_cost
from sim_models.workloads import Phase

__all__ = ["LayerCost", "Overheads", "RTL_OVERHEADS", "PhaseEstimate", "NetEstimate", "ENGINES",
           "IMA_JOB_REGISTERS", "DWA_JOB_REGISTERS", "STEADY_JOBS", "layer_cost", "layer_phases",
           "estimate_phases", "estimate_program", "estimate_workload", "ima_layer_perf", "static_pj",
           "dynamic_pj",
           "clear_memo", "MEMO_SIZE"]

#: Engines :func:`layer_cost` knows: the IMA's crossbars, the depth-wise accelerator, the cores.
ENGINES = ("ima", "dwa", "sw")


#: Job registers the HAL writes for one IMA LayerJob (``hw.ima.regmap.JOB_REGISTERS``, J_ARRAY
#: last; :class:`tb.bfm.ima_hal.ImaHal` skips J_ARRAY on a single-array IMA) and for one DWA job
#: (``hw.dwa.regmap.JOB_REGISTERS``). ``sim_models`` cannot import ``hw``:
#: tests/sim_models/test_fastmodel.py checks these against the register maps.
IMA_JOB_REGISTERS = 36
DWA_JOB_REGISTERS = 13


@dataclass(frozen=True)
class Overheads:
    """Control cycles the accelerators' and the kernels' own models do not contain.

    An accelerator job costs core 0 ``periph_access`` cycles per peripheral-bus access -- the
    ACQUIRE read, the job registers (:data:`IMA_JOB_REGISTERS`, one fewer on a single-array IMA;
    :data:`DWA_JOB_REGISTERS`), the TRIGGER write and the ERROR read after the end-of-job event
    -- plus ``ima_start`` / ``dwa_start`` cycles (the job's start and done hand-shakes and the
    event's wake-up, outside the engine models' busy time). Every phase ends with the barrier:
    ``SwCost.barrier_cycles`` plus ``barrier_release``.

    ``periph_access`` and ``barrier_release`` are structural (:class:`tb.bfm.periph.PeriphMaster`:
    one request cycle granted at once, one response cycle; :class:`tb.bfm.core.Barrier`: the
    release edge). ``ima_start`` and ``dwa_start`` are CALIBRATED on the RTL, on single layers
    whose shapes the validation does not use (docs/fastmodel.md, "Calibration").
    """
    ima_start: int
    dwa_start: int
    periph_access: int = 2
    barrier_release: int = 1

    def __post_init__(self) -> None:
        for name in ("ima_start", "dwa_start", "periph_access", "barrier_release"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Overheads.{name} must be a non-negative integer, not {v!r}")

    def ima_bus(self, arrays: int) -> int:
        """Core 0's peripheral-bus cycles for one IMA LayerJob on an IMA with ``arrays`` crossbars
        (the core is active; in the start cycles it sleeps)."""
        regs = IMA_JOB_REGISTERS - (1 if arrays == 1 else 0)
        return self.periph_access * (regs + 3)

    def ima_job(self, arrays: int) -> int:
        """Control cycles of one IMA LayerJob on an IMA with ``arrays`` crossbars."""
        return self.ima_bus(arrays) + self.ima_start

    def dwa_bus(self) -> int:
        """Core 0's peripheral-bus cycles for one DWA job."""
        return self.periph_access * (DWA_JOB_REGISTERS + 3)

    def dwa_job(self) -> int:
        """Control cycles of one DWA job."""
        return self.dwa_bus() + self.dwa_start

    def barrier(self, cost: SwCost) -> int:
        """Cycles from the last core's arrival at a phase's barrier to the phase's end."""
        return cost.barrier_cycles + self.barrier_release


#: The overheads of our RTL cluster and its HAL (docs/fastmodel.md, "Calibration").
RTL_OVERHEADS = Overheads(ima_start=22, dwa_start=6)


@dataclass(frozen=True)
class LayerCost:
    """What one layer costs on one engine (:func:`layer_cost`).

    Attributes
    ----------
    cycles : int
        Wall-clock cycles of the layer at the cluster clock, its control overheads included
        (offload of every accelerator job, one barrier per phase).
    energy_pj : float
        Dynamic energy of the units that do the layer's work, in pJ: the ``cores`` cores while
        they run (a core offloading to an accelerator: its configuration cycles), the TCDM
        accesses, the accelerator's busy cycles and analog MVMs. Excluded, because they belong to
        the whole system's schedule and not to one layer: idle cores and idle accelerators,
        static power (:func:`static_pj` of the schedule's wall time).
    macs : int
        Multiply-accumulates of the layer (``Layer.macs``; adds and pools 0).
    engine : str
        ``"ima"``, ``"dwa"`` or ``"sw"``.
    cores : int
        Cores the software kernels are split over (1 for the accelerators' offload).
    phases : Mapping[str, int]
        Cycles of each phase (e.g. ``{"ima": .., "sum": ..}``), their sum is ``cycles``.
    """
    cycles: int
    energy_pj: float
    macs: int
    engine: str
    cores: int
    phases: Mapping[str, int] = field(default_factory=dict)


#: The order of a phase's event keys (:attr:`PhaseEstimate.events`) in a cluster without / with
#: the DWA: the software and DWA phases list the first 5 / 8, the IMA phases all of them. Every
#: phase's keys are a prefix of one order, so the key-wise sums of a layer's and a run's phases
#: (in order of first appearance) are prefixes of it too, and the model sums them as vectors.
_EVENT_ORDER = {
    False: ("cycles", "ima_idle_cycles", "core_active_cycles", "core_idle_cycles", "tcdm_accesses",
            "ima_streamin_cycles", "ima_compute_cycles", "ima_streamout_cycles",
            "mvm_count", "mvm_cells", "dac_conversions", "adc_conversions"),
    True: ("cycles", "ima_idle_cycles", "dwa_busy_cycles", "dwa_mac_cycles", "dwa_idle_cycles",
           "core_active_cycles", "core_idle_cycles", "tcdm_accesses",
           "ima_streamin_cycles", "ima_compute_cycles", "ima_streamout_cycles",
           "mvm_count", "mvm_cells", "dac_conversions", "adc_conversions"),
}
#: The zeros that pad a software / DWA phase's event vector to its order's length (the IMA keys).
_IMA_ZEROS = (0,) * 7
#: The keys of :attr:`PhaseEstimate.ima`, :attr:`PhaseEstimate.dwa` and of each IMA's dict in
#: :attr:`PhaseEstimate.ima_each` (``mvms``: one MVM per job, so equal to ``jobs``), in order.
_IMA_STAT_KEYS = ("jobs", "streamin", "compute", "streamout")
_DWA_STAT_KEYS = ("cycles", "mac_cycles", "stalled", "jobs")
_IMA_EACH_KEYS = ("jobs", "mvms", "streamin", "compute", "streamout")


class PhaseEstimate:
    """One phase of a program: its name, kind, cycles and event counts (keys of
    :data:`sim_models.energy.EVENT_KEYS`, ``cycles`` included), and the IMA / DWA statistics
    (``ima``: ``jobs, streamin, compute, streamout``; ``dwa``: ``jobs, cycles, mac_cycles``) the
    RTL's counters report.

    Attributes: ``name``, ``kind``, ``cycles``, ``events`` (a dict), ``ima``, ``dwa``;
    ``ima_each``: each working IMA's statistics and MVMs (``{k: {jobs, mvms, streamin, compute,
    streamout}}``; ``ima`` is their sum): IMA 0 alone, or the private IMAs of the phase;
    ``core_busy``: busy cycles of each core (software phases; accelerator phases: core 0's bus
    accesses); ``stalls``: TCDM stall cycles of the bank-contention approximation (software
    phases).

    A plain class with slots, not a dataclass, because a network run makes one per phase: the
    model keeps the events as a vector in a fixed key order (:data:`_EVENT_ORDER`, what the layer
    and run sums add up) and builds the ``events`` dict only when it is read; likewise ``ima``,
    ``dwa`` and ``ima_each`` (kept as tuples of their values in the key orders of
    :data:`_IMA_STAT_KEYS`, :data:`_DWA_STAT_KEYS` and :data:`_IMA_EACH_KEYS` until read: a
    network's estimate reads none of them).
    """
    __slots__ = ("name", "kind", "cycles", "core_busy", "stalls", "_ima", "_dwa", "_each",
                 "_events", "_order", "_n", "_values")

    def __init__(self, name: str, kind: str, cycles: int, events: dict[str, float],
                 ima: dict[str, int] | None = None, dwa: dict[str, int] | None = None,
                 ima_each: dict[int, dict[str, int]] | None = None, core_busy: tuple[int, ...] = (),
                 stalls: int = 0) -> None:
        self.name, self.kind, self.cycles = name, kind, cycles
        self.ima = {} if ima is None else ima
        self.dwa = {} if dwa is None else dwa
        self.ima_each = {} if ima_each is None else ima_each
        self.core_busy, self.stalls = core_busy, stalls
        self.events = events

    @property
    def events(self) -> dict[str, float]:
        ev = self._events
        if ev is None:
            ev = self._events = dict(zip(self._order[:self._n], self._values, strict=False))
        return ev

    @events.setter
    def events(self, events: dict[str, float]) -> None:
        self._events = events
        self._order, self._n, self._values = tuple(events), len(events), tuple(events.values())

    @property
    def ima(self) -> dict[str, int]:
        v = self._ima
        if v.__class__ is tuple:
            v = self._ima = dict(zip(_IMA_STAT_KEYS, v, strict=True)) if v else {}
        return v

    @ima.setter
    def ima(self, ima: dict[str, int]) -> None:
        self._ima = ima

    @property
    def dwa(self) -> dict[str, int]:
        v = self._dwa
        if v.__class__ is tuple:
            v = self._dwa = dict(zip(_DWA_STAT_KEYS, v, strict=True)) if v else {}
        return v

    @dwa.setter
    def dwa(self, dwa: dict[str, int]) -> None:
        self._dwa = dwa

    @property
    def ima_each(self) -> dict[int, dict[str, int]]:
        v = self._each
        if v.__class__ is tuple:
            v = self._each = {v[0]: dict(zip(_IMA_EACH_KEYS, (v[1], v[1], *v[2:]), strict=True))} if v else {}
        return v

    @ima_each.setter
    def ima_each(self, ima_each: dict[int, dict[str, int]]) -> None:
        self._each = ima_each

    def _fields(self) -> tuple:
        return (self.name, self.kind, self.cycles, self.events, self.ima, self.dwa, self.ima_each,
                self.core_busy, self.stalls)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None     # type: ignore[assignment]  # mutable, as the dataclass it replaced

    def __repr__(self) -> str:
        names = ("name", "kind", "cycles", "events", "ima", "dwa", "ima_each", "core_busy", "stalls")
        return f"PhaseEstimate({', '.join(f'{k}={v!r}' for k, v in zip(names, self._fields(), strict=True))})"


_new_object = object.__new__


def _phase_of(name: str, kind: str, cycles: int, order: tuple[str, ...], n: int,
              values: Sequence[float], ima: tuple, dwa: tuple, ima_each: tuple | dict,
              core_busy: tuple[int, ...], stalls: int) -> PhaseEstimate:
    """A phase whose events are ``order[:n]`` with ``values`` (padded with zeros to
    ``len(order)``): the model's own constructor of a :class:`PhaseEstimate`, its dicts built
    when they are read. ``ima``: ``(jobs, streamin, compute, streamout)`` or ``()``; ``dwa``:
    ``(cycles, mac_cycles, stalled, jobs)`` or ``()``; ``ima_each``: ``(k, jobs, streamin,
    compute, streamout)`` of the one working IMA ``k``, ``()`` for none, or the dict itself. A
    plain function, one statement per slot: a network run makes one per phase, and a class
    method with ``cls.__new__`` and tuple assignments costs 40 % more."""
    self = _new_object(PhaseEstimate)
    self.name = name
    self.kind = kind
    self.cycles = cycles
    self._ima = ima
    self._dwa = dwa
    self._each = ima_each
    self.core_busy = core_busy
    self.stalls = stalls
    self._events = None
    self._order = order
    self._n = n
    self._values = values
    return self


@dataclass
class NetEstimate:
    """A network's estimate: ``layers`` and ``total`` with the fields of ``ima-sim net --json``
    (``layers``: ``name, kind, unit, macs, cycles, time_ms, energy_uj, phases``; ``total``:
    ``cycles, latency_ms, energy_uj, inf_per_s, arrays, macs, tcdm_bytes, clock_hz``), and the
    per-phase estimates of every step."""
    layers: list[dict[str, Any]]
    total: dict[str, Any]
    steps: list[list[PhaseEstimate]]


# ---------------------------------------------------------------------------------------- helpers
def _ima_params(cfg) -> perf.PerfParams:
    ima = cfg.ima
    return _perf_params(ima.ports, ima.mvm_cycles, ima.data_interface == "shared")


@functools.lru_cache(maxsize=64)
def _perf_params(ports: int, mvm_cycles: int, shared: bool) -> perf.PerfParams:
    return perf.rtl_params(ports, mvm_cycles, shared_ports=shared).validate()


#: Least number of jobs between two steady-state checkpoints of the overlapped engine's schedule
#: (:func:`sim_models.perf.overlapped_perf_periodic`, shared ports).
STEADY_JOBS = perf.CHECKPOINT_JOBS


def _residue_period(job: LayerJob) -> int:
    """A period ``R`` (in jobs) of the sequence of every job's source and sink base addresses
    modulo 4, which is all a job's phase lengths and port words depend on (``job.num_jobs`` when
    no shorter one is found).

    Job ``j`` is the loop counters ``j0 = j mod c0``, ``j1 = (j // c0) mod c1``, ``j2 = j // (c0
    c1)``, and its base is ``addr + j0 s0 + j1 s1 + j2 s2``; modulo 4 a term ``jk sk`` depends on
    ``jk`` modulo ``dk = 4 / gcd(sk, 4)`` only. So the residues repeat every ``d0`` jobs (if
    ``d0`` divides ``c0``, else every ``c0``) when ``d1 = d2 = 1``; every ``c0 d1`` (``c0 c1`` if
    ``d1`` does not divide ``c1``) when ``d2 = 1``; every ``c0 c1 d2`` otherwise."""
    l0, l1, l2 = job.loops
    c0, c1 = l0.count, l1.count
    r = 1
    for s0, s1, s2 in ((l0.src_stride, l1.src_stride, l2.src_stride),
                       (l0.dst_stride, l1.dst_stride, l2.dst_stride)):
        d2 = _ORDER[s2 % 4]
        if d2 > 1:
            rk = c0 * c1 * d2
        else:
            d1 = _ORDER[s1 % 4]
            if d1 > 1:
                rk = c0 * (d1 if c1 % d1 == 0 else c1)
            else:
                d0 = _ORDER[s0 % 4]
                rk = d0 if c0 % d0 == 0 else c0
        if rk > 1:
            r = rk if r == 1 else math.lcm(r, rk)
    n = c0 * c1 * l2.count            # job.num_jobs
    return r if r < n else n


#: ``4 // gcd(s, 4)`` by ``s % 4``: the period of ``j s`` modulo 4 in ``j``.
_ORDER = (1, 4, 2, 4)


def _walk_tables(walk, ports: int) -> tuple[list[int], list[int]]:
    """``(chunk cycles, words)`` of all runs of ``walk`` from a base of residue 0..3 (the tables
    :func:`sim_models.perf.job_phase_cycles` and :func:`_walk_words` look every job up in),
    memoised by what they depend on (:func:`_walk_key`).

    A run of ``len0`` bytes from an address of residue ``q`` touches ``(q + len0 + 3) // 4``
    words, and the runs' offsets modulo 4 depend on their loop counters modulo 4 only, so the
    runs are counted by offset residue (16 pairs of counter classes) instead of listed."""
    def tables():
        l0, l1, l2, s1, s2 = walk.len0, walk.len1, walk.len2, walk.stride1 % 4, walk.stride2 % 4
        w = [(q + l0 + 3) // 4 for q in range(4)]
        c = [-(-x // ports) for x in w]
        cnt = [0, 0, 0, 0]
        for a in range(4 if l1 > 4 else l1):           # runs by offset residue
            n1 = (l1 - 1 - a) // 4 + 1
            for b in range(4 if l2 > 4 else l2):
                cnt[(a * s1 + b * s2) % 4] += n1 * ((l2 - 1 - b) // 4 + 1)
        k0, k1, k2, k3 = cnt
        c, w = c + c, w + w                              # residue r + q without a modulo
        return ([k0 * c[r] + k1 * c[r + 1] + k2 * c[r + 2] + k3 * c[r + 3] for r in range(4)],
                [k0 * w[r] + k1 * w[r + 1] + k2 * w[r + 2] + k3 * w[r + 3] for r in range(4)])
    return _memo(("walk", _walk_key(walk), ports), tables)


#: Residue periods up to this many jobs are expanded in Python, longer ones with numpy.
_SHORT_PERIOD = 64


def _job_pattern(job: LayerJob, p: perf.PerfParams) -> tuple[list[int], list[int], list[int]]:
    """``(sin, sout, words)`` of the first ``R`` jobs of ``job`` (:func:`_residue_period`): the
    STREAMIN / STREAMOUT lengths of :func:`sim_models.perf.job_phase_cycles` and the port words
    of :func:`_walk_words`, job by job, which repeat every ``R`` jobs."""
    r = _residue_period(job)
    if r == 1:                        # every job alike (most layers): one look-up per walk
        ports = p.ports
        cyc_in, w_in = _walk_tables(job.src, ports)
        cyc_out, w_out = _walk_tables(job.dst, ports)
        x, y = job.src_addr % 4, job.dst_addr % 4
        return [cyc_in[x] + p.streamin_overhead], [cyc_out[y] + p.streamout_overhead], [w_in[x] + w_out[y]]
    l0, l1, l2 = job.loops
    c0, c1 = l0.count, l1.count
    out = []
    for walk, addr, (s0, s1, s2), ovh in (
            (job.src, job.src_addr, (l0.src_stride, l1.src_stride, l2.src_stride), p.streamin_overhead),
            (job.dst, job.dst_addr, (l0.dst_stride, l1.dst_stride, l2.dst_stride), p.streamout_overhead)):
        cyc, words = _walk_tables(walk, p.ports)
        if r <= _SHORT_PERIOD:
            res = [(addr + j % c0 * s0 + j // c0 % c1 * s1 + j // (c0 * c1) * s2) % 4 for j in range(r)]
            out.append(([cyc[x] + ovh for x in res], [words[x] for x in res]))
        else:
            j = np.arange(r, dtype=np.int64)
            res = (addr + j % c0 * s0 + j // c0 % c1 * s1 + j // (c0 * c1) * s2) % 4
            out.append(((np.array(cyc)[res] + ovh).tolist(), np.array(words)[res].tolist()))
    (sin, w_in), (sout, w_out) = out
    return sin, sout, [a + b for a, b in zip(w_in, w_out, strict=True)]


def _tiled_sum(pattern, n: int) -> int:
    """The sum of the first ``n`` terms of the sequence that repeats ``pattern`` (a list or an
    array)."""
    r = len(pattern)
    if r == 1:
        return n * int(pattern[0])
    return (n // r) * int(sum(pattern)) + int(sum(pattern[:n % r])) if r else 0


def _tile(pattern, n: int) -> np.ndarray:
    """The first ``n`` terms of the sequence that repeats ``pattern``, as an array."""
    pattern = np.asarray(pattern, dtype=np.int64)
    if n <= len(pattern):
        return pattern[:n]
    return np.full(n, pattern[0], dtype=np.int64) if len(pattern) == 1 else np.resize(pattern, n)


def ima_layer_perf(job: LayerJob, cfg, *, exact: bool = False, walk: bool = False) -> perf.LayerPerf:
    """The IMA's cycles of one ``LayerJob`` on ``cfg`` (sequential or overlapped engine, separate
    or shared ports): :func:`sim_models.perf.job_phase_cycles` with the RTL's structural
    overheads, summed (sequential engine) or scheduled by :func:`sim_models.perf.overlapped_perf`.

    Speed-up of the per-job lengths (unless ``walk``): they depend on each job's addresses modulo
    4 only, which repeat every ``R`` jobs (:func:`_residue_period`), so the first ``R`` are
    computed and the sums and prefixes below are taken from them; ``walk`` computes every job's
    with :func:`sim_models.perf.job_phase_cycles` (the reference, the same numbers).

    Speed-up of the overlapped engine (unless ``exact`` or ``walk``): the per-job lengths repeat
    every ``R`` jobs, and :func:`sim_models.perf.overlapped_perf_periodic` schedules them until
    the schedule's state (relative to its time) recurs at a checkpoint -- which proves that every
    further period repeats it -- and skips the whole periods (separate and shared ports; with
    shared ports the schedule of fewer jobs that ends as the layer does is run to its end and
    the skipped periods added, because the layer's end changes the last jobs' contention; the
    recurrence is kept in the memo for the same lengths in another LayerJob). Exact in every
    field, not a heuristic:
    tests/sim_models/test_fastmodel.py and tests/sim_models/test_perf.py compare it with the
    whole schedule (``exact=True``). (The increments of four short schedules, which this
    replaces, were a heuristic: with shared ports seeds 212, 255 and 308 of that test found
    layers whose three increments agreed before the schedule had settled.)"""
    return _ima_job_perf(job, cfg, exact=exact, walk=walk)[0]


def _ima_job_perf(job: LayerJob, cfg, *, exact: bool = False, walk: bool = False
                  ) -> tuple[perf.LayerPerf, int]:
    """``(LayerPerf, port words)`` of ``job`` (:func:`ima_layer_perf`, :func:`_walk_words`)."""
    ports, mvm, overlap, interface = _ima_fields(cfg.ima)
    p = _perf_params(ports, mvm, interface == "shared")
    n = job.num_jobs
    if walk:
        sin, comp, sout = perf.job_phase_cycles(job, p)
        words = _walk_words(job)
    else:
        sin, sout, w = _job_pattern(job, p)
        words = _tiled_sum(w, n)
    if not overlap:
        s_in, s_c, s_out = _tiled_sum(sin, n), n * mvm, _tiled_sum(sout, n)
        return perf.LayerPerf(n, s_in, s_c, s_out, 0, s_in + s_c + s_out), words
    if exact or walk:                           # the reference: the whole schedule
        sin, sout = _tile(sin, n), _tile(sout, n)
        return perf.overlapped_perf(sin, np.full(n, mvm, dtype=np.int64), sout, p), words
    return perf.overlapped_perf_periodic(sin, mvm, sout, n, p, memo=_memo), words


def _walk_words(job: LayerJob) -> int:
    """32-bit words the IMA's ports move for all jobs of ``job`` (every source and sink run):
    :func:`sim_models.perf.words_touched` of the runs, a function of each job's base modulo 4."""
    total = 0
    for bases, walk in zip(perf.job_bases(job), (job.src, job.dst), strict=True):
        runs = np.arange(4, dtype=np.int64)[:, None] + perf.walk_run_bases(walk)[None, :]
        table = perf.words_touched(runs, walk.len0).sum(axis=1)
        total += int(table @ np.bincount(bases % 4, minlength=4))
    return total


def _words(addr: int, nbytes: int) -> int:
    """Aligned 32-bit words a run of ``nbytes`` from ``addr`` touches (0 for an empty run)."""
    return 0 if nbytes <= 0 else (addr + nbytes + 3) // 4 - addr // 4


def _imas(cfg) -> int:
    """IMAs of the cluster ``cfg`` (``ClusterConfig.imas``; 1 for a duck-typed ``cfg`` without it)."""
    return getattr(cfg, "imas", 1)


# ---------------------------------------------------------------------------------------- phases
# ---------------------------------------------------------------------------------------- memo
#: Results of the engine models by what determines them (a job's shape and its addresses modulo
#: 4: every run's words depend on its start address modulo 4 only), so a layer shape met again --
#: in the next block of a network, in the next point of a sweep -- is not recomputed.
_MEMO: dict[tuple, Any] = {}
#: Entries kept before the memo starts over (bounds its memory in long sweeps).
MEMO_SIZE = 100_000


def clear_memo() -> None:
    """Forget everything the model keeps between runs (e.g. to time it cold): the memoised engine
    results and the numbers of the program objects' memo keys (:func:`_token`), so a cold run
    pays for every key as a first run over a new program does. The token counter goes on (a
    token is never reused)."""
    _MEMO.clear()
    with _TOKEN_LOCK:
        _TOKENS.clear()
        _TOKEN_OF.clear()
    _IMA_FIELDS[0] = (None, None)


def _memo(key: tuple, compute):
    """``compute()``, memoised under ``key``."""
    try:
        return _MEMO[key]
    except KeyError:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        value = _MEMO[key] = compute()
        return value


#: The memo keys in use, numbered: ``key -> token`` (a small integer from :data:`_TOKEN_COUNT`,
#: never reused, so a token always stands for one key, also after the tables are emptied). Memo
#: look-ups carry the token instead of the key, whose nested tuple Python would hash on every
#: look-up.
_TOKEN_OF: dict[tuple, int] = {}
#: The program objects whose key was numbered, by identity: ``id(obj) -> (obj, token)``. Only
#: deeply immutable objects go in (frozen dataclasses of integers, strings and tuples: a
#: ``LayerJob``, a ``DwJob``, a ``Buffer``), so an object's key never changes; the table holds
#: the object, so its ``id`` is not reused while the entry lives. Both emptied by
#: :func:`clear_memo` (a cold run numbers every key again), and each when it reaches
#: :data:`MEMO_SIZE` entries, the identity table also with the keys' (the memo entries of old
#: tokens are then never found again, and go when the memo fills).
_TOKENS: dict[int, tuple[Any, int]] = {}
_TOKEN_COUNT = itertools.count()
_TOKEN_LOCK = threading.Lock()


def _token(obj, key_of) -> int:
    """The token of ``key_of(obj)`` (:data:`_TOKEN_OF`), looked up by the identity of ``obj``
    (:data:`_TOKENS`; ``obj`` must be deeply immutable) and computed once per object. A new key
    is numbered under a lock, so two threads cannot give one key two tokens in one table."""
    found = _TOKENS.get(id(obj))
    if found is not None and found[0] is obj:
        return found[1]
    key = key_of(obj)
    tok = _TOKEN_OF.get(key)
    if tok is None:
        with _TOKEN_LOCK:
            if len(_TOKEN_OF) >= MEMO_SIZE:
                _TOKENS.clear()
                _TOKEN_OF.clear()
            tok = _TOKEN_OF.get(key)
            if tok is None:
                tok = _TOKEN_OF[key] = next(_TOKEN_COUNT)
    if len(_TOKENS) >= MEMO_SIZE:
        _TOKENS.clear()
    _TOKENS[id(obj)] = (obj, tok)
    return tok


def _walk_key(w) -> tuple:
    return (w.len0, w.len1, w.stride1 % 4, w.len2, w.stride2 % 4)


def _job_key(job: LayerJob) -> tuple:
    """What a LayerJob's cycles and port words depend on: the walks' shapes, the loops' counts,
    every address and stride modulo 4."""
    return ("ima", _walk_key(job.src), _walk_key(job.dst), job.src_addr % 4, job.dst_addr % 4,
            tuple((lp.count, lp.src_stride % 4, lp.dst_stride % 4) for lp in job.loops))


#: ``[(ima, its fields)]``: the last configuration object's :func:`_ima_fields`. One tuple,
#: replaced whole, so a thread (dask workers run several) never reads one object's fields
#: paired with another object.
_IMA_FIELDS: list = [(None, None)]


def _ima_fields(ima) -> tuple:
    """``(ports, mvm_cycles, overlap, data_interface)`` of ``ima``, kept for the last
    configuration object (``ImaConfig.mvm_cycles`` recomputes the latency on every access)."""
    last, fields = _IMA_FIELDS[0]
    if last is not ima:
        fields = (ima.ports, ima.mvm_cycles, ima.overlap, ima.data_interface)
        _IMA_FIELDS[0] = (ima, fields)
    return fields


def _ima_contribution(job: LayerJob, cfg) -> tuple[int, ...]:
    """``(busy, jobs, streamin, compute, streamout, mvm cells, DAC conversions, ADC conversions,
    port words)`` of one LayerJob on ``cfg`` (:func:`_ima_job_perf`; one MVM per job): what a
    phase adds up (:func:`_ima_work`)."""
    p, words = _ima_job_perf(job, cfg)
    n, h, w = p.jobs, job.height, job.width       # p.jobs == job.num_jobs
    return p.total, n, p.streamin, p.compute, p.streamout, n * h * w, n * h, n * w, words


#: A small integer per distinct software cost set (:class:`sim_models.swcost.SwCost`, whose hash
#: a frozen dataclass recomputes from its 16 fields on every call): the memo keys of the software
#: phases carry it instead of the cost set. Equal cost sets share one; never reused.
_COST_KEYS: dict[SwCost, int] = {}
_COST_KEYS_LOCK = threading.Lock()


def _cost_key(cost: SwCost) -> int:
    """The integer of ``cost`` in :data:`_COST_KEYS` (a new one is numbered under a lock, so two
    threads cannot give two cost sets one number)."""
    key = _COST_KEYS.get(cost)
    if key is None:
        with _COST_KEYS_LOCK:
            key = _COST_KEYS.setdefault(cost, len(_COST_KEYS))
    return key


class _Run:
    """What the phase estimates of one call read from the configuration, the overheads and the
    cost set, looked up once (:func:`estimate_phases`, :func:`estimate_program`)."""
    __slots__ = ("cfg", "oh", "cost", "cores", "cost_key", "n_cores", "dwa", "imas", "order",
                 "barrier", "ima_oh", "ima_key")

    def __init__(self, cfg, oh: Overheads, cost: SwCost, cores: int) -> None:
        self.cfg, self.oh, self.cost, self.cores = cfg, oh, cost, cores
        self.cost_key = _cost_key(cost)
        self.n_cores = cfg.n_cores
        self.dwa = bool(cfg.dwa)
        self.imas = _imas(cfg)
        self.order = _EVENT_ORDER[self.dwa]
        self.barrier = oh.barrier(cost)
        #: ``(control cycles, core 0's bus cycles)`` of an IMA LayerJob and whether the engine
        #: overlaps its phases, at the first IMA phase
        self.ima_oh: tuple[int, int, bool] | None = None
        #: what an IMA job's result depends on in the configuration, at the first IMA phase
        #: (``ImaConfig.mvm_cycles`` is computed on every access)
        self.ima_key: tuple | None = None


def _ima_work(lms: Iterable, run: _Run) -> tuple[int, ...]:
    """``(busy, LayerJobs, jobs, streamin, compute, streamout, mvm cells, DAC conversions, ADC
    conversions, port words)`` of the LayerJobs of the layer mappings ``lms`` on one IMA, run
    one after the other: each LayerJob's :func:`_ima_contribution`, memoised under the token of
    its key (:func:`_token`) and the configuration's part of the key."""
    cfg, ima_key = run.cfg, run.ima_key
    total, n_lj = None, 0
    for lm in lms:
        for job in lm.jobs:
            found = _TOKENS.get(id(job))
            tok = found[1] if found is not None and found[0] is job else _token(job, _job_key)
            key = (tok, ima_key)
            c = _MEMO.get(key)
            if c is None:
                c = _memo(key, lambda job=job: _ima_contribution(job, cfg))
            total = c if total is None else tuple(map(operator.add, total, c))
        n_lj += len(lm.jobs)
    busy, jobs, s_in, s_c, s_out, cells, dacs, adcs, words = (0,) * 9 if total is None else total
    return busy, n_lj, jobs, s_in, s_c, s_out, cells, dacs, adcs, words


def _ima_phase(ph: Phase, run: _Run) -> PhaseEstimate:
    """An IMA phase: core 0 offloads ``args["layer"]``'s LayerJobs to IMA 0, or -- private IMAs
    (``args["layers"]``: ``{k: layer or [layers]}``, :func:`sim_models.compiler.compile_graph`'s
    ``ima_of``) -- core ``k`` its layers to IMA ``k``, every ``k`` at once: the phase lasts as long
    as the longest (the IMAs' ports contending on the TCDM banks are not modelled: the compiler's
    phases name one IMA each, the exact case). Every IMA that has no work idles through the
    phase; the others idle for the phase less their busiest engine phase (all three phases with
    the sequential engine)."""
    cfg, imas, n_cores = run.cfg, run.imas, run.n_cores
    if run.ima_oh is None:
        ima = cfg.ima
        run.ima_oh = (run.oh.ima_job(ima.arrays), run.oh.ima_bus(ima.arrays), ima.overlap)
        run.ima_key = ("ima", *_ima_fields(ima))
    job_oh, bus_oh, overlap = run.ima_oh
    args = ph.args
    if "layers" not in args:                    # core 0 and IMA 0
        busy, n_lj, n_jobs, s_in, s_c, s_out, cells, dacs, adcs, words = _ima_work((args["layer"],), run)
        cycles = busy + job_oh * n_lj + run.barrier
        active = bus_oh * n_lj                  # core 0 on the bus; else asleep
        own = s_in + s_c + s_out if not overlap else max(s_in, s_c, s_out)
        idle = max(cycles - own, 0) + cycles * (imas - 1)
        each = (0, n_jobs, s_in, s_c, s_out)
        core_busy = (active,) + (0,) * (n_cores - 1)
    else:
        owned = {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in args["layers"].items()}
        bad = [k for k in owned if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < imas]
        if bad:
            raise ValueError(f"phase {ph.name}: layers name IMA(s) {bad}; the cluster has {imas} (imas)")
        if not owned:
            raise ValueError(f"phase {ph.name}: layers name no IMA")
        n_jobs = s_in = s_c = s_out = cells = dacs = adcs = words = longest = active = 0
        each, bus, own = {}, [0] * n_cores, [0] * imas
        for k, lms in owned.items():
            busy, n_lj, k_jobs, k_in, k_c, k_out, k_cells, k_dacs, k_adcs, k_words = _ima_work(lms, run)
            each[k] = {"jobs": k_jobs, "mvms": k_jobs, "streamin": k_in, "compute": k_c, "streamout": k_out}
            n_jobs += k_jobs
            s_in += k_in
            s_c += k_c
            s_out += k_out
            cells += k_cells
            dacs += k_dacs
            adcs += k_adcs
            words += k_words
            longest = max(longest, busy + job_oh * n_lj)
            active += bus_oh * n_lj             # core k on the bus; else asleep
            if k < n_cores:
                bus[k] = bus_oh * n_lj
            own[k] = k_in + k_c + k_out if not overlap else max(k_in, k_c, k_out)
        cycles = longest + run.barrier
        idle = sum(max(cycles - b, 0) for b in own)
        core_busy = tuple(bus)
    if run.dwa:
        values = (cycles, idle, 0, 0, cycles, active, n_cores * cycles - active, words,
                  s_in, s_c, s_out, n_jobs, cells, dacs, adcs)
    else:
        values = (cycles, idle, active, n_cores * cycles - active, words,
                  s_in, s_c, s_out, n_jobs, cells, dacs, adcs)
    return _phase_of(ph.name, ph.kind, cycles, run.order, len(run.order), values,
                     (n_jobs, s_in, s_c, s_out), (), each, core_busy, 0)


def _dwa_words(job: DwJob) -> int:
    """Words the DWA's ports move for ``job`` (aligned runs of a group's channels: the 9 weight
    taps, the 3 window rows of every column's first pixel and the new ``stride`` rows of every
    other pixel, one store per output pixel): every group moves the same runs, each run of a
    group of ``cg`` channels ``ceil(cg / 4)`` words, one more when ``cg`` is not a multiple of 4,
    so the words per run are summed over the groups in closed form."""
    full, rem = divmod(job.channels, GROUP)          # full groups, then one of rem channels
    words = full * (-(-GROUP // 4) + (1 if GROUP % 4 else 0))
    if rem:
        words += -(-rem // 4) + (1 if rem % 4 else 0)
    rows = KERNEL + job.stride * (job.out_h - 1)
    return words * (KERNEL * KERNEL + job.out_w * (KERNEL * rows + job.out_h))


def _dwa_costs(job: DwJob, ports: int) -> tuple[int, int, int]:
    """``(busy cycles, MAC cycles, port words)`` of ``job`` (validated: :func:`_dwa_key`) on a
    DWA of ``ports`` ports."""
    b = dwa_perf.breakdown(job, ports, validate=False)
    return sum(b[k] for k in dwa_perf.PHASE_KEYS), b["mac_cycles"], _dwa_words(job)


def _dwa_key(job: DwJob) -> tuple:
    """What a DWA job's cycles and port words depend on: its shape, every address and row
    stride modulo 4 (:func:`sim_models.dwa_perf.breakdown`, :func:`_dwa_words`). Validates
    ``job`` (``ValueError`` naming a bad field): computed once per job object (:func:`_token`),
    so every job the model meets is checked once, not only those that miss the memo."""
    job.validate()
    return ("dwa", job.channels, job.out_h, job.out_w, job.stride, job.in_addr % 4,
            job.in_row_stride % 4, job.out_addr % 4, job.out_row_stride % 4, job.w_addr % 4)


def _dwa_phase(ph: Phase, run: _Run) -> PhaseEstimate:
    """A DWA phase: core 0 offloads ``args["job"]`` (a ``DwJob``) and sleeps until its end; its
    busy and MAC cycles and port words memoised under the token of the job's key
    (:func:`_token`) and the DWA's ports."""
    job: DwJob = ph.args["job"]
    cfg, oh = run.cfg, run.oh
    found = _TOKENS.get(id(job))
    key = (found[1] if found is not None and found[0] is job else _token(job, _dwa_key), cfg.dwa_ports)
    costs = _MEMO.get(key)
    if costs is None:
        costs = _memo(key, lambda: _dwa_costs(job, cfg.dwa_ports))
    busy, mac, words = costs
    active = oh.dwa_bus()
    cycles = busy + oh.dwa_job() + run.barrier
    n_cores = run.n_cores
    if run.dwa:
        order = run.order
        values = (cycles, cycles * run.imas, busy, mac, cycles - busy, active,
                  n_cores * cycles - active, words) + _IMA_ZEROS
    else:       # its keys after the others' (the order they came in): no vector sums
        order = _EVENT_ORDER[False][:5] + _EVENT_ORDER[True][2:5]
        values = (cycles, cycles * run.imas, active, n_cores * cycles - active, words, busy, mac,
                  cycles - busy)
    return _phase_of(ph.name, ph.kind, cycles, order, 8, values, (), (busy, mac, 0, 1), (),
                     (active,) + (0,) * (n_cores - 1), 0)


def _pixels(buf: Buffer) -> int:
    return math.prod(buf.shape[:-1]) if len(buf.shape) > 1 else int(buf.shape[0])


class _Traffic:
    """The TCDM traffic of one core's share of a kernel: words and contiguous runs, private ones
    (this core's data) and shared ones (every core reads the same run: the weights of a matmul,
    the input vector of an fc)."""
    __slots__ = ("words", "runs", "shared_runs")

    def __init__(self, words: int = 0, runs: int = 0) -> None:
        self.words, self.runs, self.shared_runs = words, runs, 0

    def run(self, addr: int, nbytes: int, shared: bool = False) -> None:
        if nbytes <= 0:
            return
        self.words += (addr + nbytes + 3) // 4 - addr // 4
        if shared:
            self.shared_runs += 1
        else:
            self.runs += 1

    def many(self, addrs: np.ndarray, nbytes: int) -> None:
        """Private runs of ``nbytes`` at each of ``addrs``."""
        if nbytes <= 0 or not len(addrs):
            return
        self.words += int(perf.words_touched(addrs, nbytes).sum())
        self.runs += len(addrs)

    def pixels(self, buf: Buffer, p0: int, p1: int) -> None:
        """Pixels ``p0..p1`` of an HWC buffer as the kernels move them: one run when the buffer
        has no padding, a run per (partial) pixel row otherwise."""
        if p1 <= p0:
            return
        c = buf.shape[-1]
        if not buf.pad:
            self.run(buf.addr + p0 * c, (p1 - p0) * c)
            return
        w, pw, base = buf.shape[1], buf.padded_shape[1], buf.interior_addr
        y0, x0 = divmod(p0, w)
        y1, x1 = divmod(p1 - 1, w)              # the last pixel's row and column
        for y in range(y0, y1 + 1):
            xs = x0 if y == y0 else 0
            a = base + (y * pw + xs) * c
            self.words += (a + ((x1 + 1 if y == y1 else w) - xs) * c + 3) // 4 - a // 4
        self.runs += y1 - y0 + 1

    def pixel_slices(self, buf: Buffer, c0: int, c1: int, rows: int, cols: int) -> None:
        """Channels ``c0..c1`` of every pixel of ``rows`` x ``cols`` (one run per pixel)."""
        pitch = buf.padded_shape[1] * buf.shape[2]
        if rows * cols <= 64:                  # a few runs: in Python
            base, n = buf.interior_addr + c0, c1 - c0
            for yy in range(rows):
                for xx in range(cols):
                    self.run(base + yy * pitch + xx * buf.shape[2], n)
            return
        y = np.arange(rows, dtype=np.int64)[:, None]
        x = np.arange(cols, dtype=np.int64)[None, :]
        self.many((buf.interior_addr + y * pitch + x * buf.shape[2] + c0).reshape(-1), c1 - c0)


def _split(n: int, parts: int, cost_of) -> list[tuple[int, int, int]]:
    """``[(lo, hi, cycles)]`` of every part of ``range(n)`` split as :func:`sim_models.swcost.chunk`
    splits it (the first ``n % parts`` parts one longer), with ``cycles = cost_of(hi - lo)``
    evaluated once per distinct size: the parts have at most two sizes, and a kernel's cost
    (:class:`sim_models.swcost.SwCost`) is a function of its part's size alone."""
    q, r = divmod(n, parts)
    small = cost_of(q)                  # r < parts: at least one part of q
    big = cost_of(q + 1) if r else small
    out, lo = [], 0
    for part in range(parts):
        hi = lo + q + 1 if part < r else lo + q
        out.append((lo, hi, big if part < r else small))
        lo = hi
    return out


def _sw_pointwise(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    src, dst = args["src"], args["dst"]
    cin, cout = src.shape[2], dst.shape[2]
    out = []
    for p0, p1, c in _split(_pixels(src), parts, lambda n: cost.matmul(n * cin * cout)):
        t = _Traffic()
        if p1 > p0:
            t.pixels(src, p0, p1)
            t.run(args["w_buf"].addr, cout * cin, shared=True)
            t.pixels(dst, p0, p1)
        out.append((c, t))
    return out


def _sw_conv(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    src, dst, k, s = args["src"], args["dst"], args["k"], args["stride"]
    ho, wo, cout = dst.shape
    cin = src.shape[2]
    out = []
    for r0, r1, c in _split(ho, parts, lambda n: cost.matmul(n * wo * k * k * cin * cout)):
        t = _Traffic()
        if r1 > r0:
            pitch = src.padded_shape[1] * cin
            t.run(src.addr + r0 * s * pitch, ((r1 - 1) * s + k - r0 * s) * pitch)
            t.run(args["w_buf"].addr, cout * k * k * cin, shared=True)
            t.pixels(dst, r0 * wo, r1 * wo)
        out.append((c, t))
    return out


def _sw_fc(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    src, dst = args["src"], args["dst"]
    cin, cout = math.prod(src.padded_shape), math.prod(dst.padded_shape)    # nbytes
    out = []
    for o0, o1, c in _split(cout, parts, lambda n: cost.matmul(n * cin)):
        t = _Traffic()
        if o1 > o0:
            t.run(src.addr, cin, shared=True)
            t.run(args["w_buf"].addr + o0 * cin, (o1 - o0) * cin)
            t.run(dst.addr + o0, o1 - o0)
        out.append((c, t))
    return out


def _sw_hwc_to_chw(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    src = args["src"]
    hp, wp, ch = src.padded_shape
    n = hp * wp
    out = []
    for p0, p1, c in _split(n, parts, lambda m: cost.hwc2chw(m * ch)):
        t = _Traffic()
        if p1 > p0:
            t.run(src.addr + p0 * ch, (p1 - p0) * ch)
            t.many(args["dst_addr"] + np.arange(ch, dtype=np.int64) * n + p0, p1 - p0)
        out.append((c, t))
    return out


def _sw_depthwise_chw(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    hp, wp, ch = args["padded_shape"]
    dst, k = args["dst"], args.get("k", 3)
    ho, wo, _ = dst.shape
    out = []
    for c0, c1, c in _split(ch, parts, lambda n: cost.depthwise(ho * wo * n, k)):
        t = _Traffic()
        if c1 > c0:
            t.run(args["chw_addr"] + c0 * hp * wp, (c1 - c0) * hp * wp)
            t.run(args["w_buf"].addr + c0 * k * k, (c1 - c0) * k * k)
            t.pixel_slices(dst, c0, c1, ho, wo)
        out.append((c, t))
    return out


def _pixel_shares(bufs: Sequence[Buffer], n: int, parts: int, cost_of) -> list[tuple[int, _Traffic]]:
    """Shares of a kernel whose core moves pixels ``lo..hi`` of every buffer of ``bufs`` (split
    as :func:`_split` splits ``n``; :meth:`_Traffic.pixels`): one run per buffer when none is
    padded, counted here without the method calls."""
    out = []
    flat = [(b.addr, b.shape[-1], b.pad) for b in bufs]
    aligned = True
    for _, ch, pad in flat:
        if pad:
            for lo, hi, c in _split(n, parts, cost_of):
                t = _Traffic()
                for b in bufs:
                    t.pixels(b, lo, hi)
                out.append((c, t))
            return out
        aligned = aligned and ch % 4 == 0
    # a part's run starts at addr + lo * ch: with every ch a multiple of 4, at addr modulo 4 in
    # every part, so its traffic depends on the part's size alone (at most two sizes): the parts
    # of one size share one (read-only) _Traffic
    sized = {}
    for lo, hi, c in _split(n, parts, cost_of):
        share = sized.get(hi - lo) if aligned else None
        if share is None:
            words = runs = 0
            if hi > lo:
                for addr, ch, _ in flat:
                    a, nb = addr + lo * ch, (hi - lo) * ch
                    if nb > 0:
                        words += (a + nb + 3) // 4 - a // 4
                        runs += 1
            share = sized[hi - lo] = (c, _Traffic(words, runs))
        out.append(share)
    return out


def _sw_residual(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    x_buf = args["x_buf"]
    c = x_buf.shape[-1]
    return _pixel_shares((x_buf, args["p_buf"], args["y_buf"]), _pixels(x_buf), parts,
                         lambda n: cost.residual(n * c))


def _sw_add_partials(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    dst, bufs = args["dst"], args["parts"]
    c, k = dst.shape[-1], len(bufs)
    return _pixel_shares((*bufs, dst), _pixels(dst), parts, lambda n: cost.add_partials(n * c, k))


def _sw_concat(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    """Pixels split; each operand's run of a pixel is copied."""
    dst, srcs = args["dst"], args["srcs"]
    c, k = dst.shape[-1], len(srcs)
    return _pixel_shares((*srcs, dst), _pixels(dst), parts, lambda n: cost.concat(n * c, n * k))


def _row_words(r: int, nbytes: int, step: int, runs: int) -> int:
    """Distinct words of ``runs`` runs of ``nbytes`` (>= 1) bytes from ``r + x * step`` (``x = 0 ..
    runs - 1``, ``r`` in 0..3), each run overlapping at most the one before it (ascending starts
    of one length): their words less those overlaps. A run's words and its overlap with the next
    depend on its start modulo 4 alone, ``(r + x * step) % 4``, a function of ``x`` modulo 4: each
    is counted once per residue class of ``x``."""
    if runs <= 0:
        return 0
    words = 0
    for j in range(4):
        e = (r + j * step) % 4
        last = (e + nbytes - 1) // 4
        words += (runs - j + 3) // 4 * (last + 1)                      # x = j mod 4 in 0..runs-1
        words -= (runs - j + 2) // 4 * max(0, last - (e + step) // 4 + 1)     # in 0..runs-2
    return words


def _sw_avgpool(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    """load_strided: the distinct words of each input row's runs, a run per row. The runs of a
    row have one length and ascending starts, so each can overlap only the one before it: the
    union is their words less those overlaps (:func:`_row_words`), and a row's count depends on
    its start modulo 4 alone, a function of the row modulo 4."""
    src, dst, k = args["src"], args["dst"], args["k"]
    ho, wo, ch = dst.shape
    cs = src.shape[2]
    pitch = src.padded_shape[1] * cs
    rows, cols = ho * k, wo * k
    out, seen = [], {}
    for c0, c1, c in _split(ch, parts, lambda n: cost.avgpool(ho * k * wo * k * n, ho * wo * n)):
        t = _Traffic()
        if c1 > c0:
            base = (src.interior_addr + c0) % 4
            words = seen.get((base, c1 - c0))
            if words is None:                   # a function of the start modulo 4 and the width
                words = seen[base, c1 - c0] = sum(
                    (rows - j + 3) // 4 * _row_words((base + j * pitch) % 4, c1 - c0, cs, cols)
                    for j in range(4))
            t.words, t.runs = words, rows
            t.pixel_slices(dst, c0, c1, ho, wo)
        out.append((c, t))
    return out


def _sw_maxpool(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    """Output rows split; a core loads the rows its windows cover."""
    src, dst, k, stride, pad = (args[n] for n in ("src", "dst", "k", "stride", "pad"))
    h, w, _ = src.shape
    ho, wo, ch = dst.shape
    out = []
    for r0, r1, c in _split(ho, parts, lambda n: cost.maxpool(n * wo * ch, k)):
        t = _Traffic()
        if r1 > r0:
            y0, y1 = max(0, r0 * stride - pad), min(h, (r1 - 1) * stride - pad + k)
            t.pixels(src, y0 * w, y1 * w)
            t.pixels(dst, r0 * wo, r1 * wo)
        out.append((c, t))
    return out


def _sw_zero_ring(args, cost: SwCost, parts: int) -> list[tuple[int, _Traffic]]:
    """The ring's runs (:func:`sim_models.mapping.ring_runs`: the top rows with the first left
    pad, ``H - 1`` runs of a right and the next left pad, the last right pad with the bottom
    rows) split over the cores, counted in closed form: the ``H - 1`` middle runs have one length
    and starts ``pitch`` apart, so a run's words depend on its row modulo 4 alone and each part
    counts its middle runs per residue class of the row."""
    buf = args["buf"]
    hp, wp, c = buf.padded_shape
    p, h = buf.pad, buf.shape[0]
    if not p:
        return [(cost.zero_fill(0, 0), _Traffic()) for _ in range(parts)]
    pitch = wp * c
    edge = (p * wp + p) * c                     # the first and the last run's bytes
    mid = 2 * p * c                             # every other run's
    first = buf.addr + p * pitch + (wp - p) * c     # the first right pad's address
    last = first + (h - 1) * pitch
    mid_words = [((first + j * pitch) % 4 + mid + 3) // 4 if mid > 0 else 0 for j in range(4)]
    one = mid_words[0] if pitch % 4 == 0 else None      # every middle run's words alike
    top = (buf.addr + edge + 3) // 4 - buf.addr // 4 if edge > 0 else 0
    bottom = (last + edge + 3) // 4 - last // 4 if edge > 0 else 0
    out, sized = [], {}
    for r0, r1, _ in _split(h + 1, parts, lambda n: 0):
        middle = r0 > 0 and r1 <= h             # neither the top nor the bottom rows
        if middle and one is not None:          # then alike for one size: shared, read-only
            share = sized.get(r1 - r0)
            if share is not None:
                out.append(share)
                continue
        nbytes = nwords = runs = 0
        if r0 == 0 < r1:                        # the top rows
            nbytes, nwords, runs = edge, top, int(edge > 0)
        if r0 <= h < r1 and h:                  # the bottom rows
            nbytes += edge
            nwords += bottom
            runs += edge > 0
        y0, y1 = max(r0, 1) - 1, min(r1, h) - 1  # the middle runs' rows y0..y1-1
        if y1 > y0:
            nbytes += (y1 - y0) * mid
            runs += (y1 - y0) * (mid > 0)
            if one is not None:
                nwords += (y1 - y0) * one
            else:
                nwords += sum(((y1 - j + 3) // 4 - (y0 - j + 3) // 4) * mid_words[j] for j in range(4))
        share = (cost.zero_fill(nbytes, r1 - r0), _Traffic(nwords, runs))
        if middle and one is not None:
            sized[r1 - r0] = share
        out.append(share)
    return out


#: The shares of each software kernel: ``(args, cost, parts) -> [(cycles, traffic)]``
#: (:func:`_sw_shares`).
_SW_KINDS = {"sw_pointwise": _sw_pointwise, "sw_conv": _sw_conv, "sw_fc": _sw_fc,
             "sw_hwc_to_chw": _sw_hwc_to_chw, "sw_depthwise_chw": _sw_depthwise_chw,
             "sw_residual": _sw_residual, "sw_add_partials": _sw_add_partials,
             "sw_avgpool": _sw_avgpool, "sw_maxpool": _sw_maxpool, "sw_concat": _sw_concat,
             "sw_zero_ring": _sw_zero_ring}


def _sw_shares(kind: str, args: dict[str, Any], cost: SwCost, parts: int
               ) -> list[tuple[int, _Traffic]]:
    """``[(cost cycles, traffic)]`` of each of ``parts`` cores for a software phase: the split,
    cost and loads / stores of the kernels of :mod:`tb.bfm.kernels`."""
    try:
        fn = _SW_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown software phase kind {kind!r}") from None
    return fn(args, cost, parts)


def _buffer_key(buf: Buffer) -> tuple:
    """What a buffer contributes to a software phase's cost and traffic: its shape, padding,
    dtype and address modulo 4."""
    return ("buf", buf.shape, buf.pad, buf.addr % 4, buf.dtype)


def _args_key(args: dict[str, Any]) -> tuple:
    """What a software phase's cost and traffic depend on: its buffers' shapes, padding, dtype and
    addresses modulo 4 (each buffer's :func:`_buffer_key` numbered once per buffer object,
    :func:`_token`: a ``Buffer`` is a frozen dataclass of a string, integers and a tuple), its
    other addresses modulo 4, its integer parameters (not the ADC): the names and their keys,
    flat, in the dict's order (two phases that list their arguments in another order get two
    keys: a memo entry more, never a wrong one)."""
    key = []
    for name, v in args.items():
        if isinstance(v, Buffer):
            found = _TOKENS.get(id(v))
            key += (name, found[1] if found is not None and found[0] is v else _token(v, _buffer_key))
        elif isinstance(v, (list, tuple)) and v and isinstance(v[0], Buffer):
            key += (name, tuple(_token(b, _buffer_key) for b in v))
        elif name != "adc":
            key += (name, v % 4 if name.endswith("addr") else v)
    return tuple(key)


#: Cycles a core's run of loads or stores adds to its words (one issued per cycle): a run of N
#: words presents its requests in N cycles, the last response comes in the cycle after the last
#: grant, and the core's next run presents its first request in the cycle after that response
#: (tb/bfm/engine.py's timing rule, the same as tb/bfm/tcdm.py's), so a run spans N + 1 cycles.
#: Measured on the RTL (the loose coupling point T=4, docs/fastmodel.md "Bank contention"): the
#: fc's uncontended core moves 641 words in 3 runs in 645 cycles (644 + 1 staircase stall); it was
#: 2 before, which counted the response cycle twice.
RUN_LATENCY = 1


def _sw_phase(ph: Phase, run: _Run) -> PhaseEstimate:
    """A software kernel on ``run.cores`` cores: each core lasts ``max(cost, access time)`` (the
    BFM pads a kernel to its cost, :meth:`tb.bfm.core.Core.kernel_time`), the phase as long as
    the slowest core, then the barrier. Access time: one word per cycle, :data:`RUN_LATENCY` per
    run, and the bank-conflict stalls of the contention approximation (module docstring)."""
    cores, banks = run.cores, run.cfg.banks
    key = ("sw", ph.kind, _args_key(ph.args), run.cost_key, cores, banks)
    found = _MEMO.get(key)
    if found is None:
        found = _memo(key, lambda: _sw_busy(_sw_shares(ph.kind, ph.args, run.cost, cores), banks))
    busy, active, stalls, words = found
    cycles = (busy[0] if cores == 1 else max(busy)) + run.barrier
    n_cores = run.n_cores
    if run.dwa:
        values = (cycles, cycles * run.imas, 0, 0, cycles, active, n_cores * cycles - active,
                  words) + _IMA_ZEROS
        n = 8
    else:
        values = (cycles, cycles * run.imas, active, n_cores * cycles - active, words) + _IMA_ZEROS
        n = 5
    return _phase_of(ph.name, ph.kind, cycles, run.order, n, values, (), (), (),
                     busy + (0,) * (n_cores - cores) if n_cores > cores else busy, stalls)


def _sw_busy(shares: list[tuple[int, _Traffic]], banks: int) -> tuple[tuple[int, ...], int, int, int]:
    """``(busy cycles of each core, their sum, stall cycles, words)`` of a software phase's
    ``shares`` (:func:`_sw_shares`) on a TCDM of ``banks`` banks (:func:`_sw_phase`): a core's
    stalls are ``ceil(runs (k - 1) / banks + shared runs (k - 1) / 2)`` for ``k`` cores that move
    words (module docstring), its busy cycles ``max(cost, words + RUN_LATENCY x runs + stalls)``."""
    k1 = -1
    for _, t in shares:
        if t.words:
            k1 += 1
    busy = []
    stalls = words = 0
    last = last_sig = None
    for share in shares:
        c, t = share
        if share is not last:                   # the kernels share one pair between alike parts
            last = share
            sig = (c, t.words, t.runs, t.shared_runs)
            if sig != last_sig:                 # and the parts of one size are often alike
                last_sig = sig
                st = math.ceil(t.runs * k1 / banks + t.shared_runs * k1 / 2) if k1 > 0 else 0
                b = max(c, t.words + RUN_LATENCY * (t.runs + t.shared_runs) + st)
        busy.append(b)
        stalls += st
        words += t.words
    return tuple(busy), sum(busy), stalls, words


#: The estimate of a phase of each kind: the accelerators' and every software kernel of
#: :data:`_SW_KINDS` (:func:`_sw_phase`; another ``sw_*`` kind goes there too, which refuses it).
_PHASE_KINDS = {"ima": _ima_phase, "dwa": _dwa_phase, **dict.fromkeys(_SW_KINDS, _sw_phase)}


def estimate_phases(phases: Sequence[Phase], cfg, *, overheads: Overheads = RTL_OVERHEADS,
                    cost: SwCost | None = None, cores: int | None = None) -> list[PhaseEstimate]:
    """The estimate of every phase of ``phases`` on the cluster ``cfg``; software kernels split
    over ``cores`` (default ``cfg.n_cores``) and costed by ``cost`` (default the preset's
    ``cfg.sw_cost``). ``ValueError`` on an unknown phase kind or a bad ``cores``."""
    cores = cfg.n_cores if cores is None else cores
    if isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= cfg.n_cores:
        raise ValueError(f"cores must be an integer in 1..{cfg.n_cores}, not {cores!r}")
    cost = sw_cost(cfg.sw_cost) if cost is None else cost
    return _estimate_phases(phases, _Run(cfg, overheads, cost, cores))


def _estimate_phases(phases: Sequence[Phase], run: _Run) -> list[PhaseEstimate]:
    out = []
    for ph in phases:
        fn = _PHASE_KINDS.get(ph.kind)
        if fn is None:
            if not ph.kind.startswith("sw_"):
                raise ValueError(f"phase {ph.name}: unknown kind {ph.kind!r}")
            fn = _sw_phase
        out.append(fn(ph, run))
    return out


@functools.lru_cache(maxsize=64)
def _energy_coefficients(clock_hz: float, n_cores: int, dwa: bool, imas: int = 1) -> dict[str, float]:
    """uJ per unit of each event key (``cycles``: the static energy of one cycle, ``imas``
    analog cores included), from :func:`sim_models.energy.energy_report` itself on one-event runs
    of one cycle: the report is linear in the events, so ``sum(events[k] * coefficient[k])`` is
    its ``total_uj``."""
    base_ev: dict[str, float] = {"cycles": 1}
    if dwa:
        base_ev.update(dwa_busy_cycles=0, dwa_mac_cycles=0, dwa_idle_cycles=0)
    base = energy_report(base_ev, clock_hz=clock_hz, n_cores=n_cores, imas=imas)["total_uj"]
    coef = {"cycles": base}
    # keys whose unit run needs another key (an MVM's window needs the MVM, MAC cycles busy ones)
    needs = {"mvm_cells": "mvm_count", "dac_conversions": "mvm_count",
             "adc_conversions": "mvm_count", "dwa_mac_cycles": "dwa_busy_cycles"}
    for k in sorted(EVENT_KEYS, key=lambda k: k in needs):
        if k == "cycles" or (k.startswith("dwa_") and not dwa):
            continue
        ev = {**base_ev, k: 1}
        if k in needs:
            ev[needs[k]] = 1
        e = energy_report(ev, clock_hz=clock_hz, n_cores=n_cores, imas=imas)["total_uj"] - base
        coef[k] = e - (coef[needs[k]] if k in needs else 0.0)
    return coef


def _energy_uj(ev: dict[str, float], cfg) -> float:
    """``energy_report(ev)["total_uj"]`` through the memoised coefficients (fast)."""
    coef = _energy_coefficients(cfg.ima.clock_hz, cfg.n_cores, bool(cfg.dwa), _imas(cfg))
    return sum(v * coef[k] for k, v in ev.items())


@functools.lru_cache(maxsize=64)
def _energy_vector(clock_hz: float, n_cores: int, dwa: bool, imas: int = 1) -> tuple[float, ...]:
    """:func:`_energy_coefficients` in the order of :data:`_EVENT_ORDER` ``[dwa]``: the energy of
    an event vector is their dot product, summed in that order (as :func:`_energy_uj` sums a dict
    of the same keys in the same order: the same float)."""
    coef = _energy_coefficients(clock_hz, n_cores, dwa, imas)
    return tuple(coef[k] for k in _EVENT_ORDER[dwa])


def _sum_vectors(est: Sequence[PhaseEstimate]) -> tuple[tuple[str, ...], int, list]:
    """The key-wise sum of the events of ``est`` (phases of one layer) as ``(order, n, sums)``:
    the keys are ``order[:n]``, ``sums`` their values (zeros after ``n``). Phases that share one
    order (:data:`_EVENT_ORDER`) are added as vectors, column by column; any other mix through
    their dicts (:func:`_sum_events`). Both are the dict sum's: integer counts, the same keys in
    the same order of first appearance."""
    first = est[0]
    order, n, vec = first._order, first._n, first._values
    for p in est[1:]:
        if p._order is not order:
            ev = _sum_events(p.events for p in est)
            return tuple(ev), len(ev), list(ev.values())
        vec = list(map(operator.add, vec, p._values))       # one length: the order's
        if p._n > n:
            n = p._n
    return order, n, vec


def _events_of(est: Sequence[PhaseEstimate]) -> dict[str, float]:
    """The key-wise sum of the events of ``est`` as a dict (:func:`_sum_vectors`; ``{}`` for no
    phases)."""
    if not est:
        return {}
    order, n, vec = _sum_vectors(est)
    return dict(zip(order[:n], vec, strict=False))


def _sum_events(items: Iterable[dict[str, float]]) -> dict[str, float]:
    """The key-wise sum of event dicts (keys in order of first appearance; the counts are
    non-negative integers, so the first dict's values are taken as they are)."""
    ev: dict[str, float] = {}
    for e in items:
        if not ev:
            ev.update(e)
            continue
        for k, v in e.items():
            ev[k] = ev[k] + v if k in ev else v
    return ev


# ---------------------------------------------------------------------------------------- layer
def _alloc() -> TcdmAllocator:
    """An allocator large enough for any layer (addresses only set the runs' alignment)."""
    return TcdmAllocator(1 << 40)


def _xbar_pieces(layer: Layer, rows: int) -> list[tuple[int, int]]:
    """Row pieces of a crossbar layer on ``rows``-row arrays: ``[(c0, c1)]`` of input channels
    (1x1 / fc: rows are channels; KxK: whole kernels of ``floor(rows / K^2)`` channels)."""
    cin = layer.in_shape[2] if layer.kind != "fc" else int(np.prod(layer.in_shape))
    per = rows if layer.kind != "conv" or layer.kernel == 1 else rows // (layer.kernel ** 2)
    if per < 1:
        raise ValueError(f"layer {layer.name}: a {layer.kernel}x{layer.kernel} kernel does not fit "
                         f"a {rows}-row array")
    return [(c0, min(cin, c0 + per)) for c0 in range(0, cin, per)]


def layer_phases(layer: Layer, engine: str, cfg) -> list[Phase]:
    """The phases ``layer`` needs on ``engine`` (``"ima"``, ``"dwa"``, ``"sw"``), with buffers of
    a private allocator: what :func:`layer_cost` estimates.

    * ``ima`` (conv / pointwise / fc): column tiles of at most ``cfg.ima.cols`` columns (one
      ``LayerJob`` each) and, when the weight rows exceed ``cfg.ima.rows``, row pieces (1x1 and
      fc: ``rows`` input channels each, as the compiler cuts them; a KxK conv: groups of
      ``floor(rows / K^2)`` input channels -- an estimate, the compiler refuses row-split KxK
      convs) whose int8 partials the cores add (``sw_add_partials``).
    * ``dwa``: a 3x3 depth-wise layer as one ``DwJob``.
    * ``sw``: the kernels of the cores (conv / pointwise / fc through the im2col / matmul kernels,
      depth-wise through HWC->CHW and the CHW kernel, add, avgpool).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    kind, name = layer.kind, layer.name
    alloc = _alloc()
    h, w, cin = layer.in_shape
    adc = tuple(layer.adc) if layer.adc is not None else (1, 0, 0, 255)
    if engine == "ima":
        if kind not in ("conv", "pointwise", "fc"):
            raise ValueError(f"layer {name}: a {kind} layer cannot run on the IMA (engine 'ima')")
        rows, cols = int(cfg.ima.rows), int(cfg.ima.cols)
        cout = layer.out_shape[2]
        k = layer.kernel if kind == "conv" else 1
        pieces = _xbar_pieces(layer, rows)
        tiles = [ColumnTile(0, 0, 0, c0, min(cols, cout - c0)) for c0 in range(0, cout, cols)]
        split = len(pieces) > 1
        out_dtype = "uint8" if adc[2] >= 0 else "int8"
        phases = []
        if kind == "fc":
            src = alloc.alloc("x", (int(np.prod(layer.in_shape)),))
            dst = alloc.alloc("y", (cout,), out_dtype)
        else:
            pad = layer.pad if kind == "conv" else 0
            src = alloc.alloc("x", (h, w, cin), pad=pad)
            dst = alloc.alloc("y", tuple(layer.out_shape), out_dtype)
        partials = []
        for t, (c0, c1) in enumerate(pieces):
            out = alloc.alloc(f"p{t}", dst.shape, "int8") if split else dst
            partials.append(out)
            padc = (1, 0, -128, 127) if split else adc
            if kind == "fc":
                wt = np.zeros((cout, src.nbytes), dtype=np.int8)
                lm = map_fc(src.nbytes, wt, padc, src=src, dst=out, tiles=tiles, name=name,
                            in_slice=(c0, c1) if split else None)
            elif k == 1:
                wt = np.zeros((cout, 1, 1, cin), dtype=np.int8)
                lm = map_conv((h, w, cin), wt, padc, stride=layer.stride, pad=0, src=src, dst=out,
                              tiles=tiles, name=name, in_slice=(c0, c1) if split else None)
            else:                                   # KxK: a conv over the piece's channels
                piece_src = src if not split else Buffer("x", src.addr, (h, w, c1 - c0), "uint8", src.pad)
                wt = np.zeros((cout, k, k, c1 - c0), dtype=np.int8)
                lm = map_conv((h, w, c1 - c0), wt, padc, stride=layer.stride, pad=layer.pad,
                              src=piece_src, dst=out, tiles=tiles, name=name)
            phases.append(Phase(f"{name}.r{t}" if split else name, "ima", {"layer": lm}))
        if split:
            if kind == "fc":        # the cores' kernel reads HWC: an fc's output is one pixel
                partials = [Buffer(b.name, b.addr, (1, 1, cout), b.dtype) for b in partials]
                dst = Buffer(dst.name, dst.addr, (1, 1, cout), dst.dtype)
            phases.append(Phase(f"{name}.sum", "sw_add_partials", {"parts": partials, "dst": dst,
                                                                   "adc": adc}))
        return phases
    if engine == "dwa":
        if kind != "depthwise" or layer.kernel != KERNEL:
            raise ValueError(f"layer {name}: the depth-wise accelerator runs 3x3 depth-wise layers, "
                             f"not a {layer.kernel}x{layer.kernel} {kind}")
        wt = np.zeros((cin, KERNEL, KERNEL), dtype=np.int8)
        dl = map_depthwise_dwa((h, w, cin), wt, adc, stride=layer.stride, pad=layer.pad,
                               alloc=alloc, name=name)
        return [Phase(name, "dwa", {"job": dl.job})]
    # software on the cores
    if kind in ("conv", "pointwise"):
        k = layer.kernel if kind == "conv" else 1
        pad = layer.pad if kind == "conv" else 0
        src = alloc.alloc("x", (h, w, cin), pad=pad)
        dst = alloc.alloc("y", tuple(layer.out_shape))
        wb = alloc.alloc("w", (layer.n_params,), "int8")
        if kind == "pointwise" and layer.stride == 1:
            return [Phase(name, "sw_pointwise", dict(src=src, w_buf=wb, dst=dst, adc=adc))]
        return [Phase(name, "sw_conv", dict(src=src, w_buf=wb, dst=dst, adc=adc, k=k, stride=layer.stride))]
    if kind == "fc":
        src = alloc.alloc("x", (int(np.prod(layer.in_shape)),))
        dst = alloc.alloc("y", (layer.out_shape[2],))
        wb = alloc.alloc("w", (layer.n_params,), "int8")
        return [Phase(name, "sw_fc", dict(src=src, w_buf=wb, dst=dst, adc=adc))]
    if kind == "depthwise":
        k = layer.kernel
        src = alloc.alloc("x", (h, w, cin), pad=layer.pad)
        chw = alloc.alloc("chw", src.padded_shape)
        dst = alloc.alloc("y", tuple(layer.out_shape))
        wb = alloc.alloc("w", (layer.n_params,), "int8")
        return [Phase(f"{name}.hwc2chw", "sw_hwc_to_chw", dict(src=src, dst_addr=chw.addr)),
                Phase(name, "sw_depthwise_chw", dict(chw_addr=chw.addr, padded_shape=src.padded_shape,
                                                     w_buf=wb, dst=dst, adc=adc, k=k, stride=layer.stride))]
    if kind == "add":
        x = alloc.alloc("x", (h, w, cin))
        p = alloc.alloc("p", (h, w, cin), "int8")
        y = alloc.alloc("y", tuple(layer.out_shape))
        return [Phase(name, "sw_residual", dict(x_buf=x, p_buf=p, y_buf=y))]
    if kind == "avgpool":
        src = alloc.alloc("x", (h, w, cin))
        dst = alloc.alloc("y", tuple(layer.out_shape))
        return [Phase(name, "sw_avgpool", dict(src=src, dst=dst, k=layer.kernel, adc=adc))]
    if kind == "maxpool":
        src = alloc.alloc("x", (h, w, cin))
        dst = alloc.alloc("y", tuple(layer.out_shape))
        return [Phase(name, "sw_maxpool", dict(src=src, dst=dst, k=layer.kernel, stride=layer.stride,
                                               pad=layer.pad))]
    raise ValueError(f"layer {name}: no software kernel for a {kind!r} layer")


def dynamic_pj(ev: dict[str, float], params: EnergyParams | None = None) -> float:
    """Dynamic energy (pJ) of the busy units of the events ``ev`` (keys of
    :data:`sim_models.energy.EVENT_KEYS`): idle cores, idle accelerators and static power left
    out, as in :class:`LayerCost` (the caller's schedule accounts for them; :func:`static_pj`).
    ``params``: default :class:`sim_models.energy.EnergyParams`."""
    params = EnergyParams() if params is None else params
    busy = {k: v for k, v in ev.items() if not k.endswith("idle_cycles")}
    busy.update(core_idle_cycles=0, ima_idle_cycles=0)
    if "dwa_idle_cycles" in ev:
        busy["dwa_idle_cycles"] = 0
    # no bound on the units (any number of cores and IMAs); the static parts are dropped below
    rep = energy_report(busy, params, clock_hz=1.0, n_cores=10**9, imas=10**9)
    return sum(v for k, v in rep["breakdown_uj"].items()
               if k not in ("tcdm_leakage", "logic_leakage", "ima_analog_static")) * 1e6


def static_pj(cycles: int, cfg, params: EnergyParams | None = None, *, imas: int | None = None) -> float:
    """Static energy (pJ) of the cluster over ``cycles`` at ``cfg.ima.clock_hz`` (leakage and the
    analog cores' standing power, one per IMA: ``imas``, default ``cfg.imas``, as
    :func:`sim_models.energy.energy_report` counts them); what :class:`LayerCost` leaves to the
    caller's schedule."""
    params = EnergyParams() if params is None else params
    imas = _imas(cfg) if imas is None else imas
    if isinstance(imas, bool) or not isinstance(imas, int) or imas < 1:
        raise ValueError(f"imas must be an integer >= 1, not {imas!r}")
    t = cycles / cfg.ima.clock_hz
    return (params.tcdm_leakage_mw + params.logic_leakage_mw + imas * params.ima_analog_static_mw
            ) * 1e-3 * t * 1e12


def layer_cost(layer: Layer, engine: str, cfg, cores: int = 8, *,
               overheads: Overheads = RTL_OVERHEADS, cost: SwCost | None = None) -> LayerCost:
    """Cycles and dynamic energy of ``layer`` (a :class:`sim_models.graph.Layer`) on ``engine``.

    Parameters
    ----------
    layer : Layer
        Only its kind and shapes matter (the weights' values do not change the schedule).
    engine : "ima", "dwa" or "sw"
        The IMA's crossbars (conv / pointwise / fc; column tiles and row pieces as needed,
        :func:`layer_phases`), the depth-wise accelerator (3x3 depth-wise), or software on the
        cores (every kind).
    cfg : hw.config.ClusterConfig (duck-typed, see the module docstring)
    cores : int
        Cores a software kernel is split over, ``1..cfg.n_cores`` (the row-piece sums of an IMA
        layer too); ignored otherwise.
    overheads, cost
        Control overheads (default the RTL's) and the software cost set (default the preset's).

    Independent of TCDM addresses: the layer's buffers come from a private allocator (4-byte
    aligned, as the compiler's), so only alignment inside the runs matters.
    ``ValueError`` names a bad engine, a kind the engine cannot run, or a bad ``cores``.
    """
    if isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= cfg.n_cores:
        raise ValueError(f"cores must be an integer in 1..{cfg.n_cores}, not {cores!r}")
    key = ("layer", layer.kind, tuple(layer.in_shape), tuple(layer.out_shape), layer.kernel,
           layer.stride, layer.pad, engine, cfg, cores, overheads, cost)
    try:
        hash(key)
    except TypeError:                   # a duck-typed cfg that is not hashable: no memo
        return _layer_cost(layer, engine, cfg, cores, overheads, cost)
    return _memo(key, lambda: _layer_cost(layer, engine, cfg, cores, overheads, cost))


def _layer_cost(layer, engine, cfg, cores, overheads, cost) -> LayerCost:
    phases = layer_phases(layer, engine, cfg)
    est = estimate_phases(phases, cfg, overheads=overheads, cost=cost, cores=cores)
    ev = _events_of(est)
    cyc = int(sum(p.cycles for p in est))
    return LayerCost(cycles=cyc, energy_pj=dynamic_pj(ev), macs=int(layer.macs),
                     engine=engine, cores=cores if engine == "sw" else 1,
                     phases=MappingProxyType({p.name: p.cycles for p in est}))


# ---------------------------------------------------------------------------------------- program
def estimate_program(program, cfg, *, overheads: Overheads = RTL_OVERHEADS,
                     cost: SwCost | None = None) -> NetEstimate:
    """The estimate of a compiled network (:class:`sim_models.compiler.NetProgram`) on ``cfg``
    (built with the program's arrays and TCDM): the per-layer and total fields of ``ima-sim net
    --json`` (no ``passed``: nothing is checked), each layer's energy from its own events, the
    total's from the whole run's."""
    clock = cfg.ima.clock_hz
    cost = sw_cost(cfg.sw_cost) if cost is None else cost
    run = _Run(cfg, overheads, cost, cfg.n_cores)
    full = run.order
    coef_full = _energy_vector(clock, run.n_cores, run.dwa, run.imas)
    layers, steps, sums = [], [], []
    for step in program.steps:
        est = _estimate_phases(step.phases, run)
        steps.append(est)
        if len(est) == 1:                   # _sum_vectors of one phase, without the call
            p = est[0]
            order, n, vec = p._order, p._n, p._values
        else:
            order, n, vec = _sum_vectors(est)
        sums.append((order, n, vec))
        cyc = int(vec[0])                   # every phase's first key is "cycles"
        if order is full:
            energy = sum(map(operator.mul, vec[:n], coef_full))
        else:
            energy = _energy_uj(dict(zip(order[:n], vec, strict=False)), cfg)
        if len(est) == 1:
            phases = {est[0].name: est[0].cycles}
        else:
            phases = {}
            for p in est:
                phases[p.name] = phases.get(p.name, 0) + p.cycles
        layers.append({"name": step.layer, "kind": step.kind, "unit": step.unit, "macs": int(step.macs),
                       "cycles": cyc, "time_ms": cyc / clock * 1e3, "energy_uj": energy,
                       "phases": phases})
    # integer counts: the same sums as over every phase
    if sums and all(order is full for order, _, _ in sums):
        n = max(n for _, n, _ in sums)
        ev = dict(zip(full[:n], map(sum, zip(*[vec for _, _, vec in sums], strict=True)), strict=False))
    else:
        ev = _sum_events(dict(zip(order[:n], vec, strict=False)) for order, n, vec in sums)
    cyc = int(ev.get("cycles", 0))
    rep = (energy_report(ev, clock_hz=clock, n_cores=cfg.n_cores, imas=_imas(cfg)) if cyc
           else {"total_uj": 0.0, "breakdown_uj": {}})
    lat = cyc / clock * 1e3
    total = {"cycles": cyc, "latency_ms": lat, "energy_uj": rep["total_uj"],
             "inf_per_s": 1e3 / lat if lat else 0.0, "arrays": program.arrays,
             "macs": int(sum(s.macs for s in program.steps)), "tcdm_bytes": program.tcdm_bytes,
             "clock_hz": clock, "events": ev, "energy_breakdown_uj": rep["breakdown_uj"]}
    return NetEstimate(layers, total, steps)


def estimate_workload(workload, cfg, *, overheads: Overheads = RTL_OVERHEADS,
                      cost: SwCost | None = None) -> dict[str, Any]:
    """The estimate of an ``ima-sim run`` workload (:func:`sim_models.workloads.prepare`) on
    ``cfg``, with the fields of the RTL run's result that ``ima-sim run --json`` builds its report
    from: ``cycles``, ``phases`` (cycles per phase name), ``ima`` (``jobs, streamin, compute,
    streamout``), ``dwa`` (``jobs, cycles, mac_cycles, stalled``; ``{}`` without the DWA),
    ``energy_events``, ``tcdm_stalled`` (the contention approximation's stall cycles), ``mvms``;
    ``checks`` is empty and ``passed`` None (the model computes no data). With ``cfg.imas`` = K
    > 1 also ``ima_each`` and ``mvms_each`` (IMA k's counters and MVMs, k = 0..K-1; ``ima`` and
    ``mvms`` are their sums), as the RTL run reports them."""
    est = estimate_phases(workload.phases, cfg, overheads=overheads, cost=cost)
    ev = _events_of(est)
    phases: dict[str, int] = {}
    for p in est:
        phases[p.name] = phases.get(p.name, 0) + p.cycles
    ima = dict(jobs=0, streamin=0, compute=0, streamout=0)
    dwa = dict(cycles=0, mac_cycles=0, stalled=0, jobs=0) if cfg.dwa else {}
    for p in est:
        for k, v in p.ima.items():
            ima[k] += v
        for k, v in p.dwa.items():
            dwa[k] += v
    res = {"passed": None, "checks": {}, "cycles": int(ev["cycles"]), "phases": phases, "ima": ima,
           "dwa": dwa, "energy_events": ev, "tcdm_stalled": int(sum(p.stalls for p in est)),
           "tcdm_masters": None,       # grants / stalls per master: measured on the RTL, not modelled
           "mvms": int(ev.get("mvm_count", 0))}
    if _imas(cfg) > 1:
        each = [dict(streamin=0, compute=0, streamout=0, jobs=0, mvms=0) for _ in range(_imas(cfg))]
        for p in est:
            for k, d in p.ima_each.items():
                for key, v in d.items():
                    each[k][key] += v
        mvms = [d.pop("mvms") for d in each]
        res.update(ima_each=each, mvms_each=mvms)
    return res
