"""Build the cluster top (:class:`hw.cluster.cluster.Cluster`) for cocotb, one Verilator model
per configuration (``sim_build/cluster/<key>/``).

Used by ``ima-sim run`` / ``sweep`` and the profiler; the cocotb side is
:mod:`tb.cocotb_tests.cluster`.
"""

from hw.cluster.cluster import Cluster
from hw.config import ClusterConfig
from tb.build import runner

__all__ = ["TOP", "KEY", "build_cluster"]

TOP = "cluster"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params), so today's directories keep their names.
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes")


def build_cluster(cfg: ClusterConfig, *, waves: bool = False):
    """Verilator build of ``Cluster(cfg)`` (reused across runs); returns the cocotb runner."""
    return runner.build(TOP, Cluster, cfg.build_params(KEY), waves=waves)
