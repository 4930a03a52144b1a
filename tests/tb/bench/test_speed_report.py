"""tb/bench/speed_report.py: the issue-15 targets table of the speed bench, on made-up samples
whose ratios are worked out by hand here."""

from tb.bench import speed_report


def _runs(*rates, cycles=120_000):
    return [{"cycles": cycles, "run_cpu_s": cycles / r} for r in rates]


SAMPLES = {
    "Os-full/hybrid_4/python": _runs(10_000, 12_000, 14_000),      # median 12k
    "Os-lean/hybrid_4/engine": _runs(60_000, 66_000),              # median 63k
    "Os-lean/limit_4": _runs(80_000, 90_000, 70_000),              # median 80k
    "Os-lean/conv_ima_16": _runs(30_000, cycles=8_302),
    "Os-full/limit_4": _runs(20_000),
}


def test_rows_give_medians_ratios_and_targets():
    rows = {r["key"]: r for r in speed_report.target_rows(SAMPLES)}
    assert set(rows) == {"Os-full/hybrid_4/python", "Os-lean/hybrid_4/engine", "Os-lean/conv_ima_16"}
    eng = rows["Os-lean/hybrid_4/engine"]
    assert eng["cycles_per_s"] == 63_000 and eng["limit_per_s"] == 80_000
    assert eng["vs_limit"] == 63_000 / 80_000 and eng["vs_old"] == 63_000 / 12_000
    assert eng["met"] is True and eng["goal_met"] is False and eng["path"] == "engine"
    old = rows["Os-full/hybrid_4/python"]
    assert old["vs_limit"] == 12_000 / 20_000 and old["vs_old"] == 1.0 and old["met"] is False
    conv = rows["Os-lean/conv_ima_16"]
    assert conv["limit_per_s"] is None and conv["vs_limit"] is None and conv["vs_old"] is None
    assert conv["target"] == 150_000 and conv["met"] is False and conv["goal_met"] is None


def test_format_names_every_workload_and_says_met_or_not():
    text = speed_report.format_targets(SAMPLES, load=1.5)
    assert "load average 1.5" in text.splitlines()[0]
    line = next(ln for ln in text.splitlines() if "Os-lean/hybrid_4/engine" in ln)
    assert "63,000" in line and "0.79" in line and "5.25" in line and "yes" in line
    assert "goal 100,000: no" in line
    conv = next(ln for ln in text.splitlines() if "conv_ima_16" in ln)
    assert "n/a" in conv and conv.split()[-1] == "no"
    no_old = speed_report.format_targets({"Os-lean/conv_ima_16": _runs(5_000)})
    assert "--bfm python" in no_old
    assert "no workload measured" in speed_report.format_targets({"Os-lean/limit_4": _runs(1)})


def test_the_bare_model_measured_with_a_named_clock_is_used_for_the_workloads_on_that_clock():
    samples = {"Os-lean/hybrid_4": _runs(90_000), "Os-lean/limit_4/gpi": _runs(60_000),
               "Os-lean/limit_4/main": _runs(120_000)}
    row, = speed_report.target_rows(samples, clock="main")
    assert row["limit_per_s"] == 120_000 and row["vs_limit"] == 0.75
    row, = speed_report.target_rows(samples)                  # no clock named: not guessed
    assert row["limit_per_s"] is None
    text = speed_report.format_targets(samples, clock="main")
    assert "CPU second" in text.splitlines()[0] and "0.75" in text
