"""The digital twin (hw/ima/twin.py).

* Amaranth simulator: programming channel, readback and MVM + ADC against numpy
  (``sim_models.crossbar.adc_transfer``), random windows and ADC parameters, exact latency.
* cocotb + Verilator: the IMA tests of tb/cocotb_tests/ima.py with the twin in place of the Python
  crossbar (tb/cocotb_tests/twin.py on :class:`tb.build.tops.ImaTwinTestTop`), bit-exact.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.config import ImaConfig
from hw.ima.regmap import PR_VAL, SUBMIT_PLOT, pack_weights
from hw.ima.twin import DigitalTwin, mvm_cycles, readback_ns
from sim_models.crossbar import adc_transfer


def _program(ctx, ac, weights, row, col, array=None):
    """Drive the programming channel like the controller: 8 weights per beat along a row (of
    crossbar ``array`` of a multi-array twin)."""
    async def go():
        if array is not None:
            ctx.set(ac.prog_array, array)
        h, w = weights.shape
        for r in range(h):
            for c0 in range(0, w, 8):
                lanes = weights[r, c0:c0 + 8]
                word = pack_weights(lanes.tolist())
                ctx.set(ac.prog_valid, 1)
                ctx.set(ac.prog_row, row + r)
                ctx.set(ac.prog_col, col + c0)
                pad = SUBMIT_PLOT.field("w7").put(0xA) if len(lanes) < 8 else 0   # garbage lane
                ctx.set(ac.prog_weights, word | pad)
                ctx.set(ac.prog_count, len(lanes))
                await ctx.tick().until(ac.prog_ready)
                ctx.set(ac.prog_valid, 0)
    return go()


@pytest.mark.parametrize("arrays", [1, 3])
def test_twin_mvm_adc_readback_vs_numpy(arrays):
    """Programming, readback and MVM against numpy; with 3 arrays each holds its own weights and
    every operation names a random array (the index latched with its strobe)."""
    cfg = ImaConfig(ports=1, rows=24, cols=20, dac_depth=16, adc_depth=12, arrays=arrays)
    latency = 18
    dut = DigitalTwin(cfg, latency=latency)
    ac = dut.ac
    rng = np.random.default_rng(7)
    W = np.zeros((arrays, cfg.rows, cfg.cols), dtype=np.int64)
    multi = arrays > 1
    checked = {"mvm": 0, "rd": 0}

    async def tb(ctx):
        # Program every array in two overlapping windows (the second overwrites part).
        for a in range(arrays):
            for (r0, c0, h, w) in ((0, 0, cfg.rows, cfg.cols), (5, 3, 7, 11)):
                blk = rng.integers(-7, 8, size=(h, w))
                await _program(ctx, ac, blk, r0, c0, a if multi else None)
                W[a, r0:r0 + h, c0:c0 + w] = blk
        # Readback of a few devices.
        for _ in range(6 * arrays):
            a, r, c = int(rng.integers(arrays)), int(rng.integers(cfg.rows)), int(rng.integers(cfg.cols))
            ctx.set(ac.rd_start, 1)
            ctx.set(ac.rd_row, r)
            ctx.set(ac.rd_col, c)
            if multi:
                ctx.set(ac.rd_array, a)
            await ctx.tick()
            ctx.set(ac.rd_start, 0)
            if multi:
                ctx.set(ac.rd_array, (a + 1) % arrays)     # latched at rd_start
            (val,) = await ctx.tick().sample(ac.rd_value).until(ac.rd_done)
            gp, gn = readback_ns(int(W[a, r, c]))
            assert val == PR_VAL.pack(g_pos=gp, g_neg=gn), (a, r, c, W[a, r, c], hex(val))
            checked["rd"] += 1
        # MVMs over random windows with random ADC parameters (incl. S = 0 and int8 clamps).
        for t in range(12):
            a = int(rng.integers(arrays))
            h = int(rng.integers(1, cfg.dac_depth + 1))
            w = int(rng.integers(1, cfg.adc_depth + 1))
            row = int(rng.integers(0, cfg.rows - h + 1))
            col = int(rng.integers(0, cfg.cols - w + 1))
            x = rng.integers(0, 256, size=cfg.dac_depth, dtype=np.uint8)
            m = int(rng.integers(-(1 << 15), 1 << 15)) if t % 3 else int(rng.integers(1, 40))
            s = 0 if t % 4 == 0 else int(rng.integers(1, 32))
            lo, hi = (0, 255) if t % 2 else (-128, 127)
            for name, v in (("row", row), ("col", col), ("height", h), ("width", w),
                            ("adc_m", m), ("adc_s", s), ("adc_lo", lo), ("adc_hi", hi)):
                ctx.set(getattr(ac, name), v)
            ctx.set(ac.dac, int.from_bytes(x.tobytes(), "little"))
            if multi:
                ctx.set(ac.array, a)
            ctx.set(ac.start, 1)
            await ctx.tick()
            ctx.set(ac.start, 0)
            cycles = 2          # the start cycle and this one (start and done inclusive)
            while not ctx.get(ac.done):
                await ctx.tick()
                cycles += 1
            assert cycles == mvm_cycles(h, w, latency), (h, w, cycles)
            acc = x[:h].astype(np.int64) @ W[a, row:row + h, col:col + w]
            want = np.zeros(cfg.adc_depth, dtype=np.uint8)
            want[:w] = adc_transfer(acc, m, s, lo, hi).astype(np.int64) & 0xFF
            got = ctx.get(ac.adc).to_bytes(cfg.adc_depth, "little")
            assert got == want.tobytes(), (t, row, col, h, w, m, s, lo, hi, list(got), want)
            checked["mvm"] += 1
            await ctx.tick()
            assert not ctx.get(ac.done), "done is a one-cycle pulse"

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert checked == {"mvm": 12, "rd": 6 * arrays}


@pytest.mark.parametrize("bad,msg", [(dict(latency=1), "latency"), (dict(latency=2.5), "latency"),
                                     (dict(rows=4096, cols=512), "rows \\* cols"),
                                     (dict(rows=512, cols=512, arrays=8), "arrays \\* rows \\* cols")])
def test_twin_rejects_bad_parameters(bad, msg):
    latency = bad.pop("latency", None)
    cfg = ImaConfig(**bad) if bad else ImaConfig()
    with pytest.raises(ValueError, match=msg):
        DigitalTwin(cfg, latency=latency) if latency is not None else DigitalTwin(cfg)


# --------------------------------------------------------------------------- cocotb + Verilator
#: A small array keeps the Verilator build quick; it holds every layer the tests draw.
TWIN_TESTS = ["layers_bit_exact", "program_and_readback", "misaligned_with_stalls",
              "bad_configurations"]


@pytest.mark.parametrize("testcase", TWIN_TESTS)
def test_ima_with_twin(testcase):
    from hw.config import preset
    from tb.build.ima import build_ima_tb
    from tb.build.runner import pick_seed, run

    cfg = preset().with_(ports=2, rows=512, cols=64, dac_depth=256, adc_depth=64,
                         tcdm_bytes=64 * 1024)
    runner, top = build_ima_tb(cfg, twin=True)
    run(runner, top, "tb.cocotb_tests.twin", seed=pick_seed(), testcase=testcase, config=cfg)


def test_ima_with_twin_arrays():
    """The multi-array tests of tb/cocotb_tests/ima.py with a 3-array twin (arrays of 64 x 32,
    small for FPGA): per-array programming and readback, layers split across arrays, bit-exact."""
    from hw.config import preset
    from tb.build.ima import build_ima_tb
    from tb.build.runner import pick_seed, run

    cfg = preset().with_(ports=2, rows=64, cols=32, dac_depth=64, adc_depth=32,
                         tcdm_bytes=16 * 1024, arrays=3)
    runner, top = build_ima_tb(cfg, twin=True)
    run(runner, top, "tb.cocotb_tests.twin", seed=pick_seed(),
        testcase=("arrays_program_readback", "arrays_split_layers"), config=cfg)
