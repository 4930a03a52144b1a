"""TEMPORARY stand-in for ``sim_models.fastmodel.layer_cost`` (branch fm-model), same signature.

Delete this file once fm-model is merged: :mod:`sim_models.study` imports the real one when it
exists. Rough on purpose (no TCDM contention, per-job IMA phases from word counts with the RTL's
fixed overheads of :mod:`sim_models.perf`, software from :mod:`sim_models.swcost`, energy from
:func:`sim_models.energy.energy_report`); not validated against the RTL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim_models import swcost
from sim_models.energy import EnergyParams, energy_report
from sim_models.perf import RTL_STREAMIN_OVERHEAD, RTL_STREAMOUT_OVERHEAD

__all__ = ["LayerCost", "layer_cost"]

#: ASSUMPTION (stand-in): core cycles to acquire, program and trigger one layer on the IMA.
_CONFIG_CYCLES = 200
_TILE = 256


@dataclass(frozen=True)
class LayerCost:
    cycles: int
    energy_pj: float
    macs: int


def _energy(cfg, events):
    return energy_report(events, EnergyParams(), clock_hz=cfg.ima.clock_hz,
                         n_cores=cfg.n_cores)["total_uj"] * 1e6


def layer_cost(layer, engine, cfg, cores):
    """Cycles and energy of ``layer`` on ``engine`` ("ima", "dwa", "sw") with ``cores`` cores."""
    if engine not in ("ima", "dwa", "sw"):
        raise ValueError(f"engine must be ima, dwa or sw, not {engine!r}")
    sw = swcost.sw_cost(cfg.sw_cost)
    h, w, c = layer.out_shape
    hi, wi, ci = layer.in_shape
    if engine == "sw" or (engine == "dwa" and layer.kind != "depthwise"):
        if layer.kind in ("conv", "pointwise", "fc"):
            cyc = sw.matmul(math.ceil(layer.macs / cores))
        elif layer.kind == "depthwise":
            cyc = sw.hwc2chw(math.ceil(hi * wi * ci / cores)) + sw.depthwise(
                math.ceil(h * w * c / cores), layer.kernel) + sw.barrier_cycles
        elif layer.kind == "add":
            cyc = sw.residual(math.ceil(h * w * c / cores))
        else:
            cyc = sw.avgpool(math.ceil(hi * wi * ci / cores), math.ceil(h * w * c / cores))
        cyc += sw.barrier_cycles
        ev = {"cycles": cyc, "core_active_cycles": cyc * cores,
              "core_idle_cycles": cyc * (cfg.n_cores - cores), "tcdm_accesses": cyc * cores * 0.5}
        return LayerCost(int(cyc), _energy(cfg, ev), int(layer.macs))
    if engine == "dwa":
        cyc = math.ceil(layer.macs / 29.7) + _CONFIG_CYCLES
        ev = {"cycles": cyc, "core_idle_cycles": cyc * cfg.n_cores, "dwa_busy_cycles": cyc,
              "dwa_mac_cycles": cyc - _CONFIG_CYCLES}
        return LayerCost(int(cyc), _energy(cfg, ev), int(layer.macs))
    rows, cols = layer.xbar_shape
    pixels = 1 if layer.kind == "fc" else h * w
    ports = cfg.ima.ports
    sin = sout = comp = 0
    mvm = cells = 0
    for r0 in range(0, rows, _TILE):
        rr = min(_TILE, rows - r0)
        for c0 in range(0, cols, _TILE):
            cc = min(_TILE, cols - c0)
            sin += pixels * (math.ceil(math.ceil(rr / 4) / ports) + RTL_STREAMIN_OVERHEAD)
            sout += pixels * (math.ceil(math.ceil(cc / 4) / ports) + RTL_STREAMOUT_OVERHEAD)
            comp += pixels * cfg.ima.mvm_cycles
            mvm += pixels
            cells += pixels * rr * cc
    pieces = math.ceil(rows / _TILE)
    core = _CONFIG_CYCLES + (sw.add_partials(h * w * c, pieces) if pieces > 1 else 0)
    cyc = sin + comp + sout + core
    ev = {"cycles": cyc, "core_active_cycles": core, "core_idle_cycles": cyc - core,
          "tcdm_accesses": (sin + sout) * ports, "ima_streamin_cycles": sin,
          "ima_compute_cycles": comp, "ima_streamout_cycles": sout, "mvm_count": mvm,
          "mvm_cells": cells, "dac_conversions": mvm * min(rows, _TILE),
          "adc_conversions": mvm * min(cols, _TILE)}
    return LayerCost(int(cyc), _energy(cfg, ev), int(layer.macs))
