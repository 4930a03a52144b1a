"""The RTL request engine (hw/verif/engine.py) in Amaranth's simulator against a responder that
grants at random: requests come out in the order written, one per cycle while granted, never
retracted or changed while stalled; every response lands in its ring slot; ``flag`` follows
the outstanding count; the ring is refilled past its depth without a gap; idle, the port holds
the last granted request's fields."""

import random

import pytest
from amaranth.sim import Simulator

from hw.verif.engine import RequestEngine, ctl_word
from tb.build.runner import pick_seed


def _ops(rng, n):
    return [(rng.randrange(1 << 16) * 4, rng.random() < 0.5, rng.randrange(1, 16), rng.randrange(1 << 32))
            for _ in range(n)]


def _run(depth, ops, seed, gnt_p=0.6, prefill=False, registered=False):
    """Push ``ops`` (addr, we, be, wdata) through the engine against a random-grant responder,
    writing one ring slot per cycle through the fill port (all of them first with ``prefill``)
    and publishing them so that the engine presents them from the next cycle on: with
    ``registered`` (``wr_reg = 1``) ``wr_ptr`` is written in the cycle of the slot's write and
    taken at the edge, otherwise it is written a cycle later and taken at once. The engine's
    pointer, and so the port trace, is the same either way. ``thr`` is half the ring until the
    last op is published, then 0 (written with ``wr_ptr``). Returns the per-cycle port trace,
    the responses read back and the per-cycle ``flag``."""
    rng = random.Random(seed)
    dut = RequestEngine(depth)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    mask = 2 * depth - 1
    out = {"trace": [], "rsp": [], "flag": []}

    def put(ctx, k):
        c = dut.ctl
        addr, we, be, wdata = ops[k]
        ctx.set(c.fill_en, 1)
        ctx.set(c.fill_idx, k % depth)
        ctx.set(c.fill_addr, addr)
        ctx.set(c.fill_ctl, ctl_word(we, be))
        ctx.set(c.fill_wdata, wdata)

    async def bench(ctx):
        b, c = dut.bus, dut.ctl
        n = len(ops)
        written = sent = got = read_back = 0

        def publish():
            nonlocal sent
            if sent < written:
                sent = written
                ctx.set(c.thr, 0 if sent == n else depth // 2)
                ctx.set(c.wr_ptr, sent & mask)

        ctx.set(c.wr_reg, registered)
        if prefill:
            for k in range(n):
                put(ctx, k)
                written = k + 1
                if registered and written == n:
                    publish()
                await ctx.tick()
        pending = None                   # fields granted last cycle: answered now
        while got < n:
            ptr = sent if registered else None      # what the engine took at the last edge
            if not registered:           # publish the slots written in earlier cycles
                publish()
                ptr = sent
            if written < n and written < read_back + depth:
                put(ctx, written)
                written += 1
            else:
                ctx.set(c.fill_en, 0)
            if registered:               # this cycle's slot too: taken at the coming edge
                publish()
            ctx.set(b.r_valid, pending is not None)
            ctx.set(b.r_data, pending[0] ^ 0x5A5A5A5A if pending is not None else 0)
            req = ctx.get(b.req)
            gnt = bool(req) and rng.random() < gnt_p
            ctx.set(b.gnt, gnt)
            fields = (ctx.get(b.addr), ctx.get(b.we), ctx.get(b.be), ctx.get(b.wdata))
            out["trace"].append((req, gnt, fields))
            expect_flag = ((ptr - got - (pending is not None)) & mask) <= ctx.get(c.thr)
            assert ctx.get(c.flag) == expect_flag
            out["flag"].append(expect_flag)
            if pending is not None:
                got += 1
            pending = fields if gnt else None
            await ctx.tick()
            while read_back < got:       # the testbench's read-back of the response ring
                ctx.set(c.peek_idx, read_back % depth)
                out["rsp"].append(ctx.get(c.peek_data))
                read_back += 1
        ctx.set(c.fill_en, 0)
        for _ in range(3):
            ctx.set(b.gnt, 0)
            ctx.set(b.r_valid, 0)
            out["trace"].append((ctx.get(b.req), 0, (ctx.get(b.addr), ctx.get(b.we), ctx.get(b.be),
                                                    ctx.get(b.wdata))))
            await ctx.tick()

    sim.add_testbench(bench)
    sim.run()
    return out


@pytest.mark.parametrize("registered", [False, True], ids=["wr_comb", "wr_reg"])
@pytest.mark.parametrize("depth,n", [(8, 5), (8, 37), (16, 16), (4, 21)])
def test_engine_issues_in_order_and_captures_responses(depth, n, registered):
    seed = pick_seed()
    ops = _ops(random.Random(seed), n)
    out = _run(depth, ops, seed, registered=registered)
    granted = [f for req, gnt, f in out["trace"] if req and gnt]
    assert [(a, int(w), be, d) for a, w, be, d in granted] == [(a, int(w), be, d) for a, w, be, d in ops]
    prev = None
    for req, gnt, fields in out["trace"]:
        if prev is not None and prev[0] and not prev[1]:       # stalled last cycle
            assert req and fields == prev[2], "request retracted or changed while stalled"
        prev = (req, gnt, fields)
    assert out["rsp"] == [(a ^ 0x5A5A5A5A) for a, _, _, _ in ops]
    last = ops[-1]
    assert out["trace"][-1] == (0, 0, (last[0], int(last[1]), last[2], last[3])), "idle: last request held"


@pytest.mark.parametrize("registered", [False, True], ids=["wr_comb", "wr_reg"])
def test_engine_streams_one_request_per_cycle_when_always_granted(registered):
    """With gnt always high, a batch written before its pointer moves is granted back to back."""
    seed = pick_seed()
    ops = _ops(random.Random(seed), 12)
    out = _run(16, ops, seed, gnt_p=1.0, prefill=True, registered=registered)
    reqs = [req for req, _, _ in out["trace"]]
    first = reqs.index(1)
    assert reqs[first:] == [1] * 12 + [0] * (len(reqs) - first - 12)


@pytest.mark.parametrize("depth,n,prefill", [(8, 37, False), (4, 21, False), (16, 12, True)])
def test_registered_pointer_written_a_cycle_early_gives_the_same_trace(depth, n, prefill):
    """``wr_reg = 1`` with the pointer written in the cycle before the one it would be written
    in with ``wr_reg = 0``: the same per-cycle port trace (request, grant, fields; so the same
    random grants) and responses. ``flag`` differs only while ``thr`` has already moved and the
    pointer has not (one cycle per ring refill): the batch's last rise is in the same cycle."""
    seed = pick_seed()
    ops = _ops(random.Random(seed), n)
    comb = _run(depth, ops, seed, prefill=prefill)
    reg = _run(depth, ops, seed, prefill=prefill, registered=True)
    assert reg["trace"] == comb["trace"]
    assert reg["rsp"] == comb["rsp"]
    assert sum(req for req, _, _ in comb["trace"]) > n, "no stall: the check would be too weak"
    last = max(i for i, f in enumerate(comb["flag"]) if f and not comb["flag"][i - 1])
    assert reg["flag"][last] and not reg["flag"][last - 1]
    assert reg["flag"][last:] == comb["flag"][last:]


def test_depth_must_be_a_power_of_two():
    for bad in (3, 6, 0, True, 8.0):
        with pytest.raises(ValueError, match="depth"):
            RequestEngine(bad)
