"""The cluster top: 8 cores' ports, TCDM (banks + logarithmic interconnect), IMA, peripheral bus.

The cores themselves are not RTL: each core is a pair of ports driven by a bus-functional model
(``tb.bfm.core``): its TCDM data port and its peripheral (control) port. TCDM master order:
cores ``0..C-1``, IMA load ports ``C..C+N-1``, IMA store ports ``C+N..C+2N-1``, then DMA /
testbench ports. The IMA's end-of-job events come out as ``evt`` (one line per core); the
analog core is the ``ac`` boundary (see :mod:`hw.ima.analog`).

Verilog ports: ``core_tcdm__<i>__*``, ``core_periph__<i>__*``, ``dma__<k>__*``, ``evt``,
``ac__*``, ``tcdm_stat__granted__<m>``, ``tcdm_stat__stalled__<m>``, ``tcdm_stat__clear``
(:class:`~hw.signatures.TcdmStatsSignature`), ``ima_stat__*`` (the IMA's
:class:`~hw.ima.stats.ImaStatsSignature`: ``ima_stat__busy``, ``ima_stat__streamin`` ...).
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.periph import PeriphInterconnect
from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ClusterConfig, preset
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.stats import ImaStatsSignature
from hw.ima.top import Ima
from hw.signatures import TcdmSignature, TcdmStatsSignature

__all__ = ["Cluster"]


class Cluster(wiring.Component):
    """Cores' ports + TCDM + IMA + peripheral interconnect, from one :class:`ClusterConfig`.

    Parameters
    ----------
    cfg : ClusterConfig, optional
        Default: the default preset of :mod:`hw.config`.
    **overrides
        Flat parameter changes (``ports=``, ``rows=``, ``overlap=``, ...; see
        :meth:`hw.config.ClusterConfig.with_`): what the build directory is keyed on.
    """

    def __init__(self, cfg: ClusterConfig = None, **overrides):
        cfg = (cfg or preset()).with_(**overrides)
        self.cfg = cfg.validate()
        ima = cfg.ima
        masters = cfg.masters
        super().__init__({
            "core_tcdm": In(TcdmSignature()).array(cfg.n_cores),
            "core_periph": In(IMA_MAP.bus_signature()).array(cfg.n_cores),
            "dma": In(TcdmSignature()).array(cfg.dma_ports),
            "evt": Out(cfg.n_cores),
            "ac": Out(AnalogCoreSignature(dac_depth=ima.dac_depth, adc_depth=ima.adc_depth)),
            "tcdm_stat": Out(TcdmStatsSignature(masters)),
            "ima_stat": Out(ImaStatsSignature()),
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
        connect(m, flipped(self.tcdm_stat), tcdm.stat)
        m.d.comb += self.evt.eq(ima.evt)
        connect(m, flipped(self.ima_stat), ima.stat)
        return m

