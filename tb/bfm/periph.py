"""Peripheral-bus master BFM (``hw.signatures.PeriphSignature``) and the event-line watcher.

:class:`PeriphMaster` drives one control port shared by several cores: a cocotb ``Lock``
serialises the coroutines (one access at a time, like the cluster's peripheral interconnect
would), each access carrying its core's ``id``. :class:`EventLines` watches the IMA's ``evt``
bus and counts one-cycle pulses per core, so a core that starts waiting late never misses its
end-of-job event.
"""

import logging
from typing import NamedTuple

from cocotb.triggers import Event, Lock, ReadOnly, RisingEdge, ValueChange

from tb.bfm.sig import port, reader
from tb.bfm.task import BackgroundTask

__all__ = ["PeriphMaster", "PeriphAccess", "EventLines"]


class PeriphAccess(NamedTuple):
    core: int
    addr: int
    we: bool
    data: int
    cycles: int     # request to response, in cycles


class PeriphMaster:
    """One control port; ``await read(addr, core)`` / ``await write(addr, data, core)``.

    ``r_valid`` must arrive exactly one cycle after the grant; anything else raises
    ``AssertionError`` (the protocol rule of ``hw/signatures.py``).
    """

    def __init__(self, dut, prefix="ctrl", clk=None):
        self.clk = clk if clk is not None else dut.clk
        self._h = {n: port(dut, prefix, n) for n in ("req", "addr", "we", "be", "wdata", "id")}
        self._gnt = reader(port(dut, prefix, "gnt"))
        self._r_valid = reader(port(dut, prefix, "r_valid"))
        self._r_data = reader(port(dut, prefix, "r_data"))
        self._lock = Lock()
        self._h["req"].value = 0
        self.log = logging.getLogger(f"cocotb.{dut._name}.{prefix}")
        self.history = []
        self.keep_history = False

    async def _access(self, addr, we, data, core, be=0xF):
        async with self._lock:
            await RisingEdge(self.clk)
            h = self._h
            h["addr"].value = addr
            h["we"].value = int(we)
            h["be"].value = be
            h["wdata"].value = data & 0xFFFFFFFF
            h["id"].value = core
            h["req"].value = 1
            cycles = 1
            await ReadOnly()
            while not self._gnt():
                await RisingEdge(self.clk)
                cycles += 1
                await ReadOnly()
            await RisingEdge(self.clk)
            h["req"].value = 0
            await ReadOnly()
            if not self._r_valid():
                raise AssertionError(f"peripheral bus: no r_valid one cycle after the grant of "
                                     f"{'write' if we else 'read'} @{addr:#x}")
            value = self._r_data()
            if self.keep_history:
                self.history.append(PeriphAccess(core, addr, we, data if we else value, cycles))
            return value

    async def read(self, addr, core=0):
        """Read a register; returns it as an unsigned 32-bit int."""
        return await self._access(addr, False, 0, core)

    async def read_signed(self, addr, core=0):
        v = await self.read(addr, core)
        return v - (1 << 32) if v >> 31 else v

    async def write(self, addr, data, core=0, be=0xF):
        await self._access(addr, True, data, core, be)


class EventLines(BackgroundTask):
    """Counts end-of-job pulses per core on an ``evt`` bus; ``await wait(core)`` consumes one."""

    def __init__(self, dut, name, n_cores):
        self.clk = dut.clk
        self._sig = dut[name]
        self._get = reader(self._sig)
        self.n_cores = n_cores
        self.pending = [0] * n_cores
        self.total = [0] * n_cores
        self._events = [Event() for _ in range(n_cores)]

    async def _run(self):
        while True:
            await ValueChange(self._sig)
            await ReadOnly()
            v = self._get()
            for c in range(self.n_cores):
                if v >> c & 1:
                    self.pending[c] += 1
                    self.total[c] += 1
                    self._events[c].set()
            await RisingEdge(self.clk)

    async def wait(self, core, timeout_cycles=None):
        """Wait for (and consume) one event of ``core``."""
        while self.pending[core] == 0:
            self._events[core].clear()
            if timeout_cycles is None:
                await self._events[core].wait()
            else:
                from cocotb.triggers import ClockCycles, First
                ev = self._events[core].wait()
                await First(ev, ClockCycles(self.clk, timeout_cycles))
                if self.pending[core] == 0:
                    raise TimeoutError(f"core {core}: no end-of-job event within "
                                       f"{timeout_cycles} cycles")
        self.pending[core] -= 1
