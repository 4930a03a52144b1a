"""TCDM subsystem (logarithmic interconnect + banks): cocotb + Verilator regression, plus the
elaboration-time parameter checks. Every randomised test prints its seed; replay with
``IMA_SEED=<seed> pytest tests/hw/cluster/test_interconnect.py -k <name>``.
"""

import os

import pytest

from hw.cluster.interconnect import LogInterconnect
from hw.cluster.subsystem import TcdmSubsystem
from hw.cluster.tcdm import Tcdm
from hw.config import preset
from tb.build import runner
from tb.build.tcdm import TOP, build_tcdm, geometry

# Three geometries covering 8/16/32 banks and 4..41 masters (41 = 8 cores + 2x16 IMA ports + 1).
# Build cost grows with masters x banks; the 41 x 32 corner runs with IMA_SLOW=1.
CONFIGS = {
    "default": geometry(preset()),          # 17 masters, 16 banks, 512 KiB
    "banks32": dict(masters=4, banks=32, size_bytes=128 * 1024),
    "masters41": dict(masters=41, banks=8, size_bytes=64 * 1024),
}
SLOW_CONFIGS = {"wide": dict(masters=41, banks=32, size_bytes=512 * 1024)}
TESTS = ["random_traffic", "hammer_one_bank", "distinct_banks_full_rate", "backdoor_preload"]


@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("config", list(CONFIGS) + [
    pytest.param(c, marks=[pytest.mark.slow, pytest.mark.skipif(
        not os.environ.get("IMA_SLOW"), reason="41x32 build takes minutes: set IMA_SLOW=1")])
    for c in SLOW_CONFIGS])
def test_tcdm_subsystem(config, testcase):
    params = {**CONFIGS, **SLOW_CONFIGS}[config]
    seed = runner.pick_seed()
    r = build_tcdm(**params)
    ops = 60 if params["masters"] > 20 else 150
    runner.run(r, TOP, "tb.cocotb_tests.interconnect", seed=seed, testcase=testcase,
               config=params, options={"ops": ops})


# -- elaboration-time parameter validation (no simulation) --------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(masters=0), "masters"),
    (dict(masters=-3), "masters"),
    (dict(masters=2.5), "masters"),
    (dict(masters=4, banks=12), "banks"),
    (dict(masters=4, banks=0), "banks"),
    (dict(masters=4, banks=True), "banks"),
    (dict(masters=4, banks=16, size_bytes=1000), "size_bytes"),
    (dict(masters=4, banks=16, size_bytes=0), "size_bytes"),
    (dict(masters=4, banks=16, size_bytes=3 * 64 * 1024), "size_bytes"),
    (dict(masters=4, banks=16, size_bytes=32), "size_bytes"),
])
@pytest.mark.parametrize("cls", [TcdmSubsystem, LogInterconnect])
def test_bad_parameters(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("kwargs, name", [
    (dict(banks=3), "banks"), (dict(size_bytes=100), "size_bytes"),
])
def test_bad_tcdm_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Tcdm(**kwargs)


def test_good_parameters_elaborate():
    t = TcdmSubsystem(masters=17)
    assert (t.n_banks, t.words_per_bank, t.bank_bits, t.word_bits) == (16, 8192, 4, 13)
    assert len(t.masters) == 17
