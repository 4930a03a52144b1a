"""RISC-V core bus-functional models: one per core, on its TCDM port and its peripheral port.

A :class:`Core` offers what a program running on a core does to the rest of the cluster: loads
and stores through the RTL interconnect (pipelined, one per cycle when granted, so bank
conflicts are real), peripheral reads/writes (the IMA's registers), waiting for its event line,
and spending compute cycles. It keeps the cycle accounting the energy model needs: active cycles
(executing) and idle cycles (asleep on an event or a barrier; clock-gated on PULP).

:class:`Barrier` is the cluster's hardware barrier: the last core to arrive releases everyone
after ``SwCost.barrier_cycles``.
"""

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, Event, RisingEdge, Timer

from hw.verif.engine import ctl_word
from tb.bfm.clock import CLK_PERIOD_NS
from tb.bfm.periph import PeriphMaster
from tb.bfm.tcdm import TcdmMaster

__all__ = ["Core", "Barrier", "now", "wait_cycles", "CLK_PERIOD_NS"]

#: The engine's control word of a load: what TcdmMaster.init_read presents (we 0, be 0xF).
_READ_CTL = ctl_word(False, 0xF)
#: ... and of a store of a whole word (we 1, be 0xF).
_WRITE_CTL = ctl_word(True, 0xF)
#: Waits up to this many cycles use ClockCycles (one wake-up per cycle); longer ones a Timer.
_SHORT_WAIT = 4

#: read-only constant blocks by value (:func:`_const`)
_const_cache = {}


def _const(value, n):
    """A read-only uint32 array of ``n`` copies of ``value`` (a view of a cached one: the engine
    path's per-call control and write-data blocks of loads and whole-word stores, without an
    allocation per call)."""
    arr = _const_cache.get(value)
    if arr is None or len(arr) < n:
        arr = np.full(max(n, 1024), value, dtype=np.uint32)
        arr.flags.writeable = False
        _const_cache[value] = arr
    return arr[:n]


def now(clk_period_ns=CLK_PERIOD_NS):
    """Current simulation time in cycles."""
    return int(cocotb.utils.get_sim_time("ns") // clk_period_ns)


async def wait_cycles(clk, cycles):
    """Return on the same rising edge of ``clk`` as ``ClockCycles(clk, cycles)`` would, with at
    most two wake-ups: a timer to the middle of the cycle before the last edge (a falling-edge
    time, never a rising one), then the last edge. Call it at a rising edge's time step (after
    an edge or in its ReadOnly phase), as every BFM does: the timer then starts from that edge
    (``clk`` high at a whole period). Anywhere else (``clk`` low: mid-cycle) it first waits for
    the next edge, as before (three wake-ups)."""
    cycles = int(cycles)
    if cycles <= 0:
        return
    if cycles <= _SHORT_WAIT:
        await ClockCycles(clk, cycles)
        return
    if not (get_sim_time("ns") % CLK_PERIOD_NS == 0 and clk.value):
        await RisingEdge(clk)
        cycles -= 1
    await Timer(cycles * CLK_PERIOD_NS - CLK_PERIOD_NS // 2, unit="ns")
    await RisingEdge(clk)


class Core:
    """Bus-functional model of core ``idx``.

    Parameters
    ----------
    dut : cocotb top handle (a :class:`hw.cluster.cluster.Cluster`)
    idx : int
    events : tb.bfm.periph.EventLines (shared by all cores)
    engine : tb.bfm.engine.EngineMaster, optional
        Run each load / store call as one batch on the core's RTL request engine (the test
        top's port must be switched to it); default: the per-access driver
        :class:`~tb.bfm.tcdm.TcdmMaster` (``self.tcdm``), same port timing.
    """

    def __init__(self, dut, idx, events, *, clk=None, engine=None):
        self.idx = idx
        self.clk = clk if clk is not None else dut.clk
        self.tcdm = TcdmMaster(dut, f"core_tcdm__{idx}", self.clk)
        self.engine = engine
        self.periph = PeriphMaster(dut, f"core_periph__{idx}", self.clk)
        self.events = events
        self.idle_cycles = 0
        self.accesses = 0

    # ------------------------------------------------------------------ memory
    async def load_words(self, word_addrs):
        """Load 32-bit words (byte addresses, word aligned), pipelined; returns a uint32 array."""
        if self.engine is not None:
            if isinstance(word_addrs, range) and word_addrs.start >= 0 and word_addrs.stop >= 0:
                addr = np.arange(word_addrs.start, word_addrs.stop, word_addrs.step, dtype=np.uint32)
            else:
                addr = np.asarray(word_addrs, dtype=np.int64).astype(np.uint32).reshape(-1)
            n = len(addr)
            self.accesses += n
            return await self.engine.run(addr, _const(_READ_CTL, n), _const(0, n), read=True)
        handles = [self.tcdm.init_read(int(a)) for a in word_addrs]
        self.accesses += len(handles)
        out = np.empty(len(handles), dtype=np.uint32)
        for i, h in enumerate(handles):
            out[i] = (await h.wait()) & 0xFFFFFFFF
        return out

    async def load_bytes(self, addr, n):
        """Load ``n`` bytes from byte ``addr`` with the aligned word loads covering them."""
        if n <= 0:
            return np.zeros(0, dtype=np.uint8)
        start, end = addr & ~3, (addr + n + 3) & ~3
        words = await self.load_words(range(start, end, 4))
        return words.astype("<u4").view(np.uint8)[addr - start:addr - start + n].copy()

    async def load_strided(self, addr, n, stride, count):
        """``count`` runs of ``n`` bytes, ``stride`` bytes apart, as one (count, n) array."""
        starts = [addr + i * stride for i in range(count)]
        words = sorted({w for s in starts for w in range(s & ~3, (s + n + 3) & ~3, 4)})
        data = await self.load_words(words)
        index = {w: i for i, w in enumerate(words)}
        raw = data.astype("<u4").view(np.uint8)
        out = np.empty((count, n), dtype=np.uint8)
        for i, s in enumerate(starts):
            base = index[s & ~3] * 4 + (s & 3)
            # words of one run are consecutive in `words` (sorted, contiguous range)
            out[i] = raw[base:base + n]
        return out

    async def store_bytes(self, addr, data):
        """Store bytes with word stores (byte enables at unaligned edges), pipelined."""
        data = np.asarray(data, dtype=np.uint8).reshape(-1)
        if data.size == 0:
            return
        start = addr & ~3
        end = (addr + data.size + 3) & ~3
        if self.engine is not None:
            # the words, zero-padded at unaligned ends, and the byte enables: all four lanes but
            # on the first and last word of an unaligned run (a few small numpy calls per call:
            # the HWC->CHW and depth-wise kernels store one channel or pixel per call)
            lead, trail = addr - start, end - (addr + data.size)
            raw = data.tobytes()
            if lead or trail:
                raw = bytes(lead) + raw + bytes(trail)
            words = np.frombuffer(raw, dtype="<u4").astype(np.uint32)
            n = len(words)
            ctl = _const(_WRITE_CTL, n)
            if lead or trail:
                ctl = ctl.copy()
                ctl[0] &= ctl_word(True, 0xF << lead)
                ctl[-1] &= ctl_word(True, 0xF >> trail)
            self.accesses += n
            await self.engine.run(np.arange(start, end, 4, dtype=np.uint32), ctl, words, read=False)
            return
        buf = np.zeros(end - start, dtype=np.uint8)
        buf[addr - start:addr - start + data.size] = data
        words = buf.view("<u4")
        en = np.zeros(end - start, dtype=bool)
        en[addr - start:addr - start + data.size] = True
        handles = []
        for i, a in enumerate(range(start, end, 4)):
            be = int(en[4 * i]) | int(en[4 * i + 1]) << 1 | int(en[4 * i + 2]) << 2 | int(en[4 * i + 3]) << 3
            handles.append(self.tcdm.init_write(a, int(words[i]), be))
        self.accesses += len(handles)
        for h in handles:
            await h.wait()

    # ------------------------------------------------------------------ time
    async def compute(self, cycles):
        """Spend ``cycles`` executing (no bus traffic).

        Resumes on the same rising edge as ``ClockCycles(clk, cycles)`` would, but a long wait
        costs two wake-ups instead of one per cycle (the SW kernels' compute padding was most
        of a software run's Python time): :func:`wait_cycles`.
        """
        await wait_cycles(self.clk, cycles)

    async def kernel_time(self, cost_cycles, start_cycle):
        """Pad a kernel to ``cost_cycles`` from ``start_cycle``: the accesses issued since then
        were already part of the cost (one issue slot each); stalls beyond them stay extra."""
        spent = now() - start_cycle
        await self.compute(cost_cycles - spent)

    async def idle(self, awaitable):
        """Wait (clock-gated) for ``awaitable``; the cycles count as idle."""
        t0 = now()
        result = await awaitable
        self.idle_cycles += now() - t0
        return result


class Barrier:
    """Hardware barrier over ``n`` cores with a fixed release latency."""

    def __init__(self, n, clk, latency):
        self.n, self.clk, self.latency = n, clk, latency
        self._arrived = 0
        self._release = Event()
        self.count = 0

    async def wait(self, core: Core):
        t0 = now()
        self._arrived += 1
        if self._arrived == self.n:
            release = self._release
            self._arrived = 0
            self._release = Event()
            self.count += 1
            await ClockCycles(self.clk, self.latency)
            release.set()
        else:
            await self._release.wait()
        await RisingEdge(self.clk)
        core.idle_cycles += now() - t0
