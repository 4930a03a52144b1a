"""Formal properties of the HWPE control block (:class:`~hw.hwpe.ctrl.HwpeCtrl`).

:class:`CtrlProps` wraps a HwpeCtrl (``n_cores`` cores, one checker cause) whose every input is
free: the solver plays the bus (which core, ACQUIRE / TRIGGER / SOFT_CLEAR), the checker and the
engine. A reference model of the lock and of the job, written from the HWPE rules
(hwpe-ctrl's ``hwpe_ctrl_regfile.sv`` as summarised in :mod:`hw.hwpe.ctrl`), runs beside it.
Assumptions (the environment's protocol, nothing more):

* reset in cycle 0;
* ``id < n_cores``; at most one of ACQUIRE, TRIGGER, SOFT_CLEAR per cycle (one bus access);
* nothing about the checker and the engine: ``chk_done``, ``chk_err``, ``eng_done``,
  ``eng_busy`` and ``err_extra`` are free in every cycle. A done counts only while its unit
  runs (the checker from the cycle after ``chk_start``, the engine from ``eng_start``, until
  their done or the abort); any other done (spurious, or stale from a job aborted by
  SOFT_CLEAR) must be ignored.

Property groups (``props``), each with its ``Cover`` s:

``lock``
    ACQUIRE never hands the lock to a second core while one holds it (a non-negative job id is
    the lock); ``locked`` and ``holder`` follow the model's lock.
``trigger``
    Only the lock holder's TRIGGER starts a job: ``chk_start`` exactly the cycle after it,
    ``busy`` exactly while the model's job is pending, ``eng_start`` only when the checker
    passes the pending job.
``event``
    The end-of-job event goes to the core that triggered the job, the cycle after the job
    ends (engine done, checker error or SOFT_CLEAR); a refused TRIGGER raises its own core's
    event; no other event line is ever raised.
``soft_clear``
    SOFT_CLEAR aborts the engine in its cycle (``eng_abort``) and the block is idle and
    unlocked :data:`SOFT_CLEAR_BOUND` cycle later, from any state.
"""

from amaranth.hdl import Assert, Assume, Const, Cover, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from hw.hwpe.ctrl import ACQUIRE_HELD, HwpeCtrl, hwpe_registers
from hw.hwpe.regs import WORD_BITS, Access, Field, RegisterMap
from hw.props import reset_in_cycle_0
from hw.signatures import PERIPH_ID_WIDTH

__all__ = ["CtrlProps", "PROPS", "SOFT_CLEAR_BOUND", "property_map"]

PROPS = ("lock", "trigger", "event", "soft_clear")

#: Cycles from a SOFT_CLEAR write to an idle, unlocked block.
SOFT_CLEAR_BOUND = 1


def property_map():
    """A minimal HWPE register map: the mandatory registers with one checker cause ``bad``."""
    errors = (Field("bad", 0, 1, Access.W1C), Field("no_acquire", 1, 1, Access.W1C),
              Field("aborted", 2, 1, Access.W1C))
    return RegisterMap("PROPS", hwpe_registers(error=errors), source=__name__)


class CtrlProps(wiring.Component):
    """HwpeCtrl with free inputs, a reference model and the properties of ``props``.

    Parameters
    ----------
    n_cores : int
        Cores on the bus (2..16).
    props : tuple of str
        Property groups to assert (subset of :data:`PROPS`).

    Interface attributes
    --------------------
    The HwpeCtrl's inputs, free: ``id``, ``acquire``, ``trigger``, ``soft_clear``, ``err_extra``,
    ``eng_busy``, ``eng_done``, ``chk_done``, ``chk_err``.

    Raises
    ------
    ValueError
        On a bad ``n_cores`` or ``props``.
    """

    def __init__(self, *, n_cores=4, props=PROPS):
        if not isinstance(n_cores, int) or isinstance(n_cores, bool) or not 2 <= n_cores <= 16:
            raise ValueError(f"n_cores must be an integer in 2..16, not {n_cores!r}")
        if not props or any(p not in PROPS for p in props):
            raise ValueError(f"props must be a non-empty subset of {PROPS}, not {props!r}")
        self.n_cores, self.props = n_cores, tuple(props)
        super().__init__({
            "id": In(PERIPH_ID_WIDTH), "acquire": In(1), "trigger": In(1), "soft_clear": In(1),
            "err_extra": In(WORD_BITS), "eng_busy": In(1), "eng_done": In(1), "chk_done": In(1),
            "chk_err": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.n_cores
        m.submodules.dut = dut = HwpeCtrl(property_map(), n_cores=n, chk_causes=("bad",))
        for name in ("id", "acquire", "trigger", "soft_clear", "err_extra", "eng_busy",
                     "eng_done", "chk_done", "chk_err"):
            m.d.comb += getattr(dut, name).eq(getattr(self, name))
        reset_in_cycle_0(m)
        core, acq, trig, sc = self.id, self.acquire, self.trigger, self.soft_clear
        m.d.comb += [Assume(core < n), Assume(acq + trig + sc <= 1)]

        # The checker's and the engine's runs, from their start to their done / abort. Their
        # done inputs are free: a done outside a run (spurious, or stale after an abort) must
        # be ignored.
        chk_run, eng_run = Signal(), Signal()
        with m.If(sc | (self.chk_done & chk_run)):
            m.d.sync += chk_run.eq(0)
        with m.Elif(dut.chk_start):
            m.d.sync += chk_run.eq(1)
        with m.If(dut.eng_abort | (self.eng_done & eng_run)):
            m.d.sync += eng_run.eq(0)
        with m.Elif(dut.eng_start):
            m.d.sync += eng_run.eq(1)

        # Reference model: the lock, the pending job and its owner.
        ml, mo = Signal(), Signal.like(core)
        job, job_owner = Signal(), Signal.like(core)
        granted = acq & ~dut.acquire_value[-1]          # ACQUIRE answered with a job id >= 0
        owner_trig = trig & ml & (core == mo)
        bad_trig = trig & ~owner_trig
        job_end = Mux(sc, job, (self.chk_done & chk_run & self.chk_err)
                      | (self.eng_done & eng_run))
        with m.If(sc | owner_trig):
            m.d.sync += ml.eq(0)
        with m.Elif(granted):
            m.d.sync += [ml.eq(1), mo.eq(core)]
        with m.If(owner_trig):
            m.d.sync += [job.eq(1), job_owner.eq(core)]
        with m.Elif(job_end):
            m.d.sync += job.eq(0)
        expect_evt = Signal(n)
        m.d.comb += expect_evt.eq(Mux(job_end, Const(1, n) << job_owner, 0)
                                  | Mux(bad_trig, Const(1, n) << core, 0))
        past = {}
        for name, sig in (("owner_trig", owner_trig), ("evt", expect_evt), ("sc", sc),
                          ("busy", dut.busy), ("two_events", job_end & bad_trig)):
            past[name] = Signal(len(sig), name=f"past_{name}")
            m.d.sync += past[name].eq(sig)

        # The DUT's state agrees with the model (inductive strengthening, itself proved).
        st = dut.state
        model = lambda: [  # noqa: E731
            Assert(st.locked == ml, "lock state differs from the model"),
            Assert(~ml | (st.owner == mo), "lock owner differs from the model"),
            Assert(~(ml & job), "locked while a job is pending"),
            Assert(job == (st.checking | st.running), "job state differs from the model"),
            Assert(~(st.checking & st.running), "checking and running at once"),
            Assert(~job | (st.job_owner == job_owner), "job owner differs from the model"),
            Assert(st.running == eng_run, "running differs from the engine's state"),
            Assert(chk_run == (st.checking & ~dut.chk_start), "checker run differs from checking"),
            Assert(~dut.chk_start | st.checking, "chk_start outside checking"),
        ]
        if set(self.props) - {"soft_clear"}:
            m.d.comb += model()

        if "lock" in self.props:
            m.d.comb += [
                Assert(~(granted & ml & (core != mo)), "ACQUIRE handed the lock to a second core"),
                Assert(dut.locked == ml, "locked differs from the lock model"),
                Assert(dut.holder == (ml & (core == mo)), "holder differs from the lock model"),
                Cover(acq & (dut.acquire_value == (ACQUIRE_HELD & (1 << WORD_BITS) - 1))),
                Cover(granted & ml & (core == mo)),
            ]
        if "trigger" in self.props:
            m.d.comb += [
                Assert(dut.chk_start == past["owner_trig"], "chk_start without the holder's "
                                                            "TRIGGER"),
                Assert(dut.busy == job, "busy differs from the job model"),
                Assert(~dut.eng_start | (job & chk_run & self.chk_done & ~self.chk_err),
                       "engine started without a checked job"),
                Cover(dut.eng_start),
                Cover(trig & ml & (core != mo)),
            ]
        if "event" in self.props:
            m.d.comb += [
                Assert(dut.evt == past["evt"], "event not to the triggering core"),
                Cover(dut.evt.any() & ~past["sc"] & past["busy"]),
                Cover(past["two_events"]),
            ]
        if "soft_clear" in self.props:
            m.d.comb += [
                Assert(~sc | dut.eng_abort, "SOFT_CLEAR did not abort the engine"),
                Assert(~past["sc"] | (~dut.busy & ~dut.locked), "not idle after SOFT_CLEAR"),
                Cover(past["sc"] & past["busy"]),
            ]
        return m
