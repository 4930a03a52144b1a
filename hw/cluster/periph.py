"""Peripheral interconnect: the cores' control ports onto the peripherals (the IMA's ``ctrl``,
and the depth-wise accelerator's when the cluster has one).

:class:`PeriphInterconnect` -- ``n_cores`` masters onto one target. Round-robin among requesting
cores (the same :class:`~hw.cluster.interconnect.RoundRobinArbiter` as the TCDM banks), grant in the
request cycle, ``r_valid``/``r_data`` routed back to the core granted in the previous cycle. The
target sees the winner's index as ``id``, whatever the core drove: the HWPE controller locks
ACQUIRE and sends events by this id.

:class:`PeriphDecoder` -- ``n_cores`` masters onto several targets, each in its own aligned
address region of ``1 << region_bits`` bytes: an address decoder in front of one
:class:`PeriphInterconnect` per target. Each target keeps its own round robin, so two cores can
reach two targets in the same cycle and a stalling target never holds up the others.

The cluster's map (:mod:`hw.cluster.cluster`): the IMA at 0 and, with ``cfg.dwa``, the DWA at
:data:`DWA_BASE` (the cores' control address gets one more bit). Without the DWA the cluster
instantiates the one-target :class:`PeriphInterconnect` exactly as before. With ``cfg.imas`` =
K > 1 IMAs: IMA ``k`` at :func:`ima_base` ``(k)`` = ``k << REGION_BITS``, the DWA after the last
IMA (:func:`dwa_base` ``(K)``), and the regions left up to the next power of two answered by a
:class:`PeriphNull` (reads 0, writes ignored), so a stray access never hangs a core.

:class:`PeriphNull` -- a target that grants every request and answers one cycle later with 0.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from hw.cluster.interconnect import RoundRobinArbiter
from hw.ima.regmap import IMA_MAP
from hw.signatures import PeriphSignature

__all__ = ["PeriphInterconnect", "PeriphDecoder", "PeriphNull", "core_signature", "DWA_BASE",
           "REGION_BITS", "ima_base", "dwa_base"]

#: Byte-address bits of one peripheral region of the cluster: the IMA's window (256 bytes).
REGION_BITS = IMA_MAP.addr_width
#: Base address of the depth-wise accelerator's registers on the cores' peripheral bus (the
#: IMA's region is 0). The DWA's map (:data:`hw.dwa.regmap.DWA_MAP`, 128 bytes) repeats in the
#: upper half of its 256-byte region: the decoder passes the DWA only its own address bits.
DWA_BASE = 1 << REGION_BITS


def ima_base(k):
    """Bus address of IMA ``k``'s register 0 on the cores' peripheral bus (``k`` < ``cfg.imas``):
    region ``k``; IMA 0 at 0 as in the one-IMA cluster."""
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < 16:
        raise ValueError(f"k must be an integer in 0..15, not {k!r}")
    return k << REGION_BITS


def dwa_base(imas=1):
    """Bus address of the DWA's register 0 in a cluster of ``imas`` IMAs: the region after the
    last IMA (:data:`DWA_BASE` with one IMA)."""
    if not isinstance(imas, int) or isinstance(imas, bool) or not 1 <= imas <= 16:
        raise ValueError(f"imas must be an integer in 1..16, not {imas!r}")
    return imas << REGION_BITS


def _check_n_cores(n_cores):
    if not isinstance(n_cores, int) or isinstance(n_cores, bool) or not 1 <= n_cores <= 16:
        raise ValueError(f"n_cores must be an integer in 1..16, not {n_cores!r}")


class PeriphInterconnect(wiring.Component):
    """``n_cores`` peripheral-bus masters onto one target.

    Parameters
    ----------
    n_cores : int
        Initiators (1..16).
    signature : PeriphSignature, optional
        The target's control-port signature (e.g. ``IMA_MAP.bus_signature()``).
    addr_width : int, optional
        Instead of ``signature``: a :class:`PeriphSignature` of this address width.

    Interface attributes
    --------------------
    cores : In(PeriphSignature).array(n_cores)
    target : Out(PeriphSignature)
    """

    def __init__(self, *, n_cores, signature=None, addr_width=None):
        _check_n_cores(n_cores)
        if (signature is None) == (addr_width is None):
            raise ValueError("give exactly one of signature and addr_width")
        if signature is not None and not isinstance(signature, PeriphSignature):
            raise ValueError(f"signature must be a PeriphSignature, not {signature!r}")
        self.n_cores = n_cores
        sig = signature if signature is not None else PeriphSignature(addr_width=addr_width)
        super().__init__({"cores": In(sig).array(n_cores), "target": Out(sig)})

    def elaborate(self, platform):
        m = Module()
        n = self.n_cores
        m.submodules.arbiter = arb = RoundRobinArbiter(n)
        m.d.comb += arb.requests.eq(sum(self.cores[i].req << i for i in range(n)))
        t = self.target
        winner = Signal(range(max(n, 2)))
        for i in range(n):
            with m.If(arb.grant[i]):
                m.d.comb += [winner.eq(i), t.addr.eq(self.cores[i].addr),
                             t.we.eq(self.cores[i].we), t.be.eq(self.cores[i].be),
                             t.wdata.eq(self.cores[i].wdata)]
        m.d.comb += [t.req.eq(arb.grant.any()), t.id.eq(winner)]
        last = Signal(n)          # one-hot: who was granted last cycle
        m.d.sync += last.eq(Mux(t.gnt, arb.grant, 0))
        for i in range(n):
            m.d.comb += [self.cores[i].gnt.eq(arb.grant[i] & t.gnt),
                         self.cores[i].r_valid.eq(last[i] & t.r_valid),
                         self.cores[i].r_data.eq(t.r_data)]
        return m


class PeriphNull(wiring.Component):
    """A peripheral target with nothing behind it: grants every request in its cycle and answers
    with ``r_valid`` and ``r_data`` = 0 one cycle later (writes are ignored). It fills the unused
    regions of a :class:`PeriphDecoder` whose target count is rounded up to a power of two.

    Parameters
    ----------
    signature : PeriphSignature
        The control-port signature it stands behind.

    Interface attributes
    --------------------
    target : In(signature)
    """

    def __init__(self, signature):
        if not isinstance(signature, PeriphSignature):
            raise ValueError(f"signature must be a PeriphSignature, not {signature!r}")
        super().__init__({"target": In(signature)})

    def elaborate(self, platform):
        m = Module()
        t = self.target
        m.d.comb += [t.gnt.eq(t.req), t.r_data.eq(0)]
        m.d.sync += t.r_valid.eq(t.req)
        return m


def core_signature(targets, region_bits=REGION_BITS):
    """The cores' control-port signature in front of a :class:`PeriphDecoder` of ``targets``
    (validated as there): ``region_bits + ceil_log2(len(targets))`` address bits."""
    targets = dict(targets)
    k = len(targets)
    if not isinstance(region_bits, int) or isinstance(region_bits, bool) or region_bits < 2:
        raise ValueError(f"region_bits must be an integer >= 2, not {region_bits!r}")
    if k < 2 or k & (k - 1):
        raise ValueError(f"targets must be a power-of-two number (>= 2) of signatures, not {k}")
    for name, sig in targets.items():
        if not isinstance(sig, PeriphSignature):
            raise ValueError(f"targets[{name!r}] must be a PeriphSignature, not {sig!r}")
        if sig.addr_width > region_bits:
            raise ValueError(f"targets[{name!r}] has {sig.addr_width} address bits, more "
                             f"than region_bits ({region_bits})")
        if name == "cores" or not name.isidentifier():
            raise ValueError(f"target name {name!r} must be an identifier other than 'cores'")
    id_widths = {sig.id_width for sig in targets.values()}
    if len(id_widths) != 1:
        raise ValueError(f"targets must share one id_width, not {sorted(id_widths)}")
    return PeriphSignature(addr_width=region_bits + ceil_log2(k), id_width=id_widths.pop())


class PeriphDecoder(wiring.Component):
    """``n_cores`` peripheral-bus masters onto named targets by address region.

    Target ``k`` (in the order of ``targets``) owns the bytes ``[k << region_bits, (k + 1) <<
    region_bits)``; the cores' address has ``region_bits + ceil_log2(len(targets))`` bits. A
    core's request goes to the target its address selects, with the target's own low address
    bits (a map smaller than its region repeats in it). Per target: round robin, ``id`` = the
    winner's index, grant in the request cycle (:class:`PeriphInterconnect`). A core has one
    request at a time, so at most one target grants it per cycle, and ``r_valid``/``r_data``
    come back from the target that granted it in the previous cycle.

    Parameters
    ----------
    n_cores : int
        Initiators (1..16).
    targets : dict of str -> PeriphSignature
        The targets' control-port signatures, in address order (a power-of-two count >= 2,
        each ``addr_width <= region_bits``, one ``id_width`` for all). The names become the
        interface attributes.
    region_bits : int
        Byte-address bits of one region (default :data:`REGION_BITS`, the IMA's window).

    Interface attributes
    --------------------
    cores : In(PeriphSignature(addr_width=region_bits + log2(len(targets)))).array(n_cores)
    <name> : Out(targets[name]) for every target
    """

    def __init__(self, *, n_cores, targets, region_bits=REGION_BITS):
        _check_n_cores(n_cores)
        targets = dict(targets)
        core_sig = core_signature(targets, region_bits)
        self.n_cores, self.region_bits, self.targets = n_cores, region_bits, targets
        super().__init__({"cores": In(core_sig).array(n_cores),
                          **{name: Out(sig) for name, sig in targets.items()}})

    def elaborate(self, platform):
        m = Module()
        n = self.n_cores
        legs = []                 # (interconnect, its target port) in address order
        for t, (name, sig) in enumerate(self.targets.items()):
            ic = PeriphInterconnect(n_cores=n, signature=sig)
            m.submodules[f"to_{name}"] = ic
            wiring.connect(m, ic.target, wiring.flipped(getattr(self, name)))
            for i, core in enumerate(self.cores):
                leg = ic.cores[i]
                m.d.comb += [leg.req.eq(core.req & (core.addr[self.region_bits:] == t)),
                             leg.addr.eq(core.addr[:sig.addr_width]), leg.we.eq(core.we),
                             leg.be.eq(core.be), leg.wdata.eq(core.wdata), leg.id.eq(core.id)]
            legs.append(ic)
        for i, core in enumerate(self.cores):
            r_data = 0
            for ic in legs:       # at most one leg answers core i (one request at a time)
                r_data = Mux(ic.cores[i].r_valid, ic.cores[i].r_data, r_data)
            m.d.comb += [core.gnt.eq(_any(ic.cores[i].gnt for ic in legs)),
                         core.r_valid.eq(_any(ic.cores[i].r_valid for ic in legs)),
                         core.r_data.eq(r_data)]
        return m


def _any(terms):
    out = 0
    for t in terms:
        out = out | t
    return out
