"""Build the cluster top (:class:`hw.cluster.cluster.Cluster`) for cocotb, one Verilator model
per configuration (``sim_build/cluster/<key>/``).

Used by ``ima-sim run`` / ``sweep`` and the profiler; the cocotb side is
:mod:`tb.cocotb_tests.cluster`. A cluster with the depth-wise accelerator (``cfg.dwa``) gets its
own directory (``..._dwa=True``, plus ``_dwa_arrangement=separate`` for that arrangement); the
arrangement of a cluster without the accelerator changes nothing and is left out of the key.
"""

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.cluster_top import ENGINE_PUBLIC, ClusterTestTop

__all__ = ["TOP", "KEY", "LEAN_PUBLIC", "build_params", "build_cluster"]

TOP = "cluster"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params), so today's directories keep their names.
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes")


def build_params(cfg: ClusterConfig):
    """The flat parameters the build of ``cfg`` is keyed on (and elaborated from)."""
    params = cfg.build_params(KEY)
    if not cfg.dwa:
        params.pop("dwa_arrangement", None)      # no accelerator: the arrangement is moot
    return params


#: What the cluster testbench (tb.env.cluster) reaches through the VPI, for a lean build: the top's
#: ports (every BFM, the statistics), the TCDM banks (backdoor preload / readback) and the
#: accelerators' TCDM ports (the protocol monitors: ``ima.tcdm_load__*``/``tcdm_store__*``,
#: ``dwa.tcdm__*``).
LEAN_PUBLIC = ((TOP, "*"), ("*", "bank*"), ("*", "tcdm_load__*"), ("*", "tcdm_store__*"),
               ("*", "tcdm__*"), *ENGINE_PUBLIC)


def build_cluster(cfg: ClusterConfig, *, waves: bool = False, lean: bool = False,
                  simulator: str = "verilator"):
    """Verilator build of the cluster's test top (:class:`tb.build.cluster_top.ClusterTestTop`:
    ``Cluster(cfg)`` plus the cores' request engines), reused across runs; returns the runner.

    ``lean``: only :data:`LEAN_PUBLIC` visible to the VPI (a faster model, its own build
    directory; issue 15, docs/speed-plan.md); default: every signal (cocotb's default).
    ``simulator``: ``"icarus"`` for the four-state build (Verilator only for ``lean``)."""
    if not isinstance(lean, bool):
        raise ValueError(f"lean must be a bool, not {lean!r}")
    return runner.build(TOP, ClusterTestTop, build_params(cfg), waves=waves,
                        public=LEAN_PUBLIC if lean else None, simulator=simulator)
