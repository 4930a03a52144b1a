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


# The shared data interface (ImaConfig.data_interface = "shared": the Source and the Sink on one
# group of N = 4 ports, hw/hwpe/streamer/shared_port.py), on the sequential engine (the cycle
# model is exactly the split interface's) and on the overlapped one (the two streams contend;
# the model steps the shared ports): layers bit-exact and cycle-exact without competing
# traffic, within model + stalls under it; abort.
SHARED = [(False, [LAYERS, "misaligned_with_stalls"]),
          (True, [LAYERS, "misaligned_with_stalls", "soft_clear_mid_job"])]


@pytest.mark.parametrize("overlap,testcase", SHARED,
                         ids=[f"N4-shared-{'overlap' if o else 'sequential'}" for o, _ in SHARED])
def test_ima_shared(overlap, testcase):
    flat = [t for ts in testcase for t in ((ts,) if isinstance(ts, str) else ts)]
    _run(_config(4, overlap=overlap, data_interface="shared"), flat)


def test_ima_shared_pointwise_timing():
    """Garofalo et al. 2022's IMA (Sec. V-B): pipelined, one 4-port interface shared by the
    Source and the Sink, an MVM of 130 ns at 500 MHz = 65 cycles. A pointwise job streams in
    32 bytes and out 192 (or the reverse), so the shared ports are busy 14 chunks per job and the
    engine is COMPUTE-bound: cycles per job within 10 % of 65 (16 jobs; the first job's STREAMIN
    and the last one's STREAMOUT are not hidden), and equal to the cycle model. The clock and
    the MVM time only set the Python analog core's latency, so the run reuses the shared
    overlapped build."""
    cfg = _config(4, overlap=True, data_interface="shared")
    runner, top = build_ima_tb(cfg)
    res = run(runner, top, "tb.cocotb_tests.ima", seed=pick_seed(), testcase="pointwise_job_timing",
              config=cfg.with_(clock_hz=500e6, mvm_ns=130.0))
    for name, r in res.items():
        print(name, r)
        assert r["mvm_cycles"] == 65 and r["layer_cycles"] == r["model"]
        assert 65 <= r["per_job"] <= 65 * 1.1, r
