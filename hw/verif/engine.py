"""Per-core TCDM request engine for simulation test tops (issue 15, docs/speed-plan.md).

A core bus-functional model (:class:`tb.bfm.engine.EngineMaster`) hands a whole batch of TCDM
accesses to this block instead of driving the port itself in Python every cycle: it writes the
requests (address, write enable + byte enables, write data) into three memories through the VPI
in bulk, then moves one write pointer. The engine presents the request at its read pointer from
the cycle the pointer moved, advances under ``gnt`` (one request per cycle, never retracted),
captures every response (``r_data`` at ``r_valid``) into a response memory and raises ``flag``
in the cycle where the accesses still outstanding *after* this cycle's response drop to the
threshold ``thr`` (0: the batch is complete), so the waiting coroutine wakes once, in that
cycle's ReadOnly phase -- the same phase in which the per-access path
(:class:`tb.bfm.tcdm.TcdmMaster`) completes its last handle.

The memories form a ring of ``depth`` slots indexed by the pointers modulo ``depth``; pointers
have one more bit than a slot index, so "empty" and "full" differ. A batch longer than the ring
is refilled by the testbench at ``thr = depth // 2`` without a gap in the request stream.

When idle the port holds the fields of the last granted request (what the per-access BFM leaves
on its wires), so both paths give identical port traces, not only identical grants.

Two ways to take ``wr_ptr`` (the control input ``wr_reg``, set once before the first batch):

* ``wr_reg = 0`` (the reset value): combinationally, as the test tops had it first: a pointer
  written in a cycle's time step shows its requests in that same cycle, so the testbench has to
  wake at the rising edge that starts the batch's first cycle (two wake-ups per batch);
* ``wr_reg = 1``: through a register loaded at every rising edge: the testbench writes the batch
  and its pointer in *any* time step between two rising edges (right at the previous batch's
  ``flag``, or after a compute gap) and the first request is on the port in the cycle that
  starts at the next rising edge -- the cycle it would be with ``wr_reg = 0`` and a write at that
  edge. One wake-up per batch (the ``flag``); docs/speed-plan.md, "Step 3g".

Nothing here is part of the cluster: it exists only in the cluster's simulation test top
(:mod:`tb.build.cluster_top`).
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from hw.signatures import TcdmSignature

__all__ = ["DEFAULT_DEPTH", "EngineControlSignature", "RequestEngine", "CTL_WE", "ctl_word"]

#: Ring slots per core; a batch longer than this is streamed in halves (no gap, one more wake-up
#: per half ring). 1024 covers a whole bottleneck kernel's working set of most cores.
DEFAULT_DEPTH = 1024
#: Bit 0 of a control word is ``we``, bits 1..4 are ``be``.
CTL_WE = 1


def ctl_word(we, be):
    """The control word the engine stores per request: ``we | be << 1``."""
    return (1 if we else 0) | (be & 0xF) << 1


def _check_depth(depth):
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 4 or depth & (depth - 1):
        raise ValueError(f"depth must be a power of two >= 4, not {depth!r}")
    return depth


class EngineControlSignature(wiring.Signature):
    """The testbench's side of one engine (initiator: the testbench).

    Members
    -------
    wr_ptr : Out(P)        requests written so far (modulo ``2 * depth``; ``P = log2(depth) + 1``)
    wr_reg : Out(1)        1: ``wr_ptr`` is taken at the next rising edge (registered), 0: at once
    thr : Out(P)           ``flag`` threshold on the accesses outstanding after this cycle
    fill_en, fill_idx, fill_addr, fill_ctl, fill_wdata : Out
        a write port into the request memories (the testbench fills them through the VPI
        instead; the port keeps the memories writable so synthesis cannot fold them to a ROM)
    peek_idx : Out(log2(depth)), peek_data : In(32)
        a read port of the response memory (keeps it from being optimised away)
    flag : In(1)           outstanding-after-this-cycle <= ``thr``
    rd_ptr, rsp_ptr : In(P)   requests granted / responses captured so far
    """

    def __init__(self, depth=DEFAULT_DEPTH):
        self._depth = _check_depth(depth)
        w = exact_log2(depth)
        super().__init__({
            "wr_ptr": Out(w + 1), "wr_reg": Out(1), "thr": Out(w + 1),
            "fill_en": Out(1), "fill_idx": Out(w), "fill_addr": Out(32), "fill_ctl": Out(5),
            "fill_wdata": Out(32),
            "peek_idx": Out(w), "peek_data": In(32),
            "flag": In(1), "rd_ptr": In(w + 1), "rsp_ptr": In(w + 1),
        })

    @property
    def depth(self):
        return self._depth

    def __eq__(self, other):
        return type(other) is type(self) and other.depth == self.depth


class RequestEngine(wiring.Component):
    """One core's request engine.

    Parameters
    ----------
    depth : int
        Ring slots (a power of two >= 4; default :data:`DEFAULT_DEPTH`).

    Interface attributes
    --------------------
    bus : Out(TcdmSignature())   the TCDM master port it drives
    ctl : In(EngineControlSignature(depth))   the testbench's side

    Memories (Verilog arrays, filled / read by the testbench through the VPI): ``req_addr``
    (32 bits), ``req_ctl`` (5 bits: :func:`ctl_word`), ``req_wdata`` (32), ``rsp_data`` (32).

    Raises
    ------
    ValueError
        On a bad ``depth``.
    """

    def __init__(self, depth=DEFAULT_DEPTH):
        self.depth = _check_depth(depth)
        super().__init__({"bus": Out(TcdmSignature()), "ctl": In(EngineControlSignature(depth))})

    def elaborate(self, platform):
        m = Module()
        bus, ctl, d = self.bus, self.ctl, self.depth
        w = exact_log2(d)
        rd = Signal(w + 1)
        rsp = Signal(w + 1)
        fields = {}
        for name, shape, src in (("req_addr", 32, ctl.fill_addr), ("req_ctl", 5, ctl.fill_ctl),
                                 ("req_wdata", 32, ctl.fill_wdata)):
            m.submodules[name] = mem = Memory(shape=shape, depth=d, init=[])
            wp = mem.write_port()
            rp = mem.read_port(domain="comb")
            m.d.comb += [wp.addr.eq(ctl.fill_idx), wp.data.eq(src), wp.en.eq(ctl.fill_en),
                         rp.addr.eq(rd[:w])]
            fields[name] = rp.data
        m.submodules.rsp_data = rmem = Memory(shape=32, depth=d, init=[])
        rwp = rmem.write_port()
        peek = rmem.read_port(domain="comb")
        m.d.comb += [rwp.addr.eq(rsp[:w]), rwp.data.eq(bus.r_data), rwp.en.eq(bus.r_valid),
                     peek.addr.eq(ctl.peek_idx), ctl.peek_data.eq(peek.data)]

        # the write pointer in force: the input itself, or its copy from the last rising edge
        wr_q = Signal(w + 1)
        wr = Signal(w + 1)
        m.d.sync += wr_q.eq(ctl.wr_ptr)
        m.d.comb += wr.eq(Mux(ctl.wr_reg, wr_q, ctl.wr_ptr))
        # the last granted request's fields, held on the port while idle
        held_addr, held_ctl, held_wdata = Signal(32), Signal(5), Signal(32)
        req = Signal()
        cur_ctl = Signal(5)
        m.d.comb += req.eq(rd != wr)
        with m.If(req):
            m.d.comb += [bus.addr.eq(fields["req_addr"]), cur_ctl.eq(fields["req_ctl"]),
                         bus.wdata.eq(fields["req_wdata"])]
        with m.Else():
            m.d.comb += [bus.addr.eq(held_addr), cur_ctl.eq(held_ctl), bus.wdata.eq(held_wdata)]
        m.d.comb += [bus.req.eq(req), bus.we.eq(cur_ctl[0]), bus.be.eq(cur_ctl[1:5])]
        with m.If(req & bus.gnt):
            m.d.sync += [rd.eq(rd + 1), held_addr.eq(bus.addr), held_ctl.eq(cur_ctl),
                         held_wdata.eq(bus.wdata)]
        with m.If(bus.r_valid):
            m.d.sync += rsp.eq(rsp + 1)
        outstanding = Signal(w + 1)
        m.d.comb += [outstanding.eq(wr - rsp - bus.r_valid),
                     ctl.flag.eq(outstanding <= ctl.thr),
                     ctl.rd_ptr.eq(rd), ctl.rsp_ptr.eq(rsp)]
        return m
