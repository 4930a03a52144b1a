"""IMA alone on the TCDM, in cocotb + Verilator (tb/cocotb_tests/ima.py), for N = 1, 2, 4, 16 ports.

One Verilator build per configuration (cached under sim_build/ima_tb/). Seeds are printed;
replay with IMA_SEED=<seed>.
"""

import pytest

from hw.config import preset
from tb.build.ima import build_ima_tb
from tb.build.runner import pick_seed, run

# Two cocotb tests in one simulator start (each resets the IMA first): one start less per build.
LAYERS = ("layers_bit_exact", "phase_counters_within_busy")
ALL = ["registers_and_acquire", "acquire_contention", "program_and_readback", LAYERS,
       "misaligned_with_stalls", "bad_configurations", "soft_clear_mid_job"]
# The control path does not depend on N: run it at one N, the data path at every N.
DATA_PATH = ["layers_bit_exact", "misaligned_with_stalls"]
CASES = [(4, t) for t in ALL] + [(n, t) for n in (1, 2, 16) for t in DATA_PATH]


def _config(ports, **changes):
    # The layers of these tests use < 4 KiB: a 64 KiB TCDM keeps each Verilator build small.
    # The array and the DAC/ADC buffers are the defaults.
    return preset().with_(ports=ports, tcdm_bytes=64 * 1024, **changes)


def _run(cfg, testcase):
    runner, top = build_ima_tb(cfg)
    run(runner, top, "tb.cocotb_tests.ima", seed=pick_seed(), testcase=testcase, config=cfg)


def _name(testcase):
    return testcase if isinstance(testcase, str) else "+".join(testcase)


@pytest.mark.parametrize("ports,testcase", CASES, ids=[f"N{n}-{_name(t)}" for n, t in CASES])
def test_ima(ports, testcase):
    _run(_config(ports), testcase)


# The overlapped engine (ImaConfig.overlap): data path, exact layer time, abort, phase counters
# (a STREAMIN- / STREAMOUT-bound layer at N = 4 shares a cycle between consecutive jobs), at
# N = 4 and 16.
OVERLAP = [LAYERS, "misaligned_with_stalls", "soft_clear_mid_job"]
OV_CASES = [(n, t) for n in (4, 16) for t in OVERLAP]


@pytest.mark.parametrize("ports,testcase", OV_CASES, ids=[f"N{n}-overlap-{_name(t)}" for n, t in OV_CASES])
def test_ima_overlap(ports, testcase):
    _run(_config(ports, overlap=True), testcase)
