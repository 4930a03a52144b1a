"""``ima-sim fuzz`` options (tb/cli/fuzz.py): bad values end in one line naming the option, exit
status 2, nothing simulated; a replay reaches the shard runner with its seed and index."""

import pytest

from tb.cli.main import main

BAD = [
    (["--seed", "-1"], "--seed"),
    (["--seed", "x"], "--seed"),
    (["--configs", "0"], "--configs"),
    (["--workers", "0"], "--workers"),
    (["--replay", "-3", "--seed", "1", "--target", "ima"], "--replay"),
    (["--replay", "3"], "--replay"),
    (["--replay", "3", "--seed", "1"], "--replay"),            # both targets: which one?
    (["--min-cause-hits", "-1"], "--min-cause-hits"),
    (["--target", "npu"], "--target"),
]


@pytest.fixture
def no_sim(monkeypatch):
    import tb.bench.fuzz as fuzz

    def refuse(*a, **k):
        raise AssertionError("a simulation was started")
    monkeypatch.setattr(fuzz, "run", refuse)
    monkeypatch.setattr(fuzz, "run_shard", refuse)


@pytest.mark.parametrize("argv, option", BAD)
def test_bad_options(argv, option, capsys, no_sim):
    with pytest.raises(SystemExit) as e:
        main(["fuzz", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert option in err[-1] and "Traceback" not in "".join(err), err


def test_replay_runs_one_configuration(monkeypatch, capsys):
    import tb.bench.fuzz as fuzz
    from tb.check.regfuzz import Stats

    calls = []
    monkeypatch.setattr(fuzz, "run_shard", lambda *a, **k: calls.append((a, k)) or Stats(configs=1))
    assert main(["fuzz", "--target", "dwa", "--seed", "5", "--replay", "62"]) == 0
    assert calls == [(("dwa", 5), {"indices": [62]})]
    assert "N configurations 1 (seed 5)" in capsys.readouterr().out
