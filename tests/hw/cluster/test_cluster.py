"""The cluster end to end (tb/cocotb_tests/cluster.py via ``ima-sim run``): every bottleneck mapping
bit-exact at 8x8, the default shape in HYBRID, single layers on SW and IMA, and the CLI's error
exits. All runs share one cached Verilator build of the cluster (N = 4).
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from tb.build.runner import PROJECT_ROOT, pick_seed, tool_env


def ima_sim(*args):
    tool_env()
    return subprocess.run([sys.executable, "-m", "tb.cli.main", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)


def run_json(*args):
    """``ima-sim run --json`` on the RTL, every output checked; then the fast model on the same
    command line (``ima-sim estimate``) must agree: every phase within 5 %, the total within 2 %
    (issue 16; tb/cli/fastmodel_rtl.py)."""
    seed = pick_seed()
    p = ima_sim("run", "--json", "--seed", str(seed), *args)
    assert p.returncode == 0, f"ima-sim run {' '.join(args)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    res = json.loads(p.stdout)          # stdout is the report alone
    assert res["passed"] and all(c["passed"] for c in res["checks"].values()), res["checks"]
    fast_model_agrees(res, ["--seed", str(seed), *args])
    return res


def fast_model_agrees(res, argv):
    """The fast model's phases and total against the RTL result ``res`` of ``ima-sim run argv``
    (and its energy within the same bounds); prints the table."""
    from tb.cli.fastmodel_rtl import check_bounds, estimate_like, format_rows, phase_rows
    drop = {i + d for i, a in enumerate(argv) if a == "--dump" for d in (0, 1)}   # a simulation option
    est = estimate_like("run", [a for i, a in enumerate(argv) if i not in drop])
    sim_only = {"build_wall_s", "sim_wall_s", "sim_cpu_s", "sim_cycles_per_s", "run_wall_s", "run_cpu_s",
                "total_wall_s", "error"}
    assert set(res) - sim_only <= set(est), sorted(set(res) - sim_only - set(est))   # the same report
    rows = phase_rows(res, est)
    print(format_rows(rows, f"fast model vs RTL: ima-sim run {' '.join(argv)}"))
    check_bounds(rows, "cycles per phase")
    check_bounds([{"name": "total", "rtl": res["energy_uj"], "model": est["energy_uj"],
                   "error": est["energy_uj"] / res["energy_uj"] - 1}], "energy")


@pytest.mark.parametrize("mapping", ["SW", "HYBRID", "IMA8", "IMA16"])
def test_bottleneck_small(mapping):
    res = run_json("--layer", "bottleneck", "--mapping", mapping, "--h", "8", "--w", "8")
    assert set(res["checks"]) == {"e", "d", "p", "y"}
    assert res["cycles"] == sum(res["phases"].values()) > 0
    ima_phases = {"SW": 0, "HYBRID": 2, "IMA8": 3, "IMA16": 3}[mapping]
    assert (res["ima"]["jobs"] > 0) == (ima_phases > 0)
    assert res["pcm_devices"] == {"SW": 0, "HYBRID": 24576, "IMA8": 52224, "IMA16": 79872}[mapping]


def test_bottleneck_default_hybrid_dump(tmp_path):
    dump = tmp_path / "out.npz"
    res = run_json("--layer", "bottleneck", "--mapping", "HYBRID", "--dump", str(dump))
    assert res["macs"] == 16 * 16 * (32 * 192 * 2 + 192 * 9)
    for key in ("gops", "tops_per_w", "energy_uj", "gops_per_mm2", "gops_per_mm2_cluster",
                "sim_wall_s", "sim_cycles_per_s", "pcm_area_mm2"):
        assert res[key] > 0, key
    d = np.load(dump)
    for key in ("x", "w_expand", "w_dw", "w_project", "m_expand", "s_expand", "m_dw", "s_dw",
                "m_project", "s_project", "y"):
        assert key in d.files, key
    from sim_models import golden
    data = golden.BottleneckData(d["x"], d["w_expand"], d["w_dw"], d["w_project"],
                                 (int(d["m_expand"]), int(d["s_expand"]), 0, 255),
                                 (int(d["m_dw"]), int(d["s_dw"]), 0, 255),
                                 (int(d["m_project"]), int(d["s_project"]), -128, 127))
    assert np.array_equal(golden.bottleneck(data)["y"], d["y"])


@pytest.mark.parametrize("layer,mapping,shape", [
    ("conv", "SW", ["--h", "6", "--w", "5", "--cin", "8", "--cout", "12"]),
    ("conv", "IMA", ["--h", "6", "--w", "5", "--cin", "8", "--cout", "12", "--stride", "2"]),
    ("pointwise", "SW", ["--h", "5", "--w", "4", "--cin", "20", "--cout", "12"]),
    ("pointwise", "IMA", ["--h", "5", "--w", "4", "--cin", "20", "--cout", "12"]),
    ("depthwise", "SW", ["--h", "6", "--w", "6", "--cin", "24"]),
    ("depthwise", "IMA16", ["--h", "6", "--w", "6", "--cin", "24"]),
    ("fc", "SW", ["--cin", "40", "--cout", "10"]),
    ("fc", "IMA", ["--cin", "40", "--cout", "10"]),
])
def test_single_layers(layer, mapping, shape):
    res = run_json("--layer", layer, "--mapping", mapping, *shape)
    assert res["layer"] == layer and res["macs"] > 0


def test_program_weights_through_registers():
    res = run_json("--layer", "pointwise", "--mapping", "IMA", "--h", "3", "--w", "3",
                   "--cin", "16", "--cout", "9", "--program-weights", "registers")
    assert res["passed"]


@pytest.mark.parametrize("args,message", [
    (["--mapping", "FOO"], "--mapping must be one of"),
    (["--layer", "pool"], "--layer must be one of"),
    (["--ports", "0"], "--ports must be in 1..16"),
    (["--ports", "17"], "--ports must be in 1..16"),
    (["--layer", "conv", "--mapping", "HYBRID"], "does not apply"),
    (["--h", "300", "--w", "300"], "does not fit"),
    (["--layer", "conv", "--mapping", "IMA", "--k", "5", "--cin", "64"], "DAC buffer"),
])
def test_cli_errors(args, message):
    p = ima_sim("run", *args)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], p.stderr
