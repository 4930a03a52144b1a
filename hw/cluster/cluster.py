"""The cluster top: 8 cores' ports, TCDM (banks + logarithmic interconnect), IMA, peripheral bus,
and optionally the digital depth-wise accelerator (DWA, ``cfg.dwa``).

The cores themselves are not RTL: each core is a pair of ports driven by a bus-functional model
(``tb.bfm.core``): its TCDM data port and its peripheral (control) port. TCDM master order
(:meth:`hw.config.ClusterConfig.master_ranges`): cores ``0..C-1``, IMA load ports ``C..C+N-1``,
IMA store ports ``C+N..C+2N-1`` (none with ``ima.data_interface == "shared"``: the IMA's N
load-port masters then carry its reads and writes), the DWA's N ports
(``dwa_arrangement="separate"`` only), then DMA / testbench ports. The IMA's end-of-job events
come out as ``evt`` (one line per core); the analog core is the ``ac`` boundary (see
:mod:`hw.ima.analog`).

With ``cfg.dwa`` (instance ``dwa``, :class:`hw.dwa.top.Dwa`):

* peripheral bus: the cores' control address has one more bit (``IMA_MAP.addr_width + 1`` = 9);
  a :class:`~hw.cluster.periph.PeriphDecoder` sends ``0x000..0x0FF`` to the IMA and
  ``DWA_BASE`` = ``0x100..0x1FF`` to the DWA (its 128-byte map repeats in that region), each
  target with its own round robin;
* data ports: ``"separate"``: the DWA's N ports are TCDM masters of their own;
  ``"shared"``: a :class:`~hw.cluster.portmux.PortMux` puts them onto the IMA's N load-port
  masters, owned by the DWA while its ``stat.busy`` is high, by the IMA otherwise;
* its end-of-job events come out as ``dwa_evt``, its statistics as ``dwa_stat``.

Without ``cfg.dwa`` the cluster and its Verilog are exactly those of the AICAS cluster.

Verilog ports: ``core_tcdm__<i>__*``, ``core_periph__<i>__*``, ``dma__<k>__*``, ``evt``,
``ac__*``, ``tcdm_stat__granted__<m>``, ``tcdm_stat__stalled__<m>``, ``tcdm_stat__clear``
(:class:`~hw.signatures.TcdmStatsSignature`, ``m`` over ``cfg.masters``), ``ima_stat__*`` (the
IMA's :class:`~hw.ima.stats.ImaStatsSignature`: ``ima_stat__busy``, ``ima_stat__streamin`` ...);
with the DWA also ``dwa_evt`` and ``dwa_stat__*`` (:class:`~hw.dwa.stats.DwaStatsSignature`:
``dwa_stat__busy``, ``dwa_stat__cycles``, ``dwa_stat__mac_cycles``, ``dwa_stat__stalled``,
``dwa_stat__jobs``).
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.periph import PeriphDecoder, PeriphInterconnect, core_signature
from hw.cluster.portmux import PortMux
from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ClusterConfig, preset
from hw.dwa.regmap import DWA_MAP
from hw.dwa.stats import DwaStatsSignature
from hw.dwa.top import Dwa
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.stats import ImaStatsSignature
from hw.ima.top import Ima
from hw.signatures import TcdmSignature, TcdmStatsSignature

__all__ = ["Cluster", "periph_targets"]


def periph_targets(cfg: ClusterConfig):
    """The peripheral targets of cluster ``cfg`` in address order (name -> control signature):
    the IMA, and the DWA when ``cfg.dwa``."""
    targets = {"ima": IMA_MAP.bus_signature()}
    if cfg.dwa:
        targets["dwa"] = DWA_MAP.bus_signature()
    return targets


class Cluster(wiring.Component):
    """Cores' ports + TCDM + IMA (+ DWA) + peripheral interconnect, from one :class:`ClusterConfig`.

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
        periph_sig = (core_signature(periph_targets(cfg)) if cfg.dwa
                      else IMA_MAP.bus_signature())
        members = {
            "core_tcdm": In(TcdmSignature()).array(cfg.n_cores),
            "core_periph": In(periph_sig).array(cfg.n_cores),
            "dma": In(TcdmSignature()).array(cfg.dma_ports),
            "evt": Out(cfg.n_cores),
            "ac": Out(AnalogCoreSignature.for_ima(ima)),
            "tcdm_stat": Out(TcdmStatsSignature(masters)),
            "ima_stat": Out(ImaStatsSignature()),
        }
        if cfg.dwa:
            members["dwa_evt"] = Out(cfg.n_cores)
            members["dwa_stat"] = Out(DwaStatsSignature())
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        c, n = cfg.n_cores, cfg.ima.ports
        rng = cfg.master_ranges()
        m.submodules.ima = ima = Ima(cfg.ima)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=cfg.masters, banks=cfg.banks,
                                                 size_bytes=cfg.tcdm_bytes)
        if cfg.dwa:
            m.submodules.periph = periph = PeriphDecoder(n_cores=c, targets=periph_targets(cfg))
        else:
            m.submodules.periph = periph = PeriphInterconnect(n_cores=c,
                                                              signature=IMA_MAP.bus_signature())
        for i in range(c):
            connect(m, flipped(self.core_tcdm[i]), tcdm.masters[rng["cores"][i]])
            connect(m, flipped(self.core_periph[i]), periph.cores[i])
        shared = cfg.dwa and cfg.dwa_arrangement == "shared"
        if cfg.dwa:
            m.submodules.dwa = dwa = Dwa.for_cluster(cfg)
            connect(m, periph.dwa, dwa.ctrl)
            m.d.comb += self.dwa_evt.eq(dwa.evt)
            connect(m, flipped(self.dwa_stat), dwa.stat)
            if shared:
                m.submodules.portmux = mux = PortMux(n)
                m.d.comb += mux.owner_b.eq(dwa.stat.busy)
            else:
                for k, j in enumerate(rng["dwa"]):
                    connect(m, dwa.tcdm[k], tcdm.masters[j])
        for k in range(n):
            load = ima.tcdm_load[k]
            if shared:                  # IMA load port k and DWA port k share master k
                connect(m, load, mux.a[k])
                connect(m, dwa.tcdm[k], mux.b[k])
                load = mux.out[k]
            connect(m, load, tcdm.masters[rng["ima_load"][k]])
            if k < cfg.ima.store_ports:     # none with the shared data interface
                connect(m, ima.tcdm_store[k], tcdm.masters[rng["ima_store"][k]])
        for k in range(cfg.dma_ports):
            connect(m, flipped(self.dma[k]), tcdm.masters[rng["dma"][k]])
        connect(m, periph.ima if cfg.dwa else periph.target, ima.ctrl)
        connect(m, flipped(self.ac), ima.ac)
        connect(m, flipped(self.tcdm_stat), tcdm.stat)
        m.d.comb += self.evt.eq(ima.evt)
        connect(m, flipped(self.ima_stat), ima.stat)
        return m

