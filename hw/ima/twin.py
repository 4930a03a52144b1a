"""A synthesizable digital twin of the analog core: integer MVM on weights in block RAM.

For FPGA emulation (and for checking the IMA's digital side without Python in the loop) this
component implements the *other* side of :class:`hw.ima.analog.AnalogCoreSignature` -- it takes
``In(AnalogCoreSignature(...))`` -- with exactly the ideal arithmetic of
:class:`sim_models.crossbar.Crossbar` (docs/spec.md section 2), so ideal runs stay bit-exact.

Storage
    One :class:`amaranth.lib.memory.Memory` ``weights``: ``rows`` words of ``4 * cols`` bits, the
    signed 4-bit weight of column ``c`` in bits ``[4c+3:4c]`` of row ``r``'s word. One read port
    and one write port (no byte enables: programming is read-modify-write), so Yosys maps it to
    block RAM.
MVM (sequential, one crossbar row per cycle, all columns of the window in parallel)
    On ``start`` the window and ADC parameters are latched. Rows ``row .. row+height-1`` are read
    one per cycle; the row word is shifted by ``4*col`` so window column ``j`` is lane ``j``; a
    3-stage pipeline (RAM read, align + DAC byte select, multiply-accumulate) adds
    ``W[row+i][col+j] * dac_i`` into ``adc_depth`` accumulators. Then the ADC runs column by column
    (2-stage pipeline: ``acc * M``, then rounding, arithmetic shift and clamp)::

        y = clamp((acc * M + 2**(S-1)) >> S, LO, HI)      (no rounding term when S == 0)

    and ``done`` pulses with ``adc[8j+7:8j] = y_j`` (bytes past ``width`` are 0). COMPUTE (start
    pulse to done pulse, both included) lasts ``max(latency, height + width + 7)`` cycles.
Programming
    ``prog_ready`` is high for one cycle, two cycles after ``prog_valid`` is seen while idle
    (read the row, write it back merged): ``prog_count`` weights from ``prog_weights[4k+3:4k]``
    into row ``prog_row``, columns ``prog_col + k``.
Readback
    ``rd_start`` -> ``rd_done`` three cycles later (when idle) with ``rd_value`` = G+ in [15:0],
    G- in [31:16], in nS: ``round(max(+-w, 0) * 25000 / 7)`` (``Crossbar``'s ``g_step`` =
    ``g_max / 7`` with ``g_max`` = 25 uS, aihwkit's PCM default).

Multi-array (``cfg.arrays > 1``)
    Array ``k`` holds rows ``k*rows .. k*rows+rows-1`` of the one memory; the MVM uses the
    ``array`` index latched at ``start``, programming ``prog_array`` (stable with
    ``prog_valid``), readback the ``rd_array`` latched at ``rd_start``. ``arrays * rows * cols``
    must stay within :data:`MAX_TWIN_WEIGHTS` (small arrays for FPGA).

Requests that arrive while another operation runs are remembered (``start`` and ``rd_start`` are
pulses) and served in the order MVM, programming, readback.
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In
from amaranth.utils import bits_for, ceil_log2

from hw.config import ImaConfig
from hw.ima.analog import AnalogCoreSignature
from hw.ima.regmap import PR_VAL

__all__ = ["DigitalTwin", "MAX_TWIN_WEIGHTS", "readback_ns", "mvm_cycles"]

#: The twin keeps every weight in one memory; beyond this many weights use a smaller array.
MAX_TWIN_WEIGHTS = 1 << 20
#: G per weight step, nS: g_max 25 uS / 7 (sim_models.crossbar: G_MAX_US / W_MAX).
G_MAX_NS = 25000


def readback_ns(w):
    """(G+, G-) in nS that the twin reports for weight ``w`` (ideal devices)."""
    return round(max(w, 0) * G_MAX_NS / 7), round(max(-w, 0) * G_MAX_NS / 7)


def mvm_cycles(height, width, latency):
    """COMPUTE cycles of one twin MVM (start and done pulses included)."""
    return max(latency, height + width + 7)


class DigitalTwin(wiring.Component):
    """Integer stand-in for the PCM crossbar (the analog core's side of the boundary).

    Parameters
    ----------
    cfg : ImaConfig
        Array size (``rows``, ``cols``) and buffer depths (``dac_depth``, ``adc_depth``).
    latency : int or None
        Minimum COMPUTE cycles (start to done, inclusive), >= 2; default ``cfg.mvm_cycles``
        (70 ns at 250 MHz = 18). The twin needs ``height + width + 7``; it takes the larger.

    Interface attributes
    --------------------
    ac : In(AnalogCoreSignature(dac_depth, adc_depth))
        The analog-core boundary, driven by :class:`hw.ima.top.Ima`'s ``ac`` port.

    Raises
    ------
    ValueError
        ``latency`` not an integer >= 2, or ``arrays * rows * cols`` above
        :data:`MAX_TWIN_WEIGHTS`.
    """

    def __init__(self, cfg: ImaConfig = None, *, latency=None):
        cfg = (cfg or ImaConfig()).validate()
        if latency is None:
            latency = cfg.mvm_cycles
        if not isinstance(latency, int) or isinstance(latency, bool) or latency < 2:
            raise ValueError(f"latency must be an integer >= 2 cycles, not {latency!r}")
        if cfg.arrays * cfg.rows * cfg.cols > MAX_TWIN_WEIGHTS:
            what = "rows * cols" if cfg.arrays == 1 else "arrays * rows * cols"
            raise ValueError(f"{what} ({cfg.rows} * {cfg.cols}"
                             + ("" if cfg.arrays == 1 else f" * {cfg.arrays} arrays")
                             + f") must not exceed {MAX_TWIN_WEIGHTS} weights for the digital twin")
        self.cfg, self.latency = cfg, latency
        super().__init__({"ac": In(AnalogCoreSignature.for_ima(cfg))})

    def elaborate(self, platform):
        m = Module()
        cfg, ac = self.cfg, self.ac
        rows, cols, D, A = cfg.rows, cfg.cols, cfg.dac_depth, cfg.adc_depth
        row_bits = max(1, ceil_log2(rows))
        col_bits = max(1, ceil_log2(cols))
        acc_bits = bits_for(7 * 255 * D) + 1
        width = 4 * cols

        multi = cfg.arrays > 1
        m.submodules.weights = mem = Memory(shape=unsigned(width), depth=cfg.arrays * rows, init=[])
        rdp = mem.read_port()
        wrp = mem.write_port()
        addr_bits = max(1, ceil_log2(cfg.arrays * rows))

        def addr(array, row):
            """Memory row of ``row`` of ``array`` (just ``row`` with one array, as it always was)."""
            return array * rows + row if multi else row

        # ---------------- requests (pulses are remembered) ----------------
        start_pend = Signal()
        rd_pend = Signal()
        rd_row = Signal(row_bits)
        rd_col = Signal(col_bits)
        rd_arr = Signal(ceil_log2(cfg.arrays)) if multi else None      # latched indices
        arr_q = Signal(ceil_log2(cfg.arrays)) if multi else None
        with m.If(ac.rd_start):
            m.d.sync += [rd_pend.eq(1), rd_row.eq(ac.rd_row[:row_bits]),
                         rd_col.eq(ac.rd_col[:col_bits])]
            if multi:
                m.d.sync += rd_arr.eq(ac.rd_array)

        # Latched MVM parameters.
        row_q = Signal(row_bits)
        col_q = Signal(col_bits)
        h_q = Signal(16)
        w_q = Signal(16)
        m_q = Signal(signed(16))
        s_q = Signal(5)
        lo_q = Signal(signed(10))
        hi_q = Signal(signed(10))
        elapsed = Signal(range(self.latency + 1))
        with m.If(ac.start):
            m.d.sync += [start_pend.eq(1), elapsed.eq(1),
                         row_q.eq(ac.row[:row_bits]), col_q.eq(ac.col[:col_bits]),
                         h_q.eq(ac.height), w_q.eq(ac.width), m_q.eq(ac.adc_m),
                         s_q.eq(ac.adc_s), lo_q.eq(ac.adc_lo), hi_q.eq(ac.adc_hi)]
            if multi:
                m.d.sync += arr_q.eq(ac.array)
        with m.Elif(elapsed != self.latency):
            m.d.sync += elapsed.eq(elapsed + 1)

        # ---------------- MVM datapath ----------------
        acc = [Signal(signed(acc_bits), name=f"acc{j}") for j in range(A)]
        i = Signal(17)                 # next row to issue
        v1 = Signal()                  # RAM data valid (row i1)
        i1 = Signal(range(D + 1))
        v2 = Signal()                  # aligned weights + DAC byte valid
        w2 = Signal(4 * A)
        x2 = Signal(8)
        issue = Signal()
        m.d.sync += [v1.eq(issue), i1.eq(i[:len(i1)]), v2.eq(v1)]
        aligned = rdp.data >> Cat(Const(0, 2), col_q)
        with m.If(v1):
            m.d.sync += [w2.eq(aligned[:4 * A]), x2.eq(ac.dac.word_select(i1, 8))]
        with m.If(v2):
            m.d.sync += [acc[j].eq(acc[j] + w2[4 * j:4 * j + 4].as_signed() * x2)
                         for j in range(A)]

        # ADC: column j = acc[0] while the accumulators shift down.
        j = Signal(17)
        shift = Signal()
        p3 = Signal(signed(acc_bits + 16))
        j3 = Signal(range(A + 1))
        v3 = Signal()
        m.d.sync += [v3.eq(shift), j3.eq(j[:len(j3)])]
        with m.If(shift):
            m.d.sync += p3.eq(acc[0] * m_q)
            m.d.sync += [acc[k].eq(acc[k + 1]) for k in range(A - 1)]
        rounded = p3 + ((Const(1, 33) << s_q) >> 1)
        shifted = Signal(signed(acc_bits + 18))
        m.d.comb += shifted.eq(rounded >> s_q)
        y = Mux(shifted < lo_q, lo_q, Mux(shifted > hi_q, hi_q, shifted))
        out = Signal(8 * A)
        with m.If(v3):
            m.d.sync += out.word_select(j3, 8).eq(y[:8])
        m.d.comb += ac.adc.eq(out)

        # ---------------- readback table ----------------
        rd_w = Signal(signed(4))
        rd_val = Signal(32)
        m.d.comb += rd_w.eq(rdp.data.word_select(rd_col, 4))
        with m.Switch(rd_w):
            for w in range(-8, 8):
                gp, gn = readback_ns(w) if w != -8 else (0, 0)
                with m.Case(w):
                    m.d.comb += rd_val.eq(PR_VAL.pack(g_pos=gp, g_neg=gn))
        m.d.sync += ac.rd_done.eq(0)

        # ---------------- programming merge ----------------
        pshift = Cat(Const(0, 2), ac.prog_col[:col_bits])
        lane_mask = Cat(*[Mux(k < ac.prog_count, Const(0xF, 4), Const(0, 4)) for k in range(8)])
        mask = Signal(width)
        data = Signal(width)
        m.d.comb += [mask.eq((lane_mask << pshift)[:width]),
                     data.eq((ac.prog_weights << pshift)[:width])]

        prog_addr = ac.prog_row[:row_bits]
        if multi:
            prog_addr = Signal(addr_bits)
            m.d.comb += prog_addr.eq(addr(ac.prog_array, ac.prog_row[:row_bits]))

        # ---------------- control ----------------
        with m.FSM(name="twin"):
            with m.State("IDLE"):
                with m.If(ac.start | start_pend):
                    m.d.sync += [start_pend.eq(0), i.eq(0), out.eq(0)]
                    m.d.sync += [a.eq(0) for a in acc]
                    m.next = "MVM"
                with m.Elif(ac.prog_valid):
                    m.d.comb += rdp.addr.eq(prog_addr)
                    m.next = "PROG_WRITE"
                with m.Elif(rd_pend):
                    m.d.comb += rdp.addr.eq(addr(rd_arr, rd_row))
                    m.next = "READ"
            with m.State("MVM"):
                with m.If(i < h_q):
                    m.d.comb += [issue.eq(1), rdp.addr.eq(addr(arr_q, row_q + i))]
                    m.d.sync += i.eq(i + 1)
                with m.Elif(~v1 & ~v2):
                    m.d.sync += j.eq(0)
                    m.next = "ADC"
            with m.State("ADC"):
                with m.If(j < w_q):
                    m.d.comb += shift.eq(1)
                    m.d.sync += j.eq(j + 1)
                with m.Elif(~v3):
                    m.next = "DONE"
            with m.State("DONE"):
                with m.If(elapsed >= self.latency - 1):
                    m.d.comb += ac.done.eq(1)
                    m.next = "IDLE"
            with m.State("PROG_WRITE"):
                m.d.comb += [wrp.addr.eq(prog_addr), wrp.en.eq(1),
                             wrp.data.eq((rdp.data & ~mask) | (data & mask)),
                             ac.prog_ready.eq(1)]
                m.next = "IDLE"
            with m.State("READ"):
                m.d.sync += [ac.rd_value.eq(rd_val), ac.rd_done.eq(1), rd_pend.eq(0)]
                m.next = "IDLE"
        return m
