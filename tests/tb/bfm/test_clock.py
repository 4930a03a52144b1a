"""The testbench clock (tb/bfm/clock.py, issue 15): one default, a bad implementation named.
That the GPI clock changes no figure is the reference set's test (tests/tb/cli/test_refset.py)
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
