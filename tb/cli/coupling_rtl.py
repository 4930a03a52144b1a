"""Coupling and balancing points of the TPDS study on the RTL (issue 16 item 4).

A *point* is a network, a tile count, a coupling and a balancing method. Its placement
(:func:`sim_models.coverage.place`, whole layers on tiles) becomes a program whose placed layers
run on the IMA and every other layer in software on the cores
(:func:`sim_models.compiler.compile_graph` with ``sw_layers``; the depth-wise accelerator is left
out, as in the study). The RTL runs it layer after layer (:func:`tb.cli.net.simulate`: the IMA
phases offloaded by core 0, the software phases split over all the cores, a barrier after each
phase) -- the **static** balancing of :func:`sim_models.balance.schedule` under **loose**
coupling (one multi-array IMA on the TCDM). The model's figures are that schedule over the
study's costs (:func:`sim_models.study.costs_of`) on the same placement: per layer the span of
its instance, in total the makespan. The bounds are issue 16 item 1's
(:data:`tb.cli.fastmodel_rtl.PER_LAYER`, :data:`~tb.cli.fastmodel_rtl.TOTAL`).

**Tight** coupling (helper multi-ima's ``ClusterConfig.imas``): ``cores`` cores with one private
one-array IMA each; the placement's bins are the cores (:func:`sim_models.coverage.bins`), a
placed layer is Tile&Packed on its owner's IMA and offloaded by its owner
(``compile_graph(..., ima_of=...)``); static balancing, so one IMA works at a time and a layer
costs what it costs under loose coupling -- the point checks the private IMAs' wiring, offload
and ownership, not a gain (work stealing or layer pipelining would overlap them; not on the RTL
yet).

The network is the reduced MobileNetV2 of the tests (32 x 32, width 0.35, 10 classes) built
without row splits (``rows=None``: a layer that is not placed runs whole on the cores, whose
kernels have no partial sums), on the ``jetcas2022`` preset's cluster (one 256 x 256 array, the
study's tile; 512 KiB of TCDM, which holds the software layers' weights). Placement policy:
greedy by MACs per weight; the tile counts keep the placed layers within one array after
Tile&Pack (the study counts a tile per layer, Tile&Pack packs several small layers into one
array: the IMA's cycles do not depend on which array holds a layer).

``python -m tb.cli.coupling_rtl -o reports/coupling.md`` (``make bench``) runs every point of
:data:`POINTS` on the RTL and writes the error table; tests/tb/cli/test_coupling_rtl.py runs two.
"""

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["RtlPoint", "POINTS", "PRESET", "reduced_net", "prepare", "model_spans", "compare",
           "run_point", "format_table", "main"]

#: The cluster of the points (its default build is one the suite makes).
PRESET = "jetcas2022"


@dataclass(frozen=True)
class RtlPoint:
    """One point: ``tiles`` 256 x 256 tiles, ``coupling``, ``balancing``, placement ``policy``,
    on ``cores`` cores (tight coupling: as many private IMAs)."""
    tiles: int
    coupling: str = "loose"
    balancing: str = "static"
    policy: str = "macs_per_weight"
    cores: int = 8

    @property
    def name(self) -> str:
        return f"T={self.tiles} {self.coupling}/{self.balancing}, {self.cores} cores"

    def config(self):
        """The cluster: :data:`PRESET` on ``cores`` cores; tight coupling: one IMA per core."""
        from hw.config import preset
        cfg = preset(PRESET)
        if self.cores != cfg.n_cores:
            cfg = cfg.with_(n_cores=self.cores)
        return cfg.with_(imas=self.cores) if self.coupling == "tight" else cfg


#: The loose points (8 cores, the preset's default build: the test runs the first two).
LOOSE = (RtlPoint(4), RtlPoint(16), RtlPoint(0), RtlPoint(8))
#: The tight points (2 cores, each with its private one-array IMA; a build of its own).
TIGHT = (RtlPoint(4, "tight", cores=2), RtlPoint(8, "tight", cores=2))
#: Every point of the bench report.
POINTS = LOOSE + TIGHT


def reduced_net(seed: int):
    """The reduced MobileNetV2 (no row splits) and its seeded input."""
    from sim_models.nets.mobilenetv2 import mobilenetv2_graph
    graph = mobilenetv2_graph(32, 0.35, 10, seed, rows=None)
    x = np.random.default_rng(seed).integers(0, 256, graph.input_shape, dtype=np.uint8)
    return graph, x


def prepare(point: RtlPoint, graph, x, cfg):
    """``(placement, program)`` of ``point``: the placement of the graph's layers on the point's
    tiles and the program that runs the rest on the cores (on ``cfg``'s arrays and TCDM)."""
    from sim_models import coverage
    from sim_models.compiler import compile_graph
    if point.balancing != "static":
        raise ValueError(f"point {point.name}: the RTL runs static balancing (the phases of a "
                         "layer in turn, a barrier after each)")
    tight = point.coupling == "tight"
    if tight and cfg.imas != cfg.n_cores:
        raise ValueError(f"point {point.name}: tight coupling needs one IMA per core, the cluster "
                         f"has {cfg.imas} for {cfg.n_cores} cores")
    pl = coverage.place(graph.layers, point.tiles, point.policy, coupling=point.coupling,
                        cores=cfg.n_cores, granularity="layer")
    sw = {lay.name for lay in graph.layers} - {u.layer for u in pl.placed}
    ima_of = {u.layer: pl.assigned[u.key] for u in pl.placed} if tight else None
    program = compile_graph(graph, x, cfg.ima, arrays=cfg.ima.arrays, tcdm_bytes=cfg.tcdm_bytes,
                            sw_layers=sw, ima_of=ima_of)
    return pl, program


def model_spans(point: RtlPoint, graph, placement, cfg):
    """``(layers, total)``: the model's cycles of each layer (its instance's span in
    :func:`sim_models.balance.schedule`, one image) and the makespan."""
    from sim_models import balance, study
    table = study.costs_of(graph.layers, cfg)
    work = balance.build_work(graph.layers, placement, table.cost)
    r = balance.schedule(work, coupling=point.coupling, balancing=point.balancing,
                         cores=cfg.n_cores, images=1)
    return {name: f - s for (_, name), (s, f) in r.spans.items()}, r.cycles


def compare(rtl_layers, rtl_total, model_layers, model_total):
    """:func:`tb.cli.fastmodel_rtl.layer_rows` of the RTL's layers against the model's spans."""
    from tb.cli.fastmodel_rtl import layer_rows
    est = [{"name": r["name"], "cycles": model_layers[r["name"]]} for r in rtl_layers]
    return layer_rows(rtl_layers, est, rtl_total, model_total)


def run_point(point: RtlPoint, seed: int, cfg=None):
    """Run ``point`` on the RTL and the model; returns ``{point, coverage, layers_on_tiles, rows,
    rtl, model, passed, sim_wall_s, build_wall_s}`` and ``estimate``: the fast model's estimate of
    the same program (:func:`tb.cli.estimate.estimate_net`, the private IMAs' phases of a tight
    point included) against the RTL -- ``rows`` per layer, ``rtl_energy_uj``, ``energy_uj``
    (both with the cluster's ``imas``) and the whole run's energy events, ``rtl_events`` and
    ``events`` (:func:`sim_models.energy.energy_report`'s keys)."""
    from tb.cli.estimate import estimate_net
    from tb.cli.fastmodel_rtl import layer_rows
    from tb.cli.net import simulate
    cfg = point.config() if cfg is None else cfg
    graph, x = reduced_net(seed)
    pl, program = prepare(point, graph, x, cfg)
    res = simulate(program, cfg, seed=seed)
    m_layers, m_total = model_spans(point, graph, pl, cfg)
    rows = compare(res["layers"], res["total"]["cycles"], m_layers, m_total)
    est = estimate_net(program, cfg)
    estimate = {"rows": layer_rows(res["layers"], est["layers"], res["total"]["cycles"],
                                   est["total"]["cycles"]),
                "rtl_energy_uj": res["total"]["energy_uj"], "energy_uj": est["total"]["energy_uj"],
                "rtl_events": res["total"]["events"], "events": est["total"]["events"]}
    return {"point": point, "coverage": pl.coverage, "layers_on_tiles": len(pl.placed), "rows": rows,
            "rtl": res["total"]["cycles"], "model": m_total, "passed": res["total"]["passed"],
            "estimate": estimate,
            "failed": [r["name"] for r in res["layers"] if not r["passed"]],
            "sim_wall_s": res["total"]["sim_wall_s"], "build_wall_s": res["total"]["build_wall_s"]}


def format_table(results) -> str:
    """The Markdown table: point, coverage, RTL and model cycles, the largest per-layer error and
    the total's."""
    lines = ["| point | layers on tiles | coverage | RTL cycles | model cycles | max layer error "
             "| total error | bit-exact |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        per = max(((abs(x["error"]), x) for x in r["rows"] if x["name"] != "total"),
                  key=lambda t: t[0])[1]
        tot = r["rows"][-1]["error"]
        lines.append(f"| {r['point'].name} | {r['layers_on_tiles']} | {r['coverage']:.2%} | "
                     f"{r['rtl']:,} | {r['model']:,.0f} | {per['error']:+.2%} ({per['name']}) | "
                     f"{tot:+.3%} | {'yes' if r['passed'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    import os
    p = argparse.ArgumentParser(prog="python -m tb.cli.coupling_rtl", description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default="reports/coupling.md")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    results = [run_point(pt, a.seed) for pt in POINTS]
    text = ["# Coupling / balancing points on the RTL (reduced MobileNetV2, jetcas2022)", "",
            format_table(results), "",
            f"seed {a.seed}; {time.perf_counter() - t0:.0f} s wall, load average "
            f"{os.getloadavg()[0]:.1f}"]
    out = "\n".join(text) + "\n"
    os.makedirs(os.path.dirname(a.output) or ".", exist_ok=True)
    with open(a.output, "w") as f:
        f.write(out)
    print(out)
    from tb.cli.fastmodel_rtl import PER_LAYER, TOTAL
    ok = all(r["passed"] and abs(r["rows"][-1]["error"]) <= TOTAL
             and all(abs(x["error"]) <= PER_LAYER for x in r["rows"]) for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
