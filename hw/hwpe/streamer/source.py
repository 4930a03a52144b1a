"""IMA streamer source: 3D strided TCDM reads on N ports into the DAC buffer (STREAMIN)."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib.wiring import Out
from amaranth.utils import ceil_log2

from .addressgen import issue_chunks
from .walkport import WalkPort

__all__ = ["Source"]


class Source(WalkPort):
    """Reads a 3D byte walk from the TCDM on ``ports`` read ports into a ``depth``-byte DAC buffer.

    Stream byte ``i`` of the walk (order of :meth:`sim_models.jobconfig.Walk3D.offsets`) lands in
    ``dac[8*i : 8*i+8]``.

    **Chunk scheme.** The :class:`~hw.hwpe.streamer.addressgen.AddressGen` cuts each run of
    ``len0`` contiguous bytes (start ``a``) into the aligned words ``a//4 .. (a+len0-1)//4`` and
    groups them in chunks of up to ``ports`` words; lane ``k`` of a chunk goes to port ``k``. A
    port holds ``req`` until it is granted; the chunk retires in the cycle its last lane is granted
    and the next chunk is requested in the following cycle. Hence every read granted in one cycle
    belongs to the same chunk: the responses of a cycle are one window of ``4*ports`` stream
    bytes at ``P`` (lane ``k`` at ``P + 4k``). The stream position ``P`` and each port's granted
    byte mask are registered with the grant; on ``r_valid`` (one cycle later) the window is
    rotated by ``P mod 4`` bytes, then by ``(P//4 + 1) mod M`` words (``M`` the power of two
    ``>= ports + 1``) into ``M`` slots, so DAC word ``w`` only ever reads slot ``(w+1) mod M``
    and is enabled when it lies in the window: one source per DAC byte plus two small barrel
    rotators, instead of a ``4*ports``-way mux per byte (cheap in area and in Verilator build
    time: at ``ports=16, depth=512`` Verilator + C++ take ~52 s CPU, of which ~22 s is the fixed
    cost of any top (runtime library), i.e. roughly 30-40 s wall with ``make -j2`` unloaded).

    **Throughput.** Without contention one chunk issues per cycle. With
    ``C = sum over runs of ceil(words_in_run / ports)`` chunks and ``start`` high in cycle 0,
    ``done`` is high in cycle ``C + 3`` (fixed overhead: 3 cycles -- first chunk registered,
    one-cycle read latency, DAC register update). ``busy`` is high in cycles ``1 .. C + 2``.
    Each stalled cycle (a lane not granted) adds one cycle. An empty walk (a length of 0) gives
    ``done`` in cycle 2 with no request.

    ``start`` while busy restarts (responses of the old job are ignored); ``abort`` drops all
    requests in its own cycle, ignores responses still in flight and idles (no ``done``). DAC
    bytes at stream positions ``>= depth`` are dropped; bytes the job does not reach keep their
    old value.

    Parameters, checks and the interface but for the buffer: :class:`~hw.hwpe.streamer.walkport.WalkPort`
    (``ports`` read ports, ``we = 0``; ``depth`` the DAC buffer's bytes; ``done`` once every byte
    of the walk is in ``dac``; ``abort`` also ignores the responses in flight).

    Interface attributes
    --------------------
    dac : Out(8 * depth)
        The DAC buffer (registers).
    """

    #: Cycles from the ``start`` cycle to the ``done`` cycle beyond the number of chunks.
    OVERHEAD = 3

    BUFFER = ("dac", Out)

    def elaborate(self, platform):
        m = Module()
        N, D = self.ports, self.depth
        W = (D + 3) // 4                       # DAC words

        gen, go, clear = self._start_walk(m)
        req, gnt_now = issue_chunks(m, gen.chunk, self.tcdm, self.abort, clear, we=0)

        # Realignment. All lanes granted in one cycle belong to the chunk presented in that cycle
        # (the next chunk is only presented once every lane is granted), so the responses of a
        # cycle form one window of 4N stream bytes starting at P = lanes[0].pos, lane k at
        # P + 4k. Register P and the granted byte masks with the grants; on r_valid:
        #   1. rotate the window by P mod 4 bytes -> N+1 words, word j for DAC word P//4 + j;
        #   2. rotate those words by (P//4 + 1) mod M (M = power of two >= N+1) into M slots,
        #      so DAC word w only ever takes slot (w+1) mod M: one candidate per DAC word;
        #   3. enable DAC word w iff it lies in the window (block compare + slot >= offset).
        M = 1 << ceil_log2(N + 1)
        LM = ceil_log2(M)
        lane0 = gen.chunk.payload.lanes[0]
        p_r = Signal(signed(32))                         # P of the granted chunk
        gmask = [Signal(4, name=f"gmask_{k}") for k in range(N)]   # granted byte lanes
        m.d.sync += p_r.eq(lane0.pos)
        for k in range(N):
            lane = gen.chunk.payload.lanes[k]
            m.d.sync += gmask[k].eq(Mux(gnt_now[k] & ~clear, lane.mask, 0))

        win = Signal(32 * N)
        winm = Signal(4 * N)
        for k, port in enumerate(self.tcdm):
            ok = port.r_valid & ~clear
            m.d.comb += [win[32 * k:32 * k + 32].eq(port.r_data),
                         winm[4 * k:4 * k + 4].eq(Mux(ok, gmask[k], 0))]
        # 1. byte rotation by P mod 4 (into M words, zero padded).
        r4 = p_r[0:2]
        bw = Signal(32 * M)
        bm = Signal(4 * M)
        m.d.comb += [bw.eq(win << (r4 * 8)), bm.eq(winm << r4)]
        # 2. word rotation by qb mod M, qb = P//4 + 1 (padded DAC word index, >= 0).
        qb = Signal(31)
        m.d.comb += qb.eq((p_r >> 2) + 1)
        slot_w, slot_m = bw, bm
        for i in range(LM):
            rw = Signal(32 * M, name=f"rot_w{i}")
            rm = Signal(4 * M, name=f"rot_m{i}")
            m.d.comb += [rw.eq(Mux(qb[i], slot_w.rotate_left(32 << i), slot_w)),
                         rm.eq(Mux(qb[i], slot_m.rotate_left(4 << i), slot_m))]
            slot_w, slot_m = rw, rm
        # 3. window position: padded word u is in it iff (u//M == b0 and u%M >= r) or
        #    (u//M == b0 + 1 and u%M < r).
        r = qb[0:LM] if LM else Const(0, 1)
        b0 = qb >> LM
        nblk = W // M + 2
        blk = Signal(nblk + 1)
        m.d.comb += blk.eq(Cat(*(b0 == b for b in range(nblk + 1))))
        ge = Signal(M)
        m.d.comb += ge.eq(Cat(*(r <= s_ for s_ in range(M))))
        slot_bm, slot_d = [], []
        for s_ in range(M):
            bmk = Signal(32, name=f"slot_bm{s_}")
            dk = Signal(32, name=f"slot_d{s_}")
            m.d.comb += [bmk.eq(Cat(*(slot_m[4 * s_ + j].replicate(8) for j in range(4)))),
                         dk.eq(slot_w[32 * s_:32 * s_ + 32] & bmk)]
            slot_bm.append(bmk)
            slot_d.append(dk)
        words = []
        for w in range(W):
            u = w + 1
            s_, b = u % M, u // M
            inwin = (blk[b] & ge[s_]) | ((blk[b - 1] if b else 0) & ~ge[s_])
            word = Signal(32, name=f"dac_w{w}")
            with m.If(inwin):
                m.d.sync += word.eq((word & ~slot_bm[s_]) | slot_d[s_])
            words.append(word)
        m.d.comb += self.dac.eq(Cat(*words)[:8 * D])

        # Job tracking.
        last_acc = gen.chunk.valid & gen.chunk.ready & gen.chunk.payload.last
        got_last = Signal()   # the last chunk was granted in the previous cycle
        m.d.sync += [got_last.eq(last_acc & ~clear), self.done.eq(got_last & ~clear)]
        nonempty = (self.cfg.len0 != 0) & (self.cfg.len1 != 0) & (self.cfg.len2 != 0)
        with m.If(got_last):
            m.d.sync += self.busy.eq(0)
        with m.If(go):
            m.d.sync += [self.busy.eq(1), got_last.eq(~nonempty)]
        with m.If(self.abort):
            m.d.sync += self.busy.eq(0)

        self._count_job_stats(m, req, go)
        return m
