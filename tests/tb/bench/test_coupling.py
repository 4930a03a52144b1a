"""Coupling / balancing points on the RTL (tb/bench/coupling.py, issue 16 item 4): two coverage
points of the reduced MobileNetV2 under loose coupling and static balancing run on the RTL cluster
(``jetcas2022``'s default build), every layer bit-exact, and the scheduler of the study
(:func:`sim_models.balance.schedule` over :func:`sim_models.study.costs_of`) on the same placement
within issue 16's bounds: each layer within 5 %, the total within 2 %. Prints the error table."""

import pytest

from tb.bench import coupling
from tb.build.runner import pick_seed
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
    with pytest.raises(ValueError, match="loose coupling with static balancing"):
        coupling.prepare(coupling.RtlPoint(8, balancing="steal"), graph, x, cfg)


@pytest.mark.parametrize("point", coupling.POINTS[:2], ids=lambda p: f"T{p.tiles}")
def test_loose_static_point_on_the_rtl(point):
    seed = pick_seed()
    r = coupling.run_point(point, seed)
    assert r["passed"] and not r["failed"], f"seed {seed}: layers off the golden graph: {r['failed']}"
    print(format_rows(r["rows"], f"balance.schedule vs RTL, {point.name} (seed {seed})"))
    print(f"sim {r['sim_wall_s']:.1f} s, build {r['build_wall_s']:.1f} s")
    check_bounds(r["rows"], f"{point.name} (seed {seed})")
