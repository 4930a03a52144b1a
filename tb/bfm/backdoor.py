"""Backdoor access to the TCDM bank memories of a Verilated model (preload / readback).

The banks are ``<tcdm>.bank<b>`` arrays (see :mod:`hw.cluster.tcdm`); byte address ``a`` lives in
bank ``(a >> 2) % B`` at row ``(a >> 2) // B``.

Speed: cocotb's ``mem[i].value = v`` costs about 7 us per word (a handle object per word plus a
scheduled write); 512 KiB would take about a second. :class:`TcdmBackdoor` instead moves each
bank's part of a block with one ``vpi_put_value_array`` / ``vpi_get_value_array`` call
(:mod:`tb.bfm.vpi_array`): 512 KiB in a few milliseconds. If those are unavailable it falls back to
per-word GPI handles (cached; ~6 us per word the first time, ~0.7 us after).

Rules: writes are immediate, so call between clock edges (not in ReadOnly), and only after
simulation time has advanced at least once (Verilator runs Amaranth's zeroing ``initial`` blocks
at the first evaluation, which would wipe an earlier preload): :meth:`load` raises otherwise.
Under a 4-state simulator it also raises in a ReadOnly phase, where Icarus drops the write
(printing only "VPI error: attempted to put a value ... during a read-only synch callback";
Verilator applies it): ``await writable()`` first, which leaves a ReadOnly phase without
losing a cycle.
"""

import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import NextTimeStep, ReadOnly

from tb.bfm.sig import four_state
from tb.bfm.vpi_array import open_array

__all__ = ["TcdmBackdoor", "in_read_only", "open_memories", "writable"]


def in_read_only():
    """True while the simulation is in a ReadOnly phase (no writes allowed: cocotb's own rule)."""
    from cocotb._gpi_triggers import current_gpi_trigger
    return isinstance(current_gpi_trigger(), ReadOnly)


async def writable():
    """Leave a ReadOnly phase, if in one, for the next time step (the clock's next edge of
    either kind, so no rising edge is skipped); return at once otherwise."""
    if in_read_only():
        await NextTimeStep()

_NO_DELAY = 3  # cocotb.handle._GPISetAction.NO_DELAY (vpiNoDelay): written at once


class _GpiBank:
    """Per-word fallback over cocotb's GPI handles."""

    def __init__(self, raw, depth, width=32):
        self._raw = raw
        self._cache = {}
        self.depth = depth
        self.mask = (1 << width) - 1

    def _h(self, i):
        h = self._cache.get(i)
        if h is None:
            h = self._cache[i] = self._raw.get_handle_by_index(i)
        return h

    def get(self, index, n):
        return np.array([self._h(i).get_signal_val_long() & self.mask
                         for i in range(index, index + n)], dtype=np.uint32)

    def put(self, index, words):
        for k, v in enumerate(words.tolist()):
            self._h(index + k).set_signal_val_int(_NO_DELAY, v)


class _ArrayBank:
    """Bulk access; ``reversed_`` compensates Verilator mapping array-call indices from the
    declared left bound (Amaranth declares ``[depth-1:0]``), found by a probe at start-up."""

    def __init__(self, arr, depth, reversed_):
        self._a = arr
        self.depth = depth
        self._rev = reversed_

    def get(self, index, n):
        if self._rev:
            raw = np.frombuffer(self._a.get(self.depth - index - n, n), dtype="<u4")
            return raw[::-1].copy()
        return np.frombuffer(self._a.get(index, n), dtype="<u4").copy()

    def put(self, index, words):
        if self._rev:
            self._a.put(self.depth - index - len(words), words, reverse=True)
        else:
            self._a.put(index, words)


def _probe(arr, gpi):
    """True if ``vpi_put_value_array``'s index 0 reaches the array's last word (see
    :class:`_ArrayBank`); the two probed words are restored."""
    d = gpi.depth
    saved = gpi.get(0, 1), gpi.get(d - 1, 1)
    value = 0xA5C3_5A3C & gpi.mask
    arr.put(0, np.array([value], dtype=np.uint32))
    at0, atlast = int(gpi.get(0, 1)[0]), int(gpi.get(d - 1, 1)[0])
    gpi.put(0, saved[0])
    gpi.put(d - 1, saved[1])
    if at0 == value and atlast != value:
        return False
    if atlast == value:
        return True
    raise RuntimeError("vpi_put_value_array probe wrote neither end of the array")


def open_memories(handles, depth, *, bulk=True):
    """Word access to Verilog arrays of the same depth (cocotb handles): ``(accessors, method)`` with
    one accessor per handle offering ``get(index, n)`` -> uint32 array and ``put(index, words)``;
    ``method`` is ``"vpi_array"`` (one C call per block, :mod:`tb.bfm.vpi_array`) or
    ``"gpi_per_word"`` (the fallback). Call after simulation time has advanced (see the module
    note)."""
    gpi = [_GpiBank(h._handle, depth, len(h[0])) for h in handles]
    arrays = [open_array(h._path, depth) for h in handles] if bulk else [None]
    if all(a is not None for a in arrays) and depth > 1:
        rev = _probe(arrays[0], gpi[0])
        return [_ArrayBank(a, depth, rev) for a in arrays], "vpi_array"
    return gpi, "gpi_per_word"


class TcdmBackdoor:
    """Word/byte access to a TCDM's banks.

    Parameters
    ----------
    tcdm : cocotb hierarchy handle of the :class:`~hw.cluster.tcdm.Tcdm` instance
        (``dut.tcdm`` when the top is a ``TcdmSubsystem``).
    banks, size_bytes : int
        Geometry, as given to the RTL.
    bulk : bool
        Use the bulk VPI path when available (default True).

    Attributes
    ----------
    method : str
        ``"vpi_array"`` or ``"gpi_per_word"``.
    """

    def __init__(self, tcdm, banks, size_bytes, *, bulk=True):
        self.banks = banks
        self.size_bytes = size_bytes
        self.words_per_bank = depth = size_bytes // (4 * banks)
        self._banks, self.method = open_memories([tcdm[f"bank{b}"] for b in range(banks)], depth,
                                                 bulk=bulk)

    # -- words ---------------------------------------------------------------------------------
    def _range(self, addr, nwords):
        if addr % 4:
            raise ValueError(f"addr must be word aligned, not {addr:#x}")
        if addr < 0 or addr + 4 * nwords > self.size_bytes:
            raise ValueError(f"{4 * nwords} bytes at {addr:#x} do not fit the "
                             f"{self.size_bytes}-byte TCDM")
        w0 = addr >> 2
        r0 = w0 // self.banks
        r1 = (w0 + nwords - 1) // self.banks + 1
        return w0, r0, r1

    def _get_rows(self, r0, r1):
        block = np.empty((r1 - r0, self.banks), dtype=np.uint32)
        for b, bank in enumerate(self._banks):
            block[:, b] = bank.get(r0, r1 - r0)
        return block

    def read_words(self, addr, count):
        """``count`` 32-bit words from word-aligned byte ``addr`` (numpy uint32 array)."""
        if count == 0:
            return np.zeros(0, dtype=np.uint32)
        w0, r0, r1 = self._range(addr, count)
        off = w0 - r0 * self.banks
        return self._get_rows(r0, r1).reshape(-1)[off:off + count].copy()

    def write_words(self, addr, words):
        """Write 32-bit ``words`` from word-aligned byte ``addr``."""
        words = np.asarray(words, dtype=np.uint32).reshape(-1)
        if not len(words):
            return
        if get_sim_time() == 0:
            raise RuntimeError("TCDM backdoor write at time 0 would be wiped by the memories' "
                               "initial blocks: advance time first (e.g. await Timer(1, 'ns'))")
        if four_state() and in_read_only():
            raise RuntimeError("TCDM backdoor write in a ReadOnly phase: Icarus would drop it "
                               "(await tb.bfm.backdoor.writable() first)")
        w0, r0, r1 = self._range(addr, len(words))
        off = w0 - r0 * self.banks
        if off == 0 and len(words) == (r1 - r0) * self.banks:
            block = words.reshape(r1 - r0, self.banks)
        else:  # partial first/last rows: read-modify-write
            block = self._get_rows(r0, r1)
            block.reshape(-1)[off:off + len(words)] = words
        for b, bank in enumerate(self._banks):
            bank.put(r0, np.ascontiguousarray(block[:, b]))

    # -- bytes ---------------------------------------------------------------------------------
    def load(self, addr, data):
        """Preload ``data`` (bytes-like) at byte ``addr``; unaligned edges are read-modify-write."""
        data = bytes(data)
        if not data:
            return
        start, end = addr & ~3, (addr + len(data) + 3) & ~3
        if start == addr and end == addr + len(data):
            self.write_words(addr, np.frombuffer(data, dtype="<u4"))
            return
        buf = bytearray(self.read_words(start, (end - start) // 4).astype("<u4").tobytes())
        buf[addr - start:addr - start + len(data)] = data
        self.write_words(start, np.frombuffer(bytes(buf), dtype="<u4"))

    def dump(self, addr, n):
        """``n`` bytes from byte ``addr``."""
        if n == 0:
            return b""
        start, end = addr & ~3, (addr + n + 3) & ~3
        raw = self.read_words(start, (end - start) // 4).astype("<u4").tobytes()
        return raw[addr - start:addr - start + n]
