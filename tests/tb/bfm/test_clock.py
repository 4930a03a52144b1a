"""The testbench clock (tb/bfm/clock.py, issue 15): one default, ``IMA_CLOCK`` over it, a bad
implementation named; the main's clock itself is tests/tb/build/test_verilator_main.py's.
That the clock changes no figure is the reference set's test (tests/tb/cli/test_refset.py)
and every cluster test's, all of which run on it."""

import pytest

from tb.bfm import clock


def test_default_is_the_main_clock():
    assert clock.CLOCK_IMPL == "main"
    assert clock.CLOCK_IMPL in clock.CLOCK_IMPLS


@pytest.mark.parametrize("bad", ["auto", "GPI", "", 1])
def test_bad_impl_is_named(bad):
    with pytest.raises(ValueError, match="impl"):
        clock.start_clock(object(), 4, impl=bad)


def test_env_overrides_the_default_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.delenv(clock.CLOCK_ENV, raising=False)
    assert clock.clock_impl() == clock.CLOCK_IMPL
    monkeypatch.setenv(clock.CLOCK_ENV, "gpi")
    assert clock.clock_impl() == "gpi"
    assert clock.clock_impl("main-eager") == "main-eager"      # an explicit impl wins
    monkeypatch.setenv(clock.CLOCK_ENV, "lazy")
    with pytest.raises(ValueError, match=clock.CLOCK_ENV):
        clock.clock_impl()


def test_outside_a_simulator_there_is_no_main_clock():
    assert clock.main_exports() is None and clock.main_clock_stats() is None
