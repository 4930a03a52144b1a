"""The speed bench (tb/bench/speed.py, issue 15): bad options are refused in one line with exit
status 2, and the ``raw`` case (the model clocked from C++, linked against a cocotb build's
objects) runs on the regression's -O0 lean 4/4 cluster build that the cluster tests already make."""

import pytest

from hw.config import preset
from tb.bench import speed


@pytest.mark.parametrize("argv, name", [
    (["--clock", "fast"], "--clock"),
    (["--cases", "raw_8"], "--cases"),
    (["--limit-cycles", "0"], "--limit-cycles"),
    (["--builds", "O9-lean"], "--builds"),
    (["--repeats", "0"], "--repeats"),
])
def test_bad_option_is_named(argv, name, capsys):
    assert speed.main(argv) == 2
    err = capsys.readouterr().err
    assert name in err and len(err.strip().splitlines()) == 1


def test_raw_case_clocks_the_cocotb_build(monkeypatch):
    monkeypatch.setenv("IMA_FAST_BUILD", "0")      # measure_raw sets it; keep it test-local
    r = speed.measure_raw(preset("aicas2021").with_(ports=4), 1500, build="O0-lean")
    assert r["cycles"] == 1500
    assert 0 < r["run_cpu_s"] and 0 < r["run_wall_s"]
    assert 0 < r["fall_share"] < 1
