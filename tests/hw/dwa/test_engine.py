"""The DWA engine (hw/dwa/engine.py) on Amaranth's simulator against the golden byte-image model.

A small Python TCDM per port (byte memory; ideal: every request granted, ``r_valid`` one cycle
later; or seeded random grant stalls) runs random small depth-wise jobs: outputs bit-exact
against :func:`sim_models.dwa.execute`, memory outside the output bytes unchanged, loads and
stores never in one cycle, and the start->done distance equal to
:func:`sim_models.dwa_perf.engine_cycles` exactly without stalls (with them: at most one more
cycle per stalled cycle). Seed: ``$DWA_SEED`` or random, printed.
"""

import functools
import random

import numpy as np
import pytest

from hw.dwa.engine import DwaEngine
from hw.dwa.regmap import JOB_REGISTERS, encode_job
from hw.simtb import ByteTcdm, simulate
from sim_models.dwa import DwJob, execute
from sim_models.dwa_perf import breakdown, engine_cycles

MEM = 4096


#: The TCDM slave of these tests (:class:`hw.simtb.ByteTcdm`), naming the output's bytes.
Tcdm = functools.partial(ByteTcdm, region="the output")


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


async def start(ctx, dut, tcdm, job):
    """The job on ``dut.job``, ``start`` high for one cycle (the TCDM served in it)."""
    set_job(ctx, dut, job)
    ctx.set(dut.start, 1)
    await tcdm.cycle(ctx)
    await ctx.tick()
    ctx.set(dut.start, 0)


async def run(ctx, dut, tcdm, job, *, max_cycles=200000):
    """Pulse start; clock until done. Returns the start->done distance in cycles."""
    await start(ctx, dut, tcdm, job)
    for n in range(1, max_cycles):
        assert ctx.get(dut.busy)
        if ctx.get(dut.done):
            return n
        await tcdm.cycle(ctx)
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
            if stall_p == 0:
                assert stalls == 0 and cycles == model, (job, cycles, model)
            else:     # a stall where the MAC is the bottleneck costs nothing
                assert model <= cycles <= model + stalls, (job, cycles, model, stalls)
            got = np.frombuffer(bytes(mem), np.uint8)
            bad = np.flatnonzero(got != expect)
            assert bad.size == 0, (job, bad[:10], got[bad[:10]], expect[bad[:10]])
            done_jobs += 1
            await tcdm.cycle(ctx)
            await ctx.tick()                       # counters include the done cycle
            assert not ctx.get(dut.busy)
            assert ctx.get(dut.stat.jobs) == done_jobs
            assert ctx.get(dut.stat.cycles) - st0["cycles"] == cycles
            assert (ctx.get(dut.stat.mac_cycles) - st0["mac_cycles"]
                    == breakdown(job, ports)["mac_cycles"])

    simulate(dut, tb)


# (channels, out_h, out_w, stride): C = 1, a full group, a partial group (20), three groups with a
# partial one (35), odd H and W, stride 2, a single output pixel.
SHAPES = [(16, 3, 2, 1), (1, 3, 3, 1), (20, 3, 3, 2), (35, 2, 1, 1), (7, 1, 1, 2), (4, 2, 3, 2)]


@pytest.mark.parametrize("ports", [1, 2, 3, 4, 16])
def test_shapes_ideal(seed, ports):
    """Every shape, aligned once and misaligned (addresses and row strides) otherwise; no
    stalls: bit-exact, cycles == engine_cycles exactly."""
    rng = random.Random(seed * 41 + ports)
    jobs = [place_job(rng, *shape, misalign=i > 0) for i, shape in enumerate(SHAPES)]
    check_jobs(ports, jobs, rng)


@pytest.mark.parametrize("ports", [2, 4])
def test_random_stalls(seed, ports):
    """Seeded random grant stalls (a competing master): outputs still bit-exact, and every
    stalled cycle adds at most one cycle."""
    rng = random.Random(seed * 43 + ports)
    jobs = [place_job(rng, c, h, w, s) for c, h, w, s in ((20, 3, 2, 2), (5, 3, 3, 1), (16, 2, 2, 1))]
    check_jobs(ports, jobs, rng, stall_p=0.3)


def test_inner_loop_rtl():
    """The paper's 4-cycle inner loop in the RTL: N = 4, stride 1, 16 aligned channels -- one
    more output row costs 4 cycles. The jobs run back to back (start in the done cycle)."""
    rng = random.Random(0)
    base = dict(in_addr=0, w_addr=1024, out_addr=2048, channels=16, out_w=1, stride=1)
    jobs = [DwJob(in_row_stride=48, out_row_stride=16, out_h=h, **base) for h in (4, 5, 6)]
    lengths = []
    dut = DwaEngine(4)
    tcdm = Tcdm(dut.tcdm, bytearray(rng.randbytes(MEM)), rng)

    async def tb(ctx):
        for job in jobs:         # back to back: the next start comes in the done cycle
            lengths.append(await run(ctx, dut, tcdm, job))
        await tcdm.cycle(ctx)
        await ctx.tick()
        assert ctx.get(dut.stat.jobs) == len(jobs) and not ctx.get(dut.busy)

    simulate(dut, tb)
    assert lengths[1] - lengths[0] == lengths[2] - lengths[1] == 4, lengths
    assert lengths == [engine_cycles(j, 4) for j in jobs]


@pytest.mark.parametrize("ports", [1, 4])
def test_abort(seed, ports):
    """SOFT_CLEAR mid-job: no request from the abort cycle on, no write after it, busy low from
    the next cycle, no done; the next job then runs normally (bit-exact, exact cycles)."""
    rng = random.Random(seed * 47 + ports)
    dut = DwaEngine(ports)
    mem = bytearray(rng.randbytes(MEM))
    tcdm = Tcdm(dut.tcdm, mem, rng)
    job = place_job(rng, 20, 3, 2, 1)
    total = engine_cycles(job, ports)
    cut = rng.choice([rng.randint(2, total - 1), total])       # total: the DONE cycle itself
    print(f"abort in cycle {cut} of {total}")

    async def tb(ctx):
        await start(ctx, dut, tcdm, job)
        for _ in range(1, cut):
            assert not ctx.get(dut.done)
            await tcdm.cycle(ctx)
            await ctx.tick()
        ctx.set(dut.abort, 1)
        assert not any(ctx.get(p.req) for p in dut.tcdm) and not ctx.get(dut.done)
        await tcdm.cycle(ctx, abort=True)
        await ctx.tick()
        ctx.set(dut.abort, 0)
        snapshot = bytes(mem)
        jobs = ctx.get(dut.stat.jobs)
        assert jobs == 0
        for _ in range(total + 10):
            assert not ctx.get(dut.busy) and not ctx.get(dut.done)
            assert not any(ctx.get(p.req) for p in dut.tcdm)
            await tcdm.cycle(ctx)
            await ctx.tick()
        assert bytes(mem) == snapshot and ctx.get(dut.stat.jobs) == jobs
        # A clean job afterwards.
        job2 = place_job(rng, 6, 2, 3, 2)
        expect = np.frombuffer(bytes(mem), np.uint8).copy()
        execute(job2, expect)
        tcdm.allowed = output_bytes(job2)
        assert await run(ctx, dut, tcdm, job2) == engine_cycles(job2, ports)
        assert np.array_equal(np.frombuffer(bytes(mem), np.uint8), expect)

    simulate(dut, tb)


@pytest.mark.parametrize("ports", [0, 17, 4.0, None])
def test_bad_ports(ports):
    with pytest.raises(ValueError, match="ports"):
        DwaEngine(ports)
