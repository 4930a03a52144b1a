"""Testbench top with the digital twin as analog core: :class:`ImaTwinTestTop`.

Same as :class:`tb.tops.ImaTestTop` (IMA on a TCDM subsystem, two testbench ports, the same
instance names ``ima`` and ``tcdm``) except that the analog-core boundary is closed inside by
:class:`hw.ima.twin.DigitalTwin` (instance ``twin``; weights in ``twin.weights``), so the top has
no ``ac__*`` ports. Used by tests/test_twin.py with tb/cocotb_twin.py.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ImaConfig
from hw.ima.controller import CTRL_ADDR_WIDTH
from hw.ima.top import Ima
from hw.ima.twin import DigitalTwin
from hw.signatures import PeriphSignature, TcdmSignature
from tb.tops import TB_PORTS

__all__ = ["ImaTwinTestTop"]


class ImaTwinTestTop(wiring.Component):
    """IMA + digital twin + TCDM subsystem, for the IMA's cocotb tests without Python analog.

    Parameters
    ----------
    ports, rows, cols, dac_depth, adc_depth, tcdm_bytes, banks : int
        As :class:`tb.tops.ImaTestTop`.
    latency : int or None
        The twin's minimum COMPUTE cycles (default 18).
    """

    def __init__(self, *, ports=4, rows=512, cols=64, dac_depth=256, adc_depth=64,
                 tcdm_bytes=256 * 1024, banks=16, latency=None):
        self.cfg = ImaConfig(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                             adc_depth=adc_depth, tcdm_bytes=tcdm_bytes)
        self.banks, self.latency = banks, latency
        super().__init__({
            "ctrl": In(PeriphSignature(addr_width=CTRL_ADDR_WIDTH, id_width=4)),
            "evt": Out(self.cfg.n_cores),
            "tb": In(TcdmSignature()).array(TB_PORTS),
            "busy": Out(1),
            "stat_streamin": Out(32), "stat_compute": Out(32), "stat_streamout": Out(32),
            "stat_jobs": Out(32),
            "stat_granted": Out(32).array(2 * ports + TB_PORTS),
            "stat_stalled": Out(32).array(2 * ports + TB_PORTS),
            "stat_clear": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.cfg.ports
        m.submodules.ima = ima = Ima(self.cfg)
        m.submodules.twin = twin = DigitalTwin(self.cfg, latency=self.latency)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=2 * n + TB_PORTS, banks=self.banks,
                                                 size_bytes=self.cfg.tcdm_bytes)
        connect(m, flipped(self.ctrl), ima.ctrl)
        connect(m, ima.ac, twin.ac)
        for k in range(n):
            connect(m, ima.tcdm_load[k], tcdm.masters[k])
            connect(m, ima.tcdm_store[k], tcdm.masters[n + k])
        for k in range(TB_PORTS):
            connect(m, flipped(self.tb[k]), tcdm.masters[2 * n + k])
        for k in range(2 * n + TB_PORTS):
            m.d.comb += [self.stat_granted[k].eq(tcdm.stat_granted[k]),
                         self.stat_stalled[k].eq(tcdm.stat_stalled[k])]
        m.d.comb += [tcdm.stat_clear.eq(self.stat_clear), self.evt.eq(ima.evt),
                     self.busy.eq(ima.busy),
                     self.stat_streamin.eq(ima.stat_streamin), self.stat_compute.eq(ima.stat_compute),
                     self.stat_streamout.eq(ima.stat_streamout), self.stat_jobs.eq(ima.stat_jobs)]
        return m
