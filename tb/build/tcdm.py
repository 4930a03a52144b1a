# amaranth: UnusedElaboratable=no
# (the lean build's patterns read a test top's ports from an instance built here and never
# elaborated: tb.build.tops.port_patterns)
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
from tb.build.tops import port_patterns

__all__ = ["TOP", "lean_public", "build_tcdm", "geometry"]

TOP = "tcdm"


def lean_public(params):
    """What the TCDM's testbench (tb.env.tcdm) reaches through the VPI in the top built from
    ``params``, for a lean build: the top's ports (masters, statistics:
    :func:`tb.build.tops.port_patterns`) and the banks (backdoor) in their own module. Before:
    ``(TOP, "*")`` and ``("*", "bank*")``, which also made the top's and the interconnect's wires
    towards the banks (``banks__*``) writable."""
    return (*port_patterns(TOP, TcdmSubsystem(**params)),
            (f"{TOP}.tcdm", "bank?"), (f"{TOP}.tcdm", "bank??"))


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
        _cache[key] = runner.build(TOP, TcdmSubsystem, params, waves=waves, public=lean_public(params),
                                   debug=debug)
    return _cache[key]
