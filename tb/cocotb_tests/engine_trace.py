"""cocotb entry of the port-level exactness check of the core BFM paths (issue 15): the same
seeded traffic of the eight core BFMs on the cluster test top through the per-access driver
(``bfm="python"``) or the RTL request engines (``bfm="engine"``), with core 0's TCDM port
recorded every cycle at the cluster's boundary.

Traffic (options ``seed``, ``batches``; ``engine_registered``: :class:`tb.env.cluster.ClusterEnv`'s):
every core runs ``batches`` calls, each a load of random words of a shared read-only region (the
TCDM image, preloaded from the seed), a store of random bytes (unaligned edges: partial byte
enables) into the core's own region, a compute gap of 0..6 cycles, or a move to another phase
of a time step from which the next call is made (``fall``: the next edge, then a timer to
mid-cycle -- a falling edge's time step, as after a timer wait; ``ro``: the next edge's ReadOnly
phase); lengths are mostly short, and each core makes one call longer than the engines' ring
(``long`` words) so the refill path is exercised. All cores hit the same banks, so grants stall.
The other calls start where the previous one returned: at an engine's ``flag`` (a load or
store), at a rising edge's clock callback (a compute gap), or there again (a gap of 0).

Saved result: ``trace`` (core 0: per cycle ``[req, gnt, addr, we, be, wdata]`` at the cluster
port, from the first request on), ``done`` (per core, the cycle each call returned), ``loads``
(per core, the words every load returned), ``granted`` / ``stalled`` per TCDM master, the dump
of every core's store region, and the expected values (the image for the loads, the stores
replayed on numpy for the regions); on the engine path the batches run and the resumptions of
:meth:`tb.bfm.engine.EngineMaster.run` over all cores, and the number of ``ro`` calls.
"""

import hashlib
import random

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from tb.bfm.core import CLK_PERIOD_NS, now
from tb.bfm.sig import reader
from tb.env import params
from tb.env.cluster import ClusterEnv

SHARED_WORDS = 4096          # the read-only region: 16 KiB from address 0
REGION_BYTES = 8192          # each core's store region, after the shared one


def _plan(rng, core, batches, long):
    """The calls of one core: ``("load", addrs)``, ``("store", addr, bytes)``, ``("compute", n)``."""
    calls = []
    base = SHARED_WORDS * 4 + core * REGION_BYTES
    for b in range(batches):
        if b == core % batches:        # the long call: a load on even cores, a store on odd
            kind, n = ("load" if core % 2 == 0 else "store"), long
        else:
            kind, n = rng.choice(("load", "load", "store", "compute", "fall", "ro")), rng.randrange(1, 48)
        if kind == "load":
            start = rng.randrange(SHARED_WORDS - n)
            words = [4 * (start + i) for i in range(n)]
            if rng.random() < 0.3:
                rng.shuffle(words)
            calls.append(("load", words))
        elif kind == "store":
            nbytes = 4 * n - rng.randrange(4)
            off = rng.randrange(REGION_BYTES - nbytes)
            calls.append(("store", base + off, bytes(rng.randrange(256) for _ in range(nbytes))))
        elif kind == "compute":
            calls.append(("compute", rng.randrange(0, 7)))
        else:
            calls.append((kind,))
    return calls


@cocotb.test()
async def port_trace(dut):
    p = params.load()
    cfg = p.cluster_config()
    seed, batches = int(p.option("seed", 1)), int(p.option("batches", 6))
    long = int(p.option("long", 1500))          # < SHARED_WORDS and < REGION_BYTES / 4
    env = ClusterEnv(dut, cfg, bfm=p.option("bfm", "python"), monitors=False,
                     engine_registered=p.option("engine_registered", None))
    await env.start()
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=SHARED_WORDS * 4 + cfg.n_cores * REGION_BYTES, dtype=np.uint8)
    env.preload(image, len(image))
    expect = image.copy()
    plans = [_plan(random.Random(seed * 100 + c), c, batches, long) for c in range(cfg.n_cores)]
    port = env.root                    # core 0's TCDM port at the cluster's boundary
    sig = {f: reader(port[f"core_tcdm__0__{f}"]) for f in ("req", "gnt", "addr", "we", "be", "wdata")}
    trace = []

    async def record():
        while True:
            await RisingEdge(env.clk)          # pre-edge values: the cycle that just ended
            trace.append([now() - 1] + [sig[f]() for f in ("req", "gnt", "addr", "we", "be", "wdata")])

    done = [[] for _ in env.cores]
    loads = [[] for _ in env.cores]

    async def run(core, calls):
        for call in calls:
            if call[0] == "load":
                loads[core.idx].append([int(v) for v in await core.load_words(call[1])])
            elif call[0] == "store":
                await core.store_bytes(call[1], np.frombuffer(call[2], dtype=np.uint8))
            elif call[0] == "compute":
                await core.compute(call[1])
            elif call[0] == "fall":
                await RisingEdge(env.clk)
                await Timer(CLK_PERIOD_NS // 2, unit="ns")
            else:
                await RisingEdge(env.clk)
                await ReadOnly()
            done[core.idx].append(now())

    for plan in plans:                 # stores replayed on numpy: each core owns its region
        for call in plan:
            if call[0] == "store":
                expect[call[1]:call[1] + len(call[2])] = np.frombuffer(call[2], dtype=np.uint8)
    await RisingEdge(env.clk)
    rec = cocotb.start_soon(record())
    tasks = [cocotb.start_soon(run(c, plan)) for c, plan in zip(env.cores, plans, strict=True)]
    for t in tasks:
        await t
    await RisingEdge(env.clk)
    await RisingEdge(env.clk)
    rec.cancel()
    first = next((i for i, row in enumerate(trace) if row[1]), 0)
    shared = image[:SHARED_WORDS * 4].view("<u4")
    want_loads = [[[int(shared[a // 4]) for a in call[1]] for call in plan if call[0] == "load"]
                  for plan in plans]
    dump = np.frombuffer(env.dump(len(image)), dtype=np.uint8)
    params.save_result({
        "trace": trace[first:], "done": done, "loads": loads, "want_loads": want_loads,
        "granted": [f() for f in env.granted], "stalled": [f() for f in env.stalled],
        "stores_ok": bool(np.array_equal(dump, expect)),
        "dump_sha": hashlib.sha1(dump.tobytes()).hexdigest(),
        # the engine path's batches and resumptions of EngineMaster.run, over every core
        "batches": sum(c.engine.batches for c in env.cores if c.engine is not None),
        "wakeups": sum(c.engine.wakeups for c in env.cores if c.engine is not None),
        "ro_calls": sum(call[0] == "ro" for plan in plans for call in plan),
    })
