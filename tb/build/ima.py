"""Build the IMA test tops (:class:`tb.build.tops.ImaTestTop`, or :func:`ImaTwinTestTop` with
the digital twin as analog core) for cocotb, one Verilator model per configuration.

Used by tests/hw/ima/ and ``tb/bench/overlap.py``; the cocotb side is :mod:`tb.cocotb_tests.ima`
(and :mod:`tb.cocotb_tests.twin`).
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import ImaTestTop, ImaTwinTestTop

__all__ = ["TOP", "TWIN_TOP", "KEY", "LEAN_PUBLIC", "build_ima_tb"]

TOP = "ima_tb"
TWIN_TOP = "ima_twin_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes", "banks")


#: What the IMA's testbench (tb.env.ima, tb.cocotb_tests.ima / twin / regfuzz) reaches through the
#: VPI, for a lean build, besides the top's ports (``(top, "*")``, added per top): the TCDM banks
#: (backdoor), the IMA's TCDM ports (protocol monitors) and the twin's weight memory (programmed
#: and read through the VPI).
LEAN_PUBLIC = (("*", "bank*"), ("*", "tcdm_load__*"), ("*", "tcdm_store__*"), ("*", "weights"))


def build_ima_tb(cfg: ClusterConfig, *, twin: bool = False, cores: bool = False, debug: bool = False,
                 simulator: str = "verilator"):
    """Build of the IMA test top for ``cfg`` (the IMA and the TCDM's banks and size);
    ``cores``: one control port per core (the register fuzzer's ACQUIRE races). Lean unless
    ``debug`` (:func:`tb.build.runner.debug_build_requested`); ``simulator``: ``"icarus"`` for
    the four-state build (:data:`tb.build.runner.SIMULATORS`; every signal visible there).
    Returns ``(runner, top name)``."""
    top, make_top = (TWIN_TOP, ImaTwinTestTop) if twin else (TOP, ImaTestTop)
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    public = None if simulator == "icarus" else ((top, "*"), *LEAN_PUBLIC)
    return runner.build(top, make_top, params, public=public, debug=debug, simulator=simulator), top
