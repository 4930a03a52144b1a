"""The register fuzzer (tb/check/regfuzz.py, tb/cocotb_tests/regfuzz.py, tb/bench/fuzz.py).

* Host side, fast: draws replay per (seed, index); the mix gives valid and invalid configurations
  and every ERROR cause; the reference's causes agree with ``validate`` on every draw.
* RTL (cocotb + Verilator): 1,000 configurations of the IMA and 1,000 of the DWA (``make fuzz``
  runs 100,000 of each): no hang, no stray write, no double grant, no mismatch with the
  reference; and a deliberately wrong reference is caught, so the comparison bites.
"""

import pytest

from tb.build.runner import pick_seed
from tb.check.regfuzz import MIX, Stats, make_target

TARGETS = ("ima", "dwa")
#: Configurations per target on the RTL in make test (make fuzz: 100,000).
RTL_CONFIGS = 1000


@pytest.fixture
def optimised_build(monkeypatch):
    """The fuzz tops compiled optimised (the build make fuzz uses): a shard spends its time in
    the model, where -O0 is about 4x slower (measured: 200 DWA configurations 35 s at -O0,
    8 s optimised), more than the optimised compile costs once."""
    monkeypatch.setenv("IMA_FAST_BUILD", "0")


@pytest.mark.parametrize("name", TARGETS)
def test_draws_replay_and_cover_every_cause(name):
    seed = pick_seed()
    t = make_target(name)
    draws = [t.draw(seed, i) for i in range(600)]
    again = t.draw(seed, 321)
    assert again.regs == draws[321].regs and again.causes == draws[321].causes
    assert {d.kind for d in draws} == set(MIX)
    assert all(not d.causes for d in draws if d.kind == "valid")
    hit = set().union(*(d.causes for d in draws))
    checker = {f.name for f in t.regmap["ERROR"].fields} - {"no_acquire", "aborted", "weight",
                                                              "prog_window"}
    assert hit == checker, (hit, checker)
    assert sum(not d.causes for d in draws) > 150       # valid jobs run, not only rejections
    for d in draws:                                     # causes() and validate() agree
        limits = t.limits if name == "ima" else {"tcdm_bytes": t.tcdm_bytes}
        problems = d.job.problems(**limits)
        try:
            d.job.validate(**limits)
            assert not problems, problems
        except ValueError as e:
            assert str(e) == problems[0][1]
        assert d.bound >= 1 and (d.bound > 23 or d.causes)


def test_stats_merge():
    a, b = Stats(configs=2, hangs=1, errors={"adc": 2}), Stats(configs=3, errors={"adc": 1, "array": 4})
    a.fields, b.fields = {"X": [1, 2, 3]}, {"X": [1, 0, 0]}
    a.merge(b.as_dict())
    assert (a.configs, a.hangs, a.errors, a.fields["X"], a.bad) == (5, 1, {"adc": 3, "array": 4},
                                                                     [2, 2, 3], 1)


@pytest.mark.parametrize("name", TARGETS)
def test_fuzz_rtl(name, optimised_build):
    """1,000 random configurations on the RTL, all checks clean (replay any failure with the
    printed seed: ``ima-sim fuzz --target <name> --seed S --replay INDEX``)."""
    from tb.bench.fuzz import report, run

    seed = pick_seed()
    results = run([name], RTL_CONFIGS, seed)
    print("\n".join(report(results, seed)))
    s, _ = results[name]
    assert s.configs == RTL_CONFIGS and s.bad == 0, s.failures
    assert s.completed > 200 and s.aborted > 5 and s.races > 500


def test_fuzz_catches_a_wrong_reference(optimised_build):
    """The comparison bites: with the reference's ADC range rule dropped, configurations whose
    only cause is ADC come out as mismatches (the RTL rejects them, the 'reference' expects a
    run)."""
    from tb.bench.fuzz import run_shard

    seed = 7
    t = make_target("dwa")
    only_adc = [i for i in range(400) if t.draw(seed, i).causes == {"adc"}][:3]
    assert only_adc
    s = run_shard("dwa", seed, indices=only_adc, options={"drop_cause": "adc"})
    assert s.mismatches >= len(only_adc) and {i for i, _ in s.failures} == set(only_adc), s.failures


def test_fuzz_regressions(optimised_build):
    """The configurations that found bugs, replayed on the RTL: ima seed 1 indices 35, 52, 155
    (row / column strides beyond signed 16 bits were accepted: now ERROR.WINDOW) and dwa seed 1
    index 62 (overlapping output rows: the reference now stores in the DWA's order)."""
    from tb.bench.fuzz import run_shard

    for name, seed, indices in (("ima", 1, [35, 52, 155]), ("dwa", 1, [62])):
        s = run_shard(name, seed, indices=indices)
        assert s.configs == len(indices) and s.bad == 0, (name, s.failures)
