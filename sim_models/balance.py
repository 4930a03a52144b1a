"""Coupling of the analog tiles and load balancing over the cores: a deterministic event-driven
scheduler over a fast model's per-layer costs (Klein et al., IEEE TPDS 35(10) 2024; our
definitions in ``shared/papers/tpds2024-notes.md``).

**Work.** A network runs ``images`` inferences. Each (image, layer) *instance* starts when the
instances of its input layers (same image) have finished. A layer's work is cut into *portions*:
one per tile bin its units are placed on (the IMA does the placed output channels; with tight
coupling the bin is a core) and one for the rest in software; the shares are the placed units'
column fractions (:class:`sim_models.coverage.Placement`). A portion is cut into *chunks* of the
layer's work units (output rows; output channels for a layer with one output row, e.g. an fc).
Costs are linear in the share: a chunk of share ``s`` of a layer costs ``s *`` the layer's cost,
with

* software: ``layer_cost(layer, "sw", cfg, cores).cycles * cores`` core-cycles for the whole
  layer (the fast model's ``cores``-core run, so its bank-contention estimate is inside),
* IMA: ``layer_cost(layer, "ima", cfg, 1)`` cycles on one IMA, driven by one core (which sleeps
  on the end-of-job event meanwhile; its configuration and partial-sum work are inside the cost).

**Coupling.** ``"tight"``: core k owns an IMA with its private tiles; only core k offloads the
portions on its tiles. ``"loose"``: one IMA holds every tile; any core offloads to it and the
HWPE serialises the jobs (first come, first served): a core waits for its job, queueing included.

**Balancing.**

``"static"``    every software portion split into ``cores`` equal shares of its work units (core
                k the k-th, so 7 rows on 8 cores leave one idle), the portion lasting the layer's
                all-core run in the fast model (``LayerWork.sw_cycles``: the kernels' own split,
                which is this one or by pixels / channels); an IMA portion goes whole to its
                owner (loose: core 0) -- what the RTL's HAL does (core 0 offloads every job of a
                layer): split over the cores it would pay one job's control per chunk for
                nothing, the IMA serialising them anyway. A barrier after every instance;
                images one after another. (Checked on the RTL: tb/cli/coupling_rtl.py.)
``"layer"``     every portion of a layer to one core, the same for all images: an IMA portion
                under tight coupling to its owner, the rest by longest-processing-time-first onto
                the least loaded core (loads counted over the whole network). Instances of later
                images overlap earlier ones where dependencies allow (a pipeline over images).
``"steal"``     dynamic work stealing: no pinning; chunks of ``chunks_per_core * cores`` per
                portion. An idle core takes the first ready chunk (image, then layer order). On an
                IMA portion a core that may offload does so unless software would finish this chunk
                sooner (the IMA's queue is long); otherwise -- or when it may not offload (another
                core's tiles) -- it steals the portion's *last* chunk into software if it would
                finish it before the IMA would reach it (the IMA's backlog plus the chunks ahead),
                else it looks at the next ready instance. Idle cores wait for the next event.

Ties: the core with the lowest index acts first; everything is ordered, nothing random.

**Energy**: the sum of the chunks' energies (their share of the layer costs' dynamic
``energy_pj``), plus the cores' idle (clock-gated) cycles outside any chunk at
:attr:`sim_models.energy.EnergyParams.core_idle_pj`, plus static power over the makespan
(``static_pj_per_cycle``, the fast model's :func:`sim_models.fastmodel.static_pj` of the
point's cluster: one analog core per IMA), plus every IMA's idle (clock-gated) cycles -- ``imas``
IMAs over the makespan less their busy cycles -- at ``ima_idle_pj``
(:attr:`sim_models.energy.EnergyParams.ima_idle_pj` in the study): what
:func:`sim_models.energy.energy_report` counts with ``imas`` IMAs on the RTL.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim_models.coverage import COUPLINGS, Placement
from sim_models.energy import EnergyParams
from sim_models.graph import INPUT

__all__ = ["BALANCINGS", "Portion", "LayerWork", "ScheduleResult", "build_work", "schedule",
           "work_units", "software_baseline"]

BALANCINGS = ("static", "layer", "steal")


def work_units(layer) -> int:
    """How a layer's work is cut: its output rows, or its output channels when it has one row."""
    h, _w, c = layer.out_shape
    return h if h > 1 else c


@dataclass(frozen=True)
class Portion:
    """A share ``share`` of one layer on ``engine`` ("ima" or "sw"); ``owner`` is the tile bin of
    an IMA portion (the owning core under tight coupling, 0 under loose)."""
    engine: str
    share: float
    owner: int | None = None


@dataclass(frozen=True)
class LayerWork:
    """A layer's costs for the scheduler: whole-layer software core-cycles and energy, IMA cycles
    and energy (``None`` when nothing is on tiles), its work units, inputs and portions."""
    name: str
    index: int
    inputs: tuple[int, ...]
    units: int
    sw_core_cycles: float
    sw_energy_pj: float
    ima_cycles: float | None
    ima_energy_pj: float | None
    portions: tuple[Portion, ...]
    #: wall cycles of the whole layer in software on all the cores (the fast model's run: the
    #: kernels' own split, their slowest core, the barrier), what a static portion lasts;
    #: ``None``: the largest core's share of ``sw_core_cycles``
    sw_cycles: float | None = None


def build_work(layers: Sequence, placement: Placement, cost: Callable) -> list[LayerWork]:
    """:class:`LayerWork` of every layer from ``cost(layer, engine) -> (cycles, energy_pj)``
    (``"sw"``: the layer on all the cores; ``"ima"``: on one IMA, offloaded by one core -- the
    fast model's ``layer_cost``) and where ``placement`` put the layer's units. Software
    core-cycles are the layer's cycles times ``placement``'s cores (one core alone would take
    that long for the whole layer)."""
    idx = {lay.name: i for i, lay in enumerate(layers)}
    cores = placement.cores
    out = []
    for i, lay in enumerate(layers):
        sw_cyc, sw_e = cost(lay, "sw")
        shares: dict[int, float] = {}
        for u, b in placement.of_layer(lay.name):
            if b is not None:
                shares[b] = shares.get(b, 0.0) + u.fraction
        ima = cost(lay, "ima") if shares else (None, None)
        portions = [Portion("ima", s, b) for b, s in sorted(shares.items())]
        rest = 1.0 - sum(shares.values())
        if rest > 1e-12:
            portions.append(Portion("sw", rest))
        out.append(LayerWork(lay.name, i, tuple(idx[t] for t in lay.inputs if t != INPUT),
                             work_units(lay), float(sw_cyc) * cores, float(sw_e),
                             None if ima[0] is None else float(ima[0]),
                             None if ima[1] is None else float(ima[1]), tuple(portions),
                             float(sw_cyc)))
    return out


def software_baseline(layers: Sequence, cost: Callable) -> tuple[float, float]:
    """Cycles and dynamic energy (pJ) of one inference with every layer in software on all the
    cores, layer after layer (``cost`` as in :func:`build_work`): the reference of speed-up and
    energy gain (the caller adds static energy over the cycles)."""
    cs = [cost(lay, "sw") for lay in layers]
    return float(sum(c for c, _ in cs)), float(sum(e for _, e in cs))


@dataclass
class ScheduleResult:
    """``cycles`` (makespan of all images), ``energy_pj``, the cores' accounted busy cycles,
    IMA busy cycles (summed over IMAs), chunks run on the IMA / in software / stolen into
    software, and ``per_core`` busy cycles."""
    cycles: float
    energy_pj: float
    core_busy: float
    ima_busy: float
    ima_chunks: int
    sw_chunks: int
    stolen: int
    per_core: list[float] = field(default_factory=list)
    #: ``(image, layer name) -> (start, finish)`` of every instance: its first chunk's dispatch,
    #: its last chunk's end (under ``static`` the instances run one after another, so
    #: ``finish - start`` is the layer's cycles, comparable with one layer of an RTL run)
    spans: dict[tuple[int, str], tuple[float, float]] = field(default_factory=dict)


@dataclass
class _Chunk:
    units: int
    pinned: int | None


@dataclass
class _Queue:
    """Undispatched chunks of one portion of one instance."""
    portion: Portion
    chunks: deque


class _Instance:
    __slots__ = ("key", "work", "queues", "left", "finish", "waiting_on", "ready_at")

    def __init__(self, key, work, queues):
        self.key, self.work, self.queues = key, work, queues
        self.left = sum(len(q.chunks) for q in queues)
        self.finish = 0.0
        self.waiting_on = 0
        self.ready_at = 0.0


def _split(n: int, k: int) -> list[int]:
    """``n`` work units in ``k`` near-equal contiguous shares (the first ``n % k`` one larger)."""
    return [n // k + (j < n % k) for j in range(k)]


def _lpt(work: Sequence[LayerWork], coupling: str, cores: int) -> dict[tuple[int, int], int]:
    """Layer-level assignment: (layer, portion) -> core. IMA portions under tight coupling go to
    their owner (their IMA time loads it); the rest longest first onto the least loaded core."""
    load = [0.0] * cores
    pin: dict[tuple[int, int], int] = {}
    free = []
    for lw in work:
        for p_i, p in enumerate(lw.portions):
            if p.engine == "ima" and coupling == "tight":
                pin[(lw.index, p_i)] = p.owner
                load[p.owner] += p.share * lw.ima_cycles
            else:
                t = p.share * (lw.ima_cycles if p.engine == "ima" else lw.sw_core_cycles)
                free.append((-t, lw.index, p_i))
    for neg_t, li, p_i in sorted(free):
        k = min(range(cores), key=lambda c: (load[c], c))
        pin[(li, p_i)] = k
        load[k] -= neg_t
    return pin


def schedule(work: Sequence[LayerWork], *, coupling: str, balancing: str, cores: int = 8,
             images: int = 1, chunks_per_core: int = 2, core_idle_pj: float | None = None,
             static_pj_per_cycle: float = 0.0, ima_idle_pj: float = 0.0,
             imas: int | None = None) -> ScheduleResult:
    """Run ``images`` inferences of ``work`` on ``cores`` cores (see the module docstring).
    ``imas``: the IMAs whose idle cycles cost ``ima_idle_pj`` each (default: ``cores`` under
    tight coupling, 1 under loose)."""
    if coupling not in COUPLINGS:
        raise ValueError(f"coupling must be one of {', '.join(COUPLINGS)}, not {coupling!r}")
    if balancing not in BALANCINGS:
        raise ValueError(f"balancing must be one of {', '.join(BALANCINGS)}, not {balancing!r}")
    for name, v in (("cores", cores), ("images", images), ("chunks_per_core", chunks_per_core)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, not {v!r}")
    n_ima = cores if coupling == "tight" else 1
    imas = n_ima if imas is None else imas
    if isinstance(imas, bool) or not isinstance(imas, int) or not 0 <= imas <= n_ima:
        raise ValueError(f"imas must be an integer in 0..{n_ima} ({coupling} coupling on {cores} "
                         f"cores), not {imas!r}")
    idle_pj = EnergyParams().core_idle_pj if core_idle_pj is None else core_idle_pj
    pin = _lpt(work, coupling, cores) if balancing == "layer" else {}

    # ---- instances and their chunks
    insts: list[_Instance] = []
    for img in range(images):
        for lw in work:
            queues = []
            for p_i, p in enumerate(lw.portions):
                if balancing == "static":
                    if p.engine == "ima":                # whole, to its owner (loose: core 0)
                        ch = [_Chunk(lw.units, p.owner if coupling == "tight" else 0)]
                    else:
                        ch = [_Chunk(n, k) for k, n in enumerate(_split(lw.units, cores)) if n]
                elif balancing == "layer":
                    ch = [_Chunk(lw.units, pin[(lw.index, p_i)])]
                else:
                    ch = [_Chunk(n, None) for n in
                          _split(lw.units, min(lw.units, chunks_per_core * cores)) if n]
                queues.append(_Queue(p, deque(ch)))
            insts.append(_Instance((img, lw.index), lw, queues))
    n_layers = len(work)
    dependents: list[list[int]] = [[] for _ in insts]
    for n, inst in enumerate(insts):
        img, li = inst.key
        preds = {img * n_layers + j for j in inst.work.inputs}
        if balancing == "static" and n > 0:
            preds.add(n - 1)                          # barrier after every instance
        inst.waiting_on = len(preds)
        for q in preds:
            dependents[q].append(n)
    # instances whose inputs are all dispatched, by (ready time known), kept in key order
    open_: list[int] = [n for n, inst in enumerate(insts) if inst.waiting_on == 0]
    core_free = [0.0] * cores
    ima_free = [0.0] * n_ima
    ends: list[float] = []                           # heap of chunk end times (events)
    res = ScheduleResult(0.0, 0.0, 0.0, 0.0, 0, 0, 0, [0.0] * cores)
    remaining = sum(inst.left for inst in insts)

    def chunk_cost(lw, p, units, engine):
        s = p.share * units / lw.units
        if engine == "ima":
            return s * lw.ima_cycles, s * lw.ima_energy_pj
        return s * lw.sw_core_cycles, s * lw.sw_energy_pj

    def duration(lw, p, units, engine):
        """Cycles a chunk keeps its core: its cost, but a static software chunk lasts its
        portion's share of the layer's all-core run when it is known (``sw_cycles``: the
        kernels' own split, slowest core and barrier included), whatever its units."""
        if balancing == "static" and engine == "sw" and lw.sw_cycles is not None:
            return p.share * lw.sw_cycles
        return chunk_cost(lw, p, units, engine)[0]

    def dispatched(n, end):
        inst = insts[n]
        inst.left -= 1
        inst.finish = max(inst.finish, end)
        if inst.left == 0:
            open_.remove(n)
            for d in dependents[n]:
                dd = insts[d]
                dd.waiting_on -= 1
                dd.ready_at = max(dd.ready_at, inst.finish)
                if dd.waiting_on == 0:
                    open_.append(d)
                    open_.sort()

    def may_offload(k, p):
        return coupling == "loose" or p.owner == k

    def pick(k, now):
        """(instance, queue, take_tail, engine) for core k at ``now``, or None."""
        for n in open_:
            inst = insts[n]
            if inst.ready_at > now:
                continue
            lw = inst.work
            for q in inst.queues:
                if not q.chunks:
                    continue
                p = q.portion
                if balancing != "steal":
                    if q.chunks[0].pinned == k:
                        return n, q, False, p.engine
                    continue
                if p.engine == "sw":
                    return n, q, False, "sw"
                bank = p.owner if coupling == "tight" else 0
                t_ima, _ = chunk_cost(lw, p, q.chunks[0].units, "ima")
                t_sw, _ = chunk_cost(lw, p, q.chunks[0].units, "sw")
                start = max(now, ima_free[bank])
                if may_offload(k, p) and start + t_ima <= now + t_sw:
                    return n, q, False, "ima"
                t_sw_tail, _ = chunk_cost(lw, p, q.chunks[-1].units, "sw")
                backlog = start + sum(chunk_cost(lw, p, c.units, "ima")[0] for c in q.chunks)
                if now + t_sw_tail < backlog:
                    return n, q, True, "sw"
        return None

    parked = [False] * cores                         # idle cores waiting for the next event
    while remaining:
        k = min(range(cores), key=lambda c: (core_free[c], c))
        now = core_free[k]
        if now == math.inf:
            raise RuntimeError(f"scheduler stuck: {remaining} chunks left and no event pending")
        got = pick(k, now)
        if got is None:
            while ends and ends[0] <= now:
                heapq.heappop(ends)
            cand = [insts[n].ready_at for n in open_ if insts[n].ready_at > now]
            core_free[k] = min(cand + ends[:1], default=math.inf)
            parked[k] = True
            continue
        parked[k] = False
        n, q, tail, engine = got
        ch = q.chunks.pop() if tail else q.chunks.popleft()
        lw, p = insts[n].work, q.portion
        c, e = chunk_cost(lw, p, ch.units, engine)
        t = duration(lw, p, ch.units, engine)
        if engine == "ima":
            bank = p.owner if coupling == "tight" else 0
            start = max(now, ima_free[bank])
            end = start + t
            ima_free[bank] = end
            res.ima_busy += t
            res.ima_chunks += 1
        else:
            end = now + t
            res.sw_chunks += 1
            res.stolen += int(p.engine == "ima")
        dur = c                 # an IMA chunk: the core sleeps on the job (inside its cost)
        res.core_busy += dur
        res.per_core[k] += dur
        res.energy_pj += e
        core_free[k] = end
        key = (insts[n].key[0], lw.name)
        s0, f0 = res.spans.get(key, (now, end))
        res.spans[key] = (min(s0, now), max(f0, end))
        heapq.heappush(ends, end)
        for j in range(cores):                       # a new event may wake a waiting core
            if parked[j] and core_free[j] > end:
                core_free[j] = end
        dispatched(n, end)
        remaining -= 1
    res.cycles = max((inst.finish for inst in insts), default=0.0)
    res.energy_pj += max(0.0, cores * res.cycles - res.core_busy) * idle_pj
    res.energy_pj += static_pj_per_cycle * res.cycles
    res.energy_pj += ima_idle_pj * max(0.0, imas * res.cycles - res.ima_busy)
    return res

