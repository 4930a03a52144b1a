"""Chunked 3D address generator of the IMA streamer (cf. hwpe-stream ``hwpe_stream_addressgen_v3``).

The walk (:data:`~hw.hwpe.streamer.layouts.Walk3DLayout`) is a sequence of *runs* of ``len0``
contiguous bytes, run ``(i2, i1)`` starting at ``a = base + i2*stride2 + i1*stride1``. A run
touches the aligned words ``a//4 .. (a+len0-1)//4``; the generator emits those words in *chunks*
of up to ``ports`` consecutive words, one chunk per cycle while the consumer accepts. Chunks never
cross runs, so a run of ``w`` words costs ``ceil(w/ports)`` chunks.
"""

from amaranth.hdl import Const, Mux, Signal, signed
from amaranth.lib import stream
from amaranth.lib.wiring import In, Out

from .layouts import Walk3DLayout, chunk_layout
from .ports import Ported

__all__ = ["AddressGen", "issue_chunks"]


class AddressGen(Ported):
    """Walks a 3D byte walk as a stream of word chunks.

    A chunk carries, for each lane ``k < n_words`` (``n_words <= ports``), the word address
    ``word`` (byte address >> 2), the 4-bit byte ``mask`` (the first and last word of a run may be
    partial; unused lanes have ``mask == 0``) and ``pos``, the stream position of the word's
    byte 0: the number of stream bytes before the run plus ``4*word - a`` (negative for the first
    word of a misaligned first run). Stream byte ``pos + b`` is byte ``b`` of the word, for every
    ``b`` with ``mask[b]``. Lanes hold consecutive words: ``lanes[k].word = lanes[0].word + k``.

    Timing: ``start`` (sampled with ``cfg``) loads the first run at once; the first chunk is
    valid in the second cycle after the ``start`` cycle, then one chunk per cycle while
    ``chunk.ready``, with no bubbles between runs. All chunk outputs are registers; ``valid``
    never depends on ``ready``.

    Parameters
    ----------
    ports : int
        Words per chunk (the number of TCDM ports), 1..16 (else :class:`ValueError`, from
        :class:`~hw.hwpe.streamer.ports.Ported`).

    Interface attributes
    --------------------
    cfg : In(Walk3DLayout)
        The walk, sampled in the ``start`` cycle.
    start : In(1)
        Pulse: latch ``cfg`` and begin (restarts a walk in progress).
    abort : In(1)
        Soft clear: drop everything and idle from the next cycle (wins over ``start``).
    chunk : Out(stream.Signature(chunk_layout(ports)))
        The chunks; ``payload.last`` marks the final one.
    busy : Out(1)
        Chunks remain to be emitted or accepted.
    """

    def _members(self):
        return {
            "cfg": In(Walk3DLayout),
            "start": In(1),
            "abort": In(1),
            "chunk": Out(stream.Signature(chunk_layout(self.ports))),
            "busy": Out(1),
        }

    def elaborate(self, platform):
        from amaranth.hdl import Module
        m = Module()
        N = self.ports

        cfg_r = Signal(Walk3DLayout)
        go = Signal()
        m.d.comb += go.eq(self.start & ~self.abort)
        cfg = Walk3DLayout(Mux(go, self.cfg.as_value(), cfg_r.as_value()))

        # Pending next run (the one after the run in the run registers).
        ra = Signal(32)          # its start address
        plane = Signal(32)       # address of its (i2, 0) run
        i1 = Signal(16)
        i2 = Signal(16)
        spos = Signal(signed(32))  # stream bytes before it
        more = Signal()          # ra holds a run not yet loaded

        # Current run, being cut into chunks.
        have = Signal()
        w = Signal(30)
        rem = Signal(17)         # words left in the run, including this chunk
        p = Signal(signed(32))   # stream position of word w's byte 0
        first = Signal()
        fmask = Signal(4)
        lmask = Signal(4)

        out_valid = Signal()
        out = Signal(chunk_layout(N))
        m.d.comb += [
            self.chunk.valid.eq(out_valid),
            self.chunk.payload.eq(out),
            self.busy.eq(have | out_valid),
        ]

        # Source of the run to load: cfg.base on start, else the pending one.
        src_a = Mux(go, self.cfg.base, ra)
        src_plane = Mux(go, self.cfg.base, plane)
        src_i1 = Mux(go, 0, i1)
        src_i2 = Mux(go, 0, i2)
        src_sp = Mux(go, 0, spos)
        nonempty = (self.cfg.len0 != 0) & (self.cfg.len1 != 0) & (self.cfg.len2 != 0)

        # Decode of the run at src_a.
        off = src_a[0:2]
        ld_rem = ((off + cfg.len0 + 3) >> 2)[0:17]
        ld_lb = (off + cfg.len0 - 1)[0:2]
        ld_fmask = (Const(0xF, 4) << off)[0:4]
        ld_lmask = (Const(0xF, 4) >> (~ld_lb)[0:2])[0:4]   # bytes 0..lb

        # The chunk the current run offers.
        lanes = []
        for k in range(N):
            valid_k = rem > k
            mk = Const(0xF, 4)
            if k == 0:
                mk = Mux(first, fmask, mk)
            mk = Mux(rem == k + 1, mk & lmask, mk)
            lanes.append((valid_k, mk))
        last_of_run = rem <= N

        take = Signal()      # the run registers give a chunk to the output registers
        m.d.comb += take.eq(have & (~out_valid | self.chunk.ready))

        with m.If(take):
            m.d.sync += out_valid.eq(1)
            for k, (valid_k, mk) in enumerate(lanes):
                m.d.sync += [
                    out.lanes[k].word.eq(w + k),
                    out.lanes[k].mask.eq(Mux(valid_k, mk, 0)),
                    out.lanes[k].pos.eq(p + 4 * k),
                ]
            m.d.sync += out.last.eq(last_of_run & ~more)
        with m.Elif(self.chunk.ready):
            m.d.sync += out_valid.eq(0)

        load = Signal()
        m.d.comb += load.eq((go & nonempty) | (~go & take & last_of_run & more))
        with m.If(load):
            m.d.sync += [
                have.eq(1),
                w.eq(src_a[2:]),
                rem.eq(ld_rem),
                p.eq(src_sp - off),
                first.eq(1),
                fmask.eq(ld_fmask),
                lmask.eq(ld_lmask),
                spos.eq(src_sp + cfg.len0),
            ]
            with m.If(src_i1 + 1 < cfg.len1):
                m.d.sync += [ra.eq(src_a + cfg.stride1), plane.eq(src_plane),
                             i1.eq(src_i1 + 1), i2.eq(src_i2), more.eq(1)]
            with m.Elif(src_i2 + 1 < cfg.len2):
                m.d.sync += [ra.eq(src_plane + cfg.stride2), plane.eq(src_plane + cfg.stride2),
                             i1.eq(0), i2.eq(src_i2 + 1), more.eq(1)]
            with m.Else():
                m.d.sync += more.eq(0)
        with m.Elif(take):
            with m.If(last_of_run):
                m.d.sync += have.eq(0)
            with m.Else():
                m.d.sync += [
                    w.eq(w + N),
                    rem.eq(rem - N),
                    p.eq(p + 4 * N),
                    first.eq(0),
                ]

        with m.If(go):
            m.d.sync += cfg_r.eq(self.cfg)
            with m.If(~nonempty):
                m.d.sync += [have.eq(0), more.eq(0)]
            m.d.sync += out_valid.eq(0)
        with m.If(self.abort):
            m.d.sync += [have.eq(0), more.eq(0), out_valid.eq(0)]
        return m


def issue_chunks(m, chunk, tcdm, abort, clear, *, we):
    """Drive one chunk's lanes on TCDM ports ``tcdm[0..N-1]`` (lane ``k`` on port ``k``).

    A lane's ``req`` stays high until its port grants it; ports are granted independently. The
    chunk is accepted (``chunk.ready``) in the cycle its last outstanding lane is granted, so the
    next chunk is offered in the following cycle (one chunk per cycle without contention).
    ``addr``/``be`` come straight from the generator's output registers, hence stay stable while
    a port is stalled. ``abort`` drops every ``req`` at once. ``clear`` forgets partial grants.

    Returns ``(req, gnt_now)``: lists of per-port signals (request, granted this cycle).
    """
    req, gnt_now, done_lanes = [], [], []
    for k, port in enumerate(tcdm):
        lane = chunk.payload.lanes[k]
        granted = Signal(name=f"granted_{k}")
        r = Signal(name=f"req_{k}")
        g = Signal(name=f"gnt_now_{k}")
        m.d.comb += [
            r.eq(chunk.valid & (lane.mask != 0) & ~granted & ~abort),
            g.eq(r & port.gnt),
            port.req.eq(r),
            port.addr.eq(lane.word << 2),
            port.we.eq(we),
            port.be.eq(lane.mask),
        ]
        with m.If(chunk.valid & chunk.ready):
            m.d.sync += granted.eq(0)
        with m.Elif(g):
            m.d.sync += granted.eq(1)
        with m.If(clear):
            m.d.sync += granted.eq(0)
        req.append(r)
        gnt_now.append(g)
        done_lanes.append(~r | port.gnt)
    ready = done_lanes[0]
    for d in done_lanes[1:]:
        ready = ready & d
    m.d.comb += chunk.ready.eq(ready)
    return req, gnt_now
