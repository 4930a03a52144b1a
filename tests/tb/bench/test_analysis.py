"""The sweep's comparison with the papers (tb/bench/analysis.py) on synthetic results, and the
reference table it reads (tb/bench/reference.py). Pure Python.
"""

import math

import pytest

from tb.bench import reference
from tb.bench.analysis import analyse, paper_conv_model, ratio, within


def test_ratio_and_within():
    assert ratio(9.18, 10.2) == pytest.approx(0.9)
    assert ratio(None, 10.2) is None and ratio(1.0, None) is None and ratio(1.0, 0) is None
    assert within(10.2 * 0.85, 10.2) and within(10.2 * 1.15, 10.2)
    assert not within(10.2 * 0.84, 10.2) and not within(10.2 * 1.16, 10.2)
    assert within(None, 10.2) is None
    assert within(2.0, 3.0, tol=0.4) and not within(2.0, 3.0, tol=0.3)


def test_analyse_agreement_verdicts(make_rows, by_name):
    out = analyse(make_rows())
    ch = by_name(out["checks"])
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


def test_analyse_failures_are_marked_not_raised(make_rows, by_name):
    rows = make_rows(conv_sw=150_000, hybrid_dw=500_000, ima16_dw=50_000)
    ch = by_name(analyse(rows)["checks"])
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].verdict == "FAIL"        # 5.1x
    assert ch["HYBRID is the fastest bottleneck mapping at 4/4"].verdict == "FAIL"
    assert ch["HYBRID speed-up over SW at 4/4"].verdict == "FAIL"
    assert ch["IMA16 depthwise slower than SW depthwise (4/4)"].verdict == "FAIL"
    # a wrong device count breaks the exact area ratio
    for r in rows:
        if r["mapping"] == "IMA8":
            r["pcm_devices"] = 52225
    assert by_name(analyse(rows)["checks"])["PCM area IMA8 / HYBRID"].verdict == "FAIL"


def test_analyse_single_port_count_is_not_applicable(make_rows, by_name):
    rows = [r for r in make_rows() if int(r["ports"]) == 4]
    ch = by_name(analyse(rows)["checks"])
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].verdict == "N/A"
    assert ch["gains flatten after 4/4 (HYBRID GOPS)"].verdict == "N/A"
    assert ch["IMA8 depthwise saturates at 2/2 ports"].verdict == "N/A"
    assert ch["HYBRID is the fastest bottleneck mapping at 4/4"].verdict == "PASS"


def test_failed_run_row_and_csv_roundtrip(roundtrip_rows, by_name):
    rows, back = roundtrip_rows
    assert len(back) == len(rows) and back[-1]["passed"] == 0 and back[-1]["error"] == "RuntimeError: x"
    assert back[0]["cycles"] == 300_000 and isinstance(back[0]["cycles"], int)
    out = analyse(back)                      # the failed row is skipped, the rest analysed
    assert by_name(out["checks"])["Fig. 3 standard-conv speed-up at 1/1"].verdict == "PASS"


def test_checks_read_the_reference_table(make_rows, by_name):
    """Every paper figure a check compares with is the reference table's value."""
    ch = by_name(analyse(make_rows())["checks"])
    P = reference.PAPER
    assert ch["Fig. 3 standard-conv speed-up at 1/1"].paper == P["conv_speedup_1"].value
    assert ch["Fig. 3 standard-conv speed-up at 16/16"].paper == P["conv_speedup_16"].value
    assert ch["HYBRID speed-up over SW at 4/4"].paper == P["hybrid_speedup_4"].value
    assert ch["HYBRID 4/4 GOPS"].paper == P["hybrid_gops_4"].value
    assert ch["HYBRID 4/4 TOPS/W"].paper == P["hybrid_tops_w_4"].value
    assert ch["HYBRID 4/4 GOPS/mm^2 (PCM)"].paper == P["hybrid_gops_mm2_4"].value
    assert ch["PCM area IMA16 / HYBRID"].paper == P["pcm_ratio_ima16"].value
    assert ch["PCM area IMA8 / HYBRID"].paper == P["pcm_ratio_ima8"].value
    assert ch["GOPS/mm^2 with cluster, HYBRID / IMA16 (4/4)"].paper == P["cluster_ratio_ima16"].value
    assert ch["GOPS/mm^2 with cluster, HYBRID / IMA8 (4/4)"].paper == P["cluster_ratio_ima8"].value
    assert ch["IMA8 TOPS/W peaks at 2/2 ports"].paper == P["peak_tops_w_ports_ima8"].value


def test_reference_table_is_cited_and_frozen():
    for key, ref in {**reference.PAPER, **reference.TARGETS}.items():
        assert ref.source in reference.SOURCES and ref.where and ref.says, key
        assert isinstance(ref.value, (int, float)) and ref.value > 0, key
    assert reference.cite("conv_speedup_1") == "Ottavi et al., AICAS 2021, Sec. IV-2, Fig. 3"
    assert reference.value("hybrid_gops_4") == 13.2 and reference.value("overlap_speedup") == 55
    with pytest.raises(TypeError):
        reference.PAPER["hybrid_gops_4"] = None                  # read-only mapping
    with pytest.raises(AttributeError):
        reference.PAPER["hybrid_gops_4"].value = 1.0             # frozen entry
    with pytest.raises(ValueError, match="source"):
        reference.Reference(1.0, "x", "nowhere", "Fig. 1", "")
    with pytest.raises(KeyError):
        reference.value("no_such_number")


def test_paper_conv_model_reproduces_the_two_points():
    """The per-job overhead and SW time solved from Fig. 3 give back 10.2x and 36.7x."""
    m = paper_conv_model()
    assert (m.jobs, m.in_words, m.out_words, m.mvm) == (256, 72, 16, 18)
    assert m.macs == 16 * 16 * 9 * 32 * 64 and (m.job_cycles(1), m.job_cycles(16)) == (106, 24)
    for p, sp in reference.CONV_SPEEDUP.items():
        assert m.sw_cycles / (m.jobs * (m.job_cycles(p) + m.overhead)) == pytest.approx(sp)
    assert m.overhead == pytest.approx(7.56, abs=0.01) and math.isclose(m.sw_mac_per_cycle, 15.91,
                                                                        abs_tol=0.01)


# ------------------------------------------------------------------ the depth-wise accelerator
def test_no_dwa_checks_without_imadw_runs(make_rows):
    out = analyse(make_rows())
    assert not any("DWA" in c.name or "IMADW" in c.name for c in out["checks"]) and out["dwa"] == {}
    assert "IMADW" not in out["phases4"]


def test_dwa_checks(make_rows, make_dwa_rows, by_name):
    rows = make_rows() + make_dwa_rows()
    out = analyse(rows)
    ch = by_name(out["checks"])
    model = ch["DWA busy cycles = cycle model (sim_models/dwa_perf.py), every IMADW run"]
    assert model.verdict == "PASS" and (model.ours, model.paper) == (6, 6)
    assert ch["DWA MAC/cycle at most the multipliers' peak, every IMADW run"].verdict == "PASS"
    s1 = ch["DWA MAC/cycle, bottleneck depth-wise, stride 1 (4/4)"]
    assert s1.verdict == "INFO" and s1.ours == pytest.approx(27.6) and s1.paper == 29.7
    assert ch["DWA MAC/cycle, depth-wise, stride 2 (4/4)"].ours == pytest.approx(27_648 / 1_500)
    sw_cyc = 300_100
    im_cyc = 20_000 + 4_500 + 20_000 + 100
    hy_cyc = 20_000 + 25_000 + 40_000 + 20_000 + 100
    sp = ch["IMADW speed-up over SW at 4/4 (bottleneck)"]
    assert sp.ours == pytest.approx(sw_cyc / im_cyc) and sp.paper == 11.5 and sp.verdict == "INFO"
    sh = ch["IMADW speed-up over HYBRID at 4/4 (bottleneck)"]
    assert sh.ours == pytest.approx(hy_cyc / im_cyc) and sh.paper == 2.6 and sh.verdict == "INFO"
    assert ch["IMADW faster than HYBRID at 4/4 (bottleneck)"].verdict == "PASS"
    assert ch["IMADW energy efficiency over SW at 4/4 (TOPS/W ratio)"].ours == pytest.approx(6.0)
    dw = ch["DW speed-up of the DWA over the SW depth-wise kernel (bottleneck, 4/4)"]
    assert dw.ours == pytest.approx(70_000 / 4_500) and dw.paper == 26.0 and dw.verdict == "INFO"
    dw2 = ch["DW speed-up of the DWA over the SW depth-wise kernel (dw_s2, 4/4)"]
    assert dw2.ours == pytest.approx(30_000 / 1_900) and "HWC->CHW 10,000" in dw2.note
    area = ch["DWA share of the cluster area (our estimate, shared, 4 ports)"]
    assert area.verdict == "INFO" and 0 < area.ours < 0.1 and area.paper == 0.021
    assert set(out["phases4"]) == {"SW", "IMA8", "IMA16", "HYBRID", "IMADW"}
    assert set(out["bn"]["IMADW"]) == {1, 2, 4, 8, 16}


def test_dwa_model_mismatch_fails(make_rows, make_dwa_rows, by_name):
    out = analyse(make_rows() + make_dwa_rows(model_cycles=3_999))
    assert by_name(out["checks"])["DWA busy cycles = cycle model (sim_models/dwa_perf.py), "
                                  "every IMADW run"].verdict == "FAIL"
    out = analyse(make_rows() + make_dwa_rows(mpc=36.5))
    assert by_name(out["checks"])["DWA MAC/cycle at most the multipliers' peak, "
                                  "every IMADW run"].verdict == "FAIL"


def test_dwa_references_cite_jetcas():
    for k in ("imadw_speedup_sw", "imadw_speedup_hybrid", "imadw_energy_sw", "dwa_dw_speedup",
              "dwa_mac_per_cycle", "dwa_peak_mac_per_cycle", "dwa_area_share"):
        assert reference.PAPER[k].source == "jetcas2022", k
        assert reference.cite(k).startswith("Garofalo et al., JETCAS 2022, ")
