"""The HWPE control block (hw/hwpe/ctrl.py) with its register file, in Amaranth's simulator: the
ACQUIRE lock per core, job ids, holder-only job registers, TRIGGER by a non-owner, the checker
and engine handshake, events to the triggering core, SOFT_CLEAR and ERROR."""

import pytest
from amaranth import Module
from amaranth.sim import Simulator

from hw.hwpe.ctrl import HwpeCtrl, hwpe_registers
from hw.hwpe.regfile import RegisterFile
from hw.hwpe.regs import Access, Field, Register, RegisterMap

N_CORES = 4
ERRORS = (Field("bad", 0, 1, Access.W1C), Field("worse", 1, 1, Access.W1C),
          Field("no_acquire", 2, 1, Access.W1C), Field("mine", 3, 1, Access.W1C),
          Field("aborted", 4, 1, Access.W1C))
MAP = RegisterMap("DEV", [*hwpe_registers(status=(Field("extra", 2, 1, Access.R),), error=ERRORS),
                          Register.word("JOB", 0x40, "RW", "a job register", job_path="x")],
                  source="tests")
REG = MAP.offsets
ERR = MAP.masks("ERROR")
STATUS = MAP["STATUS"]
BUSY, HELD = 0xFFFFFFFF, 0xFFFFFFFE


class Dut:
    def __init__(self):
        self.m = Module()
        self.m.submodules.rf = self.rf = RegisterFile(MAP)
        self.m.submodules.hw = self.hw = HwpeCtrl(MAP, n_cores=N_CORES, chk_causes=("bad", "worse"))
        self.hw.attach(self.m, self.rf)


class Cores:
    """Bus accesses by core id; records the event lines every cycle."""

    def __init__(self, ctx, dut):
        self.ctx, self.dut, self.events = ctx, dut, []

    async def tick(self):
        await self.ctx.tick()
        self.events.append(self.ctx.get(self.dut.hw.evt))

    async def access(self, core, addr, we=0, wdata=0):
        ctx, bus = self.ctx, self.dut.rf.bus
        for sig, v in ((bus.req, 1), (bus.addr, addr), (bus.we, we), (bus.wdata, wdata),
                       (bus.be, 0xF), (bus.id, core)):
            ctx.set(sig, v)
        assert ctx.get(bus.gnt)
        await self.tick()
        ctx.set(bus.req, 0)
        data = ctx.get(bus.r_data)
        assert ctx.get(bus.r_valid)
        return data

    async def read(self, core, addr):
        return await self.access(core, addr)

    async def write(self, core, addr, value=0):
        return await self.access(core, addr, 1, value)

    def take_events(self):
        ev, self.events = [e for e in self.events if e], []
        return ev


def _run(tb):
    dut = Dut()
    sim = Simulator(dut.m)
    sim.add_clock(1e-8)

    async def bench(ctx):
        await tb(ctx, dut, Cores(ctx, dut))

    sim.add_testbench(bench)
    sim.run()


def test_acquire_locks_per_core_and_gates_job_registers():
    async def tb(ctx, dut, c):
        assert await c.read(0, REG.STATUS) == 0
        await c.write(3, REG.JOB, 0x1234)
        assert await c.read(0, REG.JOB) == 0                 # nobody holds the lock: ignored
        assert await c.read(1, REG.ACQUIRE) == 0
        assert await c.read(0, REG.STATUS) == STATUS.pack(locked=1)
        assert await c.read(2, REG.ACQUIRE) == HELD          # -2: another core holds it
        assert await c.read(1, REG.ACQUIRE) == 0             # the holder: same id again
        await c.write(2, REG.JOB, 0x55)
        assert await c.read(0, REG.JOB) == 0
        await c.write(1, REG.JOB, 0x66)
        assert await c.read(0, REG.JOB) == 0x66
        assert c.take_events() == []
    _run(tb)


def test_trigger_without_the_lock_sets_no_acquire_and_raises_that_cores_event():
    async def tb(ctx, dut, c):
        await c.write(2, REG.TRIGGER)
        await c.tick()
        assert c.take_events() == [1 << 2]
        assert await c.read(0, REG.ERROR) == ERR.NO_ACQUIRE
        assert ctx.get(dut.hw.chk_start) == 0
        await c.write(0, REG.ERROR, ERR.NO_ACQUIRE)           # write one to clear
        assert await c.read(0, REG.ERROR) == 0
        assert await c.read(0, REG.FINISHED) == 0
    _run(tb)


def test_job_runs_checker_then_engine_and_the_owner_gets_the_event():
    async def tb(ctx, dut, c):
        hw = dut.hw
        assert await c.read(3, REG.ACQUIRE) == 0
        await c.write(3, REG.ERROR, 0)
        ctx.set(hw.err_extra, ERR.MINE)                      # a stale cause: TRIGGER clears it
        await c.tick()
        ctx.set(hw.err_extra, 0)
        assert await c.read(0, REG.ERROR) == ERR.MINE
        await c.write(3, REG.TRIGGER)
        assert ctx.get(hw.chk_start) == 1                    # the cycle after TRIGGER's grant
        assert await c.read(1, REG.ACQUIRE) == BUSY          # -1 while checking
        assert await c.read(1, REG.ERROR) == 0
        assert await c.read(1, REG.STATUS) == STATUS.pack(running=1)
        assert await c.read(1, REG.RUNNING_JOB) == 0
        ctx.set(hw.chk_done, 1)
        assert ctx.get(hw.eng_start) == 1                    # same cycle, no causes
        await c.tick()
        ctx.set(hw.chk_done, 0)
        assert ctx.get(hw.eng_start) == 0
        assert await c.read(1, REG.ACQUIRE) == BUSY          # running
        ctx.set(hw.eng_done, 1)
        await c.tick()
        ctx.set(hw.eng_done, 0)
        await c.tick()
        assert c.take_events() == [1 << 3]
        assert await c.read(0, REG.FINISHED) == 1
        assert await c.read(0, REG.STATUS) == 0
        assert await c.read(1, REG.ACQUIRE) == 1             # next id, now core 1's
        assert await c.read(0, REG.RUNNING_JOB) == 0
    _run(tb)


def test_chk_start_pulses_once_the_cycle_after_trigger():
    async def tb(ctx, dut, c):
        await c.read(0, REG.ACQUIRE)
        bus, starts = dut.rf.bus, []
        for sig, v in ((bus.req, 1), (bus.addr, REG.TRIGGER), (bus.we, 1), (bus.id, 0)):
            ctx.set(sig, v)
        for _ in range(4):
            starts.append(ctx.get(dut.hw.chk_start))
            await ctx.tick()
            ctx.set(bus.req, 0)
        assert starts == [0, 1, 0, 0]
    _run(tb)


def test_checker_causes_end_the_job_without_starting_the_engine():
    async def tb(ctx, dut, c):
        hw = dut.hw
        await c.read(2, REG.ACQUIRE)
        await c.write(2, REG.TRIGGER)
        await c.tick()
        ctx.set(hw.chk_err, 0b10)                            # "worse"
        ctx.set(hw.chk_done, 1)
        assert ctx.get(hw.eng_start) == 0
        await c.tick()
        ctx.set(hw.chk_done, 0)
        await c.tick()
        assert c.take_events() == [1 << 2]
        assert await c.read(0, REG.ERROR) == ERR.WORSE
        assert await c.read(0, REG.FINISHED) == 1
        assert await c.read(0, REG.STATUS) == 0
        assert await c.read(0, REG.ACQUIRE) == 1
    _run(tb)


def test_soft_clear_aborts_a_running_job_and_releases_the_lock():
    async def tb(ctx, dut, c):
        hw = dut.hw
        await c.read(1, REG.ACQUIRE)
        await c.write(1, REG.TRIGGER)
        ctx.set(hw.chk_done, 1)
        await c.tick()
        ctx.set(hw.chk_done, 0)
        assert await c.read(1, REG.STATUS) == STATUS.pack(running=1)
        bus = dut.rf.bus
        for sig, v in ((bus.req, 1), (bus.addr, REG.SOFT_CLEAR), (bus.we, 1), (bus.id, 3)):
            ctx.set(sig, v)
        assert ctx.get(hw.eng_abort) == 1
        await c.tick()
        ctx.set(bus.req, 0)
        assert ctx.get(hw.eng_abort) == 0
        await c.tick()
        assert c.take_events() == [1 << 1]                   # the job's owner, not the clearer
        assert await c.read(0, REG.ERROR) == ERR.ABORTED
        assert await c.read(0, REG.FINISHED) == 1
        assert await c.read(0, REG.STATUS) == 0
        # SOFT_CLEAR while idle: releases a lock, clears ERROR, no event, FINISHED unchanged.
        assert await c.read(2, REG.ACQUIRE) == 1
        await c.write(0, REG.SOFT_CLEAR)
        await c.tick()
        assert c.take_events() == []
        assert await c.read(0, REG.ERROR) == 0
        assert await c.read(0, REG.FINISHED) == 1
        assert await c.read(0, REG.ACQUIRE) == 1             # lock released: core 0 gets it
    _run(tb)


def test_accelerator_causes_merge_into_error():
    async def tb(ctx, dut, c):
        ctx.set(dut.hw.err_extra, ERR.MINE)
        await c.tick()
        ctx.set(dut.hw.err_extra, 0)
        assert await c.read(0, REG.ERROR) == ERR.MINE
    _run(tb)


def test_hwpe_registers_keep_the_mandatory_offsets():
    assert [(r.name, r.offset) for r in MAP][:7] == [
        ("TRIGGER", 0x00), ("ACQUIRE", 0x04), ("FINISHED", 0x08), ("STATUS", 0x0C),
        ("RUNNING_JOB", 0x10), ("SOFT_CLEAR", 0x14), ("ERROR", 0x18)]
    assert vars(STATUS.masks()) == {"RUNNING": 1, "LOCKED": 2, "EXTRA": 4}


@pytest.mark.parametrize("make, match", [
    (lambda: hwpe_registers(error=ERRORS[:2]), "no_acquire"),
    (lambda: hwpe_registers(error=(*ERRORS, Field("wide", 5, 2, Access.W1C))), "1-bit W1C"),
    (lambda: HwpeCtrl(MAP, n_cores=0), "n_cores"),
    (lambda: HwpeCtrl(MAP, n_cores=2, chk_causes=("nope",)), "nope"),
    (lambda: HwpeCtrl(RegisterMap("X", [Register.word("A", 0, "R", "a")]), n_cores=2), "ERROR"),
])
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("ending", ["checker error", "engine done"])
def test_refused_trigger_in_the_cycle_a_job_ends_keeps_the_end(ending):
    """Regression (found by the formal proof hwpe_ctrl.event, issue 17): a TRIGGER by a core
    without the lock in the very cycle the checker or the engine says done used to hide the
    done -- the job stayed pending for ever and its owner never got its event. Now both events
    are raised, the job ends, and ERROR holds both causes."""
    async def tb(ctx, dut, c):
        hw, bus = dut.hw, dut.rf.bus
        await c.read(1, REG.ACQUIRE)
        await c.write(1, REG.TRIGGER)
        await c.tick()
        if ending == "engine done":
            ctx.set(hw.chk_done, 1)
            await c.tick()
            ctx.set(hw.chk_done, 0)
            await c.tick()
            done, expect_err = hw.eng_done, ERR.NO_ACQUIRE
        else:
            ctx.set(hw.chk_err, 0b01)                        # "bad"
            done, expect_err = hw.chk_done, ERR.NO_ACQUIRE | ERR.BAD
        for sig, v in ((bus.req, 1), (bus.addr, REG.TRIGGER), (bus.we, 1), (bus.id, 2)):
            ctx.set(sig, v)
        ctx.set(done, 1)
        await c.tick()
        ctx.set(bus.req, 0)
        ctx.set(done, 0)
        ctx.set(hw.chk_err, 0)
        await c.tick()
        assert c.take_events() == [(1 << 1) | (1 << 2)]      # the owner's and the refused core's
        assert await c.read(0, REG.STATUS) == 0
        assert await c.read(0, REG.FINISHED) == 1
        assert await c.read(0, REG.ERROR) == expect_err
    _run(tb)


def test_a_stale_checker_done_in_the_chk_start_cycle_is_ignored():
    """Regression (issue 17, found writing the HwpeCtrl properties): the checkers have no abort,
    so after a SOFT_CLEAR during checking the old run's done can arrive in the chk_start cycle
    of the next job, with the old job's verdict. It used to start the new job's engine at once,
    unchecked; the answer now counts from the cycle after chk_start."""
    async def tb(ctx, dut, c):
        hw, bus = dut.hw, dut.rf.bus
        await c.read(0, REG.ACQUIRE)
        for sig, v in ((bus.req, 1), (bus.addr, REG.TRIGGER), (bus.we, 1), (bus.id, 0)):
            ctx.set(sig, v)
        await c.tick()
        ctx.set(bus.req, 0)
        assert ctx.get(hw.chk_start) == 1
        ctx.set(hw.chk_done, 1)                              # stale: no causes
        assert ctx.get(hw.eng_start) == 0
        await c.tick()
        ctx.set(hw.chk_done, 0)
        assert await c.read(1, REG.STATUS) == STATUS.pack(running=1)
        ctx.set(hw.chk_err, 0b01)                            # the real answer: "bad"
        ctx.set(hw.chk_done, 1)
        assert ctx.get(hw.eng_start) == 0
        await c.tick()
        ctx.set(hw.chk_done, 0)
        ctx.set(hw.chk_err, 0)
        await c.tick()
        assert c.take_events() == [1 << 0]
        assert await c.read(0, REG.ERROR) == ERR.BAD
        assert await c.read(0, REG.STATUS) == 0
    _run(tb)
