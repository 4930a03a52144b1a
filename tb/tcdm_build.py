"""Build the TCDM subsystem top (:class:`hw.cluster.subsystem.TcdmSubsystem`) for cocotb.

Used by ``tests/test_interconnect.py`` and the ``ima-sim traffic`` / ``bench-tcdm`` commands.

Amaranth 0.5 turns a zero-initialised ``lib.memory.Memory`` into one constant net per bit (4 Mi
nets for a 512 KiB TCDM: ~15 s of conversion) and then a ``mem[i] = 0`` line per word. For
simulation builds :func:`zero_memories_uninitialised` drops all-zero memory initialisers while
converting: Verilator runs with ``--x-initial 0``, so the memories still start at zero. The patch
is scoped to the ``with`` block; Verilog written for users keeps the initialisers.
"""

import contextlib
import threading

from amaranth.back import rtlil

from hw.cluster.interconnect import check_masters
from hw.cluster.subsystem import TcdmSubsystem
from hw.cluster.tcdm import check_tcdm_params
from tb import runner

__all__ = ["TOP", "zero_memories_uninitialised", "build_tcdm", "tcdm_env_vars"]

TOP = "tcdm"
_lock = threading.Lock()


@contextlib.contextmanager
def zero_memories_uninitialised():
    """While active, Amaranth's RTLIL backend emits no ``$meminit`` for all-zero memories."""
    with _lock:
        orig = rtlil.ModuleEmitter.emit_memory

        def emit_memory(self, cell_idx, cell):
            if any(cell.init):
                orig(self, cell_idx, cell)

        rtlil.ModuleEmitter.emit_memory = emit_memory
        try:
            yield
        finally:
            rtlil.ModuleEmitter.emit_memory = orig


_cache = {}


def build_tcdm(masters=17, banks=16, size_bytes=512 * 1024, *, waves=False):
    """Verilator build of ``TcdmSubsystem(masters, banks, size_bytes)`` (cached per process and,
    through ``sim_build/``, across processes); returns the cocotb runner."""
    params = dict(masters=masters, banks=banks, size_bytes=size_bytes)
    key = (masters, banks, size_bytes, waves)
    if key not in _cache:
        check_masters(masters)  # validate before touching the build tree
        check_tcdm_params(banks, size_bytes)
        with zero_memories_uninitialised():
            _cache[key] = runner.build(TOP, TcdmSubsystem, params, waves=waves)
    return _cache[key]


def tcdm_env_vars(masters, banks, size_bytes, **extra):
    """Environment for the cocotb side (read by :func:`tb.tcdm_env.env_params`)."""
    env = {"TCDM_MASTERS": masters, "TCDM_BANKS": banks, "TCDM_SIZE": size_bytes}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env
