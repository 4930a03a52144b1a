"""``--set NAME=VALUE``: any single hardware parameter of a preset from the command line."""

import argparse

import pytest

from hw.config import preset
from tb.cli.overrides import add_set_option, parse_sets
from tb.cli.run import config_from_args


def test_values_take_the_presets_types():
    got = parse_sets(["banks=32", "mvm_ns=130", "overlap=true", "data_interface=shared",
                      "dwa-arrangement=separate"], preset())
    assert got == {"banks": 32, "mvm_ns": 130.0, "overlap": True, "data_interface": "shared",
                   "dwa_arrangement": "separate"}
    assert isinstance(got["mvm_ns"], float) and isinstance(got["banks"], int)
    cfg = preset().with_(**got)
    assert cfg.banks == 32 and cfg.ima.mvm_cycles == 33 and cfg.ima.store_ports == 0


@pytest.mark.parametrize("item,needle", [("banks", "NAME=VALUE"), ("=3", "NAME=VALUE"),
                                         ("clock=5", "unknown parameter"),
                                         ("banks=many", "expected int"),
                                         ("overlap=2", "expected true or false")])
def test_bad_items_name_the_problem(item, needle):
    with pytest.raises(ValueError, match=needle):
        parse_sets([item], preset())


def _run_args(*argv):
    p = argparse.ArgumentParser()
    for name in ("--preset",):
        p.add_argument(name, default="aicas2021")
    for name in ("--ports", "--overlap", "--dwa", "--dwa-arrangement", "--mapping"):
        p.add_argument(name, default=None)
    add_set_option(p)
    return p.parse_args(list(argv))


def test_run_applies_sets_and_named_options_win():
    a = _run_args("--preset", "jetcas2022", "--set", "banks=16", "--set", "ports=2",
                  "--ports", "8")
    a.ports = int(a.ports)
    cfg = config_from_args(a)
    assert cfg.banks == 16 and cfg.ima.ports == 8 and cfg.ima.data_interface == "shared"
    with pytest.raises(ValueError, match="banks"):
        config_from_args(_run_args("--set", "banks=3"))
