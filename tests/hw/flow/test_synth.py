"""The synthesis report (hw/flow/synth.py) on synthetic block rows: the DWA's area share against
the cluster area model and the paper's 2.1 %. (Yosys itself runs in ``make synth``: the DWA
alone takes minutes.)"""

import pytest

from hw.config import preset
from hw.flow.synth import DWA_TOTAL, PAPER_DWA_SHARE, _md, _row, dwa_share
from sim_models.area import AreaParams, cluster_area_breakdown_mm2


def _rows(ge_by_n):
    rows = []
    for n, ge in ge_by_n.items():
        rows.append(_row("engine total (incl. streamer)", n, {"$_AND_": 10}, 1.0))
        # GE of "$_NAND_" is 1.0: the row's GE is exactly ``ge``
        rows.append(_row(DWA_TOTAL, n, {"$_NAND_": ge}, 2.0))
    return rows


def test_share_uses_n4_and_the_area_model():
    rows = _rows({1: 40_000, 4: 100_000, 16: 300_000})
    s = dwa_share(rows)
    p = AreaParams()
    assert s["N"] == 4 and s["kge"] == pytest.approx(100.0)
    assert s["dwa_mm2"] == pytest.approx(100e3 * p.ge_um2 / p.logic_utilisation * 1e-6)
    cfg = preset()
    cluster = sum(cluster_area_breakdown_mm2(4, n_cores=cfg.n_cores, tcdm_bytes=cfg.tcdm_bytes,
                                             n_banks=cfg.banks).values())
    assert s["cluster_mm2"] == pytest.approx(cluster)
    assert s["share"] == pytest.approx(s["dwa_mm2"] / (cluster + s["dwa_mm2"]))
    assert s["paper_share"] == PAPER_DWA_SHARE == 0.021


def test_share_without_n4_takes_the_largest_n_and_none_without_dwa():
    assert dwa_share(_rows({1: 10_000, 2: 20_000}))["N"] == 2
    assert dwa_share([_row("engine total (incl. streamer)", 4, {"$_AND_": 1}, 0.0)]) is None


def test_report_prints_ours_next_to_the_papers():
    rows = _rows({4: 100_000})
    md = _md(rows, None, 1.0)
    s = dwa_share(rows)
    assert "## The depth-wise accelerator's share of the cluster area" in md
    assert f"| {100 * s['share']:.2f} % |" in md and "| 2.1 % |" in md
    assert f"| {DWA_TOTAL} | 4 | 100000 | 0 | 100.0 |" in md
    assert "share of the cluster area" not in _md(rows[:1], None, 1.0)
