"""Build the TCDM subsystem top (:class:`hw.cluster.subsystem.TcdmSubsystem`) for cocotb.

Used by ``tests/hw/cluster/test_interconnect.py`` and the ``ima-sim traffic`` / ``bench-tcdm`` commands.
"""

from hw.cluster.interconnect import check_masters
from hw.cluster.subsystem import TcdmSubsystem
from hw.cluster.tcdm import check_tcdm_params
from tb.build import runner

__all__ = ["TOP", "build_tcdm", "tcdm_env_vars"]

TOP = "tcdm"


_cache = {}


def build_tcdm(masters=17, banks=16, size_bytes=512 * 1024, *, waves=False):
    """Verilator build of ``TcdmSubsystem(masters, banks, size_bytes)`` (cached per process and,
    through ``sim_build/``, across processes); returns the cocotb runner."""
    params = dict(masters=masters, banks=banks, size_bytes=size_bytes)
    key = (masters, banks, size_bytes, waves)
    if key not in _cache:
        check_masters(masters)  # validate before touching the build tree
        check_tcdm_params(banks, size_bytes)
        _cache[key] = runner.build(TOP, TcdmSubsystem, params, waves=waves)
    return _cache[key]


def tcdm_env_vars(masters, banks, size_bytes, **extra):
    """Environment for the cocotb side (read by :func:`tb.env.tcdm.env_params`)."""
    env = {"TCDM_MASTERS": masters, "TCDM_BANKS": banks, "TCDM_SIZE": size_bytes}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env
