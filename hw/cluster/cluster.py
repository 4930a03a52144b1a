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

With ``cfg.imas`` = K > 1 (the tightly coupled cluster: IMA ``k`` is core ``k``'s private
accelerator, papers/tpds2024-notes.md "Our definitions"): K instances ``ima``, ``ima1``, ...,
``ima<K-1>`` of the same ``Ima(cfg.ima)`` (each with ``cfg.ima.arrays`` crossbars), named by
:func:`ima_name`:

* TCDM: ``ima_load`` holds K*N masters and ``ima_store`` K*S, instance by instance
  (:meth:`hw.config.ClusterConfig.ima_masters`);
* peripheral bus: IMA ``k`` at :func:`~hw.cluster.periph.ima_base` ``(k)`` = ``k * 0x100``, the
  DWA (with ``cfg.dwa``) at :func:`~hw.cluster.periph.dwa_base` ``(K)``, unused regions up to a
  power of two answered by :class:`~hw.cluster.periph.PeriphNull` (:func:`periph_targets`);
* IMA ``k``'s events, analog core and statistics: ``evt<k>``, ``ac<k>__*``, ``ima_stat<k>__*``
  (IMA 0 keeps ``evt``, ``ac__*``, ``ima_stat__*``);
* the DWA in the ``shared`` arrangement shares IMA 0's load ports (the PortMux as with one IMA).

Ownership is the driver's convention, not hardware: every core can still ACQUIRE any IMA (the
HWPE lock and its per-core event lines are unchanged), and the testbench's driver
(:class:`tb.env.cluster.ClusterEnv`) only ever drives IMA ``k`` from core ``k``. A hardware
restriction would need a target that refuses other cores without hanging them; the convention
keeps the IMA and the interconnect as they are, and costs nothing in a study where the software
is ours. ``imas == 1`` leaves the cluster and its Verilog byte-identical to the one-IMA cluster.

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
from amaranth.utils import ceil_log2

from hw.cluster.periph import PeriphDecoder, PeriphInterconnect, PeriphNull, core_signature
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
from hw.signatures import PeriphSignature, TcdmSignature, TcdmStatsSignature

__all__ = ["Cluster", "periph_targets", "ima_name"]

#: Name prefix of the peripheral regions that hold a :class:`~hw.cluster.periph.PeriphNull`.
_UNMAPPED = "unmapped"


def ima_name(base: str, k: int) -> str:
    """The cluster's name of IMA ``k``'s port or instance ``base`` (``"ima"``, ``"evt"``,
    ``"ac"``, ``"ima_stat"``): ``base`` itself for IMA 0 (the names of the one-IMA cluster),
    ``f"{base}{k}"`` for IMA ``k`` >= 1 (``ima1``, ``evt1``, ``ac1``, ``ima_stat1``, ...)."""
    return base if k == 0 else f"{base}{k}"


def periph_targets(cfg: ClusterConfig):
    """The peripheral targets of cluster ``cfg`` in address order (name -> control signature):
    the IMA, and the DWA when ``cfg.dwa``. With ``cfg.imas`` = K > 1: ``ima``, ``ima1``, ...,
    ``ima<K-1>``, then ``dwa`` (with ``cfg.dwa``), then ``unmapped<j>`` regions (each a
    :class:`~hw.cluster.periph.PeriphNull`) up to a power-of-two count, as
    :class:`~hw.cluster.periph.PeriphDecoder` needs. Region ``t`` starts at ``t << REGION_BITS``
    (:func:`~hw.cluster.periph.ima_base`, :func:`~hw.cluster.periph.dwa_base`)."""
    targets = {ima_name("ima", k): IMA_MAP.bus_signature() for k in range(cfg.imas)}
    if cfg.dwa:
        targets["dwa"] = DWA_MAP.bus_signature()
    if cfg.imas > 1:
        sig = targets["ima"]
        for j in range((1 << ceil_log2(len(targets))) - len(targets)):
            targets[f"{_UNMAPPED}{j}"] = PeriphSignature(addr_width=2, id_width=sig.id_width)
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
        targets = periph_targets(cfg)
        periph_sig = (core_signature(targets) if len(targets) > 1
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
        for k in range(1, cfg.imas):        # IMA k's own event lines, analog core, statistics
            members[ima_name("evt", k)] = Out(cfg.n_cores)
            members[ima_name("ac", k)] = Out(AnalogCoreSignature.for_ima(ima))
            members[ima_name("ima_stat", k)] = Out(ImaStatsSignature())
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
        imas = [ima]
        for k in range(1, cfg.imas):        # the private IMAs of cores 1..K-1 (imas > 1 only)
            m.submodules[ima_name("ima", k)] = extra = Ima(cfg.ima)
            imas.append(extra)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=cfg.masters, banks=cfg.banks,
                                                 size_bytes=cfg.tcdm_bytes)
        targets = periph_targets(cfg)
        if len(targets) > 1:
            m.submodules.periph = periph = PeriphDecoder(n_cores=c, targets=targets)
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
        for q, inst in enumerate(imas):
            own = cfg.ima_masters(q)
            for k in range(n):
                load = inst.tcdm_load[k]
                if shared and q == 0:       # IMA 0's load port k and DWA port k share master k
                    connect(m, load, mux.a[k])
                    connect(m, dwa.tcdm[k], mux.b[k])
                    load = mux.out[k]
                connect(m, load, tcdm.masters[own["load"][k]])
                if k < cfg.ima.store_ports:     # none with the shared data interface
                    connect(m, inst.tcdm_store[k], tcdm.masters[own["store"][k]])
        for k in range(cfg.dma_ports):
            connect(m, flipped(self.dma[k]), tcdm.masters[rng["dma"][k]])
        for name in targets:                # the decoder's padding regions (imas > 1 only)
            if name.startswith(_UNMAPPED):
                m.submodules[name] = null = PeriphNull(targets[name])
                connect(m, getattr(periph, name), null.target)
        for q, inst in enumerate(imas):
            connect(m, getattr(periph, ima_name("ima", q)) if len(targets) > 1 else periph.target,
                    inst.ctrl)
            connect(m, flipped(getattr(self, ima_name("ac", q))), inst.ac)
            if q == 0:
                connect(m, flipped(self.tcdm_stat), tcdm.stat)
            m.d.comb += getattr(self, ima_name("evt", q)).eq(inst.evt)
            connect(m, flipped(getattr(self, ima_name("ima_stat", q))), inst.stat)
        return m
