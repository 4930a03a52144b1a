"""``ima-sim run --mapping IMADW`` end to end on the RTL cluster with the depth-wise accelerator:
the reduced bottleneck in both port arrangements and a stride-2 depth-wise layer with C not a
multiple of 16, every output checked bit-exactly against the golden model by the run itself
(tb/cocotb_tests/cluster.py), the accelerator's busy cycles equal to the cycle model
(sim_models/dwa_perf.py: the cores sleep at the barrier, so nothing contends), and the CLI's
error exits. Two Verilator builds: the cluster with the DWA at N = 4, ``shared`` and ``separate``.
"""

import json
import subprocess
import sys

import pytest

from tb.build.runner import PROJECT_ROOT, pick_seed, tool_env


def ima_sim(*args):
    tool_env()
    return subprocess.run([sys.executable, "-m", "tb.cli.main", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=1500)


def run_json(*args):
    seed = pick_seed()
    p = ima_sim("run", "--json", "--seed", str(seed), *args)
    assert p.returncode == 0, f"ima-sim run {' '.join(args)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    res = json.loads(p.stdout)          # stdout is the report alone
    assert res["passed"] and all(c["passed"] for c in res["checks"].values()), res["checks"]
    return res


def check_dwa(res, arrangement):
    """The accelerator ran one job, its busy cycles are the model's, its MAC array worked at
    most every busy cycle, and the depth-wise phase holds the control overhead on top."""
    from hw.dwa.top import CONTROL_OVERHEAD
    dwa, model = res["dwa"], res["dwa_model"]
    assert res["dwa_arrangement"] == arrangement
    assert dwa["jobs"] == model["jobs"] == 1
    assert dwa["cycles"] == model["engine_cycles"], (dwa, model)
    assert 0 < dwa["mac_cycles"] <= dwa["cycles"]
    assert res["phases"]["depthwise"] >= dwa["cycles"] + CONTROL_OVERHEAD
    assert res["dwa_mac_per_cycle"] == pytest.approx(model["macs"] / dwa["cycles"])
    assert 0 < res["dwa_mac_per_cycle"] <= 36
    e = res["energy_breakdown_uj"]
    assert e["dwa_mac"] > 0 and e["dwa_busy"] > 0


@pytest.mark.parametrize("arrangement", ["shared", "separate"])
def test_imadw_bottleneck_small(arrangement):
    res = run_json("--layer", "bottleneck", "--mapping", "IMADW", "--h", "8", "--w", "8",
                   "--cin", "16", "--expand", "2", "--dwa-arrangement", arrangement)
    assert set(res["checks"]) == {"e", "d", "p", "y"}
    assert list(res["phases"]) == ["pointwise1", "depthwise", "pointwise2", "residual"]
    assert res["cycles"] == sum(res["phases"].values()) > 0
    assert res["ima"]["jobs"] > 0 and res["core_phases"] == ["residual"]
    assert res["pcm_devices"] == 2 * (16 * 32 + 32 * 16)           # the pointwise layers only
    check_dwa(res, arrangement)


def test_imadw_depthwise_stride2_partial_group():
    """Stride 2, odd H and W, C = 40 (two full 16-channel groups and one of 8)."""
    res = run_json("--layer", "depthwise", "--mapping", "IMADW", "--h", "9", "--w", "7",
                   "--cin", "40", "--stride", "2")
    assert list(res["phases"]) == ["depthwise"] and res["pcm_devices"] == 0
    assert res["macs"] == 5 * 4 * 40 * 9
    check_dwa(res, "shared")


@pytest.mark.parametrize("args,message", [
    (["--mapping", "IMADW", "--no-dwa"], "drop --no-dwa"),
    (["--layer", "conv", "--mapping", "IMADW"], "--mapping IMADW does not apply to --layer conv"),
    (["--layer", "depthwise", "--mapping", "IMADW", "--k", "5"], "--k must be 3"),
    (["--mapping", "IMADW", "--dwa-arrangement", "both"], "invalid choice"),
])
def test_imadw_cli_errors(args, message):
    p = ima_sim("run", *args)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert message in lines[-1], p.stderr
    if message != "invalid choice":                 # argparse prints its usage line first
        assert len(lines) == 1, p.stderr
