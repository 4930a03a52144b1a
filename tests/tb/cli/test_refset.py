"""The reference set (tb/cli/refset.py, issue 15 item 2): the cheap cases re-run on today's default
(lean) build give exactly the figures recorded from the full-visibility build -- cycles per
phase, TCDM grants and stalls per master, energy events, IMA / DWA counters, outputs' hashes.
Every case runs in ``make bench`` (``python -m tb.cli.refset --check``)."""

import pytest

from tb.cli import refset


def test_every_case_is_recorded_with_its_arguments():
    ref = refset.load()["cases"]
    assert set(ref) == set(refset.CASES)
    for name, argv in refset.CASES.items():
        assert ref[name]["argv"] == argv, name
        assert set(ref[name]["figures"]) == {*refset.EXACT, "arrays_sha256"}, name
        assert ref[name]["figures"]["passed"], name
    assert set(refset.CHEAP) <= set(refset.CASES)


def test_compare_names_each_differing_field():
    a = {"cycles": 10, "phases": {"x": 10}, "mvms": 1}
    assert refset.compare(a, dict(a)) == []
    diffs = refset.compare(a, {**a, "cycles": 11, "mvms": 2})
    assert [d.split(":")[0] for d in diffs] == ["cycles", "mvms"]


@pytest.mark.parametrize("name", refset.CHEAP)
def test_cheap_case_matches_the_recorded_figures(name):
    expected = refset.load()["cases"][name]["figures"]
    got, _ = refset.record(name)
    assert refset.compare(expected, got) == []
