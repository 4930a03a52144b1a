"""``ima-sim net`` (tb/cli/net.py): every bad option is one line on stderr, exit status 2, nothing
written and no build started; ``--export-onnx`` writes a checker-clean model that ``--onnx`` reads
back; ``--no-sim`` summarises the compiled program; and a reduced MobileNetV2 (32x32 input, width
0.35, 10 classes, ``jetcas2022``: 6 crossbars, a 64 KiB TCDM) runs end to end on the RTL
cluster with every layer bit-exact against the golden graph (checked by the run as each layer
ends), its JSON / CSV / plot consistent.
"""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from tb.build.runner import PROJECT_ROOT, pick_seed, tool_env
from tb.cli.main import main

SMALL = ("--input-size", "32", "--width", "0.35", "--classes", "10")


@pytest.fixture
def no_build(monkeypatch):
    """Fail the test if a Verilator build starts."""
    import tb.build.cluster as cluster

    def boom(*a, **k):
        raise AssertionError("a build was started")
    monkeypatch.setattr(cluster, "build_cluster", boom)


def _error(capsys, tmp_path, *args):
    """Run ``ima-sim net *args``; it must fail with exit 2, one stderr line, nothing written."""
    with pytest.raises(SystemExit) as e:
        main(["net", *args])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert e.value.code == 2 and len(lines) == 1 and not out.strip(), (e.value.code, out, err)
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith("in") for p in tmp_path.iterdir())
    return lines[0]


def _bad_onnx(tmp_path):
    """A one-node ONNX graph with an operator the cluster cannot run (Sigmoid)."""
    from onnx import TensorProto, helper
    g = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="act")], "bad",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    path = tmp_path / "in_sigmoid.onnx"
    path.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
                     .SerializeToString())
    return path


@pytest.mark.parametrize("args,message", [
    (["--model", "resnet"], "--model must be one of mobilenetv2, mobilenetv1, resnet18, resnet50, vgg16, "
                            "squeezenet1_1, not 'resnet'"),
    (["--model", "resnet18", *SMALL], "layer s2b1_conv2: a 3x3 conv with 432 crossbar rows does not fit"),
    (["--model", "mobilenetv2", "--onnx", "x.onnx"], "--model and --onnx exclude each other"),
    (["--width", "0"], "--width must be > 0"),
    (["--input-size", "0"], "--input-size must be >= 1"),
    (["--input-size", "48"], "--input-size must be a multiple of 32"),
    (["--classes", "-3"], "--classes must be >= 1"),
    (["--fc-on", "gpu"], "--fc-on must be cores or ima, not 'gpu'"),
    (["--preset", "nope"], "--preset must be one of aicas2021, jetcas2022, not 'nope'"),
    (["--set", "bogus=1"], "--set bogus: unknown parameter"),
    (["--set", "banks=x"], "--set banks: expected int"),
    (["--set", "tcdm_bytes=4096", *SMALL], "tcdm_bytes 4096 is smaller than the program's peak"),
    (["--set", "arrays=2", *SMALL], "arrays"),
    (["--set", "dwa=false", *SMALL], "--set dwa=false has no depth-wise accelerator for the network"),
    (["--preset", "aicas2021", *SMALL], "exceeds the ADC buffer"),
    (["--csv", "/nonexistent/dir/x.csv", *SMALL], "--csv /nonexistent/dir/x.csv: folder"),
    (["--plot", "/nonexistent/x.png", *SMALL], "--plot /nonexistent/x.png: folder"),
    (["--onnx", "/nonexistent/m.onnx"], "--onnx /nonexistent/m.onnx: not a readable ONNX model"),
])
def test_bad_options(capsys, tmp_path, no_build, args, message):
    extra = [] if "--csv" in args else ["--csv", str(tmp_path / "out.csv")]
    line = _error(capsys, tmp_path, *args, "--json", *extra)
    assert line.startswith("ima-sim: error: ") and message in line, line


def test_bad_onnx_files(capsys, tmp_path, no_build):
    corrupt = tmp_path / "in_corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07garbage")
    line = _error(capsys, tmp_path, "--onnx", str(corrupt))
    assert "in_corrupt.onnx" in line and "ONNX model" in line, line
    line = _error(capsys, tmp_path, "--onnx", str(_bad_onnx(tmp_path)))
    assert "'act' (Sigmoid): unsupported operator" in line, line


def test_export_then_import_no_sim(capsys, tmp_path, no_build):
    """``--export-onnx`` writes the zoo model (checker-clean, no simulation); ``--onnx`` reads it
    back into a program with the same layers, units and arrays as the zoo model's."""
    import onnx
    path = tmp_path / "m.onnx"
    assert main(["net", *SMALL, "--export-onnx", str(path)]) == 0
    assert "wrote mobilenetv2 32x32" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert main(["net", *SMALL, "--no-sim"]) == 0
    zoo = capsys.readouterr().out
    assert main(["net", "--onnx", str(path), "--no-sim"]) == 0
    imported = capsys.readouterr().out
    assert "64 layers (35 on ima, 17 on dwa, 12 on cores)" in zoo
    tail = zoo.split(": ", 2)[2]                     # after the model's title
    assert tail.split(" IMA jobs")[0] == imported.split(": ", 2)[2].split(" IMA jobs")[0]
    assert "6 arrays" in zoo and "6 arrays" in imported


@pytest.mark.parametrize("model", ["mobilenetv1", "resnet18", "squeezenet1_1"])
def test_zoo_export_onnx(capsys, tmp_path, no_build, model):
    """Zoo networks export through the CLI (reduced: 32x32, width 0.25, 10 classes), checker-clean,
    with one ONNX weight tensor per weight layer of the graph (resnet50 and vgg16 through
    export_onnx in tests/sim_models/test_onnx_io.py, which runs the same full check)."""
    import onnx

    from sim_models.nets import ZOO
    path = tmp_path / "m.onnx"
    assert main(["net", "--model", model, "--input-size", "32", "--width", "0.25", "--classes", "10",
                 "--export-onnx", str(path)]) == 0
    assert f"wrote {model} 32x32" in capsys.readouterr().out
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    g = ZOO[model](resolution=32, width=0.25, classes=10)
    assert len(m.graph.initializer) == sum(lay.weight_shape is not None for lay in g.layers)


def ima_sim(*args):
    tool_env()
    return subprocess.run([sys.executable, "-m", "tb.cli.main", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=1800)


def test_reduced_mobilenetv2_end_to_end(tmp_path):
    seed = pick_seed()
    csv_path, png = tmp_path / "net.csv", tmp_path / "net.png"
    p = ima_sim("net", *SMALL, "--seed", str(seed), "--json", "--csv", str(csv_path),
                "--plot", str(png))
    assert p.returncode == 0, f"ima-sim net failed (seed {seed}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    res = json.loads(p.stdout)          # stdout is the report alone
    layers, total = res["layers"], res["total"]
    # every layer of the graph, in execution order, each bit-exact
    from sim_models.nets.mobilenetv2 import mobilenetv2_graph
    graph = mobilenetv2_graph(32, 0.35, 10, seed, 256)
    assert [r["name"] for r in layers] == [lay.name for lay in graph.layers]
    assert all(r["passed"] and r["mismatches"] == 0 for r in layers), \
        [r["name"] for r in layers if not r["passed"]]
    for r in layers:
        assert set(r) >= {"name", "kind", "unit", "macs", "cycles", "time_ms", "energy_uj", "passed"}
        assert r["cycles"] > 0 and r["energy_uj"] > 0
        assert r["time_ms"] == pytest.approx(r["cycles"] / 500e6 * 1e3)
        assert r["macs"] == graph.layer(r["name"]).macs
        assert r["unit"] == {"conv": "ima", "pointwise": "ima", "depthwise": "dwa"}.get(r["kind"], "cores")
    assert set(total) >= {"cycles", "latency_ms", "energy_uj", "inf_per_s", "arrays", "passed"}
    assert total["passed"] is True and total["arrays"] == 6 and total["tcdm_bytes"] == 65536
    assert sum(r["cycles"] for r in layers) <= total["cycles"]
    assert total["latency_ms"] == pytest.approx(total["cycles"] / 500e6 * 1e3)
    assert total["inf_per_s"] == pytest.approx(1e3 / total["latency_ms"])
    # the whole run's events vs the per-layer deltas: equal but for the overlapped IMA's idle
    # cycles (per layer: the cycles beyond its busiest phase, an upper bound; energy.py)
    assert total["energy_uj"] == pytest.approx(sum(r["energy_uj"] for r in layers), rel=1e-3)
    assert total["macs"] == graph.macs
    # the IMA layers cost at least one 65-cycle MVM per job (pipelined engine)
    conv1 = layers[0]
    assert conv1["name"] == "conv1" and conv1["cycles"] >= 16 * 16 * 65
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [r["name"] for r in layers] + ["total"]
    assert int(rows[-1]["cycles"]) == total["cycles"]
    assert np.allclose([float(r["energy_uj"]) for r in rows[:-1]], [r["energy_uj"] for r in layers])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0 < total["sim_cpu_s"] < total["sim_wall_s"] + 60      # the simulator process's CPU time
    print(f"reduced MobileNetV2: {total['cycles']} cycles, {total['sim_cycles_per_s']:.0f} cycles/s, "
          f"run {total['sim_wall_s']:.1f} s ({total['sim_cpu_s']:.1f} s CPU), "
          f"build {total['build_wall_s']:.1f} s")
    _fast_model_agrees(layers, total, [*SMALL, "--seed", str(seed)])


def _fast_model_agrees(layers, total, argv):
    """The fast model (sim_models/fastmodel.py, ``ima-sim estimate-net``) on the network the RTL
    just ran: every layer's cycles within 5 % and the total within 2 % of the RTL's (issue 16),
    every phase of every layer too, and the energy within the same bounds (the model's event
    counts vs the RTL's counters). Prints the error table and the speed ratio."""
    from tb.cli.fastmodel_rtl import check_bounds, estimate_like, format_rows, layer_rows
    est = estimate_like("net", argv)
    assert set(layers[0]) - {"wall_s"} <= set(est["layers"][0])           # the fields of the report
    assert set(total) - {"build_wall_s", "sim_wall_s", "sim_cpu_s", "sim_cycles_per_s"} <= set(est["total"])
    rows = layer_rows(layers, est["layers"], total["cycles"], est["total"]["cycles"])
    print(format_rows(rows, "fast model vs RTL, reduced MobileNetV2"))
    check_bounds(rows, "cycles per layer")
    phases = [{"name": f"{r['name']}/{k}", "rtl": v, "model": m["phases"].get(k, 0),
               "error": (m["phases"].get(k, 0) - v) / v}
              for r, m in zip(layers, est["layers"], strict=True) for k, v in r["phases"].items()]
    check_bounds(phases, "cycles per phase")
    energy = [{"name": r["name"], "rtl": r["energy_uj"], "model": m["energy_uj"],
               "error": (m["energy_uj"] - r["energy_uj"]) / r["energy_uj"]}
              for r, m in zip(layers, est["layers"], strict=True)]
    energy.append({"name": "total", "rtl": total["energy_uj"], "model": est["total"]["energy_uj"],
                   "error": est["total"]["energy_uj"] / total["energy_uj"] - 1})
    check_bounds(energy, "energy per layer")
    wall = est["total"]["model_wall_s"]
    print(f"fast model: {wall * 1e3:.1f} ms wall, {total['sim_wall_s'] / wall:,.0f}x the RTL run's "
          f"{total['sim_wall_s']:.1f} s")
