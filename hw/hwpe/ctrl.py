"""The HWPE control block: ACQUIRE / TRIGGER locking, job ids, events, checker and engine handshake.

The mandatory block of pulp-platform/hwpe-ctrl (legacy ``hwpe_ctrl_regfile.sv``; docs/spec.md
section 7), for any accelerator whose :class:`~hw.hwpe.regs.RegisterMap` starts with
:func:`hwpe_registers`. The registers themselves live in a
:class:`~hw.hwpe.regfile.RegisterFile`; :meth:`HwpeCtrl.attach` wires the two.

Rules:

* ACQUIRE (read) returns the next job id and locks the block to the reading core; -1 while a job
  is checked or runs; -2 while another core holds the lock. The holder reading again gets the
  same id.
* Job registers are written only by the lock holder (``holder`` gates the register file).
* TRIGGER by the holder releases the lock, takes a job id and starts the configuration checker
  (``chk_start`` the cycle after). Its ``chk_done`` (counted from the cycle after ``chk_start``)
  with causes (``chk_err``, bit ``i`` = ERROR field ``chk_causes[i]``) ends the job at once
  (FINISHED counts it, the event fires, the engine never starts); without causes the engine
  starts (``eng_start``) in the same cycle. TRIGGER by
  anyone else sets ERROR.NO_ACQUIRE and raises that core's event (without disturbing a job that
  ends in the same cycle: both events are raised).
* ERROR is cleared by a successful TRIGGER; SOFT_CLEAR aborts the engine (``eng_abort``),
  releases the lock and clears ERROR, setting ERROR.ABORTED if a job was checked or running
  (its owner then gets its event, so no core waits forever).
* The end-of-job event is a one-cycle pulse on ``evt[core]``, the cycle after the cause.
"""

from types import SimpleNamespace

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.hwpe.regs import WORD_BITS, Access, Field, Register
from hw.signatures import PERIPH_ID_WIDTH

__all__ = ["HwpeCtrl", "hwpe_registers", "job_handshake", "JOB_ID_BITS"]

JOB_ID_BITS = 16
ACQUIRE_BUSY = -1
ACQUIRE_HELD = -2
_STATUS_BLOCK = (Field("running", 0, 1, Access.R, doc="a job is being checked or runs"),
                 Field("locked", 1, 1, Access.R, doc="acquired, not yet triggered"))


def hwpe_registers(*, status=(), error=()):
    """The mandatory registers 0x00-0x18 of an HWPE map.

    Parameters
    ----------
    status : tuple of Field
        The accelerator's STATUS fields, from bit 2 (bits 0 running, 1 locked are the block's).
    error : tuple of Field
        Every ERROR cause (1-bit W1C fields), including the block's ``no_acquire`` and
        ``aborted``, at the accelerator's chosen bits.

    Raises
    ------
    ValueError
        If ``error`` lacks ``no_acquire`` or ``aborted`` (or a field is not a 1-bit W1C).
    """
    names = {f.name for f in error}
    for need in ("no_acquire", "aborted"):
        if need not in names:
            raise ValueError(f"error must have a {need!r} field")
    for f in error:
        if f.access is not Access.W1C or f.width != 1:
            raise ValueError(f"error field {f.name} must be a 1-bit W1C field")
    return [
        Register.word("TRIGGER", 0x00, "W", "Any write commits the job configured by the core "
                      "holding the ACQUIRE lock and starts it. A write by another core sets "
                      "ERROR.NO_ACQUIRE and raises that core's event.", group="hwpe"),
        Register.word("ACQUIRE", 0x04, "R", "Read: job id >= 0 and the controller locks to the "
                      "reading core until its TRIGGER; -1 while a job is running (busy); -2 while "
                      "another core holds the lock.", group="hwpe"),
        Register.word("FINISHED", 0x08, "R", "Number of jobs finished (with or without error) "
                      "since reset.", group="hwpe"),
        Register("STATUS", 0x0C, _STATUS_BLOCK + tuple(status),
                 "Non-zero while a job is pending or running; see its fields.", group="hwpe"),
        Register.word("RUNNING_JOB", 0x10, "R", "Id of the running (or last) job.", group="hwpe"),
        Register.word("SOFT_CLEAR", 0x14, "W", "Any write aborts a running job (no further TCDM "
                      "requests), releases the lock and returns the engine to idle.", group="hwpe"),
        Register("ERROR", 0x18, tuple(error), "Error causes of the last job (sticky; write ones "
                 "to clear; cleared by a successful TRIGGER and by SOFT_CLEAR).", group="hwpe",
                 prefix="ERR"),
    ]


def job_handshake(ctl, chk, eng, *, causes, eng_busy):
    """The statements that wire an accelerator's controller ``ctl`` to its configuration checker
    ``chk`` and its engine ``eng`` (the IMA's and the DWA's tops): the job registers to both,
    the checker's start / done / causes (``chk.err_<cause>`` for each of ``causes``, in the order
    of the controller's ERROR fields) and the engine's start / abort / busy / done.

    ``eng_busy`` is the engine's busy signal (it is not named alike in every engine). Returns the
    list for ``m.d.comb``, so a top keeps its other combinational statements around it.
    """
    return [
        chk.job.eq(ctl.job), eng.job.eq(ctl.job),
        chk.start.eq(ctl.chk_start), ctl.chk_done.eq(chk.done),
        ctl.chk_err.eq(Cat(*(getattr(chk, f"err_{c}") for c in causes))),
        eng.start.eq(ctl.eng_start), eng.abort.eq(ctl.eng_abort),
        ctl.eng_busy.eq(eng_busy), ctl.eng_done.eq(eng.done),
    ]


class HwpeCtrl(wiring.Component):
    """ACQUIRE / TRIGGER / SOFT_CLEAR state machine of the HWPE block.

    Parameters
    ----------
    regmap : RegisterMap
        A map with :func:`hwpe_registers` (for the ERROR field positions).
    n_cores : int
        Cores on the bus (event lines).
    chk_causes : tuple of str
        ERROR fields the checker's ``chk_err`` bits set, in bit order.
    id_width : int
        Width of the bus's initiator id.

    Interface attributes
    --------------------
    id : In(id_width)
        Initiator of the current bus access.
    acquire, trigger, soft_clear : In(1)
        A granted ACQUIRE read / TRIGGER write / SOFT_CLEAR write this cycle.
    acquire_value : Out(32)
        What a read of ACQUIRE by ``id`` returns now.
    finished : Out(32)
    running_job : Out(16)
    busy, locked : Out(1)
        STATUS.running (checked or running), STATUS.locked.
    holder : Out(1)
        ``id`` holds the lock (job-register writes take effect).
    err_set, err_clr : Out(32)
        ERROR bits to set / clear (positions of the map's ERROR fields).
    err_extra : In(32)
        The accelerator's own ERROR bits to set (merged into ``err_set``).
    evt : Out(n_cores)
    eng_start, eng_abort : Out(1)
    eng_busy, eng_done : In(1)
    chk_start : Out(1)
    chk_done : In(1)
    chk_err : In(len(chk_causes))

    Raises
    ------
    ValueError
        On a bad ``n_cores``, an unknown cause, or a map without the HWPE registers.
    """

    def __init__(self, regmap, *, n_cores, chk_causes=(), id_width=PERIPH_ID_WIDTH):
        if not isinstance(n_cores, int) or isinstance(n_cores, bool) or not 1 <= n_cores <= 1 << id_width:
            raise ValueError(f"n_cores must be an integer in 1..{1 << id_width}, not {n_cores!r}")
        try:
            error = regmap["ERROR"]
        except KeyError:
            raise ValueError("regmap has no ERROR register (use hwpe_registers())") from None
        self._err = {f.name: f.mask for f in error.fields}
        for c in ("no_acquire", "aborted", *chk_causes):
            if c not in self._err:
                raise ValueError(f"ERROR has no field {c!r} (chk_causes or the HWPE block)")
        self._chk_causes = tuple(chk_causes)
        self._all_err = sum(self._err.values())
        self.n_cores = n_cores
        super().__init__({
            "id": In(id_width),
            "acquire": In(1), "trigger": In(1), "soft_clear": In(1),
            "acquire_value": Out(WORD_BITS), "finished": Out(WORD_BITS),
            "running_job": Out(JOB_ID_BITS), "busy": Out(1), "locked": Out(1), "holder": Out(1),
            "err_set": Out(WORD_BITS), "err_clr": Out(WORD_BITS), "err_extra": In(WORD_BITS),
            "evt": Out(n_cores),
            "eng_start": Out(1), "eng_abort": Out(1), "eng_busy": In(1), "eng_done": In(1),
            "chk_start": Out(1), "chk_done": In(1), "chk_err": In(max(1, len(chk_causes))),
        })
        # The state registers, made here rather than in elaborate() so that a property module
        # (hw.hwpe.ctrl_props) can relate them to its reference model: k-induction needs the
        # lock owner, which no output shows for every core at once. Read-only outside.
        self._state = SimpleNamespace(
            locked=Signal(name="locked"),
            owner=Signal.like(self.id, name="owner"),          # core holding the lock
            job_owner=Signal.like(self.id, name="job_owner"),  # core that triggered the job
            running=Signal(name="running"),                    # the engine runs the job
            checking=Signal(name="checking"),                  # the checker checks it
        )

    @property
    def state(self):
        """The state registers (``locked``, ``owner``, ``job_owner``, ``running``,
        ``checking``), for formal property modules only."""
        return self._state

    def attach(self, m, rf):
        """Wire this block to the HWPE registers of ``rf`` (a RegisterFile), in module ``m``."""
        r = rf.regs
        m.d.comb += [
            self.id.eq(rf.bus.id),
            self.acquire.eq(r.acquire.r_stb), self.trigger.eq(r.trigger.w_stb),
            self.soft_clear.eq(r.soft_clear.w_stb),
            r.acquire.value.eq(self.acquire_value), r.finished.value.eq(self.finished),
            r.running_job.value.eq(self.running_job),
            r.status.running.eq(self.busy), r.status.locked.eq(self.locked),
            r.error.set.eq(self.err_set), r.error.clr.eq(self.err_clr),
            rf.job_we.eq(self.holder),
        ]

    def forward(self, m, owner):
        """Forward the event lines and the engine / checker handshake between this block and
        ``owner`` (an accelerator's controller with ports of the same names: ``evt``,
        ``eng_start``, ``eng_abort``, ``eng_busy``, ``eng_done``, ``chk_start``, ``chk_done``,
        ``chk_err``), in module ``m``."""
        m.d.comb += [
            owner.evt.eq(self.evt), owner.eng_start.eq(self.eng_start),
            owner.eng_abort.eq(self.eng_abort), owner.chk_start.eq(self.chk_start),
            self.eng_busy.eq(owner.eng_busy), self.eng_done.eq(owner.eng_done),
            self.chk_done.eq(owner.chk_done), self.chk_err.eq(owner.chk_err),
        ]

    def elaborate(self, platform):
        m = Module()
        n = self.n_cores
        err = self._err

        st = self.state
        locked, owner, job_owner, running, checking = (
            st.locked, st.owner, st.job_owner, st.running, st.checking)
        next_id = Signal(JOB_ID_BITS)
        running_id = Signal(JOB_ID_BITS)
        finished = Signal(WORD_BITS)
        evt_job = Signal(n)                   # end of the running job: its owner's event
        evt_refused = Signal(n)               # TRIGGER without the lock: the writer's event
        chk_start = Signal()
        chk_set = Signal(WORD_BITS)
        m.d.sync += [self.evt.eq(evt_job | evt_refused), chk_start.eq(0)]
        m.d.comb += [evt_job.eq(0), evt_refused.eq(0), self.err_clr.eq(0),
                     self.chk_start.eq(chk_start)]
        for i, c in enumerate(self._chk_causes):
            m.d.comb += chk_set[err[c].bit_length() - 1].eq(self.chk_err[i])

        holder = locked & (owner == self.id)
        m.d.comb += [
            self.holder.eq(holder), self.busy.eq(running | checking), self.locked.eq(locked),
            self.finished.eq(finished), self.running_job.eq(running_id),
            self.acquire_value.eq(Mux(running | checking, Const(ACQUIRE_BUSY, WORD_BITS),
                                      Mux(locked & (owner != self.id),
                                          Const(ACQUIRE_HELD, WORD_BITS), next_id))),
        ]
        with m.If(self.acquire & ~running & ~checking & ~locked):
            m.d.sync += [locked.eq(1), owner.eq(self.id)]

        chk_any = self.chk_err.any() if self._chk_causes else Const(0)
        # The end of a job (checker done, engine done) is taken whatever else happens in the
        # cycle but a SOFT_CLEAR: a refused TRIGGER by another core in the same cycle raises its
        # own event and ERROR bit besides (it used to hide the done, leaving the job pending
        # forever: found by the formal proof hw.hwpe.ctrl_props "event").
        refused = self.trigger & ~holder & ~self.soft_clear
        # The checker's answer counts from the cycle after chk_start: in the chk_start cycle
        # the checker has not restarted yet, and a done there is a stale one of a job aborted
        # by SOFT_CLEAR (the checkers have no abort) carrying that job's verdict.
        chk_ok = checking & self.chk_done & ~chk_start
        chk_fail = chk_ok & chk_any & ~self.soft_clear
        m.d.comb += [
            self.eng_abort.eq(self.soft_clear),
            self.eng_start.eq(chk_ok & ~chk_any & ~self.soft_clear),
            self.err_set.eq(self.err_extra | Mux(refused, err["no_acquire"], 0)
                            | Mux(chk_fail, chk_set, 0)),
        ]
        with m.If(refused):
            m.d.comb += evt_refused.eq(Const(1, n) << self.id)
        with m.If(self.soft_clear):
            m.d.sync += [locked.eq(0), running.eq(0), checking.eq(0)]
            m.d.comb += [self.err_clr.eq(self._all_err),
                         self.err_set.eq(Mux(running | checking, err["aborted"], 0))]
            with m.If(running | checking):
                m.d.sync += finished.eq(finished + 1)
                m.d.comb += evt_job.eq(Const(1, n) << job_owner)
        with m.Else():
            with m.If(self.trigger & holder):
                # holder implies locked, hence no job checked or running: nothing below fires.
                m.d.sync += [locked.eq(0), checking.eq(1), job_owner.eq(self.id), chk_start.eq(1),
                             running_id.eq(next_id), next_id.eq(next_id + 1)]
                m.d.comb += self.err_clr.eq(self._all_err)
            with m.If(chk_ok):
                m.d.sync += checking.eq(0)
                with m.If(chk_any):
                    m.d.sync += finished.eq(finished + 1)
                    m.d.comb += evt_job.eq(Const(1, n) << job_owner)
                with m.Else():
                    m.d.sync += running.eq(1)
            with m.Elif(running & self.eng_done):
                m.d.sync += [running.eq(0), finished.eq(finished + 1)]
                m.d.comb += evt_job.eq(Const(1, n) << job_owner)
        return m
