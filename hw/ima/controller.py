"""The IMA controller: HWPE register file, ACQUIRE/TRIGGER locking, events, PCM programming.

Implements the HWPE mandatory block (pulp-platform/hwpe-ctrl, legacy ``hwpe_ctrl_regfile.sv``;
BRIEF.md section 7) on the peripheral bus, the job registers of :mod:`hw.ima.regmap`, and the
programming/readback side of the analog-core boundary.

Rules (also in ``docs/registers.md``):

* ACQUIRE (read) returns the next job id and locks the controller to the reading core; -1 while a
  job runs; -2 while another core holds the lock. The holder reading again gets the same id.
* Job registers are written only by the lock holder (other writes are ignored).
* TRIGGER by the holder releases the lock and starts the job: the
  :class:`~hw.ima.jobregs.ConfigChecker` validates the configuration (about 20 cycles); a bad configuration sets ERROR, ends
  the job at once (FINISHED counts it, the event fires) and the engine never starts, so nothing is
  written. TRIGGER by anyone else sets ERROR.NO_ACQUIRE and raises that core's event.
* SOFT_CLEAR aborts the engine, releases the lock, clears ERROR (setting ABORTED if a job was
  running, whose owner then gets its event so no core waits forever).
* Responses: ``r_valid`` one cycle after every granted access. ``gnt`` is withheld only while a
  SUBMIT_PLOT write waits for the analog core to take the previous word, or a PR_VAL read waits
  for a readback in flight.
"""

from amaranth import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import ImaConfig
from hw.ima.analog import AnalogCoreSignature
from hw.ima.jobregs import JobRegsLayout
from hw.ima.regmap import ERR, JOB_REGISTERS, REG, REGISTERS
from hw.signatures import PeriphSignature

__all__ = ["Controller", "CTRL_ADDR_WIDTH"]

CTRL_ADDR_WIDTH = 8          # 256-byte register window (the map spans 0x00..0xC8)
INFO_VERSION = 1


class Controller(wiring.Component):
    """Register file and HWPE control FSM of the IMA.

    Interface attributes
    --------------------
    ctrl : In(PeriphSignature(addr_width=8, id_width=4))
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
    chk_err : In(4)
        ConfigChecker result: [window, length, address, adc].
    ac : Out(AnalogCoreSignature)
        Only the programming and readback members are driven here.
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "ctrl": In(PeriphSignature(addr_width=CTRL_ADDR_WIDTH, id_width=4)),
            "evt": Out(cfg.n_cores),
            "job": Out(JobRegsLayout),
            "eng_start": Out(1), "eng_abort": Out(1),
            "eng_busy": In(1), "eng_done": In(1),
            "chk_start": Out(1), "chk_done": In(1), "chk_err": In(4),
            "ac": Out(AnalogCoreSignature(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, bus = self._cfg, self.ctrl
        word = bus.addr[2:CTRL_ADDR_WIDTH]

        # ---------------- state ----------------
        locked = Signal()
        owner = Signal(4)          # core holding the lock
        job_owner = Signal(4)      # core that triggered the running job
        running = Signal()
        checking = Signal()
        next_id = Signal(16)
        running_id = Signal(16)
        finished = Signal(32)
        error = Signal(8)
        regs = {r.name: Signal(32, init=r.reset & 0xFFFFFFFF, name=f"reg_{r.name.lower()}")
                for r in REGISTERS if r.access == "RW"}
        pr_val = Signal(32)
        rd_pending = Signal()
        prog_pending = Signal()    # a SUBMIT_PLOT word waits for prog_ready
        prow = Signal(16)          # programming pointer (row, column) inside the P window
        pcol = Signal(16)
        evt_next = Signal(cfg.n_cores)
        m.d.sync += self.evt.eq(evt_next)
        m.d.comb += evt_next.eq(0)

        for r in JOB_REGISTERS:
            m.d.comb += getattr(self.job, r.name.lower()).eq(regs[r.name])

        def event_to(core):
            m.d.comb += evt_next.eq(Const(1, cfg.n_cores) << core)

        # ---------------- bus: grant, stalls, responses ----------------
        is_submit = word == REG.SUBMIT_PLOT // 4
        is_prval = word == REG.PR_VAL // 4
        stall = (bus.we & is_submit & prog_pending) | (~bus.we & is_prval & rd_pending)
        granted = Signal()
        m.d.comb += [granted.eq(bus.req & ~stall), bus.gnt.eq(granted)]
        rdata = Signal(32)
        m.d.sync += [bus.r_valid.eq(granted), bus.r_data.eq(Mux(granted, rdata, 0))]

        holder = locked & (owner == bus.id)
        acquire_value = Mux(running | checking, Const(-1, 32),
                            Mux(locked & (owner != bus.id), Const(-2, 32), next_id))
        status = Cat(running | checking, locked, rd_pending, prog_pending)
        info = Cat(Const(cfg.ports, 8), Const(cfg.n_cores, 8), Const(cfg.dac_depth, 16))

        readable = {**regs, "ACQUIRE": acquire_value, "FINISHED": finished, "STATUS": status,
                    "RUNNING_JOB": running_id, "ERROR": error, "INFO": info, "PR_VAL": pr_val}
        with m.Switch(word):
            for r in REGISTERS:
                if r.name in readable:                     # write-only registers read as 0
                    with m.Case(r.offset // 4):
                        m.d.comb += rdata.eq(readable[r.name])
            with m.Default():
                m.d.comb += rdata.eq(0)

        # ---------------- ACQUIRE ----------------
        with m.If(granted & ~bus.we & (word == REG.ACQUIRE // 4) & ~running & ~checking & ~locked):
            m.d.sync += [locked.eq(1), owner.eq(bus.id)]

        # ---------------- register writes ----------------
        def write_reg(name):
            be_mask = Cat(*[bus.be[i].replicate(8) for i in range(4)])
            reg = regs[name]
            m.d.sync += reg.eq((reg & ~be_mask) | (bus.wdata & be_mask))

        wr = granted & bus.we
        with m.If(wr):
            with m.Switch(word):
                for r in REGISTERS:
                    if r.name not in regs:
                        continue
                    with m.Case(r.offset // 4):
                        if r.group == "job":
                            with m.If(holder):
                                write_reg(r.name)
                        else:
                            write_reg(r.name)
                with m.Case(REG.ERROR // 4):
                    m.d.sync += error.eq(error & ~bus.wdata[:8])

        # ---------------- TRIGGER, checking, completion, SOFT_CLEAR ----------------
        trigger = wr & (word == REG.TRIGGER // 4)
        soft_clear = wr & (word == REG.SOFT_CLEAR // 4)
        # Plain expressions (not inside the If chain below, whose conditions include eng_done).
        m.d.comb += [self.eng_abort.eq(soft_clear),
                     self.eng_start.eq(checking & self.chk_done & ~self.chk_err.any() & ~soft_clear
                                       & ~trigger)]
        chk_start = Signal()
        m.d.sync += chk_start.eq(0)
        m.d.comb += self.chk_start.eq(chk_start)

        with m.If(soft_clear):
            m.d.sync += [locked.eq(0), running.eq(0), checking.eq(0), prog_pending.eq(0),
                         rd_pending.eq(0), error.eq(Mux(running | checking, ERR.ABORTED, 0))]
            with m.If(running | checking):
                m.d.sync += finished.eq(finished + 1)
                event_to(job_owner)
        with m.Elif(trigger):
            with m.If(holder):
                m.d.sync += [locked.eq(0), checking.eq(1), job_owner.eq(bus.id), chk_start.eq(1),
                             running_id.eq(next_id), next_id.eq(next_id + 1), error.eq(0)]
            with m.Else():
                m.d.sync += error.eq(error | ERR.NO_ACQUIRE)
                event_to(bus.id)
        with m.Elif(checking & self.chk_done):
            m.d.sync += checking.eq(0)
            err_bits = Cat(self.chk_err[0], self.chk_err[1], self.chk_err[2], self.chk_err[3])
            with m.If(self.chk_err.any()):
                m.d.sync += [error.eq(error | err_bits), finished.eq(finished + 1)]
                event_to(job_owner)
            with m.Else():
                m.d.sync += running.eq(1)
        with m.Elif(running & self.eng_done):
            m.d.sync += [running.eq(0), finished.eq(finished + 1)]
            event_to(job_owner)

        # ---------------- PCM programming (SUBMIT_PLOT) ----------------
        p_x, p_y = regs["P_START_X"][:16], regs["P_START_Y"][:16]
        p_w, p_h = regs["P_WIDTH"][:16], regs["P_HEIGHT"][:16]
        p_bad_window = ((p_w == 0) | (p_h == 0) | (p_x + p_w > cfg.cols)
                        | (p_y + p_h > cfg.rows) | (regs["P_START_X"][16:] != 0)
                        | (regs["P_START_Y"][16:] != 0))
        row_end = p_x + p_w
        lanes = Signal(4)
        m.d.comb += lanes.eq(Mux(row_end - pcol >= 8, 8, row_end - pcol))
        nibbles = [bus.wdata[4 * k:4 * k + 4] for k in range(8)]
        bad_weight = Cat(*[(nibbles[k] == 0b1000) & (k < lanes) for k in range(8)]).any()
        past_end = prow >= p_y + p_h

        with m.If(wr & ((word == REG.P_START_X // 4) | (word == REG.P_START_Y // 4)
                        | (word == REG.P_WIDTH // 4) | (word == REG.P_HEIGHT // 4))):
            # Rewind to the window start (values as written this cycle take effect next cycle).
            m.d.sync += [prow.eq(Mux(word == REG.P_START_Y // 4, bus.wdata[:16], p_y)),
                         pcol.eq(Mux(word == REG.P_START_X // 4, bus.wdata[:16], p_x))]
        with m.If(self.ac.prog_valid & self.ac.prog_ready):
            m.d.sync += prog_pending.eq(0)
        with m.If(wr & is_submit):
            with m.If(p_bad_window | past_end):
                m.d.sync += error.eq(error | ERR.PROG_WINDOW)
            with m.Elif(bad_weight):
                m.d.sync += error.eq(error | ERR.WEIGHT)
            with m.Else():
                m.d.sync += [prog_pending.eq(1), self.ac.prog_row.eq(prow),
                             self.ac.prog_col.eq(pcol), self.ac.prog_weights.eq(bus.wdata),
                             self.ac.prog_count.eq(lanes)]
            with m.If(~p_bad_window & ~past_end):
                with m.If(pcol + 8 >= row_end):
                    m.d.sync += [pcol.eq(p_x), prow.eq(prow + 1)]
                with m.Else():
                    m.d.sync += pcol.eq(pcol + 8)
        m.d.comb += self.ac.prog_valid.eq(prog_pending)

        # ---------------- conductance readback ----------------
        m.d.sync += self.ac.rd_start.eq(0)
        with m.If(wr & (word == REG.PR_ADDR_Y // 4)):
            m.d.sync += [self.ac.rd_start.eq(1), self.ac.rd_row.eq(bus.wdata[:16]),
                         self.ac.rd_col.eq(regs["PR_ADDR_X"][:16]), rd_pending.eq(1)]
        with m.If(self.ac.rd_done & rd_pending):
            m.d.sync += [pr_val.eq(self.ac.rd_value), rd_pending.eq(0)]
        return m
