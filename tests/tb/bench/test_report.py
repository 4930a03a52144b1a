"""The sweep's Markdown report (tb/bench/report.py) on synthetic results: sections, the failed
run, and prose whose paper numbers come from tb/bench/reference.py, not from literals.
"""

import ast
from pathlib import Path

import pytest

from tb.bench import analysis, plots, reference, report
from tb.bench.analysis import analyse

META = {"quick": False, "ports": [1, 2, 4, 8, 16], "commit": "x", "jobs": 2, "cpus": 2, "seed": 0,
        "wall_s": 1.0}


def test_failed_run_is_reported(roundtrip_rows):
    _, back = roundtrip_rows
    out = analyse(back)
    md = report.render_report(back, out, {**META, "n_runs": len(back)}, [])
    assert "| Fig. 3 standard-conv speed-up at 1/1 |" in md and "ERROR: RuntimeError: x" in md
    assert "Where and why we differ" in md


def test_prose_quotes_the_reference_numbers(make_rows):
    rows = make_rows()
    md = report.render_report(rows, analyse(rows), {**META, "n_runs": len(rows)}, [])
    assert "Paper, HYBRID 4/4: 13.2 GOPS, 2.55 TOPS/W, 19.7 GOPS/mm^2." in md
    assert "solving 10.2x at 1/1 and 36.7x at 16/16 gives o = 7.6 cycles" in md
    assert "for the paper's 4,718,592 MACs (15.9 MAC/cycle, 50% SIMD utilisation" in md
    assert "paper: 3x3, 16x16 out, 32 -> 64" in md and "paper: C = 32, t = 6" in md
    assert "i.e. 3.25 and 2.125 at C = 32 (the paper rounds the latter to 2.13)" in md
    assert "implies 0.67 mm^2 of PCM, more than the 0.45 mm^2" in md and "24,576 devices" in md


def test_prose_follows_the_reference_table(make_rows, monkeypatch):
    """Change a reference number and the prose follows: the report holds no copy of it."""
    fake = dict(reference.PAPER)
    fake["hybrid_gops_4"] = reference.Reference(99.5, "GOPS", "aicas2021", "Fig. 5a", "test")
    monkeypatch.setattr(reference, "PAPER", fake)
    rows = make_rows()
    md = report.render_report(rows, analyse(rows), {**META, "n_runs": len(rows)}, [])
    assert "Paper, HYBRID 4/4: 99.5 GOPS" in md and "at 99.5 GOPS implies" in md
    assert "13.2 GOPS" not in md and "| HYBRID 4/4 GOPS | 9.51 | 99.50 |" in md


PAPER_LITERALS = {10.2, 36.7, 13.2, 2.55, 19.7, 3.25, 2.13, 1.82, 2.56, 15.5, 18.2, 0.55, 55.0,
                  11.5, 2.6, 9.5, 4.6, 26.0, 29.7, 0.021, 1.23, 2.27, 9.2, 3.4}


@pytest.mark.parametrize("module", [analysis, plots, report])
def test_no_paper_number_written_as_a_literal(module):
    """The analysis and the report read the papers' numbers from the reference table only."""
    tree = ast.parse(Path(module.__file__).read_text())
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, float) and n.value in PAPER_LITERALS}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    found |= {x for x in PAPER_LITERALS for s in strings if f"{x:g}" in s.replace(",", " ").split()}
    assert not found, f"paper numbers written in {module.__name__}: {sorted(found)}"


def test_dwa_section(make_rows, make_dwa_rows, tmp_path):
    rows = make_rows() + make_dwa_rows()
    out = analyse(rows)
    md = report.render_report(rows, out, {**META, "n_runs": len(rows)}, [])
    assert "## The depth-wise accelerator: IMADW vs Garofalo et al., JETCAS 2022" in md
    assert "| IMADW speed-up over SW | " in md and "| 11.5x |" in md
    assert "| DW speed-up over the SW kernel, stride-2 depth-wise |" in md
    assert "2K+7 = 13 cycles per output per core for 9 MACs (0.69 MAC/cycle/core, 5.5 MAC/cycle" in md
    assert "| IMADW | 4/4 |" in md                      # the Fig. 5 table
    assert md.count("| IMADW |") >= 2                   # ... and the Fig. 6 phases
    figs = plots.plot_all(out, tmp_path)
    assert "fig5_bottleneck.png" in figs and "fig6_phases.png" in figs
    # without IMADW runs the section is absent
    rows = make_rows()
    assert "IMADW" not in report.render_report(rows, analyse(rows), {**META, "n_runs": len(rows)}, [])


def test_garofalo_section(make_rows, make_garofalo_rows):
    """Our ratios over SW under jetcas2022 next to the paper's (INFO, both energy figures), the
    phases, the preset's differing parameters and the software constants that differ."""
    rows = make_rows() + make_garofalo_rows()
    out = analyse(rows)
    g = out["garofalo"]
    assert g["ports"] == 4 and set(g["rows"]) == {"SW", "IMA8", "IMA16", "HYBRID", "IMADW"}
    assert g["rows"]["IMA16"]["speedup_sw"] == 4.0 and g["rows"]["IMADW"]["energy_sw"] == 10.0
    checks = {c.name: c for c in out["checks"] if c.name.startswith("jetcas2022:")}
    assert {c.verdict for c in checks.values()} == {"INFO"} and len(checks) == 4 + 3
    assert checks["jetcas2022: IMA8 speed-up over SW (4/4, bottleneck)"].paper == 1.23
    assert {c.paper for n, c in checks.items() if "IMADW energy" in n} == {9.5, 9.2}
    md = report.render_report(rows, out, {**META, "n_runs": len(rows)}, [])
    assert "## Garofalo et al., JETCAS 2022: the bottleneck under the `jetcas2022` preset" in md
    assert "| IMA16 | 250,000 | 500.0 |" in md and "| 4.00x | 2.27x | 1.76 |" in md
    assert "| 10.00x | 9.5x / 9.2x |" in md and "| 5.00x | 4.6x | 1.09 |" in md
    assert "| clock_hz | 250,000,000 | 500,000,000 |" in md and "| banks | 16 | 32 |" in md
    assert "| sw_cost | pulpnn | garofalo2022 |" in md
    assert "`dw_mac_per_cycle`" in md and "0.1428 per core, 63.0 cycles per output" in md
    assert "(1/4.6 - 1/11.5) / (1 - 1/26) = 14% of the SW bottleneck time; ours is 50%" in md
    # the AICAS figures are unchanged by the jetcas2022 rows
    base = make_rows()
    assert analyse(base)["bn"] == out["bn"] and not analyse(base)["garofalo"]
    assert "jetcas2022" not in report.render_report(base, analyse(base), {**META, "n_runs": len(base)}, [])


def test_garofalo_rows_roundtrip_the_csv(make_rows, make_garofalo_rows, tmp_path):
    rows = make_rows() + make_garofalo_rows()
    path = tmp_path / "s.csv"
    analysis.write_csv(path, rows)
    back = analysis.read_csv(path)
    assert [analysis.row_preset(r) for r in back] == [r["preset"] for r in rows]
    assert analyse(back)["garofalo"] == analyse(rows)["garofalo"]
    # an older CSV without the column reads as the default preset
    assert analysis.row_preset({"workload": "conv"}) == "aicas2021"


def test_sweep_under_another_preset_reads_its_rows(make_garofalo_rows):
    """--preset jetcas2022: the figures come from that preset's rows; the section still shows."""
    rows = make_garofalo_rows()
    out = analyse(rows, preset="jetcas2022")
    assert out["bn"]["IMADW"][4]["cycles"] == 90_000 and out["garofalo"]["rows"]["SW"]["cycles"] == 1_000_000
    md = report.render_report(rows, out, {**META, "n_runs": len(rows), "preset": "jetcas2022",
                                          "left_out": ["conv IMA 4/4 [jetcas2022]"]}, [])
    assert "**Preset `jetcas2022`**" in md and "conv IMA 4/4 [jetcas2022]" in md
    # the AICAS timing criteria do not judge another preset's runs: INFO, with the verdict in the note
    ch = {c.name: c for c in out["checks"]}["HYBRID is the fastest bottleneck mapping at 4/4"]
    assert ch.verdict == "INFO" and "criterion is set for aicas2021, this sweep runs jetcas2022" in ch.note
