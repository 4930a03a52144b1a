"""cocotb tests of the TCDM subsystem (interconnect + banks). Parameters come from the host
through :mod:`tb.env.params`: the geometry as ``config``, the option ``ops`` (accesses per master);
pytest entry points are in ``tests/hw/cluster/test_interconnect.py``. ``random`` is seeded by
cocotb from ``COCOTB_RANDOM_SEED``.
"""

import random
import time

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.env import params
from tb.env.tcdm import TcdmEnv, geometry


def _ops():
    return int(params.load().option("ops", 200))


def _pauses(rng, p):
    while True:
        yield rng.random() < p


@cocotb.test()
async def random_traffic(dut):
    """(a) random mixed reads/writes, random byte enables, from every master; every read checked."""
    masters, banks, size = geometry()
    env = TcdmEnv(dut, masters, banks, size)
    rng = random.Random(random.getrandbits(32))
    # a hot window (lots of bank conflicts and read-after-write) plus the whole memory
    hot = min(size, 4 * banks * 8)
    await env.start()
    t0 = time.perf_counter()
    env.preload(0, rng.randbytes(hot))
    env.preload(size - 4096, rng.randbytes(4096))
    dut._log.info("preloaded %d bytes in %.3f s", hot + 4096, time.perf_counter() - t0)
    for i, bfm in env.bfms.items():
        if i % 3 == 1:
            bfm.set_pause_generator(_pauses(random.Random(rng.getrandbits(32)), 0.3))
    handles = []
    for bfm in env.bfms.values():
        for _ in range(_ops()):
            addr = (rng.randrange(hot) if rng.random() < 0.7 else rng.randrange(size)) & ~3
            addr |= rng.randrange(4)  # low bits are ignored by the protocol
            if rng.random() < 0.5:
                handles.append(bfm.init_write(addr, rng.getrandbits(32), rng.randrange(16)))
            else:
                handles.append(bfm.init_read(addr))
    for h in handles:
        await h.wait()
    await env.drain()
    env.check()
    assert env.scoreboard.reads > 0 and env.scoreboard.writes > 0
    assert env.scoreboard.reads + env.scoreboard.writes == len(handles)
    # front-door results reached the banks: backdoor readback of the hot window == model
    assert env.backdoor.dump(0, hot) == env.model.read(0, hot)
    total_g = sum(g for g, _ in env.stats())
    total_s = sum(s for _, s in env.stats())
    dut._log.info("random traffic: %d accesses, %d stall cycles, %d reads checked",
                  total_g, total_s, env.scoreboard.reads)
    assert total_g == len(handles)


@cocotb.test()
async def hammer_one_bank(dut):
    """(b) every master hammers bank 0: nothing lost or duplicated, round-robin bound M cycles."""
    masters, banks, size = geometry()
    env = TcdmEnv(dut, masters, banks, size)
    await env.start()
    n = max(4, _ops() // 4)
    words_in_bank = size // (4 * banks)
    handles = {i: [] for i in env.bfms}
    for i, bfm in env.bfms.items():
        for k in range(n):
            row = (i * n + k) % words_in_bank
            addr = row * banks * 4  # bank 0
            handles[i].append(bfm.init_write(addr, (i << 24) | k))
            handles[i].append(bfm.init_read(addr))
    for hs in handles.values():
        for h in hs:
            await h.wait()
    await env.drain()
    env.check()
    for i, mon in enumerate(env.monitors):
        assert mon.transactions == 2 * n, f"master {i}: {mon.transactions} responses, want {2 * n}"
        assert env.bfms[i].granted == 2 * n
        assert mon.max_wait <= masters - 1, (
            f"master {i} waited {mon.max_wait} cycles > M-1 = {masters - 1} (round robin bound)")
    if masters > 1:
        assert max(mon.max_wait for mon in env.monitors) == masters - 1
    if masters * n <= words_in_bank:  # rows unique: each read returns its own write
        for i, hs in handles.items():
            for k in range(n):
                assert hs[2 * k + 1].result == (i << 24) | k
    dut._log.info("hammer: %d masters x %d accesses, max wait %d cycles", masters, 2 * n,
                  max(mon.max_wait for mon in env.monitors))


@cocotb.test()
async def distinct_banks_full_rate(dut):
    """(c) masters on distinct banks sustain one access per master per cycle."""
    masters, banks, size = geometry()
    k = min(masters, banks)
    env = TcdmEnv(dut, masters, banks, size, bfm_ports=range(k))
    rng = random.Random(random.getrandbits(32))
    await env.start()
    grants = {i: [] for i in range(k)}
    for i in range(k):
        env.monitors[i].add_callback(lambda t, i=i: grants[i].append(t.grant_cycle))
    n = _ops()
    words_in_bank = size // (4 * banks)
    await RisingEdge(dut.clk)
    for i in range(k):
        bfm = env.bfms[i]
        for j in range(n):
            addr = ((rng.randrange(words_in_bank) * banks) + i) * 4
            if j % 2:
                bfm.init_write(addr, rng.getrandbits(32), 0xF)
            else:
                bfm.init_read(addr)
    await env.drain()
    env.check()
    first = {grants[i][0] for i in range(k)}
    assert len(first) == 1, f"masters did not start together: {first}"
    for i in range(k):
        g = grants[i]
        assert len(g) == n and g[-1] - g[0] == n - 1, (
            f"master {i}: {len(g)} grants over {g[-1] - g[0] + 1} cycles, want {n} in {n}")
        assert env.stats()[i] == (n, 0)
    cycles = grants[0][-1] - grants[0][0] + 1
    rate = k * n / cycles
    dut._log.info("distinct banks: %d masters, %d accesses in %d cycles = %.2f accesses/cycle",
                  k, k * n, cycles, rate)
    assert rate == k
    # stat__clear zeroes the counters
    dut.stat__clear.value = 1
    await RisingEdge(dut.clk)
    dut.stat__clear.value = 0
    await ClockCycles(dut.clk, 2)
    assert all(s == (0, 0) for s in env.stats())


@cocotb.test()
async def backdoor_preload(dut):
    """Backdoor preload of the whole TCDM (timed), checked by front-door reads and readback."""
    masters, banks, size = geometry()
    env = TcdmEnv(dut, masters, banks, size)
    rng = random.Random(random.getrandbits(32))
    with pytest_raises(RuntimeError):      # time 0: would be wiped by the initial blocks
        env.backdoor.load(0, b"1234")
    await env.start()
    data = rng.randbytes(size)
    t0 = time.perf_counter()
    env.preload(0, data)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = env.backdoor.dump(0, size)
    t_dump = time.perf_counter() - t0
    assert back == data
    # unaligned, odd-length and row-crossing loads: read-modify-write at the edges
    for _ in range(20):
        a = rng.randrange(size - 300)
        env.preload(a, rng.randbytes(rng.randrange(1, 300)))
    assert env.backdoor.dump(0, size) == env.model.read(0, size)
    msg = (f"backdoor ({env.backdoor.method}): preload {size // 1024} KiB in {t_load * 1e3:.1f} ms,"
           f" readback in {t_dump * 1e3:.1f} ms")
    dut._log.info(msg)
    print("BACKDOOR", msg)
    # the RTL sees the preloaded data: front-door reads from every master, all over the memory
    hs = [bfm.init_read(rng.randrange(size) & ~3) for bfm in env.bfms.values()
          for _ in range(_ops() // 4)]
    hs += [env.bfms[0].init_read(a) for a in (0, 4 * banks - 4, size - 4)]
    for h in hs:
        await h.wait()
    await env.drain()
    env.check()
    assert env.scoreboard.reads == len(hs)


class pytest_raises:
    """Tiny ``pytest.raises`` (pytest is not imported inside the simulator)."""

    def __init__(self, exc):
        self.exc = exc

    def __enter__(self):
        return self

    def __exit__(self, typ, value, tb):
        assert typ is not None and issubclass(typ, self.exc), f"{self.exc.__name__} not raised"
        return True
