"""The DWA testbench environment around :class:`tb.build.tops.DwaTestTop`.

Wires clock and reset, the peripheral-bus BFM and event watcher, the HAL, TCDM backdoor access,
protocol monitors on the DWA's N ports and the testbench ports, a competing master on ``tb__1``
for bank-conflict (grant-stall) injection, and a probe of the TRIGGER -> event time of each job.
The configuration built (a :class:`hw.config.ClusterConfig`: the DWA's ports = ``ima.ports``,
the TCDM's banks and size) arrives from the host through :mod:`tb.env.params`.
"""

import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from hw.dwa.regmap import REG
from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.clock import start_clock
from tb.bfm.dwa_hal import DwaHal
from tb.bfm.periph import EventLines, PeriphMaster
from tb.bfm.sig import reader
from tb.bfm.task import BackgroundTask
from tb.bfm.tcdm import TcdmMaster
from tb.check.monitor import TcdmProtocolMonitor
from tb.env import params
from tb.env.tcdm import start_competing_reads

__all__ = ["DwaEnv", "JobTimer"]

STAT = ("busy", "cycles", "mac_cycles", "stalled", "jobs")


class JobTimer(BackgroundTask):
    """Per cycle: the time from each granted TRIGGER write to the next pulse on any event line
    (``spans``), and the DWA's TCDM grants at or after a granted SOFT_CLEAR write and before the
    next TRIGGER (``late_grants``: ``(cycles after the SOFT_CLEAR, port)``; must stay empty)."""

    def __init__(self, dut, clk, ports):
        self.clk = clk
        self._req, self._gnt = reader(dut.ctrl__req), reader(dut.ctrl__gnt)
        self._we, self._addr = reader(dut.ctrl__we), reader(dut.ctrl__addr)
        self._evt = reader(dut.evt)
        self._ports = [(reader(dut.dwa[f"tcdm__{k}__req"]), reader(dut.dwa[f"tcdm__{k}__gnt"]))
                       for k in range(ports)]
        self.spans = []
        self.late_grants = []
        self.clears = 0

    async def _run(self):
        t0, cleared, now = None, None, 0
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            now += 1
            if self._evt() and t0 is not None:
                self.spans.append(now - t0)
                t0 = None
            write = self._req() and self._gnt() and self._we()
            if write and self._addr() == REG.TRIGGER:
                t0, cleared = now, None
            elif write and self._addr() == REG.SOFT_CLEAR:
                cleared = now
                self.clears += 1
            if cleared is not None:
                self.late_grants += [(now - cleared, k) for k, (req, gnt) in enumerate(self._ports)
                                     if req() and gnt()]


class DwaEnv:
    """Everything a DWA test needs, started by :meth:`start`.

    ``cfg`` (default: the run's) is the configuration of the :class:`DwaTestTop` built;
    ``ports`` the DWA's N, ``tcdm_bytes`` the TCDM size.
    """

    def __init__(self, dut, cfg=None, *, monitors=True):
        self.dut = dut
        self.cfg = cfg or params.load().cluster_config()
        self.ports, self.tcdm_bytes, self.n_cores = (self.cfg.ima.ports, self.cfg.tcdm_bytes,
                                                     self.cfg.n_cores)
        self.clk = dut.clk
        self.monitors_on = monitors
        self.monitors = []
        n = self.ports
        self.dwa_ports = [f"tcdm__{k}" for k in range(n)]
        self.stat = {name: reader(dut[f"stat__{name}"]) for name in STAT}
        self.granted = [reader(dut[f"tcdm_stat__granted__{k}"]) for k in range(n + 2)]
        self.stalled = [reader(dut[f"tcdm_stat__stalled__{k}"]) for k in range(n + 2)]

    async def start(self):
        dut = self.dut
        start_clock(self.clk)
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        dut.ctrl__req.value = 0
        for k in range(2):
            dut[f"tb__{k}__req"].value = 0
        await ClockCycles(self.clk, 3)
        dut.rst.value = 0
        self.periph = PeriphMaster(dut, "ctrl")
        self.events = EventLines(dut, "evt", self.n_cores).start()
        self.hal = DwaHal(self.periph, self.events, self.clk)
        self.timer = JobTimer(dut, self.clk, self.ports).start()
        self.tb = TcdmMaster(dut, "tb__0", self.clk)
        self.competitor = TcdmMaster(dut, "tb__1", self.clk)
        self.backdoor = TcdmBackdoor(dut.tcdm.tcdm, self.cfg.banks, self.tcdm_bytes)
        if self.monitors_on:
            for prefix in self.dwa_ports:
                self.monitors.append(TcdmProtocolMonitor(dut.dwa, prefix, self.clk))
            for k in range(2):
                self.monitors.append(TcdmProtocolMonitor(dut, f"tb__{k}", self.clk))
        await RisingEdge(self.clk)

    def counters(self):
        return {k: f() for k, f in self.stat.items()}

    def load_image(self, image):
        """Backdoor-load a whole TCDM image (``tcdm_bytes`` uint8)."""
        assert image.size == self.tcdm_bytes
        self.backdoor.load(0, image.tobytes())

    def image(self):
        """The whole TCDM as uint8."""
        return np.frombuffer(self.backdoor.dump(0, self.tcdm_bytes), dtype=np.uint8).copy()

    def check_monitors(self):
        for mon in self.monitors:
            err = getattr(mon, "errors", None)
            assert not err, f"protocol errors on {mon}: {err}"

    def dwa_granted(self):
        """TCDM accesses granted to the DWA's ports so far."""
        return sum(self.granted[k]() for k in range(self.ports))

    def dwa_stalled(self):
        return sum(self.stalled[k]() for k in range(self.ports))

    def start_competitor(self, rng, lo, hi, *, density=1.0):
        """Random reads from ``tb__1`` over words in [lo, hi): bank conflicts for the DWA's ports."""
        return start_competing_reads(self.competitor, self.clk, rng, lo, hi, density=density)
