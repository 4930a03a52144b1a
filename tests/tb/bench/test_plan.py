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


def test_garofalo_block():
    """Five bottleneck runs under jetcas2022 at its 4 ports, one build (overlapped, with the DWA)."""
    base = plan.plan()
    runs = plan.plan(garofalo=True)
    extra = runs[len(base):]
    assert runs[:len(base)] == base and all(r.preset == plan.DEFAULT_PRESET for r in base)
    assert [r.label for r in extra] == ["bottleneck SW any [jetcas2022]"] + [
        f"bottleneck {m} 4/4 [jetcas2022]" for m in ("IMA8", "IMA16", "HYBRID", "IMADW")]
    assert {r.build_name for r in extra} == {"jetcas2022-4-overlap-dwa"}
    cfg = extra[0].config()
    assert cfg == plan.preset_config("jetcas2022") and cfg.sw_cost == "garofalo2022"
    assert all(plan.fits(r) for r in extra)
    assert dict(extra[0].shape) == {"h": 16, "w": 16, "cin": 32, "expand": 6}
    assert len(set(runs)) == len(runs)


def test_default_runs_keep_their_configuration():
    """Under the default preset a run's configuration is what it was before presets existed."""
    for r in plan.plan():
        assert r.config() == plan.preset_config().with_(ports=r.ports, overlap=r.overlap, dwa=r.dwa)
    assert {r.build_name for r in plan.plan((4,))} == {"4", "4-overlap", "4-dwa"}


def test_plan_under_a_preset():
    """The whole sweep under jetcas2022: the conv's 288-row jobs do not fit the 256x256 array
    (left out), the IMA-OV series is the IMA series there (left out), the rest on the preset."""
    runs = plan.plan(preset="jetcas2022")
    assert all(r.preset == "jetcas2022" and r.config().ima.rows == 256 for r in runs)
    assert not any(r.mapping == plan.OVERLAP_SERIES for r in runs)
    assert not any(r.workload == "conv" and r.mapping == "IMA" for r in runs)
    assert [r.label for r in plan.left_out(preset="jetcas2022")] == [
        f"conv IMA {p}/{p} [jetcas2022]" for p in plan.FULL_PORTS]
    assert plan.left_out() == []
    assert plan.plan(preset="jetcas2022", garofalo=True) == runs      # the block is already there
    with pytest.raises(ValueError, match="preset must be one of"):
        plan.plan(preset="nope")
