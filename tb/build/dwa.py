"""Build the DWA test top (:class:`tb.build.tops.DwaTestTop`) for cocotb, one Verilator model per
configuration (``sim_build/dwa_tb/<k=v_...>/``).

Used by tests/hw/dwa/test_dwa_rtl.py; the cocotb side is :mod:`tb.cocotb_tests.dwa`.
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import DwaTestTop

__all__ = ["TOP", "KEY", "LEAN_PUBLIC", "build_dwa_tb"]

TOP = "dwa_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "tcdm_bytes", "banks")


#: What the DWA's testbench (tb.env.dwa, tb.cocotb_tests.dwa / regfuzz) reaches through the VPI,
#: for a lean build: the top's ports, the TCDM banks (backdoor) and the DWA's TCDM ports
#: (protocol monitors, the port-activity probe).
LEAN_PUBLIC = ((TOP, "*"), ("*", "bank*"), ("*", "tcdm__*"))


def build_dwa_tb(cfg: ClusterConfig, *, cores: bool = False, debug: bool = False):
    """Verilator build of the DWA test top for ``cfg`` (the DWA's ports, the cores, the TCDM's
    banks and size); ``cores``: one control port per core (the register fuzzer's ACQUIRE
    races). Lean unless ``debug`` (:func:`tb.build.runner.debug_build_requested`). Returns
    ``(runner, top name)``."""
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    return runner.build(TOP, DwaTestTop, params, public=LEAN_PUBLIC, debug=debug), TOP
