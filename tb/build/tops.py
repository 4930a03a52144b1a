"""Testbench tops: RTL wrappers that put a block on a real TCDM with ports for the testbench.

:class:`ImaTestTop` -- the IMA alone on the TCDM of :class:`hw.cluster.subsystem.TcdmSubsystem`:
the IMA's N load ports are masters ``0..N-1``, its N store ports ``N..2N-1`` (none with the
shared data interface, ``data_interface="shared"``: its N ports are masters ``0..N-1``), then two testbench
ports (``tb__0``: preload/readback and checks, ``tb__1``: a competing master that injects bank
conflicts, i.e. grant stalls on the IMA's ports). The control port, events and the analog-core
boundary are top-level ports driven by cocotb; with ``analog="twin"`` the boundary is closed
inside by :class:`hw.ima.twin.DigitalTwin` (instance ``twin``) and the top has no ``ac__*`` ports.

:class:`DwaTestTop` -- the depth-wise accelerator alone on the same TCDM: its N data ports are
masters ``0..N-1``, then the two testbench ports as above; control port, events and statistics
are top-level ports.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.periph import PeriphInterconnect
from hw.cluster.subsystem import TcdmSubsystem
from hw.config import ClusterConfig, preset
from hw.dwa.regmap import DWA_MAP
from hw.dwa.stats import DwaStatsSignature
from hw.dwa.top import Dwa
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.stats import ImaStatsSignature
from hw.ima.top import Ima
from hw.ima.twin import DigitalTwin
from hw.signatures import TcdmSignature, TcdmStatsSignature

__all__ = ["ImaTestTop", "ImaTwinTestTop", "DwaTestTop", "TB_PORTS", "port_patterns"]


def port_patterns(top_name, top):
    """The lean build's patterns (:func:`tb.build.runner.public_config`) naming the ports of
    ``top`` (a ``wiring.Component`` built as module ``top_name``) and nothing else of that module:
    ``clk``, ``rst``, each plain port of its signature by name, every other member (an interface,
    an array) as ``<member>__*``. ``(top_name, "*")`` also made the module's internal wires public and
    writable (an accelerator's ports, the TCDM's master and bank wires), which put all logic
    reading them on every ``eval()`` of the model (docs/speed-plan.md, "Step 3a")."""
    patterns = [(top_name, "clk"), (top_name, "rst")]
    for name, member in top.signature.members.items():
        plain = member.is_port and not member.dimensions
        patterns.append((top_name, name if plain else f"{name}__*"))
    return tuple(patterns)


def _control_members(regmap, n_cores, cores):
    """The top's control port(s): one ``ctrl`` port whose ``id`` the testbench drives, or with
    ``cores`` one port per core (``cores__<k>__*``) through the cluster's round-robin
    :class:`~hw.cluster.periph.PeriphInterconnect`, so several cores can access the block in
    the same cycle (ACQUIRE races)."""
    if not isinstance(cores, bool):
        raise ValueError(f"cores must be a bool, not {cores!r}")
    sig = regmap.bus_signature()
    return {"cores": In(sig).array(n_cores)} if cores else {"ctrl": In(sig)}


def _connect_control(m, top, port, regmap, n_cores, cores):
    """Wire the top's control port(s) (:func:`_control_members`) to the block's ``port``."""
    if not cores:
        connect(m, flipped(top.ctrl), port)
        return
    m.submodules.periph = periph = PeriphInterconnect(n_cores=n_cores,
                                                       signature=regmap.bus_signature())
    for k in range(n_cores):
        connect(m, flipped(top.cores[k]), periph.cores[k])
    connect(m, periph.target, port)

TB_PORTS = 2


class ImaTestTop(wiring.Component):
    """IMA + TCDM subsystem, for the IMA's cocotb tests.

    Parameters
    ----------
    cluster : ClusterConfig, optional
        The IMA (``cluster.ima``) and the TCDM (``banks``, ``tcdm_bytes``); default: the
        default preset of :mod:`hw.config`.
    analog : "python" or "twin"
        Who plays the analog core: the Python crossbar through ``ac__*`` ports, or the digital
        twin inside.
    latency : int, optional
        Twin only: its minimum COMPUTE cycles (default ``cluster.ima.mvm_cycles``).
    cores : bool
        One control port per core (``cores__<k>__*``, through the cluster's peripheral
        interconnect) instead of the one ``ctrl`` port (default).
    **flat
        Flat parameter changes (``ports=``, ``rows=``, ``banks=``, ``overlap=``, ...; see
        :meth:`hw.config.ClusterConfig.with_`): what the build directory is keyed on.
    """

    def __init__(self, cluster: ClusterConfig = None, *, analog="python", latency=None, cores=False,
                 **flat):
        if analog not in ("python", "twin"):
            raise ValueError(f"analog must be 'python' or 'twin', not {analog!r}")
        cluster = (cluster or preset()).with_(**flat)
        self.cfg = cluster.ima
        self.banks, self.analog, self.latency = cluster.banks, analog, latency
        self.ima_masters = self.cfg.ports + self.cfg.store_ports
        self.per_core = cores
        members = {
            **_control_members(IMA_MAP, self.cfg.n_cores, cores),
            "evt": Out(self.cfg.n_cores),
            "tb": In(TcdmSignature()).array(TB_PORTS),
            "stat": Out(ImaStatsSignature()),
            "tcdm_stat": Out(TcdmStatsSignature(self.ima_masters + TB_PORTS)),
        }
        if analog == "python":       # the boundary is a top-level port for the Python crossbar
            members["ac"] = Out(AnalogCoreSignature.for_ima(self.cfg))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        n, nm = self.cfg.ports, self.ima_masters
        m.submodules.ima = ima = Ima(self.cfg)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=nm + TB_PORTS, banks=self.banks,
                                                 size_bytes=self.cfg.tcdm_bytes)
        _connect_control(m, self, ima.ctrl, IMA_MAP, self.cfg.n_cores, self.per_core)
        if self.analog == "python":
            connect(m, flipped(self.ac), ima.ac)
        else:
            m.submodules.twin = twin = DigitalTwin(self.cfg, latency=self.latency)
            connect(m, ima.ac, twin.ac)
        for k in range(n):
            connect(m, ima.tcdm_load[k], tcdm.masters[k])
            if k < self.cfg.store_ports:
                connect(m, ima.tcdm_store[k], tcdm.masters[n + k])
        for k in range(TB_PORTS):
            connect(m, flipped(self.tb[k]), tcdm.masters[nm + k])
        connect(m, flipped(self.tcdm_stat), tcdm.stat)
        m.d.comb += self.evt.eq(ima.evt)
        connect(m, flipped(self.stat), ima.stat)
        return m


def ImaTwinTestTop(cluster: ClusterConfig = None, *, latency=None, cores=False, **flat):
    """IMA + digital twin + TCDM subsystem (``latency``: the twin's minimum COMPUTE cycles)."""
    return ImaTestTop(cluster, analog="twin", latency=latency, cores=cores, **flat)


class DwaTestTop(wiring.Component):
    """DWA (instance ``dwa``) + TCDM subsystem (instance ``tcdm``), for the DWA's cocotb tests.

    Parameters
    ----------
    cluster : ClusterConfig, optional
        The DWA's ports (``ima.ports``, as in the cluster), the cores and the TCDM (``banks``,
        ``tcdm_bytes``); default: the default preset of :mod:`hw.config`.
    cores : bool
        One control port per core, as :class:`ImaTestTop`'s.
    **flat
        Flat parameter changes (``ports=``, ``banks=``, ``tcdm_bytes=``, ...): what the build
        directory is keyed on.
    """

    def __init__(self, cluster: ClusterConfig = None, *, cores=False, **flat):
        self.cluster = cluster = (cluster or preset()).with_(**flat)
        self.ports = cluster.ima.ports
        self.per_core = cores
        super().__init__({
            **_control_members(DWA_MAP, cluster.n_cores, cores),
            "evt": Out(cluster.n_cores),
            "tb": In(TcdmSignature()).array(TB_PORTS),
            "stat": Out(DwaStatsSignature()),
            "tcdm_stat": Out(TcdmStatsSignature(self.ports + TB_PORTS)),
        })

    def elaborate(self, platform):
        m = Module()
        n, cfg = self.ports, self.cluster
        m.submodules.dwa = dwa = Dwa.for_cluster(cfg)
        m.submodules.tcdm = tcdm = TcdmSubsystem(masters=n + TB_PORTS, banks=cfg.banks,
                                                 size_bytes=cfg.tcdm_bytes)
        _connect_control(m, self, dwa.ctrl, DWA_MAP, cfg.n_cores, self.per_core)
        for k in range(n):
            connect(m, dwa.tcdm[k], tcdm.masters[k])
        for k in range(TB_PORTS):
            connect(m, flipped(self.tb[k]), tcdm.masters[n + k])
        connect(m, flipped(self.tcdm_stat), tcdm.stat)
        connect(m, flipped(self.stat), dwa.stat)
        m.d.comb += self.evt.eq(dwa.evt)
        return m
