"""The TPDS 2024 study on our cluster: tiles (coverage) x coupling x balancing x CNNs.

One *point* = a network, a tile count T, a placement policy, a coupling and a balancing method:
:func:`sim_models.coverage.place` decides what is on tiles, :func:`sim_models.balance.schedule`
runs ``images`` inferences on the cores and the IMA(s) over the fast model's layer costs, and the
point's speed-up and energy gain are against the **baseline**: every layer in software on all
the cores, layer after layer, ``images`` times (:func:`sim_models.balance.software_baseline`,
plus static energy over its cycles). Nothing is fitted: every cost comes from the fast model
(:func:`sim_models.fastmodel.layer_cost`) and its cited constants.

The work comes in two steps, both pure functions of picklable data (``ima-sim study`` runs them
in-process or as dask tasks): :func:`cost_table` (a network's per-layer costs under one cluster
configuration; the slow part: VGG-16's layers take seconds) and :func:`run_point` (one point from
a table; milliseconds).

Every software layer, ``maxpool`` included, is costed by the fast model (its kernel
:func:`sim_models.swcost.SwCost.maxpool`, the one the RTL cores run). One exception, a choice of
this study where the compiler differs: ``concat`` (SqueezeNet's fire modules) costs 0 cycles -- the
producers write their outputs straight into their channel slice of the concatenated HWC buffer (an
output pixel stride, which the IMA's sink and the kernels' stores have), where the compiler today
emits a copy (``sw_concat``, ~3 % of the reduced SqueezeNet's cycles on the RTL). ASSUMPTION.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

from sim_models import balance, coverage
from sim_models.energy import EnergyParams
from sim_models.fastmodel import dynamic_pj, estimate_phases, layer_cost, static_pj
from sim_models.graph import Layer
from sim_models.mapping import Buffer
from sim_models.nets import ZOO
from sim_models.placement import ARRAY_COLS, ARRAY_ROWS
from sim_models.workloads import Phase

__all__ = ["Point", "CostTable", "NETS", "net_layers", "cost_table", "costs_of", "layer_costs", "ring_pads",
           "ring_cost", "run_point", "tile_sweep",
           "at_coverage", "PAPER_COVERAGE", "PAPER_SPEEDUP", "PAPER_ENERGY_GAIN", "PAPER_CORES"]

#: Klein et al., IEEE TPDS 35(10) 2024, abstract: 41 % coverage, 8 cores, 5.9x speed-up, 5.6x energy.
PAPER_COVERAGE, PAPER_CORES, PAPER_SPEEDUP, PAPER_ENERGY_GAIN = 0.41, 8, 5.9, 5.6

#: The networks of the study: the zoo's six CNNs (sim_models/nets), shape-only at 224 x 224.
NETS = tuple(ZOO)


@lru_cache(maxsize=None)
def net_layers(name: str) -> tuple[Layer, ...]:
    """The layers of network ``name`` (shape-only, 224 x 224, 1000 classes; cached per process)."""
    if name not in NETS:
        raise ValueError(f"net must be one of {', '.join(NETS)}, not {name!r}")
    return tuple(ZOO[name](resolution=224, weights=False).layers)


@dataclass(frozen=True)
class CostTable:
    """A network's per-layer costs under one configuration: ``sw[name] = (cycles, energy_pj)`` on
    all ``cores`` cores, ``ima[name]`` on one IMA offloaded by one core (crossbar layers only);
    for the schedule's energy: ``static_pj_per_cycle`` (the cluster with one IMA, the baseline's),
    ``core_idle_pj``, ``ima_idle_pj`` (an idle IMA's cycle) and ``ima_static_pj_per_cycle`` (one
    IMA's analog core: :meth:`static_of` a cluster of several IMAs, as
    :func:`sim_models.energy.energy_report` counts them with ``imas``)."""
    net: str
    preset: str
    cores: int
    sw: Mapping[str, tuple[float, float]]
    ima: Mapping[str, tuple[float, float]]
    static_pj_per_cycle: float
    core_idle_pj: float
    ima_idle_pj: float = 0.0
    ima_static_pj_per_cycle: float = 0.0

    def static_of(self, imas: int) -> float:
        """Static energy per cycle (pJ) of the cluster with ``imas`` IMAs (their analog cores)."""
        return self.static_pj_per_cycle + (imas - 1) * self.ima_static_pj_per_cycle

    def cost(self, layer, engine: str) -> tuple[float, float]:
        return (self.sw if engine == "sw" else self.ima)[layer.name]


def ring_pads(layers: Sequence) -> dict[str, int]:
    """``{layer: pad}`` of every layer whose output a KxK consumer (conv, depth-wise) reads padded
    (the largest consumer's ``pad``, as the compiler stores it)."""
    pads: dict[str, int] = {}
    for lay in layers:
        if lay.kind in ("conv", "depthwise") and lay.pad:
            for t in lay.inputs:
                pads[t] = max(pads.get(t, 0), lay.pad)
    return pads


def ring_cost(layer, pad: int, cfg) -> tuple[float, float]:
    """Cycles and dynamic energy (pJ) of zeroing the padding ring of ``layer``'s output buffer on
    all the cores (the compiler's ``sw_zero_ring`` phase, costed by the fast model)."""
    buf = Buffer(layer.name, 0, tuple(layer.out_shape), "uint8", pad)
    c = estimate_phases([Phase(f"{layer.name}.zero_ring", "sw_zero_ring", {"buf": buf})], cfg)[0]
    return float(c.cycles), dynamic_pj(c.events)


def layer_costs(layers: Sequence, cfg) -> tuple[dict, dict]:
    """``(sw, ima)``: ``{name: (cycles, energy_pj)}`` of every layer in software on all the cores
    and of every crossbar layer on one IMA offloaded by one core (:func:`layer_cost`), each plus
    the zeroing of its output's padding ring when a KxK consumer reads it padded
    (:func:`ring_pads`, :func:`ring_cost`): the buffers of a network run are reused in the TCDM,
    so a padded output's ring holds an earlier tensor's bytes and the cores clear it before the
    producer writes (the compiler's ``sw_zero_ring``; measured on the RTL: 222-400 cycles per
    layer of the reduced MobileNetV2, up to 39 % of a small layer's IMA time). Counted for every
    padded output -- an upper bound: the first buffers of a run are fresh and need none."""
    cores = cfg.n_cores
    pads = ring_pads(layers)
    sw, ima = {}, {}
    for lay in layers:
        ring = ring_cost(lay, pads[lay.name], cfg) if lay.name in pads else (0.0, 0.0)
        if lay.kind == "concat":
            sw[lay.name] = (0.0, 0.0)
        else:
            c = layer_cost(lay, "sw", cfg, cores)
            sw[lay.name] = (float(c.cycles) + ring[0], float(c.energy_pj) + ring[1])
        if lay.xbar_shape is not None:
            c = layer_cost(lay, "ima", cfg, 1)
            ima[lay.name] = (float(c.cycles) + ring[0], float(c.energy_pj) + ring[1])
    return sw, ima


@lru_cache(maxsize=32)
def cost_table(net: str, cfg, preset: str = "") -> CostTable:
    """:class:`CostTable` of ``net`` under ``cfg`` (a :class:`hw.config.ClusterConfig`, duck-typed
    and hashable; ``preset`` is its name, for the record): :func:`layer_costs`. Cached per
    process: the tables are immutable and the same for every point of a network."""
    return costs_of(net_layers(net), cfg, net, preset)


def costs_of(layers: Sequence, cfg, net: str = "", preset: str = "") -> CostTable:
    """:class:`CostTable` of any ``layers`` (e.g. a reduced network run on the RTL) under ``cfg``."""
    sw, ima = layer_costs(layers, cfg)
    p = EnergyParams()
    analog = replace(p, tcdm_leakage_mw=0.0, logic_leakage_mw=0.0)     # one IMA's analog core
    return CostTable(net, preset, cfg.n_cores, sw, ima, static_pj(1, cfg, imas=1), p.core_idle_pj,
                     p.ima_idle_pj, static_pj(1, cfg, analog, imas=1))


@dataclass(frozen=True)
class Point:
    """One point of the study (see the module docstring)."""
    net: str
    tiles: int
    policy: str
    coupling: str
    balancing: str
    images: int = 4
    granularity: str = "layer"
    chunks_per_core: int = 2


def run_point(pt: Point, table: CostTable) -> dict:
    """One point from its network's :class:`CostTable`: a CSV row as a dict."""
    if table.net != pt.net:
        raise ValueError(f"cost table of {table.net!r} given for a point of {pt.net!r}")
    layers = net_layers(pt.net)
    cores = table.cores
    base_cyc, base_e = balance.software_baseline(layers, table.cost)
    base_e += table.static_pj_per_cycle * base_cyc

    def saved(u):                   # knapsack value: core-cycles a unit saves (software - IMA)
        lay = layers[u.index]
        return u.fraction * (table.sw[lay.name][0] * cores - table.ima[lay.name][0])

    pl = coverage.place(layers, pt.tiles, pt.policy, coupling=pt.coupling, cores=cores,
                        granularity=pt.granularity, value=saved)
    work = balance.build_work(layers, pl, table.cost)
    imas = sum(1 for c in pl.capacity if c)     # the IMAs of the point: the bins that have tiles
    r = balance.schedule(work, coupling=pt.coupling, balancing=pt.balancing, cores=cores,
                         images=pt.images, chunks_per_core=pt.chunks_per_core,
                         core_idle_pj=table.core_idle_pj,
                         static_pj_per_cycle=table.static_of(max(imas, 1)),
                         ima_idle_pj=table.ima_idle_pj, imas=imas)
    n_ima = cores if pt.coupling == "tight" else 1
    row = asdict(pt)
    row.update(preset=table.preset, cores=cores, coverage=pl.coverage, tiles_used=pl.tiles_used,
               params=pl.all_params, params_on_tiles=pl.params_on_tiles,
               layers_on_tiles=len({u.layer for u in pl.placed}),
               cycles=r.cycles, energy_uj=r.energy_pj * 1e-6,
               baseline_cycles=base_cyc * pt.images, baseline_energy_uj=base_e * pt.images * 1e-6,
               speedup=base_cyc * pt.images / r.cycles,
               energy_gain=base_e * pt.images / r.energy_pj,
               core_util=r.core_busy / (cores * r.cycles), ima_util=r.ima_busy / (n_ima * r.cycles),
               ima_chunks=r.ima_chunks, sw_chunks=r.sw_chunks, stolen=r.stolen)
    return row


def tile_sweep(layers: Sequence, points: int = 6, granularity: str = "layer",
               tile_rows: int = ARRAY_ROWS, tile_cols: int = ARRAY_COLS) -> list[int]:
    """Tile counts of a sweep: 0, ``points`` halvings down from the tiles that hold every crossbar
    layer (small T, where the first layers go on tiles) and ``points`` even steps up to it (so
    every coverage range has points, 41 % included); each a multiple of 8, so tight coupling
    gives every core the same share; fewer when steps coincide."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a positive integer, not {points!r}")
    full = coverage.tiles_for_full_coverage(layers, granularity, tile_rows, tile_cols)
    top = 8 * math.ceil(full / 8)
    ts = {0, top}
    for i in range(1, points + 1):
        ts.add(8 * max(1, round(top / 2 ** i / 8)))
        ts.add(8 * max(1, round(top * i / points / 8)))
    return sorted(ts)


def at_coverage(rows: Sequence[Mapping], target: float = PAPER_COVERAGE, key: str = "speedup"
                ) -> float | None:
    """``key`` at coverage ``target`` on one curve (rows of one net / coupling / balancing /
    policy): linear interpolation between the two points around it (sorted by coverage, the
    highest value among points of equal coverage); ``None`` when the curve does not reach it."""
    pts: dict[float, float] = {}
    for r in rows:
        c = float(r["coverage"])
        pts[c] = max(pts.get(c, -math.inf), float(r[key]))
    cs = sorted(pts)
    for lo, hi in zip(cs, cs[1:], strict=False):
        if lo <= target <= hi:
            f = (target - lo) / (hi - lo)
            return pts[lo] + f * (pts[hi] - pts[lo])
    return pts[cs[0]] if cs and cs[0] == target else None
