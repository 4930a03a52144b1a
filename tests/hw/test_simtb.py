"""hw/simtb.py: the simulator TCDM slave answers as specified and its protocol checks bite.

The master is the testbench itself, driving the ports of a component that only has them.
"""

import random

import pytest
from amaranth.hdl import ClockDomain, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from hw.signatures import TcdmSignature
from hw.simtb import ByteTcdm, simulate


class _Ports(wiring.Component):
    def __init__(self, n):
        super().__init__({"tcdm": Out(TcdmSignature()).array(n)})

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain()          # for simulate()'s clock
        return m


def _drive(ctx, port, req, addr=0, we=0, be=0, wdata=0):
    for name, v in (("req", req), ("addr", addr), ("we", we), ("be", be), ("wdata", wdata)):
        ctx.set(getattr(port, name), v)


def test_read_write_and_counts():
    dut = _Ports(2)
    mem = bytearray(range(64))
    tcdm = ByteTcdm(dut.tcdm, mem, random.Random(0))
    seen = {}

    async def tb(ctx):
        _drive(ctx, dut.tcdm[0], 1, addr=8)                                   # read word 2
        _drive(ctx, dut.tcdm[1], 1, addr=16, we=1, be=0b0101, wdata=0xAABBCCDD)
        with pytest.raises(AssertionError, match="loads and stores"):
            await tcdm.cycle(ctx)
        _drive(ctx, dut.tcdm[1], 0)
        seen["n"] = await tcdm.cycle(ctx)
        seen["gnt"] = ctx.get(dut.tcdm[0].gnt)
        await ctx.tick()
        _drive(ctx, dut.tcdm[0], 1, addr=16, we=1, be=0b0101, wdata=0xAABBCCDD)
        await tcdm.cycle(ctx)
        seen["rdata"] = (ctx.get(dut.tcdm[0].r_valid), ctx.get(dut.tcdm[0].r_data))

    simulate(dut, tb)
    assert seen["n"] == 1 and seen["gnt"] == 1
    assert seen["rdata"] == (1, int.from_bytes(bytes([8, 9, 10, 11]), "little"))
    assert mem[16:20] == bytes([0xDD, 17, 0xBB, 19])
    # the write ran in the refused cycle and again in the last one; the refused cycle counted
    # no request
    assert tcdm.writes == 4 and tcdm.reqs == 2


def test_stalled_request_must_hold():
    dut = _Ports(1)
    tcdm = ByteTcdm(dut.tcdm, bytearray(64), random.Random(0), stall_p=1.0)

    async def tb(ctx):
        _drive(ctx, dut.tcdm[0], 1, addr=4)
        await tcdm.cycle(ctx)
        assert not ctx.get(dut.tcdm[0].gnt)
        await ctx.tick()
        _drive(ctx, dut.tcdm[0], 1, addr=8)
        with pytest.raises(AssertionError, match="changed"):
            await tcdm.cycle(ctx)
        _drive(ctx, dut.tcdm[0], 0)
        with pytest.raises(AssertionError, match="dropped a stalled request"):
            await tcdm.cycle(ctx)
        assert await tcdm.cycle(ctx, abort=True) == 0

    simulate(dut, tb)


def test_write_outside_region_named():
    dut = _Ports(1)
    tcdm = ByteTcdm(dut.tcdm, bytearray(64), random.Random(0), region="the walk")
    tcdm.allowed = {4, 5}

    async def tb(ctx):
        _drive(ctx, dut.tcdm[0], 1, addr=4, we=1, be=0b0111, wdata=1)
        with pytest.raises(AssertionError, match="byte 0x6 outside the walk"):
            await tcdm.cycle(ctx)

    simulate(dut, tb)
