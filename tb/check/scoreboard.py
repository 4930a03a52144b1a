"""Reference memory (storage only) and the checker that compares every TCDM read with it.

:class:`MemoryModel` knows nothing about buses: a little-endian byte array with word and block
accessors. :class:`TcdmScoreboard` is a monitor callback: it applies every write (with its byte
enables) to the model and compares every read with the model, in grant order.
"""

import logging

import numpy as np

__all__ = ["MemoryModel", "TcdmScoreboard"]


class MemoryModel:
    """``size`` bytes of little-endian memory starting at ``base``; addresses wrap modulo size."""

    def __init__(self, size, base=0):
        if size <= 0 or size % 4:
            raise ValueError(f"size must be a positive multiple of 4, not {size!r}")
        self.size = size
        self.base = base
        self.mem = np.zeros(size, dtype=np.uint8)
        self._words = self.mem.view("<u4")

    def _off(self, addr):
        return (addr - self.base) % self.size

    def read_word(self, addr):
        return int(self._words[self._off(addr) >> 2])

    def write_word(self, addr, data, be=0xF):
        i = self._off(addr) >> 2
        if be == 0xF:
            self._words[i] = data & 0xFFFFFFFF
            return
        old = int(self._words[i])
        mask = 0
        for b in range(4):
            if be >> b & 1:
                mask |= 0xFF << (8 * b)
        self._words[i] = (old & ~mask | data & mask) & 0xFFFFFFFF

    def write(self, addr, data):
        off = self._off(addr)
        data = np.frombuffer(bytes(data), dtype=np.uint8)
        if off + len(data) > self.size:
            raise ValueError(f"write of {len(data)} bytes at {addr:#x} runs past the end")
        self.mem[off:off + len(data)] = data

    def read(self, addr, n):
        off = self._off(addr)
        if off + n > self.size:
            raise ValueError(f"read of {n} bytes at {addr:#x} runs past the end")
        return self.mem[off:off + n].tobytes()


class TcdmScoreboard:
    """Check TCDM transactions against a :class:`MemoryModel`; use as a monitor callback.

    Mismatches are logged and collected in :attr:`errors`; with ``fail_fast`` (default) the first
    one also raises ``AssertionError`` (from the monitor coroutine: the test fails there).
    """

    def __init__(self, model, *, fail_fast=True, name="scoreboard"):
        self.model = model
        self.fail_fast = fail_fast
        self.log = logging.getLogger(f"cocotb.{name}")
        self.reads = 0
        self.writes = 0
        self.errors = []

    def __call__(self, txn):
        if txn.we:
            self.model.write_word(txn.addr, txn.wdata, txn.be)
            self.writes += 1
            return
        self.reads += 1
        want = self.model.read_word(txn.addr)
        if txn.rdata != want:
            msg = (f"{txn.port}: read {txn.addr:#010x} (granted cycle {txn.grant_cycle}) gave "
                   f"{txn.rdata:#010x}, expected {want:#010x}")
            self.errors.append(msg)
            self.log.error(msg)
            if self.fail_fast:
                raise AssertionError(msg)

    def check(self):
        assert not self.errors, f"{len(self.errors)} read mismatches, first: {self.errors[0]}"
