"""Build the TCDM subsystem top (:class:`hw.cluster.subsystem.TcdmSubsystem`) for cocotb.

Used by ``tests/hw/cluster/test_interconnect.py`` and the ``ima-sim traffic`` / ``bench-tcdm``
commands. The geometry ``{"masters", "banks", "size_bytes"}`` is both the build key and the
``config`` the cocotb side reads (:func:`tb.env.tcdm.geometry`).
"""

from hw.cluster.interconnect import check_masters
from hw.cluster.subsystem import TcdmSubsystem
from hw.cluster.tcdm import check_tcdm_params
from hw.config import ClusterConfig
from tb.build import runner

__all__ = ["TOP", "LEAN_PUBLIC", "build_tcdm", "geometry"]

TOP = "tcdm"
#: What the TCDM's testbench (tb.env.tcdm) reaches through the VPI, for a lean build: the top's
#: ports (masters, statistics) and the banks (backdoor).
LEAN_PUBLIC = ((TOP, "*"), ("*", "bank*"))


_cache = {}


def geometry(cfg: ClusterConfig) -> dict:
    """The TCDM geometry of a cluster: every master (cores, 2N IMA ports, DMA), banks, size."""
    return dict(masters=cfg.masters, banks=cfg.banks, size_bytes=cfg.tcdm_bytes)


def build_tcdm(*, masters: int, banks: int, size_bytes: int, waves: bool = False,
               debug: bool = False):
    """Verilator build of ``TcdmSubsystem(masters, banks, size_bytes)`` (cached per process and,
    through ``sim_build/``, across processes); lean unless ``debug``
    (:func:`tb.build.runner.debug_build_requested`); returns the cocotb runner."""
    params = dict(masters=masters, banks=banks, size_bytes=size_bytes)
    key = (masters, banks, size_bytes, waves, runner.debug_build_requested(debug))
    if key not in _cache:
        check_masters(masters)  # validate before touching the build tree
        check_tcdm_params(banks, size_bytes)
        _cache[key] = runner.build(TOP, TcdmSubsystem, params, waves=waves, public=LEAN_PUBLIC,
                                   debug=debug)
    return _cache[key]
