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
                  11.5, 2.6, 9.5, 4.6, 26.0, 29.7, 0.021}


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
