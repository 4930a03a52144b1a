"""The IMA controller: the reusable HWPE blocks plus PCM programming and conductance readback.

Built from :class:`hw.hwpe.regfile.RegisterFile` (generated from :data:`hw.ima.regmap.IMA_MAP`:
storage, read mux, W1C, strobes) and :class:`hw.hwpe.ctrl.HwpeCtrl` (the HWPE mandatory block,
pulp-platform/hwpe-ctrl legacy ``hwpe_ctrl_regfile.sv``; docs/spec.md section 7). What is the IMA's
own: INFO, the SUBMIT_PLOT programming pointer and its ERROR causes (PROG_WINDOW, WEIGHT), the
readback through PR_ADDR_Y / PR_VAL, and their STATUS bits and bus stalls.

Rules (also in ``docs/registers.md``): ACQUIRE / TRIGGER / SOFT_CLEAR / ERROR as
:mod:`hw.hwpe.ctrl` states them, with the :class:`~hw.ima.jobregs.ConfigChecker` (about 20 cycles
after TRIGGER) as the configuration check; a bad configuration never starts the engine, so
nothing is written. The IMA's own:

* SUBMIT_PLOT writes the weights of the next ``len(SUBMIT_PLOT.fields)`` columns of the current
  window row; a window off the array or a word past its end sets ERROR.PROG_WINDOW, a -8 weight
  ERROR.WEIGHT (nothing is programmed). Writing P_START_X/Y, P_WIDTH or P_HEIGHT rewinds.
* Writing PR_ADDR_Y starts a readback of (PR_ADDR_Y, PR_ADDR_X); PR_VAL holds its result.
* ``gnt`` is withheld only while a SUBMIT_PLOT write waits for the analog core to take the
  previous word, or a PR_VAL read waits for a readback in flight. SOFT_CLEAR drops both waits.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.config import ImaConfig
from hw.hwpe.ctrl import HwpeCtrl
from hw.hwpe.regfile import RegisterFile
from hw.ima.analog import AnalogCoreSignature
from hw.ima.jobregs import JobRegsLayout
from hw.ima.regmap import CHECK_CAUSES, ERR, IMA_MAP, JOB_REGISTERS, PR_VAL, SUBMIT_PLOT

__all__ = ["Controller"]


class Controller(wiring.Component):
    """The IMA's control side: the HWPE block and register file of :data:`IMA_MAP`, plus PCM
    programming (SUBMIT_PLOT) and conductance readback (PR_ADDR_Y / PR_VAL).

    Interface attributes
    --------------------
    ctrl : In(IMA_MAP.bus_signature())
        Control port on the cores' peripheral bus.
    evt : Out(n_cores)
        End-of-job event lines, one per core: a one-cycle pulse to the core that offloaded the job.
    job : Out(JobRegsLayout)
        The configuration for the engine and checker.
    eng_start, eng_abort : Out(1)
        Engine control.
    eng_busy, eng_done : In(1)
    chk_start : Out(1)
        Pulse: check the configuration (the cycle after TRIGGER).
    chk_done : In(1)
        The checker's result is valid.
    chk_err : In(len(CHECK_CAUSES))
        ConfigChecker result, bit i = ERROR cause ``CHECK_CAUSES[i]``.
    ac : Out(AnalogCoreSignature)
        Only the programming and readback members are driven here.
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "ctrl": In(IMA_MAP.bus_signature()),
            "evt": Out(cfg.n_cores),
            "job": Out(JobRegsLayout),
            "eng_start": Out(1), "eng_abort": Out(1),
            "eng_busy": In(1), "eng_done": In(1),
            "chk_start": Out(1), "chk_done": In(1), "chk_err": In(len(CHECK_CAUSES)),
            "ac": Out(AnalogCoreSignature.for_ima(cfg)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        m.submodules.regfile = rf = RegisterFile(IMA_MAP)
        m.submodules.hwpe = hw = HwpeCtrl(IMA_MAP, n_cores=cfg.n_cores, chk_causes=CHECK_CAUSES)
        connect(m, flipped(self.ctrl), rf.bus)
        hw.attach(m, rf)
        hw.forward(m, self)
        regs = rf.regs
        m.d.comb += [
            regs.info.ports.eq(cfg.ports), regs.info.cores.eq(cfg.n_cores),
            regs.info.dac_depth.eq(cfg.dac_depth),
        ]
        m.d.comb += [getattr(self.job, r.name.lower()).eq(getattr(regs, r.name.lower()).value)
                     for r in JOB_REGISTERS]
        self._programming(m, rf, hw)
        return m

    def _programming(self, m, rf, hw):
        """PCM programming through SUBMIT_PLOT and conductance readback through PR_ADDR_Y."""
        cfg, regs, wdata = self._cfg, rf.regs, rf.w_data
        pr_val = Signal(32)
        rd_pending = Signal()
        prog_pending = Signal()    # a SUBMIT_PLOT word waits for prog_ready
        prow = Signal(16)          # programming pointer (row, column) inside the P window
        pcol = Signal(16)
        submit = regs.submit_plot
        m.d.comb += [regs.status.rd_pending.eq(rd_pending), regs.status.prog_pending.eq(prog_pending),
                     submit.stall.eq(prog_pending), regs.pr_val.stall.eq(rd_pending)]
        m.d.comb += [getattr(regs.pr_val, f.name).eq(f.slice(pr_val)) for f in PR_VAL.fields]
        with m.If(regs.soft_clear.w_stb):
            m.d.sync += [prog_pending.eq(0), rd_pending.eq(0)]

        # ---------------- PCM programming (SUBMIT_PLOT) ----------------
        u16 = lambda reg: reg.value[:16]                   # noqa: E731  (a u16 register's value)
        p_x, p_y = u16(regs.p_start_x), regs.p_start_y.row
        p_arr = regs.p_start_y.array
        p_w, p_h = u16(regs.p_width), u16(regs.p_height)
        p_bad_window = ((p_w == 0) | (p_h == 0) | (p_x + p_w > cfg.cols)
                        | (p_y + p_h > cfg.rows) | (regs.p_start_x.value[16:] != 0))
        p_bad_array = p_arr >= cfg.arrays
        row_end = p_x + p_w
        nibbles = [getattr(submit, f.name) for f in SUBMIT_PLOT.fields]
        per_word = len(nibbles)                            # weights (columns) per SUBMIT_PLOT word
        lanes = Signal(range(per_word + 1))
        m.d.comb += lanes.eq(Mux(row_end - pcol >= per_word, per_word, row_end - pcol))
        most_negative = 1 << (SUBMIT_PLOT.fields[0].width - 1)       # -8: no G+/G- pair
        bad_weight = Cat(*[(nib == most_negative) & (k < lanes) for k, nib in enumerate(nibbles)]).any()
        past_end = prow >= p_y + p_h

        with m.If(regs.p_start_x.w_stb | regs.p_start_y.w_stb | regs.p_width.w_stb
                  | regs.p_height.w_stb):
            # Rewind to the window start (values as written this cycle take effect next cycle).
            m.d.sync += [prow.eq(Mux(regs.p_start_y.w_stb, wdata[:16], p_y)),
                         pcol.eq(Mux(regs.p_start_x.w_stb, wdata[:16], p_x))]
        with m.If(self.ac.prog_valid & self.ac.prog_ready):
            m.d.sync += prog_pending.eq(0)
        with m.If(submit.w_stb):
            with m.If(p_bad_array):
                m.d.comb += hw.err_extra.eq(ERR.ARRAY)
            with m.Elif(p_bad_window | past_end):
                m.d.comb += hw.err_extra.eq(ERR.PROG_WINDOW)
            with m.Elif(bad_weight):
                m.d.comb += hw.err_extra.eq(ERR.WEIGHT)
            with m.Else():
                m.d.sync += [prog_pending.eq(1), self.ac.prog_row.eq(prow),
                             self.ac.prog_col.eq(pcol), self.ac.prog_weights.eq(Cat(*nibbles)),
                             self.ac.prog_count.eq(lanes)]
                if cfg.arrays > 1:
                    m.d.sync += self.ac.prog_array.eq(p_arr)
            with m.If(~p_bad_window & ~past_end):
                with m.If(pcol + per_word >= row_end):
                    m.d.sync += [pcol.eq(p_x), prow.eq(prow + 1)]
                with m.Else():
                    m.d.sync += pcol.eq(pcol + per_word)
        m.d.comb += self.ac.prog_valid.eq(prog_pending)

        # ---------------- conductance readback ----------------
        m.d.sync += self.ac.rd_start.eq(0)
        rd_array = wdata[16:]                              # PR_ADDR_Y.array, as written
        with m.If(regs.pr_addr_y.w_stb & (rd_array >= cfg.arrays)):
            m.d.comb += hw.err_extra.eq(ERR.ARRAY)
        with m.Elif(regs.pr_addr_y.w_stb):
            m.d.sync += [self.ac.rd_start.eq(1), self.ac.rd_row.eq(wdata[:16]),
                         self.ac.rd_col.eq(u16(regs.pr_addr_x)), rd_pending.eq(1)]
            if cfg.arrays > 1:
                m.d.sync += self.ac.rd_array.eq(rd_array)
        with m.If(self.ac.rd_done & rd_pending):
            m.d.sync += [pr_val.eq(self.ac.rd_value), rd_pending.eq(0)]
