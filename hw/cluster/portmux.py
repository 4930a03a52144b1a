"""Static multiplexer of two accelerators' TCDM data ports onto one set of TCDM masters.

The cluster's ``"shared"`` DWA arrangement (:attr:`hw.config.ClusterConfig.dwa_arrangement`):
the depth-wise accelerator's N data ports and the IMA's N load ports share the IMA's N TCDM
masters, "statically multiplexed, one accelerator active at a time" (A. Garofalo et al., JETCAS
2022, Sec. III-B). Rule, per cycle and for all N ports together:

* ``owner_b`` (the cluster drives the DWA's ``stat.busy``) selects the owner: side ``b`` (DWA)
  while it is high, side ``a`` (IMA) otherwise. The DWA's busy covers every cycle in which its
  engine may request (start cycle to done cycle), and the DWA is the one that cannot start on
  its own: the IMA idles between jobs, so the IMA keeps the ports unless the DWA runs a job.
* The owner's requests go to the masters and it sees their ``gnt``; the other side sees
  ``gnt = 0``, so its requests wait (the protocol keeps them stable until granted): nothing is
  lost, and a job started on both accelerators at once runs the IMA's loads after the DWA.
* ``r_valid``/``r_data`` go to the side that owned the port in the previous cycle (the only one
  that can have been granted then), so a read granted just before a switch still reaches its
  issuer.

The TCDM statistics of these masters count both accelerators' accesses.
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.signatures import TcdmSignature

__all__ = ["PortMux"]


class PortMux(wiring.Component):
    """Two groups of ``ports`` TCDM master ports (``a``, ``b``) onto one group (``out``).

    Parameters
    ----------
    ports : int
        Ports per group (1..16).

    Interface attributes
    --------------------
    a : In(TcdmSignature()).array(ports)
        The default owner's ports (the IMA's load ports).
    b : In(TcdmSignature()).array(ports)
        The other side's ports (the DWA's data ports).
    owner_b : In(1)
        ``b`` owns the ports this cycle (the DWA's ``stat.busy``).
    out : Out(TcdmSignature()).array(ports)
        Towards the TCDM masters.
    """

    def __init__(self, ports):
        if not isinstance(ports, int) or isinstance(ports, bool) or not 1 <= ports <= 16:
            raise ValueError(f"ports must be an integer in 1..16, not {ports!r}")
        self.ports = ports
        super().__init__({
            "a": In(TcdmSignature()).array(ports),
            "b": In(TcdmSignature()).array(ports),
            "owner_b": In(1),
            "out": Out(TcdmSignature()).array(ports),
        })

    def elaborate(self, platform):
        m = Module()
        last_b = Signal()              # b owned the ports in the previous cycle
        m.d.sync += last_b.eq(self.owner_b)
        for a, b, out in zip(self.a, self.b, self.out, strict=True):
            with m.If(self.owner_b):
                m.d.comb += [out.req.eq(b.req), out.addr.eq(b.addr), out.we.eq(b.we),
                             out.be.eq(b.be), out.wdata.eq(b.wdata)]
            with m.Else():
                m.d.comb += [out.req.eq(a.req), out.addr.eq(a.addr), out.we.eq(a.we),
                             out.be.eq(a.be), out.wdata.eq(a.wdata)]
            m.d.comb += [a.gnt.eq(out.gnt & ~self.owner_b), b.gnt.eq(out.gnt & self.owner_b),
                         a.r_valid.eq(out.r_valid & ~last_b), b.r_valid.eq(out.r_valid & last_b),
                         a.r_data.eq(out.r_data), b.r_data.eq(out.r_data)]
        return m
