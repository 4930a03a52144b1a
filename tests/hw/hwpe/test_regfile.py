"""The generated register file (hw/hwpe/regfile.py) in Amaranth's simulator: reset values from the
table, RW under byte enables, W1C (bus, set, clr), write strobes, RO inputs, job-register gating,
stalls, and the bus timing (gnt in the request cycle, r_valid one cycle after, r_data 0 otherwise)."""

import random

import pytest
from amaranth.sim import Simulator

from hw.hwpe.regfile import RegisterFile
from hw.hwpe.regs import Access, Field, Register, RegisterMap

R, RW, W, W1C = Access.R, Access.RW, Access.W, Access.W1C
SEED = 11

MAP = RegisterMap("DEV", [
    Register.word("GO", 0x00, "W", "write strobe", group="hwpe"),
    Register("STAT", 0x04, (Field("busy", 0, 1, R), Field("count", 8, 8, R)), "status",
             group="hwpe"),
    Register("ERR", 0x08, (Field("a", 0, 1, W1C), Field("b", 5, 2, W1C, reset=2)), "errors",
             group="hwpe"),
    Register("MIX", 0x0C, (Field("lo", 0, 12, RW, reset=0x123), Field("hi", 20, 12, RW, reset=-3,
                                                                       signed=True)), "rw fields",
             group="global"),
    Register("PUSH", 0x10, (Field("x", 0, 4, W, signed=True), Field("y", 4, 4, W)), "strobe fields",
             group="global", stall=True),
    Register("VAL", 0x14, (Field("v", 0, 32, R),), "stalled read", group="global", stall=True),
    Register.word("CFG", 0x40, "RW", "job register", reset=0xCAFE, job_path="cfg"),
], source="tests")


class Bus:
    """Single accesses on the register file's bus, checking the timing rules on every one."""

    def __init__(self, ctx, dut):
        self.ctx, self.dut = ctx, dut

    async def access(self, addr, *, we=0, wdata=0, be=0xF, core=0, expect_gnt=True):
        ctx, bus = self.ctx, self.dut.bus
        ctx.set(bus.req, 1)
        ctx.set(bus.addr, addr)
        ctx.set(bus.we, we)
        ctx.set(bus.wdata, wdata)
        ctx.set(bus.be, be)
        ctx.set(bus.id, core)
        gnt = ctx.get(bus.gnt)
        assert gnt == expect_gnt, (hex(addr), we)
        await ctx.tick()
        ctx.set(bus.req, 0)
        assert ctx.get(bus.r_valid) == gnt
        data = ctx.get(bus.r_data)
        if not gnt:
            assert data == 0
        await ctx.tick()
        assert ctx.get(bus.r_valid) == 0 and ctx.get(bus.r_data) == 0
        return data

    async def read(self, addr, **kw):
        return await self.access(addr, **kw)

    async def write(self, addr, value, **kw):
        return await self.access(addr, we=1, wdata=value, **kw)


def _run(tb):
    dut = RegisterFile(MAP)
    sim = Simulator(dut)
    sim.add_clock(1e-8)

    async def bench(ctx):
        await tb(ctx, dut, Bus(ctx, dut))

    sim.add_testbench(bench)
    sim.run()


def test_reset_values_match_the_table():
    async def tb(ctx, dut, bus):
        for r in MAP:
            got = await bus.read(r.offset)
            if all(f.access in (RW, W1C) for f in r.fields):
                assert got == r.reset, r.name
        assert MAP["MIX"].reset == 0xFFD00123 and await bus.read(0x0C) == 0xFFD00123
        assert await bus.read(0x08) == 0x40                          # ERR.b reset 2 at bits 6:5
        assert await bus.read(0x00) == 0 and await bus.read(0x10) == 0   # write-only: 0
        assert await bus.read(0x3C) == 0                              # unmapped
        assert ctx.get(dut.regs.cfg.value) == 0xCAFE
        assert ctx.get(dut.regs.mix.hi) == 0xFFD                      # -3 as 12 bits
    _run(tb)


def test_rw_fields_under_byte_enables():
    rng = random.Random(SEED)

    async def tb(ctx, dut, bus):
        ctx.set(dut.job_we, 1)
        model = {0x0C: MAP["MIX"].reset, 0x40: MAP["CFG"].reset}
        stored = {0x0C: MAP["MIX"].mask, 0x40: 0xFFFFFFFF}
        for _ in range(40):
            addr = rng.choice(list(model))
            value, be = rng.getrandbits(32), rng.getrandbits(4)
            await bus.write(addr, value, be=be)
            bytes_mask = sum(0xFF << (8 * i) for i in range(4) if be >> i & 1)
            model[addr] = (model[addr] & ~bytes_mask | value & bytes_mask) & stored[addr]
            assert await bus.read(addr) == model[addr], (hex(addr), hex(value), be)
            word = model[0x0C]
            assert ctx.get(dut.regs.mix.lo) == MAP["MIX"].field("lo").get(word)
            assert ctx.get(dut.regs.cfg.value) == model[0x40]
    _run(tb)


def test_job_registers_only_written_while_job_we():
    async def tb(ctx, dut, bus):
        ctx.set(dut.job_we, 0)
        await bus.write(0x40, 0x1234)
        assert await bus.read(0x40) == 0xCAFE
        ctx.set(dut.job_we, 1)
        await bus.write(0x40, 0x1234)
        assert await bus.read(0x40) == 0x1234
        ctx.set(dut.job_we, 0)
        await bus.write(0x0C, 0)                                      # global: not gated
        assert await bus.read(0x0C) == 0
    _run(tb)


def test_w1c_bus_set_and_clr():
    async def tb(ctx, dut, bus):
        e = dut.regs.err
        await bus.write(0x08, 0x40)                                   # clear b's reset bit
        assert await bus.read(0x08) == 0
        ctx.set(e.set, 0x21)
        await ctx.tick()
        ctx.set(e.set, 0)
        assert ctx.get(e.a) == 1 and ctx.get(e.b) == 1
        await bus.write(0x08, 0x01, be=0)                             # W1C ignores byte enables
        assert await bus.read(0x08) == 0x20
        await bus.write(0x08, 0xFFFFFF9F)                             # ones outside b: no effect
        assert await bus.read(0x08) == 0x20
        ctx.set(e.clr, 0xFFFFFFFF)                                    # clr all, set wins
        ctx.set(e.set, 0x01)
        await ctx.tick()
        ctx.set(e.clr, 0)
        ctx.set(e.set, 0)
        assert await bus.read(0x08) == 0x01
    _run(tb)


def test_strobes_and_read_only_inputs():
    async def tb(ctx, dut, bus):
        p, stat = dut.regs.push, dut.regs.stat
        seen = []
        ctx.set(stat.busy, 1)
        ctx.set(stat.count, 0xA5)
        assert await bus.read(0x04) == 0xA501
        await bus.write(0x04, 0)                                      # writes to R are ignored
        assert await bus.read(0x04) == 0xA501
        # The write pulse and the written field values, in the request cycle.
        ctx.set(dut.bus.req, 1)
        ctx.set(dut.bus.addr, 0x10)
        ctx.set(dut.bus.we, 1)
        ctx.set(dut.bus.wdata, 0x5E)
        seen.append((ctx.get(p.w_stb), ctx.get(p.x), ctx.get(p.y), ctx.get(dut.regs.go.w_stb)))
        ctx.set(dut.bus.addr, 0x00)
        seen.append((ctx.get(p.w_stb), ctx.get(dut.regs.go.w_stb), ctx.get(dut.regs.go.value)))
        ctx.set(dut.bus.we, 0)
        seen.append((ctx.get(dut.regs.go.w_stb), ctx.get(dut.regs.stat.r_stb)))
        ctx.set(dut.bus.addr, 0x04)
        seen.append(ctx.get(dut.regs.stat.r_stb))
        ctx.set(dut.bus.req, 0)
        seen.append(ctx.get(dut.regs.stat.r_stb))
        assert seen == [(1, 0xE, 0x5, 0), (0, 1, 0x5E), (0, 0), 1, 0]
    _run(tb)


def test_stall_withholds_the_grant_of_the_access_kind_it_guards():
    async def tb(ctx, dut, bus):
        ctx.set(dut.regs.push.stall, 1)
        ctx.set(dut.regs.val.stall, 1)
        await bus.write(0x10, 1, expect_gnt=False)                    # PUSH write: stalled
        assert await bus.read(0x10) == 0                              # PUSH read: granted
        await bus.read(0x14, expect_gnt=False)                        # VAL read: stalled
        await bus.write(0x14, 1)                                      # VAL write: granted
        await bus.write(0x0C, 0)                                      # others: granted
        ctx.set(dut.regs.push.stall, 0)
        ctx.set(dut.regs.val.stall, 0)
        ctx.set(dut.regs.val.v, 0xDEADBEEF)
        assert await bus.read(0x14) == 0xDEADBEEF
    _run(tb)


def test_back_to_back_accesses_respond_one_cycle_later():
    async def tb(ctx, dut, bus):
        ctx.set(dut.job_we, 1)
        b = dut.bus
        ctx.set(b.req, 1)
        ctx.set(b.be, 0xF)
        script = [(1, 0x40, 7), (0, 0x40, 0), (0, 0x0C, 0), (1, 0x0C, 9), (0, 0x0C, 0)]
        got = []
        for we, addr, data in script:
            ctx.set(b.we, we)
            ctx.set(b.addr, addr)
            ctx.set(b.wdata, data)
            assert ctx.get(b.gnt)
            await ctx.tick()
            got.append((ctx.get(b.r_valid), ctx.get(b.r_data)))
        ctx.set(b.req, 0)
        # After a write r_data (undefined by the protocol) shows the value before the write.
        mix = MAP["MIX"].reset
        assert got == [(1, MAP["CFG"].reset), (1, 7), (1, mix), (1, mix), (1, 9)]
    _run(tb)


def test_rejects_a_non_map():
    with pytest.raises(ValueError, match="regmap"):
        RegisterFile([Register.word("A", 0, "R", "a")])
