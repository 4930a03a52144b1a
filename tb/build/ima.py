"""Build the IMA test tops (:class:`tb.build.tops.ImaTestTop`, or :func:`ImaTwinTestTop` with
the digital twin as analog core) for cocotb, one Verilator model per configuration.

Used by tests/hw/ima/ and ``tb/bench/overlap.py``; the cocotb side is :mod:`tb.cocotb_tests.ima`
(and :mod:`tb.cocotb_tests.twin`).
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import ImaTestTop, ImaTwinTestTop

__all__ = ["TOP", "TWIN_TOP", "KEY", "build_ima_tb"]

TOP = "ima_tb"
TWIN_TOP = "ima_twin_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes", "banks")


def build_ima_tb(cfg: ClusterConfig, *, twin: bool = False, cores: bool = False,
                 simulator: str = "verilator"):
    """Verilator build of the IMA test top for ``cfg`` (the IMA and the TCDM's banks and size);
    ``cores``: one control port per core (the register fuzzer's ACQUIRE races); ``simulator``:
    ``"icarus"`` for the four-state build (:data:`tb.build.runner.SIMULATORS`). Returns
    ``(runner, top name)``."""
    top, make_top = (TWIN_TOP, ImaTwinTestTop) if twin else (TOP, ImaTestTop)
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    return runner.build(top, make_top, params, simulator=simulator), top
