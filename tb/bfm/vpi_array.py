"""Bulk access to a Verilated unpacked array (a memory) through IEEE 1800 ``vpi_put_value_array``
/ ``vpi_get_value_array``: one C call moves a whole block of words.

Verilator implements both, but its simulation executable exports only the VPI functions cocotb's
library links against, so the two array functions are found in the executable's static symbol
table (``.symtab``; Verilator executables are not stripped) and called through :mod:`ctypes`.
:func:`open_array` returns ``None`` when anything is missing (not Verilator, stripped binary,
array not ``public_flat_rw``), and callers fall back to per-word GPI access.

Writes are immediate (they bypass the scheduler): use them between clock edges, never in ReadOnly.
Verilator's ``vpi_put_value_array`` does not mark the model as changed (``evalNeeded``), so each
put also tells the project's Verilator main (:func:`tb.bfm.clock.main_exports`) that the next
time step must be evaluated even if it is a falling edge it would otherwise skip.
Note that Verilator runs the design's ``initial`` blocks (Amaranth zero-initialises memories in
one) at the first evaluation, so a write before simulation time has advanced is lost.
"""

import ctypes
import os
import struct

import numpy as np

from tb.bfm.clock import main_exports

__all__ = ["VpiArray", "open_array"]

_VPI_INT_VAL = 6


class _ArrayValue(ctypes.Structure):
    _fields_ = [("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("value", ctypes.c_void_p)]


_funcs = None


def _static_symbols(names):
    """Absolute addresses of ``names`` in this process's executable (from ``.symtab``)."""
    exe = os.readlink("/proc/self/exe")
    with open(exe, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    e_type = struct.unpack_from("<H", data, 16)[0]
    e_shoff = struct.unpack_from("<Q", data, 0x28)[0]
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
                for i in range(e_shnum)]
    want = {n.encode(): n for n in names}
    found = {}
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        str_off = strtab[4]
        off, size, ent = sh[4], sh[5], sh[9] or 24
        for k in range(off, off + size, ent):
            st_name, _info, _other, _shndx, st_value, _size = struct.unpack_from("<IBBHQQ",
                                                                                  data, k)
            if not st_value:
                continue
            end = data.index(b"\0", str_off + st_name)
            nm = data[str_off + st_name:end]
            if nm in want:
                found[want[nm]] = st_value
    base = 0
    if e_type == 3:  # ET_DYN (PIE): add the load address
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and parts[5] == exe and int(parts[2], 16) == 0:
                    base = int(parts[0].split("-")[0], 16)
                    break
        if not base:
            return {}
    return {n: base + v for n, v in found.items()}


def _load():
    global _funcs
    if _funcs is not None:
        return _funcs or None
    _funcs = {}
    try:
        lib = ctypes.CDLL(None)
        by_name = lib.vpi_handle_by_name
        by_name.restype = ctypes.c_void_p
        by_name.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        addrs = _static_symbols(["vpi_put_value_array", "vpi_get_value_array"])
        proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_ArrayValue),
                                 ctypes.POINTER(ctypes.c_int32), ctypes.c_uint32)
        main = main_exports()
        _funcs = {
            "eval_needed": main["eval_needed"] if main else None,
            "by_name": by_name,
            "put": proto(addrs["vpi_put_value_array"]),
            "get": proto(addrs["vpi_get_value_array"]),
        }
    except (AttributeError, KeyError, OSError, ValueError):
        _funcs = {}
    return _funcs or None


class VpiArray:
    """Whole-block access to one array; indices are the Verilog indices."""

    def __init__(self, funcs, handle, depth):
        self._f = funcs
        self._h = handle
        self.depth = depth
        # the put's value descriptor and index, made once: the request engines put three blocks
        # per batch (tb.bfm.engine), so building ctypes objects per call showed in the profile
        self._put = funcs["put"]
        # ... and a staging block at a fixed address, which every put copies its words into:
        # cheaper than asking numpy for each block's address (``ndarray.ctypes`` ~2 us a call)
        self._stage = np.zeros(depth, dtype=np.uint32)
        self._av = _ArrayValue(_VPI_INT_VAL, 0, self._stage.ctypes.data)
        self._idx = ctypes.c_int32(0)
        self._av_ref, self._idx_ref = ctypes.byref(self._av), ctypes.byref(self._idx)
        self._eval_needed = funcs["eval_needed"]

    def put(self, index, words, *, reverse=False):
        """Write ``words`` (a numpy uint32 array; ``reverse``: in reverse order) at ``index``,
        ``index+1``, ..."""
        n = len(words)
        if n == 0:
            return
        if index < 0 or index + n > self.depth:
            raise IndexError(f"words {index}..{index + n - 1} outside 0..{self.depth - 1}")
        self._stage[:n] = words[::-1] if reverse else words
        self._idx.value = index
        self._put(self._h, self._av_ref, self._idx_ref, n)
        if self._eval_needed is not None:
            self._eval_needed()

    def get(self, index, n):
        """Read ``n`` words from ``index`` as bytes (little-endian uint32 each)."""
        if n == 0:
            return b""
        if index < 0 or index + n > self.depth:
            raise IndexError(f"words {index}..{index + n - 1} outside 0..{self.depth - 1}")
        av = _ArrayValue(_VPI_INT_VAL, 0, None)
        self._f["get"](self._h, ctypes.byref(av), ctypes.byref(ctypes.c_int32(index)), n)
        if not av.value:
            raise RuntimeError("vpi_get_value_array returned no data")
        return ctypes.string_at(av.value, 4 * n)


def open_array(path, depth):
    """A :class:`VpiArray` for the array at hierarchical ``path`` (e.g. ``"tcdm.tcdm.bank0"``),
    or ``None`` if bulk access is not available."""
    f = _load()
    if not f:
        return None
    h = f["by_name"](path.encode(), None)
    if not h:
        return None
    return VpiArray(f, h, depth)
