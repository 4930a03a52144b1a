"""The multi-array IMA (``ImaConfig.arrays``; Garofalo et al. 2022, Sec. VI).

Amaranth simulator: :class:`hw.ima.arrays.ArrayDemux` routes every request to the macro its index
names and returns that macro's answer (random indices and payloads); the boundary has no index
members for one array (today's ports).

cocotb + Verilator on one small build (3 arrays of 64 x 32, 2 ports, 16 KiB TCDM): programming
and conductance readback per array, a pointwise layer split over all arrays and a conv over two,
bit-exact; ERROR.ARRAY for a job / programming / readback on a missing array. Seeds are printed;
replay with IMA_SEED=<seed>.
"""

import random

import pytest
from amaranth.sim import Simulator

from hw.config import ImaConfig, preset
from hw.ima.analog import AnalogCoreSignature
from hw.ima.arrays import MVM_PAYLOAD, PROG_PAYLOAD, RD_PAYLOAD, ArrayDemux
from tb.build.ima import build_ima_tb
from tb.build.runner import pick_seed, run

#: Small arrays keep the build small; three of them so that a layer spans more than two.
ARRAYS_CFG = dict(ports=2, rows=64, cols=32, dac_depth=64, adc_depth=32, tcdm_bytes=16 * 1024,
                  arrays=3)


@pytest.mark.parametrize("testcase", [("arrays_program_readback", "arrays_split_layers")],
                         ids=["program_readback+split_layers"])
def test_ima_arrays(testcase):
    cfg = preset().with_(**ARRAYS_CFG)
    runner, top = build_ima_tb(cfg)
    run(runner, top, "tb.cocotb_tests.ima", seed=pick_seed(), testcase=testcase, config=cfg)


def test_boundary_index_members():
    one = AnalogCoreSignature.for_ima(ImaConfig())
    assert not {"array", "prog_array", "rd_array"} & set(one.members)
    five = AnalogCoreSignature.for_ima(ImaConfig(arrays=5))
    assert all(five.members[n].shape == 3 for n in ("array", "prog_array", "rd_array"))
    assert five != one and five == AnalogCoreSignature(dac_depth=512, adc_depth=256, arrays=5)
    with pytest.raises(ValueError, match="arrays must be >= 2"):
        ArrayDemux(ImaConfig())
    with pytest.raises(ValueError, match="arrays must be in 1..64"):
        ImaConfig(arrays=65)


def test_array_demux_routes_requests_and_answers():
    seed = random.randrange(2**32)
    print(f"seed {seed}")
    rnd = random.Random(seed)
    cfg = ImaConfig(ports=1, rows=16, cols=16, dac_depth=4, adc_depth=4, arrays=3)
    dut = ArrayDemux(cfg)
    ac, macros = dut.ac, dut.macro
    checked = [0]

    async def tb(ctx):
        for _ in range(60):
            k = [rnd.randrange(3) for _ in range(3)]          # MVM, programming, readback
            strobes = [rnd.random() < 0.7 for _ in range(3)]
            payload = {n: rnd.getrandbits(len(getattr(ac, n)))        # as unsigned bits
                       for n in MVM_PAYLOAD + PROG_PAYLOAD + RD_PAYLOAD}
            for n, v in payload.items():
                ctx.set(getattr(ac, n), v)
            ctx.set(ac.array, k[0])
            ctx.set(ac.prog_array, k[1])
            ctx.set(ac.rd_array, k[2])
            for s, n in zip(strobes, ("start", "prog_valid", "rd_start"), strict=True):
                ctx.set(getattr(ac, n), s)
            answers = [{"done": rnd.getrandbits(1), "adc": rnd.getrandbits(32),
                        "prog_ready": rnd.getrandbits(1), "rd_done": rnd.getrandbits(1),
                        "rd_value": rnd.getrandbits(32)} for _ in range(3)]
            for mc, ans in zip(macros, answers, strict=True):
                for n, v in ans.items():
                    ctx.set(getattr(mc, n), v)
            for j, mc in enumerate(macros):
                assert ctx.get(mc.start) == (strobes[0] and j == k[0])
                assert ctx.get(mc.prog_valid) == (strobes[1] and j == k[1])
                assert ctx.get(mc.rd_start) == (strobes[2] and j == k[2])
                assert all(ctx.get(getattr(mc, n)) & ((1 << len(getattr(mc, n))) - 1) == v
                           for n, v in payload.items())
            assert ctx.get(ac.done) == answers[k[0]]["done"]
            assert ctx.get(ac.adc) == answers[k[0]]["adc"]
            assert ctx.get(ac.prog_ready) == answers[k[1]]["prog_ready"]
            assert ctx.get(ac.rd_done) == answers[k[2]]["rd_done"]
            assert ctx.get(ac.rd_value) == answers[k[2]]["rd_value"]
            checked[0] += 1
            await ctx.delay(1e-8)

    sim = Simulator(dut)                # purely combinational: no clock
    sim.add_testbench(tb)
    sim.run()
    assert checked[0] == 60
