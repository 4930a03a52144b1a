"""The DWA engine (hw/dwa/engine.py) on Amaranth's simulator against the golden byte-image model.

A small Python TCDM per port (byte memory; ideal: every request granted, ``r_valid`` one cycle
later; or seeded random grant stalls) runs random small depth-wise jobs: outputs bit-exact
against :func:`sim_models.dwa.execute`, memory outside the output bytes unchanged, loads and
stores never in one cycle, and the start->done distance equal to
:func:`sim_models.dwa_perf.engine_cycles` exactly without stalls (plus the stalled cycles with
them). Seed: ``$DWA_SEED`` or random, printed.
"""

import os
import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.dwa.engine import DwaEngine
from hw.dwa.regmap import JOB_REGISTERS, encode_job
from sim_models.dwa import DwJob, execute
from sim_models.dwa_perf import breakdown, engine_cycles

MEM = 4096


@pytest.fixture
def seed():
    s = os.environ.get("DWA_SEED")
    s = int(s) if s is not None else random.randrange(1 << 31)
    print(f"seed = {s}  (replay with DWA_SEED={s})")
    return s


class Tcdm:
    """Byte-memory TCDM behind ``ports``: grants (random stalls with ``stall_p``), reads answered
    the next cycle, byte-enable writes. Checks the master: fields stable while stalled, loads and
    stores never in the same cycle, writes only to ``allowed`` bytes."""

    def __init__(self, ports, mem, rng, stall_p=0.0):
        self.ports, self.mem, self.rng, self.stall_p = ports, mem, rng, stall_p
        self.pending = [None] * len(ports)
        self.stalled = [None] * len(ports)
        self.allowed = None
        self.writes = 0

    def cycle(self, ctx, *, abort=False):
        for k, port in enumerate(self.ports):
            d = self.pending[k]
            ctx.set(port.r_valid, d is not None)
            ctx.set(port.r_data, d or 0)
            self.pending[k] = None
        kinds = set()
        for k, port in enumerate(self.ports):
            if not ctx.get(port.req):
                assert self.stalled[k] is None or abort, f"port {k} dropped a stalled request"
                self.stalled[k] = None
                ctx.set(port.gnt, 0)
                continue
            addr, we = ctx.get(port.addr), ctx.get(port.we)
            be, wdata = (ctx.get(port.be), ctx.get(port.wdata)) if we else (0, 0)
            fields = (addr, we, be, wdata)
            kinds.add(we)
            if self.stalled[k] is not None:
                assert fields == self.stalled[k], f"port {k} changed {self.stalled[k]} -> {fields}"
            if self.stall_p and self.rng.random() < self.stall_p:
                ctx.set(port.gnt, 0)
                self.stalled[k] = fields
                continue
            ctx.set(port.gnt, 1)
            self.stalled[k] = None
            assert addr % 4 == 0 and 0 <= addr < MEM
            if we:
                for b in range(4):
                    if be >> b & 1:
                        assert self.allowed is None or addr + b in self.allowed, \
                            f"write to byte {addr + b:#x} outside the output"
                        self.mem[addr + b] = wdata >> (8 * b) & 0xFF
                        self.writes += 1
            else:
                self.pending[k] = int.from_bytes(bytes(self.mem[addr:addr + 4]), "little")
        assert len(kinds) <= 1, "loads and stores in the same cycle"


def set_job(ctx, dut, job):
    """The job registers (raw uint32 words, as the controller holds them) on ``dut.job``."""
    regs = dict(encode_job(job))
    ctx.set(dut.job, {r.job_path: regs[r.offset] for r in JOB_REGISTERS})


def place_job(rng, channels, out_h, out_w, stride, *, misalign=True, ports=4):
    """A random job of that shape in MEM bytes: input, weights and output regions disjoint,
    addresses and row strides misaligned when ``misalign``."""
    in_w = (out_w - 1) * stride + 3
    in_h = (out_h - 1) * stride + 3
    pad = (lambda: rng.randint(0, 3)) if misalign else (lambda: 0)
    irs = in_w * channels + pad()
    ors = out_w * channels + pad()
    a = pad()
    in_addr = a
    a += (in_h - 1) * irs + in_w * channels + pad() + 4
    w_addr = a
    a += 9 * channels + pad() + 4
    out_addr = a
    a += (out_h - 1) * ors + out_w * channels
    assert a <= MEM, a
    lo, hi = rng.choice([(0, 255), (-128, 127), (-20, 40)])
    return DwJob(in_addr=in_addr, in_row_stride=irs, out_addr=out_addr, out_row_stride=ors,
                 w_addr=w_addr, channels=channels, out_h=out_h, out_w=out_w, stride=stride,
                 adc_m=rng.randint(-300, 300), adc_s=rng.randint(0, 12), adc_lo=lo, adc_hi=hi)


def output_bytes(job):
    return {job.out_addr + oy * job.out_row_stride + i
            for oy in range(job.out_h) for i in range(job.out_w * job.channels)}


def simulate(dut, tb):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()


async def run(ctx, dut, tcdm, job, *, max_cycles=200000):
    """Pulse start; clock until done. Returns the start->done distance in cycles."""
    set_job(ctx, dut, job)
    ctx.set(dut.start, 1)
    tcdm.cycle(ctx)
    await ctx.tick()
    ctx.set(dut.start, 0)
    for n in range(1, max_cycles):
        assert ctx.get(dut.busy)
        if ctx.get(dut.done):
            return n
        tcdm.cycle(ctx)
        await ctx.tick()
    raise AssertionError("no done")


def check_jobs(ports, jobs, rng, stall_p=0.0):
    dut = DwaEngine(ports)
    mem = bytearray(rng.randbytes(MEM))
    tcdm = Tcdm(dut.tcdm, mem, rng, stall_p)

    async def tb(ctx):
        done_jobs = 0
        for job in jobs:
            expect = np.frombuffer(bytes(mem), np.uint8).copy()
            execute(job, expect)
            tcdm.allowed = output_bytes(job)
            st0 = {k: ctx.get(getattr(dut.stat, k)) for k in ("cycles", "mac_cycles", "stalled")}
            cycles = await run(ctx, dut, tcdm, job)
            stalls = ctx.get(dut.stat.stalled) - st0["stalled"]
            model = engine_cycles(job, ports)
            assert cycles == model + stalls, (job, cycles, model, stalls)
            if stall_p == 0:
                assert stalls == 0
            got = np.frombuffer(bytes(mem), np.uint8)
            bad = np.flatnonzero(got != expect)
            assert bad.size == 0, (job, bad[:10], got[bad[:10]], expect[bad[:10]])
            done_jobs += 1
            tcdm.cycle(ctx)
            await ctx.tick()                       # counters include the done cycle
            assert not ctx.get(dut.busy)
            assert ctx.get(dut.stat.jobs) == done_jobs
            assert ctx.get(dut.stat.cycles) - st0["cycles"] == cycles
            assert (ctx.get(dut.stat.mac_cycles) - st0["mac_cycles"]
                    == breakdown(job, ports)["mac_cycles"])

    simulate(dut, tb)


@pytest.mark.parametrize("ports", [1, 2, 4, 16])
def test_smoke(ports):
    rng = random.Random(1)
    check_jobs(ports, [place_job(rng, 16, 3, 2, 1, misalign=False),
                       place_job(rng, 20, 3, 3, 2, misalign=True),
                       place_job(rng, 3, 2, 3, 1, misalign=True),
                       place_job(rng, 35, 1, 2, 2, misalign=True)], rng)
