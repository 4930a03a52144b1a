"""``ima-sim sweep``: the report's ratio / agreement logic on synthetic results (pure Python), and
the quick sweep end to end on the RTL (the N = 4 cluster build that tests/hw/cluster/test_cluster.py uses).
"""

import csv
import os
import subprocess
import sys

import pytest

from tb.bench import sweep
from tb.bench.sweep import Run, analyse, csv_row, ratio, within


# ------------------------------------------------------------------ pure logic
def test_ratio_and_within():
    assert ratio(9.18, 10.2) == pytest.approx(0.9)
    assert ratio(None, 10.2) is None and ratio(1.0, None) is None and ratio(1.0, 0) is None
    assert within(10.2 * 0.85, 10.2) and within(10.2 * 1.15, 10.2)
    assert not within(10.2 * 0.84, 10.2) and not within(10.2 * 1.16, 10.2)
    assert within(None, 10.2) is None
    assert within(2.0, 3.0, tol=0.4) and not within(2.0, 3.0, tol=0.3)


def test_plan_runs_sw_once_per_workload():
    runs = sweep.plan((1, 2, 4, 8, 16))
    sw = [r for r in runs if r.mapping == "SW"]
    assert [(r.workload, r.ports) for r in sw] == [("conv", 4), ("bottleneck", 4)]
    assert len(runs) == 2 + 5 * 4 + 5                          # + the overlapped-engine series
    ov = [r for r in runs if r.mapping == sweep.OVERLAP_SERIES]
    assert {r.ports for r in ov} == {1, 2, 4, 8, 16} and all(r.config().ima.overlap for r in ov)
    assert all(r.spec().mapping == "IMA" and r.spec().layer == "conv" for r in ov)
    assert not any(r.overlap for r in sweep.plan((4,), quick=True))
    assert {r.ports for r in runs if r.mapping == "HYBRID"} == {1, 2, 4, 8, 16}
    assert sweep.plan((2, 8))[0].ports == 2                     # SW on a swept build
    assert {r.ports for r in sweep.plan((4,), quick=True)} == {4}
    spec = sweep.plan((4,))[0].spec()
    assert (spec.layer, spec.h, spec.w, spec.cin, spec.cout, spec.padding) == ("conv", 16, 16, 32, 64, 1)
    with pytest.raises(ValueError):
        sweep.plan((0, 4))


BN_DEV = {"HYBRID": 24576, "IMA8": 52224, "IMA16": 79872}     # C = 32, t = 6 (exact counts)


def _res(cycles, phases=None, devices=0, gops=1.0, tw=1.0, gpm=None, gpmc=1.0, jobs=0):
    return {"passed": True, "cycles": cycles, "phases": phases or {}, "macs": 1000,
            "gops": gops, "tops_per_w": tw, "gops_per_mm2": gpm, "gops_per_mm2_cluster": gpmc,
            "pcm_devices": devices, "ima": {"jobs": jobs, "streamin": 0, "compute": 0, "streamout": 0},
            "sim_wall_s": 1.0, "run_wall_s": 0.5, "sim_cycles_per_s": cycles / 0.5}


def _bn_phases(pw1, dw, pw2, hwc=0, res=100):
    return {"pointwise1": pw1, "hwc2chw": hwc, "depthwise": dw, "pointwise2": pw2, "residual": res}


def _synthetic_rows(conv_sw=300_000, conv_ima=None, hybrid_dw=40_000, ima16_dw=80_000):
    conv_ima = conv_ima or {1: 29_400, 2: 16_000, 4: 12_000, 8: 9_500, 16: 8_170}
    sh = sweep.shapes(False)
    rows = [csv_row(Run("conv", "SW", 4, sh["conv"]), _res(conv_sw, {"conv": conv_sw}))]
    for p, c in conv_ima.items():
        rows.append(csv_row(Run("conv", "IMA", p, sh["conv"]), _res(c, {"conv": c}, 36864, jobs=256),
                            model_ima_cycles=c - 100))
    sw_ph = _bn_phases(100_000, 70_000, 100_000, hwc=30_000)
    rows.append(csv_row(Run("bottleneck", "SW", 4, sh["bottleneck"]), _res(sum(sw_ph.values()), sw_ph)))
    for p in (1, 2, 4, 8, 16):
        f = {1: 3.0, 2: 1.8, 4: 1.0, 8: 0.9, 16: 0.85}[p]
        dw8 = {1: 120_000, 2: 90_000, 4: 88_000, 8: 87_000, 16: 87_000}[p]
        dw16 = {1: 160_000, 2: 110_000, 4: ima16_dw, 8: ima16_dw, 16: ima16_dw}[p]
        for m, dw, hwc in (("HYBRID", hybrid_dw, 25_000), ("IMA8", dw8, 0), ("IMA16", dw16, 0)):
            ph = _bn_phases(int(20_000 * f), dw, int(20_000 * f), hwc=hwc)
            cyc = sum(ph.values())
            rows.append(csv_row(Run("bottleneck", m, p, sh["bottleneck"]),
                                _res(cyc, ph, BN_DEV[m], gops=1e6 / cyc, tw=2.0 - abs(p - 4) / 16,
                                     gpm=1e6 / cyc / BN_DEV[m], gpmc=1e6 / cyc / (1 + BN_DEV[m] / 1e5))))
    return rows


def _by_name(checks):
    return {c.name: c for c in checks}


def test_analyse_agreement_verdicts():
    out = analyse(_synthetic_rows())
    ch = _by_name(out["checks"])
    assert out["conv"][1]["speedup"] == pytest.approx(300_000 / 29_400)
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].verdict == "PASS"       # 10.2x
    assert ch["Fig. 3 standard-conv speed-up at 16/16"].verdict == "PASS"     # 36.7x
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].ratio == pytest.approx(300_000 / 29_400 / 10.2)
    assert ch["HYBRID is the fastest bottleneck mapping at 4/4"].verdict == "PASS"
    sp = ch["HYBRID speed-up over SW at 4/4"]
    assert sp.ours == pytest.approx(300_100 / (20_000 + 25_000 + 40_000 + 20_000 + 100))
    assert sp.verdict == "PASS"                                               # 2.86x vs ~3x
    assert ch["IMA16 depthwise slower than SW depthwise (4/4)"].verdict == "PASS"   # 80k > 70k
    assert ch["IMA8 depthwise saturates at 2/2 ports"].verdict == "PASS"
    assert ch["IMA16 depthwise saturates at 4/4 ports"].verdict == "PASS"
    assert ch["gains flatten after 4/4 (HYBRID GOPS)"].verdict == "PASS"
    assert ch["PCM area IMA16 / HYBRID"].ours == 3.25 and ch["PCM area IMA16 / HYBRID"].verdict == "PASS"
    assert ch["PCM area IMA8 / HYBRID"].ours == 2.125 and ch["PCM area IMA8 / HYBRID"].verdict == "PASS"
    assert ch["HYBRID 4/4 GOPS"].verdict == "INFO"
    assert ch["HYBRID TOPS/W peaks at 4/4 ports"].ours == 4
    assert set(out["phases4"]) == {"SW", "IMA8", "IMA16", "HYBRID"}


def test_analyse_failures_are_marked_not_raised():
    rows = _synthetic_rows(conv_sw=150_000, hybrid_dw=500_000, ima16_dw=50_000)
    ch = _by_name(analyse(rows)["checks"])
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].verdict == "FAIL"        # 5.1x
    assert ch["HYBRID is the fastest bottleneck mapping at 4/4"].verdict == "FAIL"
    assert ch["HYBRID speed-up over SW at 4/4"].verdict == "FAIL"
    assert ch["IMA16 depthwise slower than SW depthwise (4/4)"].verdict == "FAIL"
    # a wrong device count breaks the exact area ratio
    for r in rows:
        if r["mapping"] == "IMA8":
            r["pcm_devices"] = 52225
    assert _by_name(analyse(rows)["checks"])["PCM area IMA8 / HYBRID"].verdict == "FAIL"


def test_analyse_single_port_count_is_not_applicable():
    rows = [r for r in _synthetic_rows() if int(r["ports"]) == 4]
    ch = _by_name(analyse(rows)["checks"])
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].verdict == "N/A"
    assert ch["gains flatten after 4/4 (HYBRID GOPS)"].verdict == "N/A"
    assert ch["IMA8 depthwise saturates at 2/2 ports"].verdict == "N/A"
    assert ch["HYBRID is the fastest bottleneck mapping at 4/4"].verdict == "PASS"


def test_failed_run_row_and_csv_roundtrip(tmp_path):
    sh = sweep.shapes(True)
    rows = _synthetic_rows()
    rows.append(csv_row(Run("bottleneck", "HYBRID", 2, sh["bottleneck"]), {"error": "RuntimeError: x"}))
    path = tmp_path / "s.csv"
    sweep.write_csv(path, rows)
    back = sweep.read_csv(path)
    assert len(back) == len(rows) and back[-1]["passed"] == 0 and back[-1]["error"] == "RuntimeError: x"
    assert back[0]["cycles"] == 300_000 and isinstance(back[0]["cycles"], int)
    out = analyse(back)                      # the failed row is skipped, the rest analysed
    assert _by_name(out["checks"])["Fig. 3 standard-conv speed-up at 1/1"].verdict == "PASS"
    md = sweep.render_report(back, out, {"quick": False, "ports": [1, 2, 4, 8, 16], "commit": "x",
                                         "jobs": 2, "cpus": 2, "seed": 0, "n_runs": len(back),
                                         "wall_s": 1.0}, [])
    assert "| Fig. 3 standard-conv speed-up at 1/1 |" in md and "ERROR: RuntimeError: x" in md
    assert "Where and why we differ" in md


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
                          ("bottleneck", "HYBRID", "4")])
    assert all(r["passed"] == "1" and int(r["cycles"]) > 0 for r in rows)
    assert all(float(r["sim_cycles_per_s"]) > 0 for r in rows)
    md = (out / "report.md").read_text()
    for text in ("QUICK MODE", "Main table", "Agreement checks", "PCM area IMA16 / HYBRID",
                 "Simulator speed", "![Fig. 3](fig3_conv.png)", "| pointwise1 |"):
        assert text in md, text
    # the exact device ratios hold at the quick shape too (C = 32)
    assert "| PCM area IMA16 / HYBRID | 3.25 | 3.25 |" in md
    assert os.path.isdir(out / "logs")
    # re-render (no simulation) from the CSV/JSON gives the same tables
    p2 = subprocess.run([sys.executable, "-m", "tb.cli.main", "sweep", "--rerender", "-o", str(out)],
                        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert p2.returncode == 0, p2.stderr[-3000:]
    md2 = (out / "report.md").read_text()
    assert md2.split("## Simulator speed")[0] == md.split("## Simulator speed")[0]
