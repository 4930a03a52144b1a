"""Protocol monitor of one TCDM port (rules in :mod:`hw.signatures`); also the transaction source
of the scoreboard.

Every cycle (``await RisingEdge(clk); await ReadOnly()``) it checks:

1. ``gnt`` never without ``req``;
2. ``r_valid`` exactly one cycle after a granted read (and after a granted write when
   ``write_response=True``, which is what our interconnect does), never otherwise;
3. ``addr``, ``we``, ``be`` and (for writes) ``wdata`` stable while ``req & ~gnt`` persists;
4. no X/Z on the control lines, on ``addr``/``wdata`` while requesting, on ``r_data`` with
   ``r_valid`` (best effort: Verilator is 2-state; ``check_xz=False`` skips it for speed).

A rule break is logged, appended to :attr:`errors` and raised as :class:`TcdmProtocolError` from
the monitor's coroutine, which fails the running cocotb test.

Each completed access is emitted once, at its response, as a :class:`TcdmTransaction` to every
callback (``add_callback``). Transactions of one cycle's grants are emitted before any of the
next cycle's, i.e. in grant order across ports, which is what a reference memory needs.
"""

import logging
from typing import NamedTuple

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from tb.bfm.sig import has_xz, port, reader
from tb.bfm.tcdm import TcdmProtocolError

__all__ = ["TcdmTransaction", "TcdmProtocolMonitor"]


class TcdmTransaction(NamedTuple):
    port: str
    grant_cycle: int
    addr: int
    we: bool
    be: int
    wdata: int
    rdata: int      # read data (reads); r_data as seen (writes, meaningless)
    wait: int       # stall cycles before the grant


class TcdmProtocolMonitor:
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
        self._task = None
        if start:
            self.start()

    def add_callback(self, callback):
        self._callbacks.append(callback)

    def start(self):
        if self._task is None:
            self._task = cocotb.start_soon(self._run())
        return self

    def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _fail(self, msg):
        msg = f"{self.prefix} cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        self.log.error(msg)
        raise TcdmProtocolError(msg)

    def _xz(self, *names):
        bad = [n for n in names if has_xz(self._h[n])]
        if bad:
            self._fail(f"X/Z on {', '.join(bad)}")

    async def _run(self):
        rd = self._rd
        r_req, r_gnt, r_rv = rd["req"], rd["gnt"], rd["r_valid"]
        r_addr, r_we, r_be, r_wdata, r_rdata = (rd["addr"], rd["we"], rd["be"], rd["wdata"],
                                                rd["r_data"])
        pending = None       # granted last cycle: (cycle, addr, we, be, wdata, wait)
        stalled_req = None   # fields of a request stalled last cycle
        wait = 0
        clk = self.clk
        while True:
            await RisingEdge(clk)
            await ReadOnly()
            self.cycle += 1
            if self.check_xz:
                self._xz("req", "gnt", "r_valid")
            req, gnt, rv = r_req(), r_gnt(), r_rv()
            if gnt and not req:
                self._fail("gnt without req")
            expect_rv = pending is not None and (self.write_response or not pending[2])
            if rv and not expect_rv:
                self._fail("r_valid without a granted access one cycle before")
            if expect_rv and not rv:
                self._fail(f"missing r_valid one cycle after the grant at cycle {pending[0]}")
            if rv:
                if self.check_xz and not pending[2]:
                    self._xz("r_data")
                c, addr, we, be, wdata, w = pending
                txn = TcdmTransaction(self.prefix, c, addr, bool(we), be, wdata, r_rdata(), w)
                self.transactions += 1
                for cb in self._callbacks:
                    cb(txn)
            elif pending is not None:   # write without response
                c, addr, we, be, wdata, w = pending
                txn = TcdmTransaction(self.prefix, c, addr, True, be, wdata, 0, w)
                self.transactions += 1
                for cb in self._callbacks:
                    cb(txn)
            pending = None
            if req:
                if self.check_xz:
                    self._xz("addr", "we", "be", "wdata")
                fields = (r_addr(), r_we(), r_be(), r_wdata())
                if stalled_req is not None:
                    old = stalled_req
                    if fields[:3] != old[:3] or (old[1] and fields[3] != old[3]):
                        self._fail(f"request changed while stalled: addr/we/be/wdata "
                                   f"{tuple(hex(v) for v in old)} -> "
                                   f"{tuple(hex(v) for v in fields)}")
                if gnt:
                    self.granted += 1
                    self.max_wait = max(self.max_wait, wait)
                    pending = (self.cycle, *fields, wait)
                    stalled_req = None
                    wait = 0
                else:
                    self.stalled += 1
                    wait += 1
                    stalled_req = fields
            else:
                stalled_req = None
                wait = 0
