"""Testbench tops: RTL wrappers that put a block on a real TCDM with ports for the testbench.

:class:`ImaTestTop` -- the IMA alone on the TCDM of :class:`hw.cluster.subsystem.TcdmSubsystem`:
the IMA's N load ports are masters ``0..N-1``, its N store ports ``N..2N-1``, then two testbench
ports (``tb__0``: preload/readback and checks, ``tb__1``: a competing master that injects bank
conflicts, i.e. grant stalls on the IMA's ports). The control port, events and the analog-core
boundary are top-level ports driven by cocotb; with ``analog="twin"`` the boundary is closed
inside by :class:`hw.ima.twin.DigitalTwin` (instance ``twin``) and the top has no ``ac__*`` ports.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ImaConfig
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.top import Ima
from hw.ima.twin import DigitalTwin
from hw.signatures import TcdmSignature

__all__ = ["ImaTestTop", "ImaTwinTestTop", "TB_PORTS"]

TB_PORTS = 2


class ImaTestTop(wiring.Component):
    """IMA + TCDM subsystem, for the IMA's cocotb tests.

    Parameters
    ----------
    ports, rows, cols, dac_depth, adc_depth, tcdm_bytes : int
        As :class:`hw.config.ImaConfig`.
    banks : int
        TCDM banks.
    overlap : bool or int
        As :class:`hw.config.ImaConfig` (overlapped phases).
    """

    def __init__(self, *, ports=4, rows=2048, cols=512, dac_depth=512, adc_depth=256,
                 tcdm_bytes=512 * 1024, banks=16, overlap=False, analog="python", latency=None):
        if analog not in ("python", "twin"):
            raise ValueError(f"analog must be 'python' or 'twin', not {analog!r}")
        self.cfg = ImaConfig(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                             adc_depth=adc_depth, tcdm_bytes=tcdm_bytes, overlap=bool(overlap))
        self.banks, self.analog, self.latency = banks, analog, latency
        members = {
            "ctrl": In(IMA_MAP.bus_signature()),
            "evt": Out(self.cfg.n_cores),
            "tb": In(TcdmSignature()).array(TB_PORTS),
            "busy": Out(1),
            "stat_streamin": Out(32), "stat_compute": Out(32), "stat_streamout": Out(32),
            "stat_jobs": Out(32),
            "stat_granted": Out(32).array(2 * ports + TB_PORTS),
            "stat_stalled": Out(32).array(2 * ports + TB_PORTS),
            "stat_clear": In(1),
        }
        if analog == "python":       # the boundary is a top-level port for the Python crossbar
            members["ac"] = Out(AnalogCoreSignature(dac_depth=dac_depth, adc_depth=adc_depth))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        n = self.cfg.ports
        m.submodules.ima = ima = Ima(self.cfg)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=2 * n + TB_PORTS, banks=self.banks,
                                                 size_bytes=self.cfg.tcdm_bytes)
        connect(m, flipped(self.ctrl), ima.ctrl)
        if self.analog == "python":
            connect(m, flipped(self.ac), ima.ac)
        else:
            m.submodules.twin = twin = DigitalTwin(self.cfg, latency=self.latency)
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


def ImaTwinTestTop(*, ports=4, rows=512, cols=64, dac_depth=256, adc_depth=64,
                   tcdm_bytes=256 * 1024, banks=16, latency=None):
    """IMA + digital twin + TCDM subsystem (``latency``: the twin's minimum COMPUTE cycles)."""
    return ImaTestTop(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                      adc_depth=adc_depth, tcdm_bytes=tcdm_bytes, banks=banks, analog="twin",
                      latency=latency)
