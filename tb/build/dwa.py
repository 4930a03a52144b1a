# amaranth: UnusedElaboratable=no
# (the lean build's patterns read a test top's ports from an instance built here and never
# elaborated: tb.build.tops.port_patterns)
"""Build the DWA test top (:class:`tb.build.tops.DwaTestTop`) for cocotb, one Verilator model per
configuration (``sim_build/dwa_tb/<k=v_...>/``).

Used by tests/hw/dwa/test_dwa_rtl.py; the cocotb side is :mod:`tb.cocotb_tests.dwa`.
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import DwaTestTop, port_patterns

__all__ = ["TOP", "KEY", "lean_public", "build_dwa_tb"]

TOP = "dwa_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "tcdm_bytes", "banks")


def lean_public(params):
    """What the DWA's testbench (tb.env.dwa, tb.cocotb_tests.dwa / regfuzz) reaches through the
    VPI in the top built from ``params``, for a lean build, each pattern tied to the one module it
    is reached in: the top's ports (:func:`tb.build.tops.port_patterns`) and the TCDM banks
    (backdoor), writable; the DWA's TCDM ports read only (protocol monitors, the port-activity
    probe). Before they matched every module, writable (``("*", "tcdm__*")``: the DWA's engine
    too)."""
    return (*port_patterns(TOP, DwaTestTop(**params)),
            (f"{TOP}.tcdm.tcdm", "bank?"), (f"{TOP}.tcdm.tcdm", "bank??"),
            (f"{TOP}.dwa", "tcdm__*", "rd"))


def build_dwa_tb(cfg: ClusterConfig, *, cores: bool = False, debug: bool = False):
    """Verilator build of the DWA test top for ``cfg`` (the DWA's ports, the cores, the TCDM's
    banks and size); ``cores``: one control port per core (the register fuzzer's ACQUIRE
    races). Lean unless ``debug`` (:func:`tb.build.runner.debug_build_requested`). Returns
    ``(runner, top name)``."""
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    return runner.build(TOP, DwaTestTop, params, public=lean_public(params), debug=debug), TOP
