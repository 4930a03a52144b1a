"""The testbenches' clock (issue 15): the cluster's (tb.env.cluster) and the block tests'
(tb.env.ima, dwa, tcdm, the register fuzzer).

Default (``"main"``, docs/speed-plan.md "Step 3e"): the clock of the project's Verilator main
(``tb/build/verilator_main.cpp``), which toggles the top's ``clk`` at the GPI clock's times, in the
GPI clock's order among the timed callbacks, and skips the falling edges' ``eval()`` whenever
nothing but the clock changed (lazy falling edges: about a quarter of the model's time, and no
figure can change -- the model is checked from its generated code at build time,
``tb/build/lazy_fall.py``). ``"main-eager"`` is the same clock evaluating every edge (A/B
measurement, debugging). Where the executable has no such main (Icarus) or the signal is not the
top's ``clk``, ``"main"`` falls back to the GPI clock below. ``IMA_CLOCK=<impl>`` overrides the
default for every testbench of a process tree (:func:`clock_impl`).

Before that, and still selectable: cocotb's C++ GPI clock, not its Python coroutine clock.

cocotb 2 picks the Python implementation of :class:`cocotb.clock.Clock` unless
``COCOTB_TRUST_INERTIAL_WRITES`` is set: a coroutine that resumes twice per cycle and writes
``clk`` through a scheduled write (a ReadWrite callback per edge), plus the garbage collection
its allocations trigger. On the bare 16/16 cluster model that was about half of the process's
CPU time per cycle (docs/speed-plan.md, "Step 3"). The GPI clock toggles ``clk`` from a C++
timed callback: no Python between the edges.

It writes ``clk`` with ``Immediate`` (``vpiNoDelay``), not cocotb's default ``Deposit``: on
Verilator a deposit is an inertial put, applied only after a first ``eval()`` of the time step,
so every edge cost two full evaluations of the model instead of one (measured: the bare 16/16
model at 0.5x its C++-clocked speed with ``Deposit``, 0.9x with ``Immediate``).

The edges fall on the same times either way; what moves is *where* in a time step the edge is
applied: the GPI clock applies it in its timed callback, the Python clock in the ReadWrite phase
together with any write a coroutine scheduled in the same time step. The two can only differ for
a write scheduled by a coroutine woken at an edge's time *by a timer* (after an edge trigger,
both apply the write after the edge). The cluster testbench never does that: every timed wait
ends at a falling edge's time (:func:`tb.bfm.core.wait_cycles`), and the reference set
(``tests/tb/cli/test_refset.py``, ``python -m tb.cli.refset --check``) and the cluster tests check
that every figure is unchanged. Of the block testbenches only the register fuzzer waits on a timer
that can end at a rising edge's time (``_wait_event``, a timeout); it still wakes before that
edge, as with the Python clock: Verilator runs the timed callbacks of one time in the order they
were registered, and the GPI clock registers each edge's callback half a period before it, after
the fuzzer's timer (started at least a period earlier). Checked: the block tests' exact-cycle
assertions pass unchanged, and 1,000 fuzzer configurations per target (seed 4242) give the same
counts on both clocks.
"""

import ctypes
import os

import cocotb
from cocotb.clock import Clock
from cocotb.handle import Deposit, Immediate
from cocotb.triggers import Event
from cocotb.utils import get_sim_steps

__all__ = ["CLK_PERIOD_NS", "CLOCK_IMPL", "CLOCK_IMPLS", "CLOCK_ENV", "clock_impl", "main_exports",
           "main_clock_stats", "start_clock"]

#: The testbenches' clock period (250 MHz): the cluster's and every block test's (tb.env.ima, dwa,
#: tcdm, the register fuzzer). Only cycles matter to the checks; the period sets simulated time.
CLK_PERIOD_NS = 4
#: The clock implementations: ``"main"`` (the Verilator main's clock, lazy falling edges),
#: ``"main-eager"`` (the same, every edge evaluated), cocotb's ``"gpi"`` (C++, timed callbacks)
#: and ``"py"`` (a coroutine).
CLOCK_IMPLS = ("main", "main-eager", "gpi", "py")
#: The implementation every testbench uses (the cluster and the block tests: tb.env.ima, dwa, tcdm,
#: the register fuzzer), unless :data:`CLOCK_ENV` names another.
CLOCK_IMPL = "main"
#: The environment variable that overrides :data:`CLOCK_IMPL` (e.g. ``IMA_CLOCK=gpi`` for the
#: behaviour before the main's clock; it reaches the simulator through the environment).
CLOCK_ENV = "IMA_CLOCK"

_main = {}


def clock_impl(impl=None):
    """The implementation to use: ``impl``, else ``$IMA_CLOCK`` if set, else :data:`CLOCK_IMPL`.
    Raises ``ValueError`` naming a bad ``impl`` or a bad ``IMA_CLOCK``."""
    if impl is None:
        env = os.environ.get(CLOCK_ENV, "")
        if env and env not in CLOCK_IMPLS:
            raise ValueError(f"{CLOCK_ENV} must be one of {', '.join(CLOCK_IMPLS)}, not {env!r}")
        impl = env or CLOCK_IMPL
    if impl not in CLOCK_IMPLS:
        raise ValueError(f"impl must be one of {', '.join(CLOCK_IMPLS)}, not {impl!r}")
    return impl


def main_exports():
    """The project Verilator main's exported functions in this process (``ctypes``; names as in
    ``tb.build.runner.MAIN_EXPORTS`` without the ``ima_clock_`` prefix), or ``None`` (not a
    simulator built with it: Icarus, a plain Python process)."""
    if "f" not in _main:
        lib = ctypes.CDLL(None)
        try:
            f = {"start": lib.ima_clock_start, "stop": lib.ima_clock_stop,
                 "eval_needed": lib.ima_clock_eval_needed, "why": lib.ima_clock_why,
                 "stats": lib.ima_clock_stats}
        except AttributeError:
            f = None
        else:
            f["start"].argtypes = [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int]
            f["start"].restype = ctypes.c_int
            f["stop"].restype = ctypes.c_int
            f["eval_needed"].restype = None
            f["why"].restype = ctypes.c_char_p
            f["stats"].argtypes = [ctypes.POINTER(ctypes.c_uint64 * 3)]
            f["stats"].restype = None
        _main["f"] = f
    return _main["f"]


def main_clock_stats():
    """``{"edges", "evals", "skipped"}`` of the main's clock since the simulation started
    (clock edges it made, ``eval()`` calls, falling edges whose ``eval()`` it skipped), or
    ``None`` without the main."""
    f = main_exports()
    if f is None:
        return None
    out = (ctypes.c_uint64 * 3)()
    f["stats"](ctypes.byref(out))
    return dict(zip(("edges", "evals", "skipped"), out, strict=True))


_START_ERRORS = {1: "already running", 2: "bad period", 3: "the model has no 1-bit input clk",
                 5: "the signal is not the top's clk", 6: "a VPI call failed"}


def _start_main(f, signal, period_ns, lazy):
    steps = get_sim_steps(period_ns, "ns")
    if steps % 2:
        raise ValueError(f"period_ns must be an even number of simulator steps, not {period_ns!r}")
    signal.set(Immediate(1))                       # the GPI clock's first value, as it writes it
    rc = f["start"](steps, steps // 2, int(lazy))
    if rc == 4:
        raise RuntimeError("lazy falling edges are not safe on this model: "
                           f"{f['why']().decode()} (run with {CLOCK_ENV}=main-eager)")
    if rc:
        raise RuntimeError(f"the Verilator main's clock did not start: {_START_ERRORS.get(rc, rc)}")

    async def drive():
        try:
            await Event().wait()                   # forever, until the task is cancelled
        finally:
            f["stop"]()
    return cocotb.start_soon(drive())


def start_clock(signal, period_ns=CLK_PERIOD_NS, *, impl=None):
    """Start a 50 % duty-cycle clock of ``period_ns`` on ``signal`` (high first, as cocotb's
    default); ``impl`` one of :data:`CLOCK_IMPLS`, default :func:`clock_impl` (the main's clock;
    the GPI clock writes ``Immediate``, the Python one cocotb's default ``Deposit``, as before).
    Returns the clock's task (cancelling it stops the clock). Raises ``ValueError`` naming a bad
    ``impl``."""
    impl = clock_impl(impl)
    if impl in ("main", "main-eager"):
        f = main_exports()
        top = getattr(cocotb, "top", None)
        if f is not None and top is not None and signal._path == f"{top._path}.clk":
            return _start_main(f, signal, period_ns, lazy=impl == "main")
        impl = "gpi"
    return Clock(signal, period_ns, unit="ns", impl=impl,
                 set_action=Immediate if impl == "gpi" else Deposit).start()
