"""The DWA testbench environment around :class:`tb.build.tops.DwaTestTop`.

Wires clock and reset, the peripheral-bus BFM and event watcher, the HAL, TCDM backdoor access,
protocol monitors on the DWA's N ports and the testbench ports, a competing master on ``tb__1``
for bank-conflict (grant-stall) injection, and a probe of the TRIGGER -> event time of each job.
The configuration built (a :class:`hw.config.ClusterConfig`: the DWA's ports = ``ima.ports``,
the TCDM's banks and size) arrives from the host through :mod:`tb.env.params`.
"""

import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from hw.dwa.regmap import REG
from tb.bfm.dwa_hal import DwaHal
from tb.bfm.sig import reader
from tb.bfm.task import BackgroundTask
from tb.env import params
from tb.env.block import BlockEnv

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


class DwaEnv(BlockEnv):
    """Everything a DWA test needs, started by :meth:`start`.

    ``cfg`` (default: the run's) is the configuration of the :class:`DwaTestTop` built;
    ``ports`` the DWA's N, ``tcdm_bytes`` the TCDM size.
    """

    def __init__(self, dut, cfg=None, *, monitors=True):
        cfg = cfg or params.load().cluster_config()
        super().__init__(dut, cfg, monitors=monitors, n_block=cfg.ima.ports)
        self.ports, self.tcdm_bytes, self.n_cores = (self.cfg.ima.ports, self.cfg.tcdm_bytes,
                                                     self.cfg.n_cores)
        self.dwa_ports = [f"tcdm__{k}" for k in range(self.ports)]
        self.stat = {name: reader(dut[f"stat__{name}"]) for name in STAT}

    async def start(self):
        self._hold_reset()
        await self._release_reset()
        self._attach_control(DwaHal, self.n_cores)
        self.timer = JobTimer(self.dut, self.clk, self.ports).start()
        self._attach_tcdm("dwa", self.dwa_ports, self.tcdm_bytes)
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

    def dwa_granted(self):
        """TCDM accesses granted to the DWA's ports so far."""
        return sum(self.granted[k]() for k in range(self.ports))

    def dwa_stalled(self):
        return sum(self.stalled[k]() for k in range(self.ports))
