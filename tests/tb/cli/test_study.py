"""``ima-sim study`` (tb/cli/study.py, tb/cli/dist.py, tb/bench/study_report.py).

The study's numbers are tested by hand in tests/sim_models/test_coverage.py and test_balance.py;
here: the same points on a dask ``LocalCluster`` of 2 worker processes give the same rows as in
this process, Ctrl-C drops the queued tasks, and the outputs (CSV, plots, report) are written.
"""

import csv
import os
import time

import pytest

from tb.cli.study import STUDY_PRESET, plan, run_study

#: a small study: MobileNetV1 (the quickest cost table), no tiles and 64 tiles, every coupling
#: and balancing, the knapsack placement: 12 points
SMALL = dict(nets=("mobilenetv1",), tiles=(0, 64), couplings=("tight", "loose"),
             balancings=("static", "layer", "steal"), policies=("knapsack",))


def _points():
    p = SMALL
    return plan(p["nets"], p["tiles"], p["couplings"], p["balancings"], p["policies"], images=2)


def test_dask_cluster_gives_the_in_process_rows_and_ctrl_c_drops_the_queue():
    """The points on an existing 2-worker cluster reached by its address (``--scheduler``; the
    LocalCluster path of :func:`tb.cli.dist.task_pool` runs in tests/tb/cli/test_bad_input.py's
    sweep Ctrl-C test) give this process's rows; Ctrl-C cancels the tasks still queued."""
    import logging

    from distributed import LocalCluster

    from tb.cli.dist import task_pool
    pts = _points()
    assert len(pts) == 12
    here, tables = run_study(pts, STUDY_PRESET)
    assert [r["tiles"] for r in here] == [0] * 6 + [64] * 6
    assert all(r["speedup"] > 0 and r["energy_gain"] > 0 for r in here)
    # 64 tiles take work off the cores: faster than without tiles under every balancing
    for a, b in zip(here[:6], here[6:], strict=True):
        assert (a["coupling"], a["balancing"]) == (b["coupling"], b["balancing"])
        assert b["coverage"] > 0 == a["coverage"] and b["speedup"] > a["speedup"], (a, b)
    futs = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.CRITICAL) as cluster:
        with pytest.raises(KeyboardInterrupt), task_pool(cluster.scheduler_address) as ex:
            there, _ = run_study(pts, STUDY_PRESET, ex)
            pids = {ex.submit(os.getpid).result() for _ in range(4)}
            futs = [ex.submit(time.sleep, 0.5) for _ in range(20)]
            raise KeyboardInterrupt
    assert os.getpid() not in pids                      # the points ran in worker processes
    assert there == here                                # same rows, bit for bit
    deadline = time.monotonic() + 10
    while any(not f.done() for f in futs) and time.monotonic() < deadline:
        time.sleep(0.05)
    ran = sum(not f.cancelled() for f in futs)
    assert ran <= 4, f"{ran} of 20 queued tasks ran after Ctrl-C"


def test_outputs(tmp_path, capsys):
    from tb.cli.main import main
    out = tmp_path / "study"
    assert main(["study", "--nets", "mobilenetv1", "--tiles", "0,64", "--policy", "knapsack,order",
                 "--balancing", "static,steal", "--images", "2", "--in-process", "-o", str(out)]) == 0
    with open(out / "study.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2 * 2
    assert {r["preset"] for r in rows} == {STUDY_PRESET}
    for name in ("study_speedup.png", "study_energy.png", "study_policies.png"):
        assert (out / name).stat().st_size > 0, name
    md = (out / "report.md").read_text()
    for text in ("## Our figure at 41 % coverage, 8 cores", "| mobilenetv1 | loose | steal |",
                 "5.9x / 5.6x", "## Where and why we differ", "Amdahl bound", "wall time"):
        assert text in md, text
    assert "wrote study.csv" in capsys.readouterr().out


def test_ctrl_c_exits_130(monkeypatch, tmp_path, capsys):
    import tb.cli.study as study_cli
    from tb.cli.main import EXIT_INTERRUPTED, main

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(study_cli, "run_study", interrupted)
    assert main(["study", "--in-process", "-o", str(tmp_path / "s")]) == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err.strip() == "ima-sim study: interrupted"
    assert not (tmp_path / "s").exists()
