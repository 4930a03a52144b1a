"""TCDM master bus-functional model (HWPE-Mem protocol, ``hw.signatures.TcdmSignature``).

Shaped like cocotbext-axi's masters: the BFM owns its driver coroutine (:meth:`TcdmMaster.start`,
:meth:`TcdmMaster.stop`, cancel-safe), offers blocking ``await read(addr)`` /
``await write(addr, data, be)`` and non-blocking :meth:`init_read` / :meth:`init_write` returning a
:class:`TcdmHandle` (``await h.wait()`` or ``h.event``). Requests are pipelined: while granted, one
access is presented every cycle. An optional pause generator (an iterator of bools, one per cycle;
``True`` = do not start a new request this cycle) models a master that back-pressures itself.
A request, once presented, is never retracted (protocol rule 2).

Timing, per clock cycle::

    RisingEdge -> drive req/addr/we/be/wdata for this cycle -> ReadOnly -> sample gnt, r_valid, r_data

A read completes when ``r_valid`` arrives one cycle after its grant. A write completes on the same
response when ``write_response=True`` (our interconnect gives ``r_valid`` after writes too),
otherwise at its grant.
"""

import collections
import logging
from typing import NamedTuple

from cocotb.triggers import Event, ReadOnly, RisingEdge

from tb.bfm.sig import port, reader
from tb.bfm.task import BackgroundTask

__all__ = ["TcdmOp", "TcdmHandle", "TcdmMaster", "TcdmProtocolError"]


class TcdmProtocolError(AssertionError):
    pass


class TcdmOp(NamedTuple):
    """One access as issued; ``data`` is the write data (reads: 0)."""
    addr: int
    we: bool
    data: int = 0
    be: int = 0xF


class TcdmHandle:
    """A queued access. ``result`` is the read data (reads) or ``None`` (writes) once ``done``.

    ``issue_cycle``/``grant_cycle``/``done_cycle`` count the BFM's own active cycles; they are
    useful for latency statistics but are not absolute simulation cycles.
    """

    __slots__ = ("op", "event", "result", "issue_cycle", "grant_cycle", "done_cycle")

    def __init__(self, op):
        self.op = op
        self.event = Event()
        self.result = None
        self.issue_cycle = self.grant_cycle = self.done_cycle = None

    @property
    def done(self):
        return self.event.is_set()

    async def wait(self):
        await self.event.wait()
        return self.result

    def __repr__(self):
        return f"TcdmHandle({self.op}, result={self.result!r}, done={self.done})"


class TcdmMaster(BackgroundTask):
    """Drive one TCDM master port ``<prefix>__{req,addr,we,be,wdata}`` of ``dut``.

    Parameters
    ----------
    dut : cocotb handle of the top (or the hierarchy level holding the ports)
    prefix : str
        Port prefix, e.g. ``"masters__3"``.
    clk : handle, optional
        Clock (default ``dut.clk``).
    pause_generator : iterator of bool, optional
    write_response : bool
        Whether the slave answers writes with ``r_valid`` (default True).
    start : bool
        Start the driver coroutine now (default True).
    """

    def __init__(self, dut, prefix, clk=None, *, pause_generator=None, write_response=True,
                 start=True):
        self.dut = dut
        self.prefix = prefix
        self.clk = clk if clk is not None else dut.clk
        self.log = logging.getLogger(f"cocotb.{dut._name}.{prefix}")
        self.write_response = write_response
        self._req = port(dut, prefix, "req")
        self._addr = port(dut, prefix, "addr")
        self._we = port(dut, prefix, "we")
        self._be = port(dut, prefix, "be")
        self._wdata = port(dut, prefix, "wdata")
        self._gnt = reader(port(dut, prefix, "gnt"))
        self._r_valid = reader(port(dut, prefix, "r_valid"))
        self._r_data = reader(port(dut, prefix, "r_data"))
        self._queue = collections.deque()
        self._wake = Event()
        self._pause = None
        self._req_high = False
        self.cycle = 0                 # active cycles seen by the driver
        self.granted = 0
        self.stalled = 0
        self.set_pause_generator(pause_generator)
        self._req.value = 0
        if start:
            self.start()

    # -- control -------------------------------------------------------------------------------
    def stop(self):
        """Cancel the driver; pending handles stay incomplete. ``req`` is dropped."""
        super().stop()
        self._req.value = 0
        self._req_high = False

    def set_pause_generator(self, generator=None):
        self._pause = iter(generator) if generator is not None else None

    @property
    def idle(self):
        return not self._queue and not self._busy

    _busy = False

    async def wait_idle(self):
        while not self.idle:
            await RisingEdge(self.clk)

    # -- transactions --------------------------------------------------------------------------
    def init_read(self, addr):
        return self._submit(TcdmOp(addr, False, 0, 0xF))

    def init_write(self, addr, data, be=0xF):
        return self._submit(TcdmOp(addr, True, data & 0xFFFFFFFF, be & 0xF))

    async def read(self, addr):
        return await self.init_read(addr).wait()

    async def write(self, addr, data, be=0xF):
        await self.init_write(addr, data, be).wait()

    def _submit(self, op):
        h = TcdmHandle(op)
        self._queue.append(h)
        self._wake.set()
        return h

    # -- driver --------------------------------------------------------------------------------
    def _paused(self):
        if self._pause is None:
            return False
        try:
            return bool(next(self._pause))
        except StopIteration:
            self._pause = None
            return False

    async def _run(self):
        cur = None        # presented, not yet granted
        inflight = None   # granted last cycle, response due now
        queue = self._queue
        try:
            while True:
                await RisingEdge(self.clk)
                if cur is None and queue and not self._paused():
                    cur = queue.popleft()
                    cur.issue_cycle = self.cycle
                    op = cur.op
                    self._addr.value = op.addr
                    self._we.value = int(op.we)
                    self._be.value = op.be
                    self._wdata.value = op.data
                    if not self._req_high:
                        self._req.value = 1
                        self._req_high = True
                elif cur is None and self._req_high:
                    self._req.value = 0
                    self._req_high = False
                if cur is None and inflight is None and not queue:
                    self._busy = False
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                self._busy = True
                await ReadOnly()
                self.cycle += 1
                if inflight is not None:
                    if not self._r_valid():
                        raise TcdmProtocolError(
                            f"{self.prefix}: no r_valid one cycle after grant of {inflight.op}")
                    inflight.result = None if inflight.op.we else self._r_data()
                    inflight.done_cycle = self.cycle
                    inflight.event.set()
                    inflight = None
                if cur is not None:
                    if self._gnt():
                        self.granted += 1
                        cur.grant_cycle = self.cycle
                        if cur.op.we and not self.write_response:
                            cur.done_cycle = self.cycle
                            cur.event.set()
                        else:
                            inflight = cur
                        cur = None
                    else:
                        self.stalled += 1
        except BaseException:
            self._busy = False
            raise
