"""The TPDS 2024 study on our cluster: tiles (coverage) x coupling x balancing x CNNs.

One *point* = a network, a tile count T, a placement policy, a coupling and a balancing method:
:func:`sim_models.coverage.place` decides what is on tiles, :func:`sim_models.balance.schedule`
runs ``images`` inferences on the cores and the IMA(s) over the fast model's layer costs, and the
point's speed-up and energy gain are against :func:`sim_models.balance.software_baseline` (every
layer in software on all cores, layer after layer, ``images`` times). Nothing is fitted: every
cost comes from the fast model and its cited constants.

Pure computation (no files, no processes): ``ima-sim study`` (tb/cli/study.py) plans the points,
runs them (in-process or on dask) and writes the CSV, plots and report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from sim_models import balance, coverage
from sim_models.graph import INPUT, Layer
from sim_models.placement import ARRAY_COLS, ARRAY_ROWS

try:                                                   # fm-model's fast model, once merged
    from sim_models.fastmodel import layer_cost
except ImportError:                                    # pragma: no cover - until the merge
    from sim_models._fastmodel_standin import layer_cost

__all__ = ["Point", "NETS", "net_layers", "run_point", "tile_sweep", "layer_cost",
           "PAPER_COVERAGE", "PAPER_SPEEDUP", "PAPER_ENERGY_GAIN", "PAPER_CORES"]

#: Klein et al., IEEE TPDS 35(10) 2024, abstract: 41 % coverage, 8 cores, 5.9x speed-up, 5.6x energy.
PAPER_COVERAGE, PAPER_CORES, PAPER_SPEEDUP, PAPER_ENERGY_GAIN = 0.41, 8, 5.9, 5.6


def _shape_layers_mobilenetv2(resolution: int = 224) -> list[Layer]:
    """MobileNetV2 (Sandler et al. 2018, Table 2) as shape-only graph layers: zero weights of the
    right shapes (broadcast views, no memory), a unit ADC transfer, the residual adds."""
    from sim_models.nets.mobilenetv2 import mobilenetv2
    out: list[Layer] = []
    cur, block_in = INPUT, {}
    for nl in mobilenetv2(resolution):
        if nl.block and nl.block not in block_in:
            block_in[nl.block] = (cur, out[-1].out_shape if out else None)
        cin, cout = nl.in_shape[2], nl.out_shape[2]
        shape = {"conv": (cout, nl.kernel, nl.kernel, cin), "pointwise": (cout, cin),
                 "depthwise": (cin, nl.kernel, nl.kernel),
                 "fc": (cout, nl.in_shape[0] * nl.in_shape[1] * cin)}.get(nl.kind)
        w = None if shape is None else np.broadcast_to(np.int8(0), shape)
        out.append(Layer(nl.name, nl.kind, (cur,), nl.in_shape, nl.out_shape, weights=w,
                         adc=(1, 0, 0, 255), kernel=nl.kernel, stride=nl.stride, pad=nl.pad,
                         w_bits=8 if nl.kind == "depthwise" else 4, block=nl.block))
        cur = nl.name
        if nl.residual:
            src = block_in[nl.block][0]
            out.append(Layer(f"b{nl.block}_add", "add", (src, cur), nl.out_shape, nl.out_shape,
                             block=nl.block))
            cur = out[-1].name
    return out


#: The networks of the study by name -> a function giving their layers (graph.Layer objects).
NETS = {"mobilenetv2": _shape_layers_mobilenetv2}


@lru_cache(maxsize=None)
def net_layers(name: str) -> tuple[Layer, ...]:
    """The layers of network ``name`` (cached per process: a dask worker builds each once)."""
    if name not in NETS:
        raise ValueError(f"net must be one of {', '.join(NETS)}, not {name!r}")
    return tuple(NETS[name]())


@dataclass(frozen=True)
class Point:
    """One point of the study (see the module docstring); ``preset`` names the hardware."""
    net: str
    tiles: int
    policy: str
    coupling: str
    balancing: str
    cores: int = 8
    images: int = 4
    granularity: str = "layer"
    preset: str = "aicas2021"
    chunks_per_core: int = 2


_COST_CACHE: dict = {}


def _cost(cfg_key, cfg):
    """``layer_cost`` memoised per (layer, engine, cores) under one configuration."""
    cache = _COST_CACHE.setdefault(cfg_key, {})

    def cost(layer, engine, c, cores):
        k = (id(layer), engine, cores)
        if k not in cache:
            cache[k] = layer_cost(layer, engine, c, cores)
        return cache[k]
    return cost


def run_point(pt: Point, cfg) -> dict:
    """One point under the cluster configuration ``cfg`` (the preset ``pt.preset`` resolved by the
    caller, since sim_models does not import hw): a CSV row as a dict."""
    layers = net_layers(pt.net)
    cost = _cost((pt.preset, cfg), cfg)
    base_cyc, base_e = balance.software_baseline(layers, cost, cfg, pt.cores)

    def saved(u):                   # knapsack value: core-cycles a unit saves (software - IMA)
        lay = layers[u.index]
        return u.fraction * (cost(lay, "sw", cfg, pt.cores).cycles * pt.cores
                             - cost(lay, "ima", cfg, 1).cycles)

    pl = coverage.place(layers, pt.tiles, pt.policy, coupling=pt.coupling, cores=pt.cores,
                        granularity=pt.granularity, value=saved)
    work = balance.build_work(layers, pl, cost, cfg, pt.cores)
    r = balance.schedule(work, coupling=pt.coupling, balancing=pt.balancing, cores=pt.cores,
                         images=pt.images, chunks_per_core=pt.chunks_per_core)
    row = asdict(pt)
    row.update(coverage=pl.coverage, tiles_used=pl.tiles_used, params=pl.all_params,
               params_on_tiles=pl.params_on_tiles, layers_on_tiles=len({u.layer for u in pl.placed}),
               cycles=r.cycles, energy_uj=r.energy_pj * 1e-6,
               baseline_cycles=base_cyc * pt.images, baseline_energy_uj=base_e * pt.images * 1e-6,
               speedup=base_cyc * pt.images / r.cycles, energy_gain=base_e * pt.images / r.energy_pj,
               core_util=r.core_busy / (pt.cores * r.cycles),
               ima_util=r.ima_busy / ((pt.cores if pt.coupling == "tight" else 1) * r.cycles),
               ima_chunks=r.ima_chunks, sw_chunks=r.sw_chunks, stolen=r.stolen)
    return row


def tile_sweep(layers: Sequence, points: int = 8, granularity: str = "layer",
               tile_rows: int = ARRAY_ROWS, tile_cols: int = ARRAY_COLS) -> list[int]:
    """Tile counts for a sweep: 0, then ``points`` roughly geometric steps up to full coverage
    (each a multiple of 8, so tight coupling gives every core the same share)."""
    full = coverage.tiles_for_full_coverage(layers, granularity, tile_rows, tile_cols)
    top = 8 * math.ceil(full / 8)
    ts = {0, top}
    for i in range(1, points):
        ts.add(8 * max(1, round(top * (2 ** (i - points + 1)) / 8)))
    return sorted(ts)
