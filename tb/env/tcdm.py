"""A TCDM test environment wired together: clock, reset, one BFM + monitor per master port, a
reference memory, the scoreboard, the backdoor and the RTL statistics counters.

Reused by the interconnect tests, the traffic/bench CLI demos and (later) the IMA and cluster
testbenches, which can pass ``masters=[...]`` to drive only some ports with BFMs.
"""

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.clock import CLK_PERIOD_NS, start_clock
from tb.bfm.sig import reader
from tb.bfm.tcdm import TcdmMaster
from tb.check.monitor import TcdmProtocolMonitor
from tb.check.scoreboard import MemoryModel, TcdmScoreboard
from tb.env import params

__all__ = ["TcdmEnv", "geometry", "start_competing_reads"]


def geometry():
    """``(masters, banks, size_bytes)`` of the TCDM top under test, as the host built it
    (the run's ``config``, :func:`tb.build.tcdm.geometry`)."""
    cfg = params.load().config
    return cfg["masters"], cfg["banks"], cfg["size_bytes"]


def start_competing_reads(master, clk, rng, lo, hi, *, density=1.0):
    """Random word reads from ``master`` (a :class:`TcdmMaster`) over bytes ``[lo, hi)``, one
    per cycle with probability ``density`` (at most a few queued): bank conflicts, i.e. grant
    stalls, for an accelerator's ports on the same TCDM. Returns the task (cancel it, then
    ``await master.wait_idle()``)."""
    async def traffic():
        while True:
            if rng.random() < density:
                addr = int(rng.integers(lo // 4, hi // 4)) * 4
                master.init_read(addr)
            await RisingEdge(clk)
            while len(master._queue) > 4:
                await RisingEdge(clk)
    return cocotb.start_soon(traffic())


class TcdmEnv:
    """Environment around a :class:`~hw.cluster.subsystem.TcdmSubsystem` top (or a top exposing
    the same ports under ``port_fmt`` and the Tcdm instance at ``tcdm_path``).

    Parameters
    ----------
    dut : the cocotb top handle
    masters, banks, size_bytes : int
        Geometry of the RTL.
    port_fmt : str
        Verilog prefix of master ``i``'s port (default ``"masters__{i}"``).
    bfm_ports : iterable of int, optional
        Ports that get a :class:`TcdmMaster` (default all); monitors go on all ports.
    monitors, scoreboard, check_xz : bool
    """

    def __init__(self, dut, masters, banks, size_bytes, *, port_fmt="masters__{i}",
                 tcdm_path="tcdm", bfm_ports=None, monitors=True, scoreboard=True,
                 check_xz=False, period_ns=CLK_PERIOD_NS):
        self.dut = dut
        self.n_masters, self.n_banks, self.size_bytes = masters, banks, size_bytes
        self.period_ns = period_ns
        self.clk = dut.clk
        self.model = MemoryModel(size_bytes)
        self.scoreboard = TcdmScoreboard(self.model) if scoreboard else None
        self.prefixes = [port_fmt.format(i=i) for i in range(masters)]
        self._bfm_ports = list(range(masters)) if bfm_ports is None else list(bfm_ports)
        self._monitors_on = monitors
        self._check_xz = check_xz
        self.bfms = {}
        self.monitors = []
        self.backdoor = TcdmBackdoor(dut[tcdm_path], banks, size_bytes)
        self._stat_granted = [reader(dut[f"stat__granted__{i}"]) for i in range(masters)]
        self._stat_stalled = [reader(dut[f"stat__stalled__{i}"]) for i in range(masters)]

    async def start(self):
        """Start the clock, reset for 2 cycles, then create BFMs and monitors."""
        start_clock(self.clk, self.period_ns)
        self.dut.rst.value = 1
        self.dut.stat__clear.value = 0
        for i in range(self.n_masters):
            self.dut[f"{self.prefixes[i]}__req"].value = 0
        await ClockCycles(self.clk, 2)
        self.dut.rst.value = 0
        for i in self._bfm_ports:
            self.bfms[i] = TcdmMaster(self.dut, self.prefixes[i], self.clk)
        if self._monitors_on:
            for p in self.prefixes:
                mon = TcdmProtocolMonitor(self.dut, p, self.clk, check_xz=self._check_xz)
                if self.scoreboard is not None:
                    mon.add_callback(self.scoreboard)
                self.monitors.append(mon)
        await RisingEdge(self.clk)

    def preload(self, addr, data):
        """Backdoor-load ``data`` into the RTL banks *and* the reference memory."""
        self.backdoor.load(addr, data)
        self.model.write(addr, data)

    def stats(self):
        """RTL counters: list of ``(granted, stalled)`` per master."""
        return [(g(), s()) for g, s in zip(self._stat_granted, self._stat_stalled, strict=True)]

    async def drain(self, max_cycles=1_000_000):
        """Wait until every BFM is idle (plus one cycle so monitors see the last response)."""
        for _ in range(max_cycles):
            if all(b.idle for b in self.bfms.values()):
                break
            await RisingEdge(self.clk)
        else:
            raise AssertionError(f"BFMs not idle after {max_cycles} cycles")
        await ClockCycles(self.clk, 2)

    def check(self):
        """Assert no protocol error, no read mismatch, and RTL counters == monitor counters."""
        for mon in self.monitors:
            assert not mon.errors, mon.errors[0]
        if self.scoreboard is not None:
            self.scoreboard.check()
        if self.monitors:
            for i, ((g, s), mon) in enumerate(zip(self.stats(), self.monitors, strict=True)):
                assert (g, s) == (mon.granted, mon.stalled), (
                    f"master {i}: RTL counters granted/stalled {g}/{s} != monitor "
                    f"{mon.granted}/{mon.stalled}")
