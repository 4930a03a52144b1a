"""The DWA's MAC array (36 multipliers + reduction tree) and requantiser (hw/dwa/mac.py) on
Amaranth's simulator against numpy, with random values (seed ``$DWA_SEED`` or random, printed)
and the extremes (x = 255, w = -128, M = -32768, S = 0 and 31, LO/HI int8 and uint8)."""

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.dwa.mac import LANES, TAPS, MacArray, Requant
from sim_models.golden import requant


def simulate(dut, tb):
    sim = Simulator(dut)
    sim.add_testbench(tb)
    sim.run()


def test_mac_array(seed):
    rng = np.random.default_rng(seed)
    cases = [rng.integers(0, 256, (TAPS, LANES)), np.full((TAPS, LANES), 255), np.zeros((TAPS, LANES))]
    wcases = [rng.integers(-128, 128, (TAPS, LANES)), np.full((TAPS, LANES), -128),
              np.full((TAPS, LANES), 127)]
    pairs = [(x, w) for x in cases for w in wcases]
    pairs += [(rng.integers(0, 256, (TAPS, LANES)), rng.integers(-128, 128, (TAPS, LANES)))
              for _ in range(40)]
    dut = MacArray()

    async def tb(ctx):
        for x, w in pairs:
            ctx.set(dut.x, [[int(v) for v in row] for row in x])
            ctx.set(dut.w, [[int(v) for v in row] for row in w])
            got = [ctx.get(dut.acc[c]) for c in range(LANES)]
            ref = (x.astype(np.int64) * w.astype(np.int64)).sum(axis=0)
            assert got == list(ref), (x, w, got, ref)

    simulate(dut, tb)


def test_requant(seed):
    rng = random.Random(seed)
    acc_ext = [-(9 * 255 * 128), 9 * 255 * 127, 0, 1, -1, 255, -255]
    params = [(-32768, 0, -128, 127), (-32768, 31, 0, 255), (32767, 0, 0, 255), (32767, 31, -128, 127),
              (1, 0, 0, 255), (1, 1, -128, 255), (-1, 3, -128, 127)]
    for _ in range(30):
        lo = rng.randint(-128, 255)
        params.append((rng.randint(-32768, 32767), rng.randint(0, 31), lo, rng.randint(lo, 255)))
    dut = Requant()

    async def tb(ctx):
        for m, s, lo, hi in params:
            ctx.set(dut.m, m)
            ctx.set(dut.s, s)
            ctx.set(dut.lo, lo)
            ctx.set(dut.hi, hi)
            for _ in range(4):
                acc = [rng.choice(acc_ext) if rng.random() < 0.3 else rng.randint(-293760, 291465)
                       for _ in range(LANES)]
                ctx.set(dut.acc, acc)
                got = [ctx.get(dut.y[c]) for c in range(LANES)]
                ref = [int(v) & 0xFF for v in requant(acc, m, s, lo, hi)]
                assert got == ref, (acc, m, s, lo, hi, got, ref)

    simulate(dut, tb)


@pytest.mark.parametrize("cls", [MacArray, Requant])
@pytest.mark.parametrize("lanes", [0, 17, 2.0, True])
def test_bad_lanes(cls, lanes):
    with pytest.raises(ValueError, match="lanes"):
        cls(lanes)
