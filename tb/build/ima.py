# amaranth: UnusedElaboratable=no
# (the lean build's patterns read a test top's ports from an instance built here and never
# elaborated: tb.build.tops.port_patterns)
"""Build the IMA test tops (:class:`tb.build.tops.ImaTestTop`, or :func:`ImaTwinTestTop` with
the digital twin as analog core) for cocotb, one Verilator model per configuration.

Used by tests/hw/ima/ and ``tb/bench/overlap.py``; the cocotb side is :mod:`tb.cocotb_tests.ima`
(and :mod:`tb.cocotb_tests.twin`).
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.tops import ImaTestTop, ImaTwinTestTop, port_patterns

__all__ = ["TOP", "TWIN_TOP", "KEY", "lean_public", "build_ima_tb"]

TOP = "ima_tb"
TWIN_TOP = "ima_twin_tb"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params).
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes", "banks")


def lean_public(top, params):
    """What the IMA's testbench (tb.env.ima, tb.cocotb_tests.ima / twin / regfuzz) reaches through
    the VPI in the top ``top`` (:data:`TOP` or :data:`TWIN_TOP`) built from ``params``, for a lean
    build, each pattern tied to the one module it is reached in: the top's ports
    (:func:`tb.build.tops.port_patterns`), the TCDM banks (backdoor) and, in the twin's top, the
    twin's weight memory (programmed and read through the VPI), all writable; read only: the IMA's
    TCDM ports (the protocol monitors). Before, the patterns matched every module and were
    writable (``("*", "tcdm_load__*")``: the IMA's engine and streamers too, whose logic then ran
    on every ``eval()``)."""
    analog = "twin" if top == TWIN_TOP else "python"
    return (*port_patterns(top, ImaTestTop(analog=analog, **params)),
            (f"{top}.tcdm.tcdm", "bank?"), (f"{top}.tcdm.tcdm", "bank??"),
            (f"{top}.ima", "tcdm_load__*", "rd"), (f"{top}.ima", "tcdm_store__*", "rd"),
            *([(f"{top}.twin", "weights")] if top == TWIN_TOP else []))


def build_ima_tb(cfg: ClusterConfig, *, twin: bool = False, cores: bool = False, debug: bool = False,
                 simulator: str = "verilator"):
    """Build of the IMA test top for ``cfg`` (the IMA and the TCDM's banks and size);
    ``cores``: one control port per core (the register fuzzer's ACQUIRE races). Lean unless
    ``debug`` (:func:`tb.build.runner.debug_build_requested`); ``simulator``: ``"icarus"`` for
    the four-state build (:data:`tb.build.runner.SIMULATORS`; every signal visible there).
    Returns ``(runner, top name)``."""
    top, make_top = (TWIN_TOP, ImaTwinTestTop) if twin else (TOP, ImaTestTop)
    params = cfg.build_params(KEY) | ({"cores": True} if cores else {})
    public = None if simulator == "icarus" else lean_public(top, params)
    return runner.build(top, make_top, params, public=public, debug=debug, simulator=simulator), top
