"""Peripheral interconnect: the cores' control ports onto one peripheral (the IMA's ``ctrl``).

Round-robin among requesting cores (the same :class:`~hw.cluster.interconnect.RoundRobinArbiter`
as the TCDM banks), grant in the request cycle, ``r_valid``/``r_data`` routed back to the core
granted in the previous cycle. The target sees the winner's index as ``id``, whatever the core
drove: the HWPE controller locks ACQUIRE and sends events by this id.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.cluster.interconnect import RoundRobinArbiter
from hw.signatures import PeriphSignature

__all__ = ["PeriphInterconnect"]


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
        if not isinstance(n_cores, int) or isinstance(n_cores, bool) or not 1 <= n_cores <= 16:
            raise ValueError(f"n_cores must be an integer in 1..16, not {n_cores!r}")
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
