"""Fast unit tests of the round-robin arbiter with Amaranth's own simulator."""

import random

import pytest
from amaranth.sim import Simulator

from hw.cluster.interconnect import RoundRobinArbiter


def _ref_grant(requests, pointer, n):
    for k in range(n):
        i = (pointer + k) % n
        if requests >> i & 1:
            return i
    return None


@pytest.mark.parametrize("n", [2, 3, 5, 17])
def test_round_robin_matches_reference(n):
    dut = RoundRobinArbiter(n)
    rng = random.Random(n)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    checked = []

    async def tb(ctx):
        pointer = 0
        for _ in range(300):
            req = rng.getrandbits(n) if rng.random() < 0.8 else (1 << rng.randrange(n))
            ctx.set(dut.requests, req)
            g = ctx.get(dut.grant)
            want = _ref_grant(req, pointer, n)
            assert g == (0 if want is None else 1 << want), (req, pointer, g)
            if want is not None:
                pointer = (want + 1) % n
            checked.append(g)
            await ctx.tick()

    sim.add_testbench(tb)
    sim.run()
    assert len(checked) == 300


def test_single_requester_is_wire():
    dut = RoundRobinArbiter(1)
    sim = Simulator(dut)
    seen = []

    async def tb(ctx):
        for v in (0, 1, 0, 1):
            ctx.set(dut.requests, v)
            seen.append(ctx.get(dut.grant))
            await ctx.delay(1e-8)

    sim.add_testbench(tb)
    sim.run()
    assert seen == [0, 1, 0, 1]


def test_all_requesting_is_fair():
    n = 6
    dut = RoundRobinArbiter(n)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    order = []

    async def tb(ctx):
        ctx.set(dut.requests, (1 << n) - 1)
        for _ in range(3 * n):
            order.append(ctx.get(dut.grant).bit_length() - 1)
            await ctx.tick()

    sim.add_testbench(tb)
    sim.run()
    assert order == list(range(n)) * 3


@pytest.mark.parametrize("n", [0, -1, 2.0, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        RoundRobinArbiter(n)
