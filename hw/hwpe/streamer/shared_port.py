"""One N-port TCDM data interface shared by a streamer's Source and Sink (round robin by chunk).

A. Garofalo et al., JETCAS 2022, Sec. III-B (Fig. 2): "inside each HWPE, the source and sink
streams are dynamically multiplexed onto one data interface by a round-robin arbiter" -- one
128-bit interface = N = 4 32-bit ports. :class:`SharedPort` puts the Source's N read ports
(side ``src``) and the Sink's N write ports (side ``snk``) onto one group of N TCDM master ports
(``out``); :attr:`hw.config.ImaConfig.data_interface` ``"shared"`` selects it in the IMA.

Arbitration, per cycle and for all N ports together (one side owns every port in a cycle):

* **By chunk.** The Source and the Sink issue one chunk (up to N words, lane ``k`` on port
  ``k``) at a time and hold a lane's ``req`` until it is granted
  (:func:`~hw.hwpe.streamer.addressgen.issue_chunks`). The owner keeps the ports while any of
  its lanes is stalled (``req & ~gnt`` on an ``out`` port at the end of the previous cycle), so
  a chunk is never split between the sides and a stalled request on ``out`` never changes its
  address, ``we``, ``be`` or ``wdata`` (protocol rule 2 of :mod:`hw.signatures` holds on
  ``out``).
* **Round robin.** Otherwise the owner of the cycle is the side that requests; when both do,
  the side with priority; after each chunk a side completes, the priority goes to the other
  side. So under contention the sides alternate chunk by chunk, and a side waits at most one
  chunk of the other between two of its own.
* The owner's requests go to ``out`` and it sees their ``gnt``; the other side sees
  ``gnt = 0`` and keeps its requests (nothing is lost or duplicated, each side's order is
  kept). ``r_valid`` goes to the side that owned the ports in the previous cycle -- the only
  one that can have been granted then -- so a read's response arrives one cycle after its
  grant, as on a port of its own; ``r_data`` goes to both.

Latency: none. The mux is combinational (``req`` -> ``out.req`` -> ``out.gnt`` -> ``gnt`` in
the same cycle) and the state (owner of the previous cycle, the stall lock, the priority) is
three flip-flops. Without the other side requesting, a side sees exactly the timing of a port
of its own; the sequential IMA engine never runs the Source and the Sink together, so its
cycles are those of the split interface.

FIFOs. The paper has FIFOs in both directions; here each side's request buffer is the address
generator's output register (one chunk, held until granted; the generator computes the next
chunk meanwhile), and no response FIFO is needed because each side consumes its responses in the
cycle they arrive (the Source writes them straight into the DAC buffer). A deeper request FIFO
would not add throughput (the arbiter is work-conserving: the N ports move one chunk in every
cycle in which a side requests) and would break the one-cycle read latency the Source's
realignment relies on; the shared-interface cost is the bandwidth the two sides share, which
:func:`sim_models.perf.overlapped_schedule` models.
"""

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib.wiring import In, Out

from ...signatures import TcdmSignature
from .ports import Ported

__all__ = ["SharedPort"]

_REQUEST = ("req", "addr", "we", "be", "wdata")


def _any(signals):
    out = Const(0, 1)
    for s in signals:
        out = out | s
    return out


class SharedPort(Ported):
    """The Source's (``src``) and the Sink's (``snk``) N TCDM ports onto one group ``out``.

    Parameters
    ----------
    ports : int
        N, ports per group (1..16; else :class:`ValueError`, from
        :class:`~hw.hwpe.streamer.ports.Ported`).

    Interface attributes
    --------------------
    src : In(TcdmSignature()).array(ports)
        The Source's read ports.
    snk : In(TcdmSignature()).array(ports)
        The Sink's write ports.
    out : Out(TcdmSignature()).array(ports)
        The shared TCDM master ports.
    owner_snk : Out(1)
        The Sink owns the ports this cycle (for statistics and tests).
    """

    def _members(self):
        return {
            "src": In(TcdmSignature()).array(self.ports),
            "snk": In(TcdmSignature()).array(self.ports),
            "out": Out(TcdmSignature()).array(self.ports),
            "owner_snk": Out(1),
        }

    def elaborate(self, platform):
        m = Module()
        src_any = _any(p.req for p in self.src)
        snk_any = _any(p.req for p in self.snk)
        last_snk = Signal()    # the Sink owned the ports in the previous cycle
        lock = Signal()        # ... and the owner then had a stalled lane: it keeps them
        prio_snk = Signal()    # the Sink wins when both sides request
        owner = Signal()
        m.d.comb += owner.eq(Mux(lock, last_snk, Mux(src_any & snk_any, prio_snk, snk_any)))
        m.d.comb += self.owner_snk.eq(owner)

        for a, b, out in zip(self.src, self.snk, self.out, strict=True):
            m.d.comb += [getattr(out, n).eq(Mux(owner, getattr(b, n), getattr(a, n)))
                         for n in _REQUEST]
            m.d.comb += [a.gnt.eq(out.gnt & ~owner), b.gnt.eq(out.gnt & owner),
                         a.r_valid.eq(out.r_valid & ~last_snk),
                         b.r_valid.eq(out.r_valid & last_snk),
                         a.r_data.eq(out.r_data), b.r_data.eq(out.r_data)]

        stalled = _any(out.req & ~out.gnt for out in self.out)
        owner_req = Mux(owner, snk_any, src_any)
        m.d.sync += [last_snk.eq(owner), lock.eq(stalled)]
        with m.If(owner_req & ~stalled):          # the owner completed a chunk
            m.d.sync += prio_snk.eq(~owner)
        return m
