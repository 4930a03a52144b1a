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
