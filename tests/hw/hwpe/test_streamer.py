"""Unit tests of the IMA streamer (hw/hwpe/streamer) on Amaranth's simulator.

A small Python TCDM responder per port (byte memory, seeded random grant stalls, ``r_valid`` one
cycle after a granted read) drives :class:`Source` and :class:`Sink` through random 3D walks
(misaligned bases, positive and negative strides) and checks data, exact cycle counts, abort and
the request protocol. Seed: ``$IMA_SEED`` or random, printed.
"""

import functools
import random

import numpy as np
import pytest

from hw.hwpe.streamer import Sink, Source, Walk3DLayout
from hw.hwpe.streamer.addressgen import AddressGen
from hw.simtb import ByteTcdm, simulate
from sim_models.jobconfig import Walk3D

MEM = 4096


def chunk_count(base, walk, ports):
    """Reference of the chunk scheme: sum over runs of ceil(words_in_run / ports)."""
    n = 0
    for i2 in range(walk.len2):
        for i1 in range(walk.len1):
            a = base + i2 * walk.stride2 + i1 * walk.stride1
            words = (a + walk.len0 - 1) // 4 - a // 4 + 1
            n += -(-words // ports)
    return n


def random_walk(rng, max_total):
    while True:
        walk = Walk3D(len0=rng.randint(1, 40), len1=rng.randint(1, 4),
                      stride1=rng.choice([-1, 1]) * rng.randint(0, 90),
                      len2=rng.randint(1, 4), stride2=rng.choice([-1, 1]) * rng.randint(0, 400))
        if walk.total > max_total:
            continue
        offs = walk.offsets()
        lo, hi = min(offs), max(offs)
        base = rng.randint(-lo, MEM - 1 - hi)
        return base, walk


#: The TCDM slave of these tests (:class:`hw.simtb.ByteTcdm`), naming the walk's bytes.
TcdmResponder = functools.partial(ByteTcdm, region="the walk")


def set_cfg(ctx, dut, base, walk):
    ctx.set(dut.cfg, {"base": base, "len0": walk.len0, "len1": walk.len1,
                      "stride1": walk.stride1, "len2": walk.len2, "stride2": walk.stride2})


async def run_job(ctx, dut, resp, base, walk, *, max_cycles=20000):
    """Pulse start with the walk; clock until done. Returns the start->done distance in cycles."""
    set_cfg(ctx, dut, base, walk)
    ctx.set(dut.start, 1)
    await resp.cycle(ctx)
    await ctx.tick()
    ctx.set(dut.start, 0)
    for n in range(1, max_cycles):
        if ctx.get(dut.done):
            assert not ctx.get(dut.busy)
            return n
        assert ctx.get(dut.busy)
        await resp.cycle(ctx)
        await ctx.tick()
    raise AssertionError("no done")


DEPTH = 640          # len0 <= 40, len1, len2 <= 4: up to 640 stream bytes


def _jobs(rng, n, depth):
    out = []
    for j in range(n):
        base, walk = random_walk(rng, depth)
        out.append((base, walk, 0.0 if j % 3 == 0 else rng.choice([0.2, 0.5])))
    return out


def _random_jobs(cls, rng_seed, ports):
    """A ``cls`` block (Source or Sink) on a random TCDM image and its random jobs, drawn from
    ``random.Random(rng_seed)``: ``(rng, dut, mem, resp, jobs)``."""
    rng = random.Random(rng_seed)
    dut = cls(ports=ports, depth=DEPTH)
    mem = bytearray(rng.randbytes(MEM))
    resp = TcdmResponder(dut.tcdm, mem, rng)
    return rng, dut, mem, resp, _jobs(rng, 8 if ports > 1 else 5, DEPTH)


async def _timed_job(ctx, dut, resp, base, walk, stall_p):
    """Run one job with grant stalls of probability ``stall_p``; check its exact cycles (chunks
    + OVERHEAD + stalled cycles), its busy cycles, and no stall without contention."""
    cls, ports = type(dut), dut.ports
    resp.stall_p = stall_p
    cycles = await run_job(ctx, dut, resp, base, walk)
    c = chunk_count(base, walk, ports)
    stalls = ctx.get(dut.stall_cycles)
    assert cycles == c + cls.OVERHEAD + stalls, (walk, base, cycles, c, stalls)
    assert ctx.get(dut.busy_cycles) == cycles - 1
    if stall_p == 0:
        assert stalls == 0


@pytest.mark.parametrize("ports", [1, 2, 4, 16])
def test_source(seed, ports):
    _, dut, mem, resp, jobs = _random_jobs(Source, seed * 31 + ports, ports)

    async def tb(ctx):
        for base, walk, stall_p in jobs:
            await _timed_job(ctx, dut, resp, base, walk, stall_p)
            dac = ctx.get(dut.dac).to_bytes(DEPTH, "little")
            ref = np.frombuffer(mem, np.uint8)[base + np.array(walk.offsets())]
            got = np.frombuffer(dac[:walk.total], np.uint8)
            assert np.array_equal(got, ref), (base, walk, got, ref)
        assert resp.writes == 0

    simulate(dut, tb)


@pytest.mark.parametrize("ports", [1, 2, 4, 16])
def test_sink(seed, ports):
    rng, dut, mem, resp, jobs = _random_jobs(Sink, seed * 37 + ports, ports)

    async def tb(ctx):
        for base, walk, stall_p in jobs:
            adc = rng.randbytes(DEPTH)
            ctx.set(dut.adc, int.from_bytes(adc, "little"))
            expect = bytearray(mem)
            addrs = [base + o for o in walk.offsets()]
            for i, a in enumerate(addrs):
                expect[a] = adc[i]
            resp.allowed = set(addrs)
            await _timed_job(ctx, dut, resp, base, walk, stall_p)
            assert mem == expect, (base, walk)

    simulate(dut, tb)


def _job_cycles(dut, resp, base, walk):
    """One job on ``dut`` in Amaranth's simulator: its cycles from start to done."""
    result = {}

    async def tb(ctx):
        result["cycles"] = await run_job(ctx, dut, resp, base, walk)

    simulate(dut, tb)
    return result["cycles"]


@pytest.mark.parametrize("cls", [Source, Sink])
def test_throughput_exact(cls):
    """Uncontended: start->done == sum over runs of ceil(words/N) + OVERHEAD, for fixed walks."""
    cases = [
        (4, Walk3D(len0=16), 4, 1 + 0),                       # 4 aligned words: one chunk
        (5, Walk3D(len0=16), 4, 2),                           # misaligned: 5 words
        (3, Walk3D(len0=1, len1=4, stride1=7, len2=3, stride2=-40), 2, 12),
        (1, Walk3D(len0=9, len1=3, stride1=100), 16, 3),
        (0, Walk3D(len0=64), 1, 16),
    ]
    for base0, walk, ports, _ in cases:
        base = base0 + 200
        dut = cls(ports=ports, depth=64)
        mem = bytearray(MEM)
        resp = TcdmResponder(dut.tcdm, mem, random.Random(0))
        c = chunk_count(base, walk, ports)
        assert _job_cycles(dut, resp, base, walk) == c + cls.OVERHEAD
    assert [chunk_count(b + 200, w, p) for b, w, p, _ in cases] == [1, 2, 12, 3, 16]


@pytest.mark.parametrize("cls", [Source, Sink])
def test_empty_walk(cls):
    dut = cls(ports=2, depth=16)
    resp = TcdmResponder(dut.tcdm, bytearray(MEM), random.Random(0))
    result = {}

    async def tb(ctx):
        result["cycles"] = await run_job(ctx, dut, resp, 8, Walk3D(len0=0))

    simulate(dut, tb)
    assert result["cycles"] == 2 and resp.reqs == 0


@pytest.mark.parametrize("cls", [Source, Sink])
@pytest.mark.parametrize("ports", [1, 4])
def test_abort(seed, cls, ports):
    """Abort mid-job: no request from the abort cycle on, idle, no done; the next job is exact."""
    rng = random.Random(seed * 41 + ports)
    depth = 256
    dut = cls(ports=ports, depth=depth)
    mem = bytearray(rng.randbytes(MEM))
    resp = TcdmResponder(dut.tcdm, mem, rng, stall_p=0.3)

    async def tb(ctx):
        for _ in range(4):
            base, walk = random_walk(rng, depth)
            while chunk_count(base, walk, ports) < 6:
                base, walk = random_walk(rng, depth)
            if cls is Sink:
                adc = rng.randbytes(depth)
                ctx.set(dut.adc, int.from_bytes(adc, "little"))
                resp.allowed = {base + o for o in walk.offsets()}
            set_cfg(ctx, dut, base, walk)
            ctx.set(dut.start, 1)
            await resp.cycle(ctx)
            await ctx.tick()
            ctx.set(dut.start, 0)
            for i in range(rng.randint(1, 5), -1, -1):
                resp.stall_p = 0.3 if i else 0.0   # the cycle before abort grants everything
                await resp.cycle(ctx)
                await ctx.tick()
            assert ctx.get(dut.busy)
            ctx.set(dut.abort, 1)
            resp.stall_p = 0.0                  # grant all: responses are in flight at abort
            assert await resp.cycle(ctx, abort=True) == 0
            frozen = ctx.get(dut.dac) if cls is Source else None
            await ctx.tick()
            ctx.set(dut.abort, 0)
            for _ in range(12):
                assert not ctx.get(dut.busy) and not ctx.get(dut.done)
                assert await resp.cycle(ctx, abort=True) == 0
                await ctx.tick()
            if cls is Source:                   # the in-flight responses were dropped
                assert ctx.get(dut.dac) == frozen
            resp.stall_p = 0.3
            # A full job afterwards is exact (in-flight responses were ignored).
            base, walk = random_walk(rng, depth)
            if cls is Sink:
                expect = bytearray(mem)
                for i, o in enumerate(walk.offsets()):
                    expect[base + o] = adc[i]
                resp.allowed = {base + o for o in walk.offsets()}
            await run_job(ctx, dut, resp, base, walk)
            if cls is Sink:
                assert mem == expect
            else:
                dac = ctx.get(dut.dac).to_bytes(depth, "little")
                ref = bytes(mem[base + o] for o in walk.offsets())
                assert dac[:walk.total] == ref

    simulate(dut, tb)


def test_addressgen_chunks():
    """The generator's chunks, read with back-pressure, match the per-run word split exactly."""
    rng = random.Random(5)
    for ports in (1, 3, 4):
        _check_chunks(rng, ports)


def _check_chunks(rng, ports):
    """Four random walks through ``AddressGen(ports)``, read with random back-pressure."""
    dut = AddressGen(ports)
    walks = [random_walk(rng, 640) for _ in range(4)]

    def ref_chunks(base, walk):
        out, pos = [], 0
        for i2 in range(walk.len2):
            for i1 in range(walk.len1):
                a = base + i2 * walk.stride2 + i1 * walk.stride1
                e = a + walk.len0 - 1
                words = list(range(a // 4, e // 4 + 1))
                for c in range(0, len(words), ports):
                    lanes = []
                    for wd in words[c:c + ports]:
                        mask = sum(1 << b for b in range(4) if a <= 4 * wd + b <= e)
                        lanes.append((wd, mask, pos + 4 * wd - a))
                    out.append(lanes)
                pos += walk.len0
        return out

    async def tb(ctx):
        for base, walk in walks:
            set_cfg(ctx, dut, base, walk)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            got = []
            for _ in range(2000):
                ready = rng.random() < 0.6
                ctx.set(dut.chunk.ready, ready)
                if ctx.get(dut.chunk.valid) and ready:
                    p = ctx.get(dut.chunk.payload)
                    got.append([(ln.word, ln.mask, ln.pos) for ln in p.lanes if ln.mask])
                    if p.last:
                        await ctx.tick()
                        break
                await ctx.tick()
            assert not ctx.get(dut.busy)
            assert got == ref_chunks(base, walk), (base, walk)

    simulate(dut, tb)


@pytest.mark.parametrize("cls", [Source, Sink])
def test_parameters(cls):
    for bad in (0, 17, -1, 2.0, True, None):
        with pytest.raises(ValueError, match="ports"):
            cls(ports=bad, depth=16)
    for bad in (0, -4, 1 << 16, 3.5):
        with pytest.raises(ValueError, match="depth"):
            cls(ports=1, depth=bad)
    dut = cls(ports=3, depth=10)
    assert dut.ports == 3 and dut.depth == 10
    assert len(dut.tcdm) == 3
    assert Walk3DLayout.size == 32 + 16 * 3 + 32 * 2
