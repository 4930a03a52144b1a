"""Build the DWA test top (:class:`tb.build.tops.DwaTestTop`) for cocotb, one Verilator model per
configuration (``sim_build/dwa_tb/<k=v_...>/``).

Used by tests/hw/dwa/test_dwa_rtl.py; the cocotb side is :mod:`tb.cocotb_tests.dwa`.
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import DwaTestTop

__all__ = ["TOP", "KEY", "build_dwa_tb"]

TOP = "dwa_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "tcdm_bytes", "banks")


def build_dwa_tb(cfg: ClusterConfig, *, cores: bool = False):
    """Verilator build of the DWA test top for ``cfg`` (the DWA's ports, the cores, the TCDM's
    banks and size); ``cores``: one control port per core (the register fuzzer's ACQUIRE
    races). Returns ``(runner, top name)``."""
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    return runner.build(TOP, DwaTestTop, params), TOP
