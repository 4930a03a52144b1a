"""The IMA testbench environment around :class:`tb.build.tops.ImaTestTop`.

Wires clock and reset, the Python crossbar as analog core, the peripheral-bus BFM and event
watcher, the HAL, TCDM backdoor access, protocol monitors on all IMA ports (2N; N with the
shared data interface) and on the testbench ports, and a competing master on ``tb__1`` for
bank-conflict (grant-stall) injection.
Under a 4-state simulator (Icarus, :func:`tb.bfm.sig.four_state`) an :class:`OutputXzMonitor`
also watches the top's control, event and statistics outputs and the analog-core payloads from
the cycle after reset (``xz_monitor``); the TCDM monitors' X/Z checks are always on.
The configuration built (a :class:`hw.config.ClusterConfig`: the IMA, the TCDM's banks and size)
arrives from the host through :mod:`tb.env.params`.
"""

from cocotb.triggers import RisingEdge

from hw.ima.stats import STAT_COUNTERS
from sim_models.crossbar import Crossbar
from tb.bfm.analog_core import AnalogCoreModel
from tb.bfm.ima_hal import ImaHal
from tb.bfm.sig import four_state, reader
from tb.check.monitor import (
    ANALOG_QUALIFIED,
    PERIPH_QUALIFIED,
    OutputXzMonitor,
    prefixed,
)
from tb.env import params
from tb.env.block import BlockEnv

__all__ = ["ImaEnv"]


class ImaEnv(BlockEnv):
    """Everything an IMA test needs, started by :meth:`start`.

    ``cfg`` (default: the run's, :meth:`tb.env.params.RunParams.cluster_config`) is the
    configuration of the :class:`tb.build.tops.ImaTestTop` built; ``p`` is its IMA
    (:class:`hw.config.ImaConfig`), ``mvm_cycles`` the analog core's latency.
    """

    def __init__(self, dut, cfg=None, *, monitors=True, xz=None):
        cfg = cfg or params.load().cluster_config()
        super().__init__(dut, cfg, monitors=monitors, n_block=cfg.ima.ports + cfg.ima.store_ports)
        self.p = self.cfg.ima
        #: One crossbar per array (``xbar`` is array 0: the single-array tests use it).
        self.xbars = [Crossbar(self.p.rows, self.p.cols) for _ in range(self.p.arrays)]
        self.xbar = self.xbars[0]
        self.mvm_cycles = self.p.mvm_cycles
        #: X/Z checks of the outputs (:meth:`xz_outputs`): default under a 4-state simulator
        self.xz_on = four_state() if xz is None else xz
        self.xz_monitor = None
        n, ns = self.p.ports, self.p.store_ports
        #: the IMA's TCDM masters (``tcdm_load`` then ``tcdm_store``): masters 0..n_ima-1
        self.ima_ports = ([f"tcdm_load__{k}" for k in range(n)]
                          + [f"tcdm_store__{k}" for k in range(ns)])
        self.n_ima = n + ns
        self.stat = {name: reader(dut[f"stat__{name}"])
                     for name in ("streamin", "compute", "streamout", "jobs")}

    async def start(self):
        dut = self.dut
        self._hold_reset()
        self.analog = AnalogCoreModel(dut, self.xbars if self.p.arrays > 1 else self.xbar,
                                      dac_depth=self.p.dac_depth,
                                      adc_depth=self.p.adc_depth, latency=self.mvm_cycles)
        await self._release_reset()
        self.analog.start()
        if self.xz_on:
            self.xz_monitor = OutputXzMonitor(dut, *self.xz_outputs())
        self._attach_control(ImaHal, self.p.n_cores, arrays=self.p.arrays)
        self._attach_tcdm("ima", self.ima_ports, self.p.tcdm_bytes)
        await RisingEdge(self.clk)

    def xz_outputs(self):
        """``(always, qualified)`` of :class:`OutputXzMonitor` for this top: events, the control
        port's handshake (its read data with ``r_valid``), the statistics, the analog core's
        strobes (their payloads while they are 1)."""
        always = ["evt", "ctrl__gnt", "ctrl__r_valid", "ac__start", "ac__prog_valid", "ac__rd_start",
                  "stat__busy", *(f"stat__{n}" for n in STAT_COUNTERS),
                  *(f"tcdm_stat__{c}__{k}" for c in ("granted", "stalled")
                    for k in range(self.n_ima + 2))]
        return always, prefixed("ac", ANALOG_QUALIFIED) | prefixed("ctrl", PERIPH_QUALIFIED)

    def phase_cycles(self):
        return {k: f() for k, f in self.stat.items()}

    def preload(self, image, used):
        """Backdoor-load bytes ``[0, used)`` of a TCDM image (whole words)."""
        end = (used + 3) & ~3
        self.backdoor.load(0, image[:end].tobytes())

    def dump(self, n):
        return self.backdoor.dump(0, n)

    def _checked(self):
        return [*self.monitors, *([self.xz_monitor] if self.xz_monitor else [])]
