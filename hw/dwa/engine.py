"""The DWA engine: one 3x3 depth-wise layer (:class:`sim_models.dwa.DwJob`) on N TCDM ports.

The datapath of Garofalo et al. 2022, Sec. IV-C (``papers/garofalo2022-notes.md``): a 3x3x16
weight buffer loaded once per 16-channel group (weight-stationary), a 4x3x16 window buffer (3
rows of the current window + 1 being loaded) sliding down an output column, the 3x3x4
:class:`~hw.dwa.mac.MacArray` (36 multipliers, 4 channels per cycle) and the
:class:`~hw.dwa.mac.Requant` (the IMA ADC's transfer). Loads and stores share one interface of
N 32-bit ports and never use it in the same cycle.

**Runs and chunks.** Every memory operation is a *run* of ``n`` contiguous bytes at byte address
``a`` (a pixel's channels of the group: ``n = cg``, the group's channel count). A run touches the
aligned words ``a//4 .. (a+n-1)//4``, ``words = ceil((a%4 + n)/4)``, cut into
``ceil(words/N)`` *chunks* of up to N consecutive words (lane ``k`` on port ``k``, byte masks
at the run's edges, so only the job's output bytes are ever written). One chunk per cycle; a
chunk retires when its last lane is granted (:func:`~hw.hwpe.streamer.addressgen.issue_chunks`).
Loaded bytes are placed into the 16-byte pixel register by their run offset (the realignment of
the streamer's Source: the response window is shifted by ``P = 4*j*N - a%4``, ``j`` the chunk
index); stored bytes are shifted the other way onto the lanes (the Sink's idea).

**Phases.** The job is a sequence of phases; each has a MAC part and a port part, both starting
in the phase's first cycle (cycle 0), and the phase ends in the first cycle in which both are
finished (so the next phase's cycle 0 follows at once). The port part is a fixed list of runs,
loads first, then the store of the *pending* pixel (the last output pixel computed and not yet
written), if there is one:

``W`` (per group)
    loads the 9 weight runs (tap ``t`` at ``w_addr + t*C + 16g``); stores the previous group's
    last pixel.
``P`` (per output column)
    preloads the window: 9 runs (padded rows 0..2 of the column, 3 pixels each, into window
    rows 0..2); stores the previous column's last pixel.
``I`` (per output pixel ``oy``)
    the MAC works ``Mc = ceil(cg/4)`` cycles (cycles ``0..Mc-1``, 4 channels each) on window
    rows 0..2; meanwhile the ports load the next window's new input row(s) (3 runs each) into
    the free row 3 and store pixel ``oy-1``. Stride 2 needs two new rows: the first goes into
    row 3, the second into row 0 -- the top row of the current window -- so its first chunk
    waits for the MAC's last cycle (``Mc-1``; the response lands one cycle later, after the
    MAC's last read). At the phase end the window slides (stride 1: rows 1,2,3 -> 0,1,2; stride
    2: rows 2,3,0 -> 0,1,2). The last output row of a column loads nothing.
``F`` (once)
    stores the job's last pixel; then one ``DONE`` cycle.

The MAC result of channel slice ``s`` is registered at the end of its cycle ``s``, requantised
in cycle ``s+1`` into one of two 16-byte output buffers (alternating per pixel). The last slice
is therefore written at the end of cycle ``Mc`` of its phase, at the latest in cycle 0 of the
next phase; a store never starts in cycle 0 of a phase (it only matters when it is the phase's
first run), so it always reads a complete buffer, and the requantiser of the next pixel writes
the other buffer. Storage: window 4x3x16 B, weights 9x16 B, output 2x16 B, and one 4 x 20-bit
accumulator register (one MAC cycle yields complete 9-tap sums, so the paper's 16 x 32-bit
accumulators shrink to this pipeline register; 4 requantiser lanes keep up with the array).
A ``start`` is accepted while idle and in the ``done`` cycle (back-to-back jobs).

**Timing** (no contention; ``c(run)`` = chunks of the run). A phase with load runs taking ``L``
cycles in total and a store of ``S`` chunks has a port part of ``E = L + S`` cycles when both
exist, ``L + 1`` with no store (the last response lands one cycle after the last grant),
``1 + S`` with no load (not in cycle 0), 0 for neither; stride 2 (``L = L_A + L_B``) gives
``E = max(L_A, Mc-1) + L_B + (S or 1)``. The phase lasts ``D = max(Mc, E)`` cycles (``Mc = 0``
outside ``I``). With ``start`` in cycle 0 the first phase begins in cycle 1 and ``done`` is high
in cycle ``sum(D) + 1`` (the ``DONE`` cycle); ``busy`` is high in cycles ``1 .. sum(D) + 1``.
:func:`sim_models.dwa_perf.engine_cycles` is this sum, exact. Each stalled cycle (a port in
``req & ~gnt``) delays the port part by one cycle, hence the job by at most one.

Steady state, N = 4, stride 1, full group, aligned (``C % 4 == 0``, 4-aligned addresses and row
strides): every run is 4 words = 1 chunk, so ``I`` = 3 loads + 1 store = 4 cycles = ``Mc``: the
paper's 4-cycle inner loop (loads in cycles 0-2, store in cycle 3, MAC in all four), 36 MAC per
cycle. Overheads: ``P`` = 9 + 1 = 10 cycles per column, ``W`` = 10 cycles per group, 1 + 1 for
``F`` and ``DONE``. Stride 2 at N = 4: ``I`` = max(3, 3) + 3 + 1 = 7 cycles, which is the port
bound (6 loads + 1 store of 16 B on a 16 B/cycle interface). A misaligned run (``a%4 + cg`` above
the next multiple of 4 of ``cg``) touches one more word, which costs one more chunk when
``ceil(words/N)`` grows: at N = 4 a misaligned 16-byte run takes 2 cycles (5 words), at N = 1 it
takes 5 instead of 4, at N >= 5 still 1. With N > 4 a run is still one chunk, so the inner loop
stays at 4 cycles (3 load runs + 1 store); N < 4 stretches it to ``3*c + c`` cycles.

**Abort** (SOFT_CLEAR): every ``req`` drops in the abort cycle, the engine idles from the next
cycle (``busy`` low, no ``done``) and never writes again; responses still in flight land in the
buffers only (never in memory).
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream
from amaranth.lib.wiring import In, Out

from hw.dwa.jobregs import DwJobLayout
from hw.dwa.mac import ACC_BITS, LANES, TAPS, MacArray, Requant
from hw.dwa.stats import DwaStatsSignature
from hw.hwpe.streamer.addressgen import issue_chunks
from hw.hwpe.streamer.layouts import chunk_layout
from hw.hwpe.streamer.ports import Ported
from hw.signatures import TcdmSignature
from sim_models.dwa import GROUP  # channels per pass: one home (sim_models.dwa)

__all__ = ["DwaEngine", "PHASES"]

#: Phase encoding of the engine's state register.
PHASES = {"IDLE": 0, "W": 1, "P": 2, "I": 3, "F": 4, "DONE": 5}
_IDLE, _W, _P, _I, _F, _DONE = (PHASES[k] for k in ("IDLE", "W", "P", "I", "F", "DONE"))
#: Load targets: weight taps 0..8, window (row r, pixel kx) at 9 + 3r + kx.
_WIN0 = TAPS


class DwaEngine(Ported):
    """The DWA datapath and its sequencer (see the module docstring for the schedule).

    Parameters
    ----------
    ports : int
        32-bit TCDM data ports N (4 = the paper's 128-bit interface), 1..16 (else
        :class:`ValueError`, from :class:`~hw.hwpe.streamer.ports.Ported`).

    Interface attributes
    --------------------
    job : In(DwJobLayout)
        The checked job registers (raw words), stable while ``busy``.
    start : In(1)
        Pulse (while idle, or in the ``done`` cycle): run the job.
    abort : In(1)
        Soft clear: drop every request this cycle, idle, never write again, no ``done``.
    done : Out(1)
        One-cycle pulse: the job's last output byte is written.
    busy : Out(1)
        From the cycle after ``start`` to the ``done`` cycle.
    tcdm : Out(TcdmSignature()).array(ports)
        The data interface, loads and stores (never both in one cycle).
    stat : Out(DwaStatsSignature())
        ``busy``, and since reset: busy cycles, MAC cycles, stalled cycles, jobs.
    """

    def __init__(self, ports=4):
        super().__init__(ports)

    def _members(self):
        return {
            "job": In(DwJobLayout),
            "start": In(1),
            "abort": In(1),
            "done": Out(1),
            "busy": Out(1),
            "tcdm": Out(TcdmSignature()).array(self.ports),
            "stat": Out(DwaStatsSignature()),
        }

    def elaborate(self, platform):
        m = Module()
        N = self.ports
        j = self.job

        C = j.channels[0:16]
        H = j.out_h[0:16]
        Wo = j.out_w[0:16]
        s2 = j.stride[0:2] == 2
        irs = j.in_row_stride
        ors = j.out_row_stride

        ph = Signal(3)
        active = Signal()
        go = Signal()
        m.d.comb += [
            active.eq((ph == _W) | (ph == _P) | (ph == _I) | (ph == _F)),
            go.eq(self.start & ((ph == _IDLE) | (ph == _DONE)) & ~self.abort),
            self.busy.eq(ph != _IDLE),
            self.done.eq((ph == _DONE) & ~self.abort),
        ]

        # ---- loop state and addresses -------------------------------------------------------
        g_rem = Signal(17)                     # channels from this group on: C - 16g
        ox = Signal(16)
        oy = Signal(16)
        gb_in, gb_out, gb_w = Signal(32), Signal(32), Signal(32)   # group bases (+16g)
        col_in, col_out, pix_out = Signal(32), Signal(32), Signal(32)
        rowbase = Signal(32)                   # next load row's pixel-0 address
        c2 = Signal(18)                        # 2C
        c3 = Signal(18)                        # 3C (weight "row" stride: 3 taps)
        sc = Signal(18)                        # stride * C (next column's input offset)
        cg = Signal(5)
        m.d.comb += cg.eq(Mux(g_rem >= GROUP, GROUP, g_rem))
        mc = Signal(3)
        m.d.comb += mc.eq((cg + 3) >> 2)

        # ---- port sequencer -----------------------------------------------------------------
        nload = Signal(4)                      # load runs of the phase
        li = Signal(4)                         # current load run
        kx = Signal(2)
        lrow = Signal(2)                       # rows done in this phase
        jc = Signal(3)                         # chunk within the run
        seq_done = Signal()                    # every run of the phase granted (earlier cycle)
        pend = Signal()                        # a computed pixel waits to be stored
        st_addr = Signal(32)
        st_cg = Signal(5)
        st_par = Signal()
        ph_first = Signal()                    # cycle 0 of a phase
        mac_rem = Signal(3)                    # MAC cycles left in this phase
        mac_s = Signal(2)                      # channel slice of this MAC cycle
        mac_par = Signal()                     # output buffer of the pixel being computed

        is_load = Signal()
        is_store = Signal()
        gate_ok = Signal()
        m.d.comb += [
            gate_ok.eq(~(s2 & (ph == _I) & (li >= 3)) | (mac_rem <= 1)),
            is_load.eq(active & (li < nload)),
            is_store.eq(active & (li >= nload) & pend & ~seq_done),
        ]
        kxoff = Mux(kx == 0, 0, Mux(kx == 1, C, c2))
        a = Signal(32)
        n = Signal(5)
        m.d.comb += [
            a.eq(Mux(is_load, rowbase + kxoff, st_addr)),
            n.eq(Mux(is_load, cg, st_cg)),
        ]
        off = a[0:2]
        words = Signal(3)
        m.d.comb += words.eq((off + n + 3) >> 2)
        jn = Signal(8)
        m.d.comb += jn.eq(jc * N)
        fmask = (Const(0xF, 4) << off)[0:4]
        lb = (off + n - 1)[0:2]
        lmask = (Const(0xF, 4) >> (~lb)[0:2])[0:4]
        q = Signal(5)                          # P + 3 (<= 19), P = 4*j*N - a%4 (run offset of lane 0)
        m.d.comb += q.eq((jn << 2) + 3 - off)
        last_chunk = Signal()
        m.d.comb += last_chunk.eq(jn + N >= words)

        chunk = stream.Signature(chunk_layout(N)).create()
        m.d.comb += chunk.valid.eq((is_load & gate_ok) | (is_store & ~ph_first))
        for k in range(N):
            lane = chunk.payload.lanes[k]
            i = jn + k
            mk = Mux(i == 0, fmask, 0xF) & Mux(i == words - 1, lmask, 0xF)
            m.d.comb += [
                lane.word.eq(a[2:] + i),
                lane.mask.eq(Mux(i < words, mk, 0)),
                lane.pos.eq(Const(4 * k, signed(8)) + (jn << 2) - off),
            ]
        clear = go | self.abort
        req, gnt_now = issue_chunks(m, chunk, self.tcdm, self.abort, clear, we=is_store)
        accepted = Signal()
        m.d.comb += accepted.eq(chunk.valid & chunk.ready)

        mac_last = mac_rem <= 1
        end_now = Signal()
        m.d.comb += end_now.eq(active & mac_last
                               & (seq_done | (accepted & last_chunk & is_store)))

        # Load target of the current run.
        tgt = Signal(5)
        with m.Switch(ph):
            with m.Case(_W):
                m.d.comb += tgt.eq(li)
            with m.Case(_P):
                m.d.comb += tgt.eq(_WIN0 + lrow * 3 + kx)
            with m.Default():
                m.d.comb += tgt.eq(_WIN0 + Mux(lrow == 0, 9, 0) + kx)
        rs = Mux(ph == _W, c3, irs)

        with m.If(accepted):
            with m.If(last_chunk):
                m.d.sync += jc.eq(0)
                with m.If(is_load):
                    m.d.sync += li.eq(li + 1)
                    with m.If(kx == 2):
                        m.d.sync += [kx.eq(0), lrow.eq(lrow + 1), rowbase.eq(rowbase + rs)]
                    with m.Else():
                        m.d.sync += kx.eq(kx + 1)
                    with m.If((li + 1 == nload) & ~pend):
                        m.d.sync += seq_done.eq(1)
                with m.Else():
                    m.d.sync += [pend.eq(0), seq_done.eq(1)]
            with m.Else():
                m.d.sync += jc.eq(jc + 1)

        # ---- buffers, response placement ------------------------------------------------------
        win = [[Signal(8 * GROUP, name=f"win_{r}_{x}") for x in range(3)] for r in range(4)]
        wt = [Signal(8 * GROUP, name=f"wt_{t}") for t in range(TAPS)]
        gmask = [Signal(4, name=f"gmask_{k}") for k in range(N)]
        resp_q = Signal(5)
        resp_tgt = Signal(5)
        m.d.sync += [resp_q.eq(q), resp_tgt.eq(tgt)]
        for k in range(N):
            m.d.sync += gmask[k].eq(Mux(gnt_now[k] & is_load & ~clear, chunk.payload.lanes[k].mask, 0))
        rwin = Cat(*(p.r_data for p in self.tcdm))
        rmask = Cat(*(Mux(p.r_valid, gmask[k], 0) for k, p in enumerate(self.tcdm)))
        dest = Signal(8 * GROUP)
        dmask = Signal(GROUP)
        m.d.comb += [
            dest.eq((rwin << (resp_q * 8))[24:24 + 8 * GROUP]),
            dmask.eq((rmask << resp_q)[3:3 + GROUP]),
        ]
        dbits = Cat(*(b.replicate(8) for b in dmask))
        merged = [Signal(8 * GROUP, name=f"merged_{r}_{x}") for r in range(4) for x in range(3)]
        for idx, w in enumerate([x for row in win for x in row]):
            m.d.comb += merged[idx].eq(Mux(resp_tgt == _WIN0 + idx, (w & ~dbits) | (dest & dbits), w))
        wn = [merged[3 * r:3 * r + 3] for r in range(4)]
        for t in range(TAPS):
            with m.If(resp_tgt == t):
                m.d.sync += wt[t].eq((wt[t] & ~dbits) | (dest & dbits))
        slide = Signal()
        m.d.comb += slide.eq(end_now & (ph == _I))
        perm = [(1, 2, 3, 3), (2, 3, 0, 3)]   # new row r <- old row perm[stride-1][r]
        for r in range(4):
            for x in range(3):
                with m.If(slide):
                    m.d.sync += win[r][x].eq(Mux(s2, wn[perm[1][r]][x], wn[perm[0][r]][x]))
                with m.Else():
                    m.d.sync += win[r][x].eq(wn[r][x])

        # ---- MAC -> acc register -> requantiser -> output buffers --------------------------------
        m.submodules.mac = mac = MacArray(LANES)
        m.submodules.rq = rq = Requant(LANES)
        mac_go = Signal()
        m.d.comb += mac_go.eq(mac_rem != 0)
        for r in range(3):
            for x in range(3):
                t = 3 * r + x
                xs = win[r][x].word_select(mac_s, 8 * LANES)
                ws = wt[t].word_select(mac_s, 8 * LANES)
                for c in range(LANES):
                    m.d.comb += [mac.x[t][c].eq(xs[8 * c:8 * c + 8]),
                                 mac.w[t][c].eq(ws[8 * c:8 * c + 8])]
        acc_r = Signal(data.ArrayLayout(signed(ACC_BITS), LANES))
        acc_v = Signal()
        acc_s = Signal(2)
        acc_par = Signal()
        m.d.sync += [acc_v.eq(mac_go), acc_s.eq(mac_s), acc_par.eq(mac_par)]
        with m.If(mac_go):
            m.d.sync += [acc_r.eq(mac.acc), mac_rem.eq(mac_rem - 1), mac_s.eq(mac_s + 1)]
        m.d.comb += [
            rq.acc.eq(acc_r),
            rq.m.eq(j.adc_m[0:16]),
            rq.s.eq(j.adc_s[0:5]),
            rq.lo.eq(j.adc_lo[0:10]),
            rq.hi.eq(j.adc_hi[0:10]),
        ]
        obuf = [Signal(8 * GROUP, name=f"obuf_{p}") for p in range(2)]
        with m.If(acc_v):
            for p in range(2):
                with m.If(acc_par == p):
                    m.d.sync += obuf[p].word_select(acc_s, 8 * LANES).eq(rq.y)

        # Store data: run bytes P + i on lane byte i (i = 4k + b).
        ob = Mux(st_par, obuf[1], obuf[0])
        ext = Cat(Const(0, 24), ob, Const(0, 32 * N))
        vec = (ext >> (q * 8))[0:32 * N]
        for k, port in enumerate(self.tcdm):
            m.d.comb += port.wdata.eq(vec[32 * k:32 * k + 32])

        # ---- phase transitions ------------------------------------------------------------------
        def enter(phase, loads, *, mac=False, done=False):
            m.d.sync += [ph.eq(phase), nload.eq(loads), li.eq(0), kx.eq(0), lrow.eq(0), jc.eq(0),
                         ph_first.eq(1), seq_done.eq(done), mac_s.eq(0),
                         mac_rem.eq(mc if mac else 0)]

        m.d.sync += ph_first.eq(0)
        with m.If(go):
            m.d.sync += [g_rem.eq(C), gb_in.eq(j.in_addr), gb_out.eq(j.out_addr), gb_w.eq(j.w_addr),
                         rowbase.eq(j.w_addr), c2.eq(C << 1), c3.eq((C << 1) + C),
                         sc.eq(Mux(s2, C << 1, C)), pend.eq(0), mac_par.eq(0)]
            enter(_W, 9)
        with m.Elif(end_now):
            with m.Switch(ph):
                with m.Case(_W):
                    m.d.sync += [ox.eq(0), col_in.eq(gb_in), col_out.eq(gb_out), rowbase.eq(gb_in)]
                    enter(_P, 9)
                with m.Case(_P):
                    m.d.sync += [oy.eq(0), pix_out.eq(col_out)]
                    enter(_I, Mux(H > 1, Mux(s2, 6, 3), 0), mac=True, done=H == 1)
                with m.Case(_I):
                    m.d.sync += [pend.eq(1), st_addr.eq(pix_out), st_cg.eq(cg), st_par.eq(mac_par),
                                 mac_par.eq(~mac_par)]
                    with m.If(oy + 1 < H):
                        m.d.sync += [oy.eq(oy + 1), pix_out.eq(pix_out + ors)]
                        enter(_I, Mux(oy + 2 < H, Mux(s2, 6, 3), 0), mac=True)
                    with m.Elif(ox + 1 < Wo):
                        m.d.sync += [ox.eq(ox + 1), col_in.eq(col_in + sc), col_out.eq(col_out + C),
                                     rowbase.eq(col_in + sc)]
                        enter(_P, 9)
                    with m.Elif(g_rem > GROUP):
                        m.d.sync += [g_rem.eq(g_rem - GROUP), gb_in.eq(gb_in + GROUP),
                                     gb_out.eq(gb_out + GROUP), gb_w.eq(gb_w + GROUP),
                                     rowbase.eq(gb_w + GROUP)]
                        enter(_W, 9)
                    with m.Else():
                        enter(_F, 0)
                with m.Case(_F):
                    enter(_DONE, 0)
        with m.Elif(ph == _DONE):
            m.d.sync += ph.eq(_IDLE)
        with m.If(self.abort):
            m.d.sync += [ph.eq(_IDLE), mac_rem.eq(0), acc_v.eq(0)]

        # ---- statistics ---------------------------------------------------------------------
        stall = Const(0, 1)
        for r, port in zip(req, self.tcdm, strict=True):
            stall = stall | (r & ~port.gnt)
        st = self.stat
        m.d.comb += st.busy.eq(self.busy)
        with m.If(self.busy):
            m.d.sync += st.cycles.eq(st.cycles + 1)
        with m.If(mac_go):
            m.d.sync += st.mac_cycles.eq(st.mac_cycles + 1)
        with m.If(stall):
            m.d.sync += st.stalled.eq(st.stalled + 1)
        with m.If(self.done):
            m.d.sync += st.jobs.eq(st.jobs + 1)
        return m
