"""tb.cli.fastmodel_speed without the RTL: the table and its verdict, the model's CPU timing, the
options (the RTL run itself is make bench's)."""

import numpy as np
import pytest

from hw.config import preset
from sim_models import golden
from sim_models.compiler import compile_graph
from sim_models.nets.mobilenetv2 import mobilenetv2_graph
from tb.cli import fastmodel_speed as bench


def _row(name, rtl_cpu, cold, warm):
    return {"network": name, "rtl_cycles": 1000, "model_cycles": 1000, "rtl_cpu_s": rtl_cpu,
            "rtl_wall_s": 2 * rtl_cpu, "model_cold_s": cold, "model_warm_s": warm, "repeats": 5,
            "ratio_cold": rtl_cpu / cold, "ratio_warm": rtl_cpu / warm, "load": (1.0, 2.0, 3.0)}


def test_table_gives_the_ratios_and_the_verdict():
    text = bench.format_table([_row("small", 5.0, 0.01, 0.001), _row("big", 200.0, 0.01, 0.002)])
    assert "| small | 1,000 | 1,000 | 5.0 | 10.0 | 10.00 | 1.00 | 500x | 5,000x | 1.0 / 2.0 / 3.0 |" in text
    assert "small: does not meet the 10,000x target cold (500x; warm 5,000x)" in text
    assert "big: meets the 10,000x target cold (20,000x; warm 100,000x)" in text


def test_model_cpu_times_cold_and_warm_runs():
    """Cold runs clear the memo (and so cost more than warm ones on the reduced MobileNetV2)."""
    cfg = preset("jetcas2022")
    g = mobilenetv2_graph(32, 0.35, 10, 0, 256)
    prog = compile_graph(g, golden.random_activations(np.random.default_rng(0), tuple(g.input_shape)),
                         cfg.ima)
    cfg = cfg.with_(arrays=prog.arrays, tcdm_bytes=prog.tcdm_bytes)
    cold, cold_min = bench.model_cpu(prog, cfg, 3, cold=True)
    warm, warm_min = bench.model_cpu(prog, cfg, 3, cold=False)
    assert 0 < cold_min <= cold and 0 < warm_min <= warm
    assert warm_min < cold_min


def test_bad_repeats_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        bench.main(["--repeats", "0"])
    assert e.value.code == 2 and "--repeats" in capsys.readouterr().err
