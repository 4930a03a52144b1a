"""tb.cli.fastmodel_speed without the RTL: the table and its verdict, the model's CPU timing, the
options (the RTL run itself is make bench's)."""

import json

import numpy as np
import pytest

from hw.config import preset
from sim_models import golden
from sim_models.compiler import compile_graph
from sim_models.nets.mobilenetv2 import mobilenetv2_graph
from tb.cli import fastmodel_speed as bench


def _row(name, rtl_cpu, cold, warm):
    return {"network": name, "rtl_cycles": 1000, "model_cycles": 1000, "rtl_cpu_s": rtl_cpu,
            "rtl_wall_s": 2 * rtl_cpu, "rtl_source": "test", "model_cold_s": cold,
            "model_cold_min_s": cold / 2, "model_warm_s": warm, "model_warm_min_s": warm / 2,
            "repeats": 5, "ratio_cold": rtl_cpu / cold, "ratio_cold_best": 2 * rtl_cpu / cold,
            "ratio_warm": rtl_cpu / warm, "ratio_warm_best": 2 * rtl_cpu / warm, "target": bench.TARGET,
            "met": rtl_cpu / cold >= bench.TARGET, "load": (1.0, 2.0, 3.0)}


def test_table_gives_the_ratios_and_the_verdict():
    text = bench.format_table([_row("small", 5.0, 0.01, 0.001), _row("big", 200.0, 0.01, 0.002)])
    assert ("| small | 1,000 | 1,000 | 5.0 | 10.0 | 10.00 / 5.00 | 1.00 / 0.50 | 500x / 1,000x | "
            "5,000x / 10,000x | 1.0 / 2.0 / 3.0 |") in text
    assert "small: target 10,000x met cold: no (500x on the median, 1,000x on the min; " \
           "warm 5,000x / 10,000x)" in text
    assert "big: target 10,000x met cold: yes (20,000x on the median, 40,000x on the min; " \
           "warm 100,000x / 200,000x)" in text


def test_only_the_judged_network_gets_a_verdict():
    """The target is judged on MobileNetV2 224 (``JUDGED``); another network's ratios are reported
    without a verdict, naming the judged one."""
    assert bench.JUDGED == bench.FULL
    text = bench.format_table([{**_row(bench.REDUCED, 5.0, 0.01, 0.001), "judged": False},
                               {**_row(bench.FULL, 200.0, 0.01, 0.002), "judged": True}])
    assert f"{bench.REDUCED}: cold 500x on the median, 1,000x on the min; warm 5,000x / 10,000x " \
           f"(reported, not judged: the target is judged on {bench.FULL}" in text
    assert f"{bench.REDUCED}: target" not in text
    assert f"{bench.FULL}: target 10,000x met cold: yes (20,000x on the median" in text


def _reduced():
    cfg = preset("jetcas2022")
    g = mobilenetv2_graph(32, 0.35, 10, 0, 256)
    prog = compile_graph(g, golden.random_activations(np.random.default_rng(0), tuple(g.input_shape)),
                         cfg.ima)
    return prog, cfg.with_(arrays=prog.arrays, tcdm_bytes=prog.tcdm_bytes)


def test_model_cpu_times_cold_and_warm_runs():
    """Cold runs clear the memo (and so cost more than warm ones on the reduced MobileNetV2)."""
    prog, cfg = _reduced()
    cold, cold_min = bench.model_cpu(prog, cfg, 3, cold=True)
    warm, warm_min = bench.model_cpu(prog, cfg, 3, cold=False)
    assert 0 < cold_min <= cold and 0 < warm_min <= warm
    assert warm_min < cold_min


def test_bad_repeats_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        bench.main(["--repeats", "0"])
    assert e.value.code == 2 and "--repeats" in capsys.readouterr().err


def test_model_row_takes_given_rtl_figures():
    """The RTL figures of another run (``--rtl-json``, ``--model-only``): the ratios are the given
    CPU time over the model's, the model's cycles those of the recorded RTL run."""
    prog, cfg = _reduced()
    rtl = dict(bench.RECORDED_RTL[bench.REDUCED])
    row = bench.model_row(bench.REDUCED, prog, cfg, rtl, 2)
    assert row["model_cycles"] == rtl["rtl_cycles"] == 106_652
    assert row["ratio_cold"] == pytest.approx(rtl["rtl_cpu_s"] / row["model_cold_s"])
    assert row["ratio_cold_best"] >= row["ratio_cold"] and row["met"] == (row["ratio_cold"] >= 1e4)
    assert row["judged"] is False


def test_rtl_json_round_trip(tmp_path):
    """What ``tb.cli.fastmodel_rtl --rtl-json`` writes (a list of rows) and this command's own
    ``--json`` rows read back."""
    path = tmp_path / "rtl.json"
    path.write_text(json.dumps([{"network": bench.REDUCED, "rtl_cycles": 5, "rtl_cpu_s": 2.5,
                                 "rtl_wall_s": 4.0, "rtl_source": "x"}]))
    got = bench.read_rtl_json(str(path))
    assert got[bench.REDUCED]["rtl_cpu_s"] == 2.5 and got[bench.REDUCED]["rtl_cycles"] == 5


@pytest.mark.parametrize("content", [
    None, "not json", '{"a": 1}', '[1]', '[{"network": "nope", "rtl_cpu_s": 1, "rtl_cycles": 1}]',
    '[{"network": "' + bench.REDUCED + '", "rtl_cpu_s": 0, "rtl_cycles": 1}]'])
def test_bad_rtl_json_is_one_line_exit_2(content, tmp_path, capsys):
    path = tmp_path / "rtl.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as e:
        bench.main(["--rtl-json", str(path), "--model-only", "--repeats", "1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--rtl-json" in err and len(err.strip().splitlines()) == 1
