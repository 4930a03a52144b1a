"""Coupling / balancing points on the RTL (tb/cli/coupling_rtl.py, issue 16 item 4): two coverage
points of the reduced MobileNetV2 under loose coupling and static balancing run on the RTL cluster
(``jetcas2022``'s default build), every layer bit-exact, and the scheduler of the study
(:func:`sim_models.balance.schedule` over :func:`sim_models.study.costs_of`) on the same placement
within issue 16's bounds: each layer within 5 %, the total within 2 %; the fast model's estimate
of the same program (``ima-sim estimate-net``: cycles per layer in the same bounds, energy within
2 %) too. Prints the error tables.

The two tightly coupled points (2 cores, each with its private IMA) need a cluster build of their
own (minutes): they run with ``IMA_SLOW=1`` (``make bench``)."""

import os

import pytest

from tb.build.runner import pick_seed
from tb.cli import coupling_rtl as coupling
from tb.cli.fastmodel_rtl import check_bounds, format_rows


def test_points_are_what_the_rtl_runs():
    """Host side, no simulation: a point's program puts exactly the placed layers on the IMA
    (everything else on the cores, the depth-wise layers included), and only loose / static
    points are accepted."""
    from hw.config import preset
    cfg = preset(coupling.PRESET)
    graph, x = coupling.reduced_net(3)
    pl, prog = coupling.prepare(coupling.RtlPoint(8), graph, x, cfg)
    placed = {u.layer for u in pl.placed}
    assert len(placed) == 8 and 0 < pl.coverage < 0.05
    assert {s.layer for s in prog.steps if s.unit == "ima"} == placed
    assert {s.unit for s in prog.steps if s.layer not in placed} == {"cores"}
    assert prog.tcdm_bytes == cfg.tcdm_bytes and prog.arrays == cfg.ima.arrays
    layers, total = coupling.model_spans(coupling.RtlPoint(8), graph, pl, cfg)
    assert set(layers) == {lay.name for lay in graph.layers}
    assert total == pytest.approx(sum(layers.values()))          # static: one layer after another
    with pytest.raises(ValueError, match="the RTL runs static balancing"):
        coupling.prepare(coupling.RtlPoint(8, balancing="steal"), graph, x, cfg)
    with pytest.raises(ValueError, match="tight coupling needs one IMA per core"):
        coupling.prepare(coupling.RtlPoint(8, "tight"), graph, x, cfg)
    # tight: the placed layers spread over the cores' private IMAs, each offloaded by its owner
    pt = coupling.TIGHT[1]
    tcfg = pt.config()
    assert (tcfg.n_cores, tcfg.imas) == (2, 2)
    pl, prog = coupling.prepare(pt, graph, x, tcfg)
    owners = {s.layer: k for s in prog.steps for ph in s.phases if ph.kind == "ima"
              for k in ph.args["layers"]}
    assert owners == {u.layer: pl.assigned[u.key] for u in pl.placed} and set(owners.values()) == {0, 1}


_SLOW = pytest.mark.skipif(not os.environ.get("IMA_SLOW"), reason="a cluster build of its own: IMA_SLOW=1")


_TIGHT = [pytest.param(p, marks=[pytest.mark.slow, _SLOW]) for p in coupling.TIGHT]


@pytest.mark.parametrize("point", [*coupling.LOOSE[:2], *_TIGHT], ids=lambda p: f"{p.coupling}-T{p.tiles}")
def test_static_point_on_the_rtl(point):
    seed = pick_seed()
    r = coupling.run_point(point, seed)
    assert r["passed"] and not r["failed"], f"seed {seed}: layers off the golden graph: {r['failed']}"
    print(format_rows(r["rows"], f"balance.schedule vs RTL, {point.name} (seed {seed})"))
    print(f"sim {r['sim_wall_s']:.1f} s, build {r['build_wall_s']:.1f} s")
    check_bounds(r["rows"], f"{point.name} (seed {seed})")
    # the fast model on the same program (a tight point: its private IMAs' phases, imas = 2)
    est = r["estimate"]
    print(format_rows(est["rows"], f"estimate-net vs RTL, {point.name} (seed {seed})"))
    print(f"energy: RTL {est['rtl_energy_uj']:.6f} uJ, estimate {est['energy_uj']:.6f} uJ")
    check_bounds(est["rows"], f"estimate-net, {point.name} (seed {seed})")
    assert est["energy_uj"] == pytest.approx(est["rtl_energy_uj"], rel=0.02)
    # per event: every count equal but the cores' active / idle split, whose only approximation
    # is the bank-contention stalls of the cores off a software phase's critical path
    # (docs/fastmodel.md "Bank contention": 273 of 1.79 M active cycles on T=4, seed 1)
    rtl_ev, ev = est["rtl_events"], est["events"]
    keys = sorted(set(rtl_ev) | set(ev))
    print("events (RTL, model):", {k: (rtl_ev.get(k, 0), ev.get(k, 0)) for k in keys})
    split = ("core_active_cycles", "core_idle_cycles")
    assert {k: ev.get(k, 0) for k in keys if k not in split} == {k: rtl_ev.get(k, 0) for k in keys
                                                                 if k not in split}
    assert ev["core_active_cycles"] + ev["core_idle_cycles"] == \
        rtl_ev["core_active_cycles"] + rtl_ev["core_idle_cycles"]
    assert ev["core_active_cycles"] == pytest.approx(rtl_ev["core_active_cycles"], rel=1e-3)
