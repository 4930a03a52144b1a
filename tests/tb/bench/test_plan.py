"""The sweep's run plan (tb/bench/plan.py): which runs, on which builds, with which shapes."""

import pytest

from tb.bench import plan


def test_plan_runs_sw_once_per_workload():
    runs = plan.plan((1, 2, 4, 8, 16), dwa=False)
    sw = [r for r in runs if r.mapping == "SW"]
    assert [(r.workload, r.ports) for r in sw] == [("conv", 4), ("bottleneck", 4)]
    assert len(runs) == 2 + 5 * 4 + 5                          # + the overlapped-engine series
    assert not any(r.dwa or r.config().dwa for r in runs)
    ov = [r for r in runs if r.mapping == plan.OVERLAP_SERIES]
    assert {r.ports for r in ov} == {1, 2, 4, 8, 16} and all(r.config().ima.overlap for r in ov)
    assert all(r.spec().mapping == "IMA" and r.spec().layer == "conv" for r in ov)
    assert not any(r.overlap for r in plan.plan((4,), quick=True))
    assert {r.ports for r in runs if r.mapping == "HYBRID"} == {1, 2, 4, 8, 16}
    assert plan.plan((2, 8))[0].ports == 2                     # SW on a swept build
    assert {r.ports for r in plan.plan((4,), quick=True)} == {4}
    spec = plan.plan((4,))[0].spec()
    assert (spec.layer, spec.h, spec.w, spec.cin, spec.cout, spec.padding) == ("conv", 16, 16, 32, 64, 1)
    with pytest.raises(ValueError):
        plan.plan((0, 4))


def test_port_sets_and_labels():
    assert plan.plan(plan.FULL_PORTS) == plan.plan()
    assert {r.ports for r in plan.plan(plan.QUICK_PORTS, quick=True)} == set(plan.QUICK_PORTS)
    runs = plan.plan((1, 16))
    assert runs[0].label == "conv SW any" and "bottleneck HYBRID 16/16" in {r.label for r in runs}
    assert len(set(runs)) == len(runs)                          # hashable, no duplicate run
    with pytest.raises(ValueError, match="--ports"):
        plan.plan(())


def test_plan_dwa_series():
    """IMADW at every port count on the clusters with the accelerator; the stride-2 depth-wise
    layer in SW and IMADW on the SW build; nothing else gets the accelerator."""
    runs = plan.plan((1, 2, 4, 8, 16))
    base = plan.plan((1, 2, 4, 8, 16), dwa=False)
    extra = [r for r in runs if r not in base]
    assert sorted(r.label for r in extra) == sorted(
        ["dw_s2 SW any", "dw_s2 IMADW 4/4"] + [f"bottleneck IMADW {p}/{p}" for p in (1, 2, 4, 8, 16)])
    assert all(r.config().dwa == (r.mapping == plan.DWA_SERIES) for r in runs)
    s2 = next(r for r in extra if r.workload == "dw_s2" and r.mapping == "IMADW").spec()
    assert (s2.layer, s2.stride, s2.h, s2.cin, s2.mapping) == ("depthwise", 2, 16, 192, "IMADW")
    q = plan.plan((4,), quick=True)
    assert {(r.workload, r.mapping) for r in q if r.dwa} == {("bottleneck", "IMADW"), ("dw_s2", "IMADW")}
    assert plan.plan((4,), quick=True, dwa=False) == [r for r in q if r.workload != "dw_s2" and not r.dwa]
