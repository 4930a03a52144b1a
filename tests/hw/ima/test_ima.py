"""IMA alone on the TCDM, in cocotb + Verilator (tb/cocotb_tests/ima.py), for N = 1, 2, 4, 16 ports.

One Verilator build per configuration (cached under sim_build/ima_tb/). Seeds are printed;
replay with IMA_SEED=<seed>.
"""

from dataclasses import replace

import pytest

from tb.env.ima import ImaParams
from tb.build.runner import build, pick_seed, run
from tb.build.tops import ImaTestTop

ALL = ["registers_and_acquire", "acquire_contention", "program_and_readback", "layers_bit_exact",
       "misaligned_with_stalls", "bad_configurations", "soft_clear_mid_job",
       "phase_counters_within_busy"]
# The control path does not depend on N: run it at one N, the data path at every N.
DATA_PATH = ["layers_bit_exact", "misaligned_with_stalls"]
CASES = [(4, t) for t in ALL] + [(n, t) for n in (1, 2, 16) for t in DATA_PATH]


def _params(ports):
    # The layers of these tests use < 4 KiB: a 64 KiB TCDM keeps each Verilator build small.
    # The array and the DAC/ADC buffers are the defaults.
    return ImaParams(ports=ports, tcdm_bytes=64 * 1024)


@pytest.mark.parametrize("ports,testcase", CASES, ids=[f"N{n}-{t}" for n, t in CASES])
def test_ima(ports, testcase):
    params = _params(ports)
    runner = build("ima_tb", ImaTestTop, params.top_kwargs())
    run(runner, "ima_tb", "tb.cocotb_tests.ima", seed=pick_seed(), testcase=testcase,
        extra_env=params.env())


# The overlapped engine (ImaConfig.overlap): data path, exact layer time, abort, phase counters
# (a STREAMIN- / STREAMOUT-bound layer at N = 4 shares a cycle between consecutive jobs), at
# N = 4 and 16.
OVERLAP = ["layers_bit_exact", "misaligned_with_stalls", "soft_clear_mid_job",
           "phase_counters_within_busy"]
OV_CASES = [(n, t) for n in (4, 16) for t in OVERLAP]


@pytest.mark.parametrize("ports,testcase", OV_CASES, ids=[f"N{n}-overlap-{t}" for n, t in OV_CASES])
def test_ima_overlap(ports, testcase):
    params = replace(_params(ports), overlap=1)
    runner = build("ima_tb", ImaTestTop, params.top_kwargs())
    run(runner, "ima_tb", "tb.cocotb_tests.ima", seed=pick_seed(), testcase=testcase,
        extra_env=params.env())
