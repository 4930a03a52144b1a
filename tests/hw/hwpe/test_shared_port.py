"""The shared data interface (hw/hwpe/streamer/shared_port.py) on Amaranth's simulator.

Two Python side drivers play the Source (chunks of reads) and the Sink (chunks of writes) the way
``issue_chunks`` does: lane ``k`` of a chunk on port ``k``, a lane's ``req`` held until granted,
the next chunk only after every lane of this one was granted, random idle gaps between chunks. A
Python TCDM on the shared ports grants each request with a seeded probability (random stalls),
answers every granted access one cycle later (``r_valid`` also after writes, as our
interconnect) and checks the protocol on the shared ports. Checked: every access reaches the
TCDM exactly once, each side's accesses in its own order; every read's data returns to the
Source one cycle after its grant and the Sink never sees a read's response; a chunk is never
split between the sides in one cycle; round robin: a side never completes two chunks in a row
while the other one was waiting; no added latency without contention. Seed: ``$IMA_SEED`` or
random, printed.
"""

import random

import pytest

from hw.hwpe.streamer import SharedPort
from hw.simtb import simulate

WORDS = 256


class Side:
    """A Source-like (reads) or Sink-like (writes) issuer of chunks on ``ports``."""

    def __init__(self, name, ports, chunks, rng, gap_p, *, we):
        self.name, self.ports, self.rng, self.gap_p, self.we = name, ports, rng, gap_p, we
        self.chunks = list(chunks)       # each: list of (lane, word, wdata)
        self.cur = None                  # lanes not granted yet
        self.idx = -1
        self.gap = 0
        self.waiting_since = None        # cycle the current chunk was first requested
        self.granted_last = []           # (lane, word, seq) granted in the previous cycle
        self.completed = []              # cycles in which a chunk completed
        self.grants = []                 # (chunk, lane, word, wdata) in grant order
        self.seq = 0

    def drive(self, ctx, cycle):
        if self.cur is None and self.gap == 0 and self.idx + 1 < len(self.chunks):
            self.idx += 1
            self.cur = {lane: (word, wdata) for lane, word, wdata in self.chunks[self.idx]}
            self.waiting_since = cycle
        for k, port in enumerate(self.ports):
            lane = self.cur.get(k) if self.cur else None
            ctx.set(port.req, lane is not None)
            if lane is not None:
                ctx.set(port.addr, 4 * lane[0])
                ctx.set(port.we, self.we)
                ctx.set(port.be, 0xF)
                ctx.set(port.wdata, lane[1])

    def collect(self, ctx, cycle):
        """After the TCDM's grants: retire granted lanes; returns the lanes granted now."""
        now = []
        if self.cur is None:
            if self.gap:
                self.gap -= 1
            return now
        for k, port in enumerate(self.ports):
            if k in self.cur and ctx.get(port.gnt):
                word, wdata = self.cur.pop(k)
                now.append((k, word, self.seq))
                self.grants.append((self.idx, k, word, wdata))
                self.seq += 1
        if not self.cur:
            self.cur = None
            self.completed.append(cycle)
            self.waiting_since = None
            self.gap = self.rng.randrange(1, 4) if self.rng.random() < self.gap_p else 0
        return now

    @property
    def done(self):
        return self.cur is None and self.idx + 1 == len(self.chunks) and self.gap == 0


def random_chunks(rng, ports, n, lo, hi):
    """``n`` chunks of consecutive words in ``[lo, hi)``, 1..ports lanes from lane 0 (the
    generator's shape); data random."""
    out = []
    for _ in range(n):
        width = rng.randint(1, ports)
        w0 = rng.randrange(lo, hi - width)
        out.append([(k, w0 + k, rng.getrandbits(32)) for k in range(width)])
    return out


def run(dut, src, snk, mem, rng, stall_p, max_cycles=20000):
    """Clock until both sides are done; checks the shared ports' protocol on the way."""
    ports = dut.ports
    log = {"owner": [], "cycles": 0, "tcdm": []}

    async def tb(ctx):
        pending = [None] * ports          # (we, data) answered this cycle
        stalled = [None] * ports          # request fields stalled in the previous cycle
        for cycle in range(max_cycles):
            if src.done and snk.done and not any(pending):
                log["cycles"] = cycle
                return
            for k, out in enumerate(dut.out):                  # responses to last cycle's grants
                ctx.set(out.r_valid, pending[k] is not None)
                ctx.set(out.r_data, pending[k][1] if pending[k] else 0)
            # r_valid goes to the side granted in the previous cycle, per port
            for side, name in ((src, "src"), (snk, "snk")):
                ports_rv = {k for k, _, _ in side.granted_last}
                for k, port in enumerate(side.ports):
                    assert ctx.get(port.r_valid) == (k in ports_rv), (
                        f"cycle {cycle}: {name} port {k} r_valid {ctx.get(port.r_valid)}, "
                        f"granted last cycle: {sorted(ports_rv)}")
                for k, word, _ in side.granted_last if side is src else ():
                    assert ctx.get(side.ports[k].r_data) == mem[word], (
                        f"cycle {cycle}: read of word {word} returned wrong data")
            pending = [None] * ports
            src.drive(ctx, cycle)
            snk.drive(ctx, cycle)
            owners = set()
            for k, out in enumerate(dut.out):                  # the TCDM: grants, protocol
                if not ctx.get(out.req):
                    assert stalled[k] is None, f"cycle {cycle}: port {k} dropped a stalled request"
                    ctx.set(out.gnt, 0)
                    continue
                fields = (ctx.get(out.addr), ctx.get(out.we), ctx.get(out.be), ctx.get(out.wdata))
                if not fields[1]:
                    fields = fields[:2]
                if stalled[k] is not None:
                    assert fields == stalled[k], f"cycle {cycle}: port {k} {stalled[k]} -> {fields}"
                owners.add(fields[1])
                if rng.random() < stall_p:
                    ctx.set(out.gnt, 0)
                    stalled[k] = fields
                    continue
                ctx.set(out.gnt, 1)
                stalled[k] = None
                word = fields[0] >> 2
                if fields[1]:
                    mem[word] = fields[3]
                    pending[k] = (1, 0xDEADBEEF)
                else:
                    pending[k] = (0, mem[word])
                log["tcdm"].append((cycle, fields[1], word))
            assert len(owners) <= 1, f"cycle {cycle}: reads and writes on the ports together"
            log["owner"].append(ctx.get(dut.owner_snk))
            # the side not owning sees no grant; fairness (round robin by chunk)
            for side, other in ((src, snk), (snk, src)):
                prev = side.completed[-1] if side.completed else None
                side.granted_last = side.collect(ctx, cycle)
                if side.completed and side.completed[-1] == cycle and prev is not None \
                        and other.waiting_since is not None and other.waiting_since <= prev:
                    raise AssertionError(f"cycle {cycle}: {side.name} completed two chunks in a "
                                         f"row while {other.name} waited since {other.waiting_since}")
            await ctx.tick()
        raise AssertionError("the sides did not finish")

    simulate(dut, tb)
    return log


@pytest.mark.parametrize("ports", [1, 4])
@pytest.mark.parametrize("stall_p", [0.0, 0.3])
def test_shared_port_random(seed, ports, stall_p):
    rng = random.Random(seed * 13 + ports + int(10 * stall_p))
    mem = [rng.getrandbits(32) for _ in range(WORDS)]
    ref = list(mem)
    reads = random_chunks(rng, ports, 60, 0, WORDS // 2)
    writes = random_chunks(rng, ports, 60, WORDS // 2, WORDS)   # a word may be written twice
    dut = SharedPort(ports)
    src = Side("src", dut.src, reads, rng, 0.3, we=0)
    snk = Side("snk", dut.snk, writes, rng, 0.3, we=1)
    log = run(dut, src, snk, mem, rng, stall_p)
    # every access exactly once, chunk after chunk in each side's order (the lanes of a chunk
    # are granted independently)
    for side, chunks in ((src, reads), (snk, writes)):
        assert sorted(side.grants) == [(i, k, w, d) for i, c in enumerate(chunks) for k, w, d in c]
        order = [i for i, _, _, _ in side.grants]
        assert order == sorted(order), f"{side.name}: chunks granted out of order"
    tcdm_reads = [w for _, we, w in log["tcdm"] if not we]
    tcdm_writes = [w for _, we, w in log["tcdm"] if we]
    assert tcdm_reads == [w for _, _, w, _ in src.grants]
    assert tcdm_writes == [w for _, _, w, _ in snk.grants]
    for c in writes:                  # the memory holds each word's last write, in order
        for _, w, d in c:
            ref[w] = d
    assert mem == ref
    assert 0 < sum(log["owner"]) < len(log["owner"]), "one side never owned the ports"


@pytest.mark.parametrize("ports", [1, 4])
def test_no_added_latency_alone(seed, ports):
    """One side alone, no stalls: one chunk per cycle, each granted in its first request cycle."""
    rng = random.Random(seed)
    mem = [rng.getrandbits(32) for _ in range(WORDS)]
    for name in ("src", "snk"):
        chunks = random_chunks(rng, ports, 20, 0, WORDS)
        dut = SharedPort(ports)
        active = Side(name, getattr(dut, name), chunks, rng, 0.0, we=int(name == "snk"))
        idle = Side("src" if name == "snk" else "snk", dut.snk if name == "src" else dut.src, [],
                    rng, 0.0, we=int(name == "src"))
        src, snk = (active, idle) if name == "src" else (idle, active)
        log = run(dut, src, snk, mem, rng, 0.0)
        assert active.completed == list(range(len(chunks))), active.completed
        assert log["cycles"] == len(chunks) + 1


def test_parameters():
    for bad in (0, 17, 2.0, True):
        with pytest.raises(ValueError, match="ports"):
            SharedPort(bad)
