"""``ima-sim accuracy`` (tb/cli/accuracy.py): the JSON object on a small run (ideal == integer
model, every noise point with its seeds), the text table, the plot file, and bad options refused
with one line on stderr, exit status 2, nothing on stdout and no file written."""

import json

import pytest

from tb.cli.main import main

SMALL = ["--images", "40", "--seeds", "2"]


def test_json(capsys):
    assert main(["accuracy", "--json", *SMALL]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    r = json.loads(out)
    assert r["images"] == 40 and r["programming_seeds"] == [0, 1] and r["engine"] == "batched"
    assert r["ideal_equals_quant"] and r["ideal_acc"] == r["quant_acc"]
    assert 0.9 <= r["quant_acc"] <= 1 and 0.9 <= r["float_acc"] <= 1
    pts = r["points"]
    assert [(p["noise"], p["t_s"], p["compensated"]) for p in pts[:4]] == [
        ("prog", 0.0, False), ("prog+read", 0.0, False), ("prog+read+drift", 1.0, False),
        ("prog+read+drift", 1.0, True)]
    assert len(pts) == 12 and pts[-1]["t_s"] == 365 * 86400.0
    for p in pts:
        assert set(p) == {"noise", "t_s", "compensated", "mean", "std", "seeds", "acc"}
        assert p["seeds"] == len(p["acc"]) == 2
        assert p["mean"] == pytest.approx(sum(p["acc"]) / 2)


def test_text_and_plot(capsys, tmp_path):
    png = tmp_path / "acc.png"
    assert main(["accuracy", "--images", "20", "--seeds", "1", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "PASS: equals the integer model" in out and "batched engine" in out
    assert "prog+read+drift     1 year   yes" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_jobs_engine_gives_the_batched_figures(capsys):
    """The job-level executor (image by image) reproduces the batched engine's table exactly."""
    small = ["--json", "--images", "6", "--seeds", "1"]
    runs = []
    for engine in ("batched", "jobs"):
        assert main(["accuracy", *small, "--engine", engine]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["points"] == runs[1]["points"] and runs[1]["engine"] == "jobs"


@pytest.mark.parametrize("args, msg", [
    (["--seeds", "0"], "--seeds must be a positive integer"),
    (["--images", "-3"], "--images must be a positive integer"),
    (["--images", "361"], "images must be at most 360"),
    (["--array-rows", "0"], "--array-rows must be a positive integer"),
    (["--weights", "nowhere.npz"], "--weights: no such file"),
    (["--plot", "acc.txt"], "--plot acc.txt: the file name must end in one of"),
    (["--plot", "no/such/dir/acc.png"], "does not exist"),
    (["--array-rows", "100"], "layer fc: on 100-row arrays its 256 crossbar rows need row_splits"),
])
def test_bad_options(capsys, tmp_path, monkeypatch, args, msg):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["accuracy", *SMALL, *args])
    assert e.value.code == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1 and msg in cap.err
    assert list(tmp_path.iterdir()) == []


def test_bad_weights_file(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(SystemExit) as e:
        main(["accuracy", *SMALL, "--weights", str(bad)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "cannot load the digits CNN" in err and len(err.strip().splitlines()) == 1


# The jetcas2022 cluster exactly as tests/tb/cli/test_run_preset.py builds it (the preset's own
# arrays = 1 and 512 KiB TCDM, named here so the build key stays that one): no extra build.
RTL_CLUSTER = ["--set", "tcdm_bytes=524288", "--set", "arrays=1"]


def test_rtl_equals_executor_on_frozen_noisy_crossbars(capsys):
    """Issue 18, item 3 (small): 3 test images x 2 programming seeds x 2 drift times (1 day,
    1 year) on the RTL cluster (~35 s on the -O0 test build; 100 images run in make bench),
    each image's every layer bit-identical to the job-level executor on the same frozen noisy
    crossbars. The noise is really there: the executor's logits differ
    from the integer model's, so an RTL left on its ideal crossbars would fail the count."""
    assert main(["accuracy", "--rtl", "3", "--json", *RTL_CLUSTER]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["images"], r["seeds"], r["times_s"]) == (3, 2, [86400.0, 365 * 86400.0])
    assert r["runs"] == 12 and r["identical"] == 12 and r["different"] == 0 and r["passed"]
    assert [(p["seed"], p["t_s"]) for p in r["points"]] == [
        (0, 86400.0), (0, 365 * 86400.0), (1, 86400.0), (1, 365 * 86400.0)]
    for p in r["points"]:
        assert p["differ_from_ideal"] > 0 and p["cycles_per_image"] > 0
    assert r["mvms"] == 12 * (64 + 16 + 1)       # conv 8x8 pixels, pw 4x4, fc: one MVM each


@pytest.mark.parametrize("args, msg", [
    (["--rtl", "0"], "--rtl must be a positive integer, not 0"),
    (["--rtl", "361"], "--rtl must be at most 360 images"),
    (["--rtl", "2", "--images", "3"], "--images does not apply with --rtl"),
    (["--rtl", "2", "--engine", "jobs"], "--engine does not apply with --rtl"),
    (["--rtl", "2", "--plot", "a.png"], "--plot does not apply with --rtl"),
    (["--rtl", "2", "--preset", "nope"], "--preset must be one of"),
    (["--rtl", "2", "--set", "banks=x"], "--set banks: expected int"),
    (["--rtl", "2", "--set", "dwa=false"], "no depth-wise accelerator"),
    (["--rtl", "2", "--set", "tcdm_bytes=1024"], "the program needs 2048 TCDM bytes"),
    (["--preset", "jetcas2022"], "--preset / --set choose the RTL cluster"),
])
def test_rtl_bad_options(capsys, tmp_path, monkeypatch, args, msg):
    """Refused before any build or simulation: one line, exit status 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["accuracy", *args])
    assert e.value.code == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1 and msg in cap.err
    assert list(tmp_path.iterdir()) == []


def test_rtl_comparison_counts_a_difference(monkeypatch):
    """The comparison can fail: with a stand-in for the simulation returning the executor's
    outputs with one byte changed in one layer of one image, exactly that image run counts as
    different (no simulation here)."""
    import numpy as np

    from hw.config import preset
    from sim_models.graph import INPUT
    from sim_models.netexec import execute_program
    from tb.cli import net as net_cli
    from tb.cli.accuracy import rtl_comparison

    def fake(program, cfg, inputs, xbar_sets, monitors=True):
        outs = {s.layer: np.zeros((len(xbar_sets), len(inputs), *s.out.shape), s.out.dtype)
                for s in program.steps}
        for k, xbars in enumerate(xbar_sets):
            for i, x in enumerate(inputs):
                image = program.image.copy()
                program.buffers[INPUT].write(image, x)
                for name, y in execute_program(program, xbars, programmed=True, image=image).items():
                    outs[name][k, i] = y
        outs["pw"][1, 0, 2, 3, 4] ^= 1
        return {"outputs": outs, "cycles": np.ones((len(xbar_sets), len(inputs))), "mvms": 0,
                "build_wall_s": 0.0, "sim_wall_s": 0.0, "run_wall_s": 0.0}

    monkeypatch.setattr(net_cli, "simulate_images", fake)
    r = rtl_comparison(preset("jetcas2022"), 2, 1)
    assert (r["runs"], r["identical"], r["different"], r["passed"]) == (4, 3, 1, False)
    assert [p["different"] for p in r["points"]] == [0, 1]
