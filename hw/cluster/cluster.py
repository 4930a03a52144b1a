"""The cluster top: 8 cores' ports, TCDM (banks + logarithmic interconnect), IMA, peripheral bus.

The cores themselves are not RTL: each core is a pair of ports driven by a bus-functional model
(``tb.bfm.core``): its TCDM data port and its peripheral (control) port. TCDM master order:
cores ``0..C-1``, IMA load ports ``C..C+N-1``, IMA store ports ``C+N..C+2N-1``, then DMA /
testbench ports. The IMA's end-of-job events come out as ``evt`` (one line per core); the
analog core is the ``ac`` boundary (see :mod:`hw.ima.analog`).

Verilog ports: ``core_tcdm__<i>__*``, ``core_periph__<i>__*``, ``dma__<k>__*``, ``evt``,
``ac__*``, ``stat_granted__<m>``, ``stat_stalled__<m>``, ``stat_clear``, ``ima_stat_*``.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.periph import PeriphInterconnect
from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ClusterConfig
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.top import Ima
from hw.signatures import TcdmSignature

__all__ = ["Cluster"]


class Cluster(wiring.Component):
    """Cores' ports + TCDM + IMA + peripheral interconnect, from one :class:`ClusterConfig`.

    Parameters
    ----------
    cfg : ClusterConfig
    banks : int, optional
        Convenience override of ``cfg.banks`` (keyword arguments build the config).
    """

    def __init__(self, cfg: ClusterConfig = None, **overrides):
        if cfg is None:
            cfg = _config_from_kwargs(**overrides)
        self.cfg = cfg.validate()
        ima = cfg.ima
        masters = cfg.masters
        super().__init__({
            "core_tcdm": In(TcdmSignature()).array(cfg.n_cores),
            "core_periph": In(IMA_MAP.bus_signature()).array(cfg.n_cores),
            "dma": In(TcdmSignature()).array(cfg.dma_ports),
            "evt": Out(cfg.n_cores),
            "ac": Out(AnalogCoreSignature(dac_depth=ima.dac_depth, adc_depth=ima.adc_depth)),
            "stat_granted": Out(32).array(masters),
            "stat_stalled": Out(32).array(masters),
            "stat_clear": In(1),
            "ima_busy": Out(1),
            "ima_stat_streamin": Out(32), "ima_stat_compute": Out(32),
            "ima_stat_streamout": Out(32), "ima_stat_jobs": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        c, n = cfg.n_cores, cfg.ima.ports
        m.submodules.ima = ima = Ima(cfg.ima)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=cfg.masters, banks=cfg.banks,
                                                 size_bytes=cfg.tcdm_bytes)
        m.submodules.periph = periph = PeriphInterconnect(n_cores=c, signature=IMA_MAP.bus_signature())
        for i in range(c):
            connect(m, flipped(self.core_tcdm[i]), tcdm.masters[i])
            connect(m, flipped(self.core_periph[i]), periph.cores[i])
        for k in range(n):
            connect(m, ima.tcdm_load[k], tcdm.masters[c + k])
            connect(m, ima.tcdm_store[k], tcdm.masters[c + n + k])
        for k in range(cfg.dma_ports):
            connect(m, flipped(self.dma[k]), tcdm.masters[c + 2 * n + k])
        connect(m, periph.target, ima.ctrl)
        connect(m, flipped(self.ac), ima.ac)
        for k in range(cfg.masters):
            m.d.comb += [self.stat_granted[k].eq(tcdm.stat_granted[k]),
                         self.stat_stalled[k].eq(tcdm.stat_stalled[k])]
        m.d.comb += [tcdm.stat_clear.eq(self.stat_clear), self.evt.eq(ima.evt),
                     self.ima_busy.eq(ima.busy),
                     self.ima_stat_streamin.eq(ima.stat_streamin),
                     self.ima_stat_compute.eq(ima.stat_compute),
                     self.ima_stat_streamout.eq(ima.stat_streamout),
                     self.ima_stat_jobs.eq(ima.stat_jobs)]
        return m


def _config_from_kwargs(*, ports=4, rows=2048, cols=512, dac_depth=512, adc_depth=256,
                        n_cores=8, banks=16, tcdm_bytes=512 * 1024, dma_ports=1, overlap=False):
    """A ClusterConfig from flat keyword parameters (what the build cache keys on)."""
    from hw.config import ImaConfig
    ima = ImaConfig(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth, adc_depth=adc_depth,
                    n_cores=n_cores, tcdm_bytes=tcdm_bytes, overlap=bool(overlap))
    return ClusterConfig(n_cores=n_cores, banks=banks, tcdm_bytes=tcdm_bytes, ima=ima,
                         dma_ports=dma_ports)
