"""Protocol monitors of TCDM ports (rules in :mod:`hw.signatures`): :class:`TcdmProtocolMonitor`
watches one port every cycle and is also the transaction source of the scoreboard;
:class:`TcdmPortsMonitor` checks the same rules on a group of ports in one coroutine that sleeps
while they are quiet (the cheap form for long system runs).

Every cycle (``await RisingEdge(clk); await ReadOnly()``) it checks:

1. ``gnt`` never without ``req``;
2. ``r_valid`` exactly one cycle after a granted read (and after a granted write when
   ``write_response=True``, which is what our interconnect does), never otherwise;
3. ``addr``, ``we``, ``be`` and (for writes) ``wdata`` stable while ``req & ~gnt`` persists;
4. no X/Z on the control lines, on ``addr``/``we``/``be``/``wdata`` while requesting, on
   ``r_data`` with ``r_valid`` (Verilator is 2-state, so this asserts something only under a
   4-state simulator, Icarus: :func:`tb.bfm.sig.four_state`; ``check_xz=False`` skips it).

:class:`OutputXzMonitor` checks a block's other outputs the same way under a 4-state simulator:
control and event lines every cycle from reset on, payloads while their valid line is 1.

A rule break is logged, appended to :attr:`errors` and raised as :class:`TcdmProtocolError` from
the monitor's coroutine, which fails the running cocotb test.

Each completed access is emitted once, at its response, as a :class:`TcdmTransaction` to every
callback (``add_callback``). Transactions of one cycle's grants are emitted before any of the
next cycle's, i.e. in grant order across ports, which is what a reference memory needs.
"""

import logging
from typing import NamedTuple

from cocotb.triggers import First, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from tb.bfm.sig import has_xz, port, reader, xz_reader
from tb.bfm.task import BackgroundTask
from tb.bfm.tcdm import TcdmProtocolError

__all__ = ["TcdmTransaction", "TcdmProtocolMonitor", "TcdmPortsMonitor", "OutputXzMonitor",
           "XzError", "ANALOG_QUALIFIED", "PERIPH_QUALIFIED", "prefixed"]


class TcdmTransaction(NamedTuple):
    port: str
    grant_cycle: int
    addr: int
    we: bool
    be: int
    wdata: int
    rdata: int      # read data (reads); r_data as seen (writes, meaningless)
    wait: int       # stall cycles before the grant


class TcdmProtocolMonitor(BackgroundTask):
    """Watch TCDM port ``<prefix>__*`` of ``dut``.

    Attributes
    ----------
    cycle : int           cycles observed
    granted, stalled : int   same definitions as the RTL counters
    max_wait : int        longest stall run (req & ~gnt cycles) before a grant
    transactions : int    accesses completed
    errors : list[str]
    """

    def __init__(self, dut, prefix, clk=None, *, callback=None, write_response=True,
                 check_xz=True, start=True):
        self.dut = dut
        self.prefix = prefix
        self.clk = clk if clk is not None else dut.clk
        self.log = logging.getLogger(f"cocotb.{dut._name}.{prefix}.mon")
        self.write_response = write_response
        self.check_xz = check_xz
        self._h = {n: port(dut, prefix, n) for n in
                   ("req", "gnt", "addr", "we", "be", "wdata", "r_valid", "r_data")}
        self._rd = {n: reader(h) for n, h in self._h.items()}
        self._callbacks = [callback] if callback else []
        self.cycle = 0
        self.granted = 0
        self.stalled = 0
        self.max_wait = 0
        self.transactions = 0
        self.errors = []
        self._pending = None      # granted last cycle: (cycle, addr, we, be, wdata, wait)
        self._stalled_req = None  # fields of a request stalled last cycle
        self._wait = 0
        self._r_req, self._r_gnt, self._r_rv = self._rd["req"], self._rd["gnt"], self._rd["r_valid"]
        if start:
            self.start()

    def add_callback(self, callback):
        self._callbacks.append(callback)

    def _fail(self, msg):
        msg = f"{self.prefix} cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        self.log.error(msg)
        raise TcdmProtocolError(msg)

    def _xz(self, *names):
        bad = [n for n in names if has_xz(self._h[n])]
        if bad:
            self._fail(f"X/Z on {', '.join(bad)}")

    # ------------------------------------------------------------------ one cycle
    def step(self):
        """Check and account one cycle; call it once per cycle while the signals hold that cycle's
        settled values (in ``ReadOnly``, or at the next rising edge before it is evaluated).

        Returns False when the port is quiet: no request, grant or response this cycle and none
        due next cycle (it may then be skipped until one of ``req``, ``gnt``, ``r_valid``
        changes; see :class:`TcdmPortsMonitor`)."""
        rd = self._rd
        if self.check_xz:
            self._xz("req", "gnt", "r_valid")
        req, gnt, rv = self._r_req(), self._r_gnt(), self._r_rv()
        if not (req or gnt or rv) and self._pending is None:     # idle: nothing to check
            self._stalled_req = None
            self._wait = 0
            return False
        if gnt and not req:
            self._fail("gnt without req")
        pending = self._pending
        expect_rv = pending is not None and (self.write_response or not pending[2])
        if rv and not expect_rv:
            self._fail("r_valid without a granted access one cycle before")
        if expect_rv and not rv:
            self._fail(f"missing r_valid one cycle after the grant at cycle {pending[0]}")
        if pending is not None:
            c, addr, we, be, wdata, w = pending
            if rv:
                if self.check_xz and not we:
                    self._xz("r_data")
                txn = TcdmTransaction(self.prefix, c, addr, bool(we), be, wdata, rd["r_data"](), w)
            else:                       # write without response
                txn = TcdmTransaction(self.prefix, c, addr, True, be, wdata, 0, w)
            self.transactions += 1
            for cb in self._callbacks:
                cb(txn)
        self._pending = None
        if req:
            if self.check_xz:
                self._xz("addr", "we", "be", "wdata")
            fields = (rd["addr"](), rd["we"](), rd["be"](), rd["wdata"]())
            old = self._stalled_req
            if old is not None and (fields[:3] != old[:3] or (old[1] and fields[3] != old[3])):
                self._fail(f"request changed while stalled: addr/we/be/wdata "
                           f"{tuple(hex(v) for v in old)} -> {tuple(hex(v) for v in fields)}")
            if gnt:
                self.granted += 1
                self.max_wait = max(self.max_wait, self._wait)
                self._pending = (self.cycle, *fields, self._wait)
                self._stalled_req = None
                self._wait = 0
            else:
                self.stalled += 1
                self._wait += 1
                self._stalled_req = fields
        else:
            self._stalled_req = None
            self._wait = 0
        return True

    async def _run(self):
        clk = self.clk
        while True:
            await RisingEdge(clk)
            await ReadOnly()
            self.cycle += 1
            self.step()


class TcdmPortsMonitor(BackgroundTask):
    """The rules of :class:`TcdmProtocolMonitor` on several ports of ``dut`` in one coroutine
    that samples once per cycle and sleeps while every port is quiet.

    Watching every cycle with one :class:`TcdmProtocolMonitor` per port costs two scheduler
    wake-ups per port and cycle (``RisingEdge`` + ``ReadOnly``): on the cluster's bottleneck run,
    eight IMA ports halved the simulation speed. Here one coroutine samples all ports at each
    rising edge, where every signal still holds the settled value of the cycle that just ended
    (cocotb shows pre-edge values there; writes made at the edge are applied after it), and
    when all ports have been quiet (no request, grant or response, none due) for
    ``idle_after`` cycles it waits for a value change on any ``req``, ``gnt`` or ``r_valid``
    instead (a sleep costs about as much as a few tens of sampled cycles, hence the hysteresis
    over the short gaps between an IMA job's phases). Nothing can be missed: every rule
    concerns a cycle where one of those lines is 1, or the cycle after a grant, which is never
    skipped. ``cycle`` counts clock periods of ``period_ns`` (from the simulation time).

    The per-port checkers are :class:`TcdmProtocolMonitor` objects that are never started; the
    hot loop reads their state directly (same module) to skip idle ports without a call.

    Attributes
    ----------
    ports : list[TcdmProtocolMonitor]   one checker per port (``granted``, ``stalled``, ...)
    errors : list[str]                   every rule break of every port
    active_cycles : int                  cycles sampled (the rest were skipped as quiet)
    sleeps : int                         times it went to sleep
    """

    def __init__(self, dut, prefixes, clk=None, *, period_ns, idle_after=32, write_response=True,
                 check_xz=False, start=True):
        if not isinstance(idle_after, int) or idle_after < 1:
            raise ValueError(f"idle_after must be a positive integer, not {idle_after!r}")
        self.clk = clk if clk is not None else dut.clk
        self.period_ns = period_ns
        self.idle_after = idle_after
        self.ports = [TcdmProtocolMonitor(dut, p, self.clk, write_response=write_response,
                                          check_xz=check_xz, start=False) for p in prefixes]
        self._wake = [m._h[n] for m in self.ports for n in ("req", "gnt", "r_valid")]
        self.active_cycles = 0
        self.sleeps = 0
        if start:
            self.start()

    @property
    def errors(self):
        return [e for m in self.ports for e in m.errors]

    async def _run(self):
        ports = self.ports
        # With X/Z checks every port is stepped every sampled cycle: the idle shortcut reads the
        # lines as integers, where an X on req reads 0.
        shortcut = not any(m.check_xz for m in ports)
        edge = RisingEdge(self.clk)
        wake = [h.value_change for h in self._wake]
        await edge
        cycle = int(get_sim_time("ns") // self.period_ns) - 1
        quiet = 0
        while True:
            # at a rising edge, before it is evaluated: the signals show the cycle ending here
            quiet += 1
            for m in ports:
                if shortcut and m._pending is None and not (m._r_req() or m._r_gnt() or m._r_rv()):
                    m._stalled_req = None           # idle port: step() would only do this
                    m._wait = 0
                    continue
                m.cycle = cycle
                if m.step():
                    quiet = 0
            self.active_cycles += 1
            if quiet < self.idle_after:
                await edge
                cycle += 1
            else:
                quiet = 0
                self.sleeps += 1
                # all quiet: sleep until a control line moves (from the cycle starting at this
                # edge on), then sample that cycle at its end
                await First(*wake)
                await edge
                cycle = int(get_sim_time("ns") // self.period_ns) - 1


class XzError(AssertionError):
    """An output held X or Z where :class:`OutputXzMonitor` requires a known value."""


#: Payload outputs of the analog-core boundary (:class:`hw.ima.analog.AnalogCoreSignature`, as
#: ``<prefix>__<name>``) and the line that qualifies each group: they matter only while it is 1.
#: Names a configuration does not have (``array`` with one array) are left out.
ANALOG_QUALIFIED = {
    "start": ("row", "col", "height", "width", "dac", "adc_m", "adc_s", "adc_lo", "adc_hi",
              "array"),
    "prog_valid": ("prog_row", "prog_col", "prog_weights", "prog_count", "prog_array"),
    "rd_start": ("rd_row", "rd_col", "rd_array"),
}
#: The response of a peripheral (or TCDM) target port: ``r_data`` matters only with ``r_valid``.
PERIPH_QUALIFIED = {"r_valid": ("r_data",)}


def prefixed(prefix, table):
    """``table`` (``{qualifier: payloads}``) with every name as ``<prefix>__<name>``."""
    return {f"{prefix}__{q}": tuple(f"{prefix}__{n}" for n in ps) for q, ps in table.items()}


class OutputXzMonitor(BackgroundTask):
    """No X/Z on the outputs ``always`` in any cycle, nor on a payload of ``qualified`` in a cycle
    where its qualifier is 1, from the first cycle after reset on (start it when reset drops).

    Verilator is 2-state and reads X as 0, so this says something only under a 4-state
    simulator (Icarus): there an input the testbench leaves undriven reads Z, a register or
    memory never written reads X, and either must never reach a control line, an event or a
    valid payload. Samples every cycle after ``ReadOnly``.

    Parameters
    ----------
    dut : the cocotb top handle
    always : iterable of str
        Output names checked every cycle (control lines, events, statistics).
    qualified : mapping of str to iterable of str
        ``{qualifier: payloads}``: each payload is checked while its qualifier reads 1 (the
        qualifier itself belongs in ``always``).
    optional : bool
        Leave out names the top does not have (configuration-dependent ports) instead of failing.
    raise_errors : bool
        Raise :class:`XzError` from the monitor's coroutine (fails the running test) at the
        first break (default); else only record it in :attr:`errors` (a test that injects an X
        on purpose and checks the report).

    Attributes
    ----------
    cycle : int       cycles checked
    errors : list[str]
    """

    def __init__(self, dut, always, qualified=None, *, clk=None, optional=True, raise_errors=True,
                 start=True):
        self.dut = dut
        self.clk = clk if clk is not None else dut.clk
        self.log = logging.getLogger(f"cocotb.{dut._name}.xz")
        self.raise_errors = raise_errors
        self.cycle = 0
        self.errors = []

        def handle(name):
            try:
                return dut[name]
            except (KeyError, AttributeError):
                if optional:
                    return None
                raise AttributeError(f"{dut._name} has no signal {name!r}") from None

        self._always = [(n, xz_reader(h)) for n in always if (h := handle(n)) is not None]
        self._qualified = []
        for q, payloads in (qualified or {}).items():
            hq = handle(q)
            checks = [(n, xz_reader(h)) for n in payloads if (h := handle(n)) is not None]
            if hq is not None and checks:
                self._qualified.append((reader(hq), checks))
        if not self._always and not self._qualified:
            raise ValueError("always/qualified: none of the named outputs exists on the top")
        if start:
            self.start()

    @property
    def watched(self):
        """Number of outputs watched (always + qualified payloads)."""
        return len(self._always) + sum(len(c) for _, c in self._qualified)

    def step(self):
        """Check the current (settled) values; returns the names holding X/Z (and records /
        raises a break)."""
        bad = [n for n, xz in self._always if xz()]
        for q, checks in self._qualified:
            if q():
                bad += [n for n, xz in checks if xz()]
        if bad:
            msg = f"cycle {self.cycle}: X/Z on {', '.join(bad)}"
            self.errors.append(msg)
            self.log.error(msg)
            if self.raise_errors:
                raise XzError(msg)
        return bad

    async def _run(self):
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            self.cycle += 1
            self.step()
