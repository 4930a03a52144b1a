"""cocotb side of ``ima-sim traffic`` and ``ima-sim bench-tcdm``: random traffic on the TCDM
subsystem; the result goes back to the host through :mod:`tb.env.params` (the CLI prints it).

Parameters (:mod:`tb.env.params`): the geometry as ``config``; options ``ops`` (accesses per
master) and ``load`` (probability that a master issues a new access in a cycle).
"""

import random
import time

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.env import params
from tb.env.tcdm import TcdmEnv, geometry


def _pauses(rng, load):
    while True:
        yield rng.random() >= load


async def _random_traffic(env, rng, ops, load):
    size = env.size_bytes
    for bfm in env.bfms.values():
        if load < 1.0:
            bfm.set_pause_generator(_pauses(random.Random(rng.getrandbits(32)), load))
        for _ in range(ops):
            addr = rng.randrange(size) & ~3
            if rng.random() < 0.5:
                bfm.init_write(addr, rng.getrandbits(32), rng.randrange(1, 16))
            else:
                bfm.init_read(addr)
    start = env.monitors[0].cycle if env.monitors else None
    t0 = time.perf_counter()
    cycles = 0
    while not all(b.idle for b in env.bfms.values()):
        await RisingEdge(env.clk)
        cycles += 1
    wall = time.perf_counter() - t0
    await ClockCycles(env.clk, 2)
    return cycles, wall, start


@cocotb.test()
async def traffic(dut):
    """Random traffic demo: bandwidth, conflict rate, per-master table."""
    masters, banks, size = geometry()
    ops = int(params.load().option("ops", 500))
    load = float(params.load().option("load", 0.5))
    rng = random.Random(random.getrandbits(32))
    env = TcdmEnv(dut, masters, banks, size)
    await env.start()
    env.preload(0, rng.randbytes(size))
    cycles, wall, _ = await _random_traffic(env, rng, ops, load)
    env.check()
    stats = env.stats()
    params.save_result({"masters": masters, "banks": banks, "size_bytes": size, "ops": ops, "load": load,
            "cycles": cycles, "wall_s": wall, "stats": stats,
            "reads_checked": env.scoreboard.reads,
            "max_wait": [m.max_wait for m in env.monitors]})
    assert sum(g for g, _ in stats) == masters * ops


@cocotb.test()
async def bench(dut):
    """Simulated cycles per wall-clock second with all masters active, and the preload time."""
    masters, banks, size = geometry()
    ops = int(params.load().option("ops", 2000))
    rng = random.Random(random.getrandbits(32))
    result = {"masters": masters, "banks": banks, "size_bytes": size, "ops": ops}
    env = TcdmEnv(dut, masters, banks, size)
    await env.start()
    data = rng.randbytes(size)
    t0 = time.perf_counter()
    env.backdoor.load(0, data)
    result["preload_s"] = time.perf_counter() - t0
    result["preload_method"] = env.backdoor.method
    t0 = time.perf_counter()
    assert env.backdoor.dump(0, size) == data
    result["readback_s"] = time.perf_counter() - t0
    env.model.write(0, data)

    # 1. full harness: BFM + protocol monitor per master + scoreboard
    cycles, wall, _ = await _random_traffic(env, rng, ops, 1.0)
    env.check()
    result["full"] = {"cycles": cycles, "wall_s": wall,
                      "accesses": sum(g for g, _ in env.stats())}
    # 2. drivers only (monitors and scoreboard stopped)
    for mon in env.monitors:
        mon.stop()
    g0 = sum(g for g, _ in env.stats())
    cycles, wall, _ = await _random_traffic(env, rng, ops, 1.0)
    result["drivers_only"] = {"cycles": cycles, "wall_s": wall,
                              "accesses": sum(g for g, _ in env.stats()) - g0}
    # 3. idle clock (no Python activity per cycle): the Verilated model's own speed
    n = 100_000
    t0 = time.perf_counter()
    await ClockCycles(env.clk, n)
    result["idle"] = {"cycles": n, "wall_s": time.perf_counter() - t0}
    params.save_result(result)
