"""The testbenches' clock: cocotb's C++ GPI clock, not its Python coroutine clock (issue 15); the
cluster's (tb.env.cluster) and the block tests' (tb.env.ima, dwa, tcdm, the register fuzzer).

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

from cocotb.clock import Clock
from cocotb.handle import Deposit, Immediate

__all__ = ["CLK_PERIOD_NS", "CLOCK_IMPL", "CLOCK_IMPLS", "start_clock"]

#: The testbenches' clock period (250 MHz): the cluster's and every block test's (tb.env.ima, dwa,
#: tcdm, the register fuzzer). Only cycles matter to the checks; the period sets simulated time.
CLK_PERIOD_NS = 4
#: cocotb's two clock implementations: ``"gpi"`` (C++, timed callbacks) and ``"py"`` (a coroutine).
CLOCK_IMPLS = ("gpi", "py")
#: The implementation every testbench uses (the cluster and the block tests: tb.env.ima, dwa, tcdm,
#: the register fuzzer).
CLOCK_IMPL = "gpi"


def start_clock(signal, period_ns=CLK_PERIOD_NS, *, impl=None):
    """Start a 50 % duty-cycle clock of ``period_ns`` on ``signal`` (high first, as cocotb's
    default); ``impl`` one of :data:`CLOCK_IMPLS`, default :data:`CLOCK_IMPL` (the GPI clock
    writes ``Immediate``, the Python one cocotb's default ``Deposit``, as before). Returns the
    clock's task. Raises ``ValueError`` naming a bad ``impl``."""
    impl = CLOCK_IMPL if impl is None else impl
    if impl not in CLOCK_IMPLS:
        raise ValueError(f"impl must be one of {', '.join(CLOCK_IMPLS)}, not {impl!r}")
    return Clock(signal, period_ns, unit="ns", impl=impl,
                 set_action=Immediate if impl == "gpi" else Deposit).start()
