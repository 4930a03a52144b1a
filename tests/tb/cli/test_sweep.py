"""``ima-sim sweep`` (tb/cli/sweep.py) end to end on the RTL: the quick sweep (the N = 4 cluster
build that tests/hw/cluster/test_cluster.py uses, and the N = 4 cluster with the depth-wise
accelerator that tests/tb/cli/test_run_dwa.py uses), its files, and ``--rerender`` from its CSV/JSON.
The plan, analysis and report logic are tested on synthetic results in tests/tb/bench/.
"""

import csv
import os
import subprocess
import sys


# ------------------------------------------------------------------ end to end (RTL)
def test_quick_sweep_end_to_end(tmp_path):
    from tb.build.runner import PROJECT_ROOT, tool_env
    tool_env()
    out = tmp_path / "sweep"
    p = subprocess.run([sys.executable, "-m", "tb.cli.main", "sweep", "--quick", "--jobs", "2",
                        "-o", str(out)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                       timeout=1200)
    assert p.returncode == 0, f"{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    for name in ("sweep.csv", "report.md", "fig3_conv.png", "fig5_bottleneck.png", "fig6_phases.png"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    got = sorted((r["workload"], r["mapping"], r["ports"]) for r in rows)
    assert got == sorted([("conv", "SW", "4"), ("conv", "IMA", "4"), ("bottleneck", "SW", "4"),
                          ("bottleneck", "IMA8", "4"), ("bottleneck", "IMA16", "4"),
                          ("bottleneck", "HYBRID", "4"), ("bottleneck", "IMADW", "4"),
                          ("dw_s2", "SW", "4"), ("dw_s2", "IMADW", "4")])
    assert all(r["passed"] == "1" and int(r["cycles"]) > 0 for r in rows)
    assert all(float(r["sim_cycles_per_s"]) > 0 for r in rows)
    md = (out / "report.md").read_text()
    for text in ("QUICK MODE", "Main table", "Agreement checks", "PCM area IMA16 / HYBRID",
                 "Simulator speed", "![Fig. 3](fig3_conv.png)", "| pointwise1 |",
                 "## The depth-wise accelerator: IMADW vs Garofalo et al., JETCAS 2022"):
        assert text in md, text
    # the accelerator's busy cycles equal the cycle model on every IMADW run
    dwa = [r for r in rows if r["mapping"] == "IMADW"]
    assert all(r["dwa_cycles"] == r["model_dwa_cycles"] != "" for r in dwa)
    assert "| DWA busy cycles = cycle model (sim_models/dwa_perf.py), every IMADW run | 2 | 2 |" in md
    # the exact device ratios hold at the quick shape too (C = 32)
    assert "| PCM area IMA16 / HYBRID | 3.25 | 3.25 |" in md
    assert os.path.isdir(out / "logs")
    # re-render (no simulation) from the CSV/JSON gives the same tables
    p2 = subprocess.run([sys.executable, "-m", "tb.cli.main", "sweep", "--rerender", "-o", str(out)],
                        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert p2.returncode == 0, p2.stderr[-3000:]
    md2 = (out / "report.md").read_text()
    assert md2.split("## Simulator speed")[0] == md.split("## Simulator speed")[0]


def test_sweep_rejects_a_bad_preset(tmp_path, capsys):
    import pytest

    from tb.cli.main import main
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--preset", "nope", "-o", str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ima-sim: error: --preset must be one of aicas2021, jetcas2022, not 'nope'"]
    assert not out.exists()


def test_sweep_passes_the_preset(tmp_path, monkeypatch):
    """``--preset`` reaches the plan; the Garofalo block is on for a full sweep, off for --quick."""
    import tb.cli.sweep as sweep
    from tb.cli.main import main
    seen = []
    monkeypatch.setattr(sweep, "run_sweep", lambda outdir, **kw: seen.append(kw) or {"rows": []})
    assert main(["sweep", "--preset", "jetcas2022", "--ports", "4", "-o", str(tmp_path / "a")]) == 0
    assert main(["sweep", "--quick", "-o", str(tmp_path / "b")]) == 0
    assert main(["sweep", "--no-garofalo", "-o", str(tmp_path / "c")]) == 0
    assert [(k["preset"], k["garofalo"]) for k in seen] == [("jetcas2022", True), ("aicas2021", False),
                                                           ("aicas2021", False)]
