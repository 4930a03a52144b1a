"""``ima-sim estimate`` / ``estimate-net`` (tb/cli/estimate.py): the report and JSON of ``run`` /
``net`` from the fast model, no build, no simulation, the model itself well under a second. Their
agreement with the RTL is asserted where the suite runs the RTL (test_net.py, tests/hw/cluster/);
their bad options are rows of test_bad_input.py."""

import csv
import json

import pytest

from tb.cli.main import main

SMALL = ["--input-size", "32", "--width", "0.35", "--classes", "10"]


@pytest.fixture
def no_simulation(monkeypatch):
    import tb.build.cluster as cluster
    import tb.build.runner as runner

    def boom(*a, **k):
        raise AssertionError("an estimate started a build or a simulation")
    monkeypatch.setattr(cluster, "build_cluster", boom)
    monkeypatch.setattr(runner, "run", boom)


def test_estimate_prints_the_run_report(capsys, no_simulation):
    assert main(["estimate", "--layer", "bottleneck", "--mapping", "IMADW", "--h", "8", "--w", "8",
                 "--preset", "jetcas2022"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ima-sim estimate: bottleneck 8x8x32 t=6, mapping IMADW, 4/4 ports, "
                          "overlapped engine, depth-wise accelerator (shared ports)")
    for phase in ("pointwise1", "depthwise", "pointwise2", "residual", "total"):
        assert f"  {phase}" in out
    assert "DWA: 1 job(s)" in out and out.strip().endswith("ESTIMATE")


def test_estimate_json_is_the_run_json(capsys, no_simulation):
    assert main(["estimate", "--json", "--layer", "conv", "--h", "6", "--w", "5", "--cin", "8",
                 "--cout", "12", "--mapping", "SW"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["estimate"] is True and res["passed"] is None and res["checks"] == {}
    assert res["cycles"] == sum(res["phases"].values()) > 0 and list(res["phases"]) == ["conv"]
    assert res["macs"] == 6 * 5 * 12 * 3 * 3 * 8 and res["energy_uj"] > 0
    assert 0 < res["model_wall_s"] < 1.0, res["model_wall_s"]


def test_estimate_net_json_csv(capsys, tmp_path, no_simulation):
    path = tmp_path / "est.csv"
    assert main(["estimate-net", *SMALL, "--json", "--csv", str(path)]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    layers, total = res["layers"], res["total"]
    assert res["estimate"] is True and len(layers) == 64 and total["passed"] is None
    assert total["cycles"] == sum(r["cycles"] for r in layers)
    assert all(r["cycles"] == sum(r["phases"].values()) for r in layers)
    assert 0 < total["model_wall_s"] < 1.0, total["model_wall_s"]
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [r["name"] for r in layers] + ["total"]
    assert int(rows[-1]["cycles"]) == total["cycles"]
    assert main(["estimate-net", *SMALL]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ima-sim estimate-net: mobilenetv2 32x32") and text.strip().endswith("ESTIMATE")


@pytest.mark.parametrize("argv", [["estimate", "--json"], ["estimate-net", *SMALL, "--json"]])
def test_estimate_does_not_import_the_hdl_stack(argv):
    """What keeps the whole command well under a second (about 0.5 s of CPU, most of it numpy and
    the network's compilation): ``ima-sim estimate`` / ``estimate-net`` import neither amaranth
    nor cocotb (nor pytest, which cocotb pulls in) -- setting up every subcommand's options must
    not import a build module (once 0.7 s: ``ima-sim traffic``'s defaults)."""
    import subprocess
    import sys
    heavy = ("amaranth", "cocotb", "cocotb_tools", "pytest")
    code = ("import sys; from tb.cli.main import main; rc = main(%r); "
            "print(rc, sorted(m for m in %r if m in sys.modules), file=sys.stderr)" % (argv, heavy))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "0 []", r.stderr
