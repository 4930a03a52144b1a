"""Lean cluster builds (``tb.build.cluster.build_cluster(lean=True)``, issue 15): only the signals
the testbench touches are public to the VPI. The model must behave exactly as the default build:
the side-by-side test runs the same bottleneck on both and compares cycles per phase, TCDM stall
cycles, the IMA's counters, the MVM count, the energy events and the output buffers (both also
checked against the numpy golden model by the run itself)."""

from dataclasses import asdict

import numpy as np
import pytest

from hw.config import preset
from sim_models.workloads import RunSpec
from tb.build import runner
from tb.build.cluster import LEAN_PUBLIC, TOP, build_cluster

#: what must not change between the two builds
_EXACT = ("passed", "checks", "cycles", "phases", "tcdm_stalled", "ima", "dwa", "mvms",
          "energy_events")


def test_public_config_text():
    text = runner.public_config(LEAN_PUBLIC)
    lines = text.splitlines()
    assert lines[0] == "`verilator_config"
    assert lines[1] == 'public_flat_rw -module "cluster" -var "*"'
    assert len(lines) == 1 + len(LEAN_PUBLIC)


@pytest.mark.parametrize("bad", [["bank*"], [("*",)], [("*", "")], [("*", 'a"b')], [("*", 3)]])
def test_public_config_rejects_bad_entries(bad):
    with pytest.raises(ValueError, match="public"):
        runner.public_config(bad)


def test_build_cluster_rejects_non_bool_lean():
    with pytest.raises(ValueError, match="lean"):
        build_cluster(preset(), lean="yes")


@pytest.mark.slow
def test_lean_build_is_exact_on_the_bottleneck():
    """HYBRID bottleneck (8x8, C = 32, t = 6) at 4/4 on the default and the lean build."""
    seed = runner.pick_seed()
    cfg = preset().with_(ports=4)
    spec = RunSpec(layer="bottleneck", mapping="HYBRID", h=8, w=8, seed=seed % 1000)
    results = []
    for lean in (False, True):
        r = build_cluster(cfg, lean=lean)
        res = runner.run(r, TOP, "tb.cocotb_tests.cluster", seed=spec.seed, config=cfg,
                         options={"spec": asdict(spec), "dump": True}, log_level="WARNING")
        assert res["passed"], (lean, res["checks"])
        results.append(res)
    old, new = results
    for key in _EXACT:
        assert new[key] == old[key], (key, old[key], new[key])
    assert old["arrays"].keys() == new["arrays"].keys() and old["arrays"]
    for name, arr in old["arrays"].items():
        np.testing.assert_array_equal(new["arrays"][name], arr, err_msg=name)
