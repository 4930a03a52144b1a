"""The runs of ``ima-sim sweep``: which workload, mapping, port count and shape each simulation
gets (Ottavi et al., AICAS 2021, Fig. 3 and Fig. 5/6; see docs/bench.md), plus the depth-wise
accelerator's series (Garofalo et al., JETCAS 2022): the bottleneck in ``IMADW`` at every port
count on the cluster with the accelerator, and a stride-2 depth-wise layer (``dw_s2``) in SW and
IMADW. Pure Python: the runs themselves go through :func:`tb.cli.run.simulate` from
:mod:`tb.cli.sweep`.
"""

from dataclasses import dataclass, field

__all__ = ["Run", "shapes", "sw_ports", "plan", "BN_MAPPINGS", "DWA_SERIES", "BN_SERIES",
           "OVERLAP_SERIES", "PHASES_BN", "FULL_PORTS", "QUICK_PORTS", "WORKLOAD_LAYER"]

#: The bottleneck's mappings of the AICAS paper (Fig. 5/6), SW first.
BN_MAPPINGS = ("SW", "IMA8", "IMA16", "HYBRID")
#: Beyond AICAS: pointwise on the IMA, depth-wise on the depth-wise accelerator (JETCAS 2022).
DWA_SERIES = "IMADW"
#: Every bottleneck series of the sweep, in plot / table order.
BN_SERIES = (*BN_MAPPINGS, DWA_SERIES)
#: The ``--layer`` of each workload of the sweep.
WORKLOAD_LAYER = {"conv": "conv", "bottleneck": "bottleneck", "dw_s2": "depthwise"}
#: Beyond the paper: the standard conv on the double-buffered engine (issue: overlapped phases).
OVERLAP_SERIES = "IMA-OV"
#: The bottleneck's phases in execution order (Fig. 6).
PHASES_BN = ("pointwise1", "hwc2chw", "depthwise", "pointwise2", "residual")
#: Port counts of a full sweep and of ``--quick``.
FULL_PORTS = (1, 2, 4, 8, 16)
QUICK_PORTS = (4,)


@dataclass(frozen=True)
class Run:
    """One simulation of the sweep. ``workload`` is ``conv`` (Fig. 3) or ``bottleneck`` (Fig. 5/6);
    SW runs once per workload (``ports`` is the build it runs on; its result holds for all)."""
    workload: str
    mapping: str
    ports: int
    shape: tuple = field(default=(), compare=True)     # ((name, value), ...) RunSpec overrides

    @property
    def label(self):
        p = "any" if self.mapping == "SW" else f"{self.ports}/{self.ports}"
        return f"{self.workload} {self.mapping} {p}"

    def spec(self, seed=0):
        """The workload of this run (:class:`sim_models.workloads.RunSpec`)."""
        from sim_models.workloads import RunSpec
        return RunSpec(layer=WORKLOAD_LAYER[self.workload],
                       mapping="IMA" if self.overlap else self.mapping,
                       seed=seed, **dict(self.shape)).validate()

    def config(self):
        """The hardware of this run: the default preset at ``ports``, overlapped or not, with
        the depth-wise accelerator (the preset's arrangement) for the IMADW series only."""
        from hw.config import preset
        return preset().with_(ports=self.ports, overlap=self.overlap, dwa=self.dwa)

    @property
    def dwa(self):
        """The run needs the cluster with the depth-wise accelerator (``ClusterConfig.dwa``)."""
        return self.mapping == DWA_SERIES

    @property
    def overlap(self):
        """The ``IMA-OV`` series: the standard conv on the overlapped engine (ImaConfig.overlap)."""
        return self.mapping == OVERLAP_SERIES


def shapes(quick):
    """RunSpec overrides of the two workloads: the paper's (docs/spec.md section 4) or small ones."""
    if quick:
        return {"conv": (("h", 8), ("w", 8), ("cin", 16), ("cout", 32), ("k", 3), ("pad", 1)),
                "bottleneck": (("h", 8), ("w", 8), ("cin", 32), ("expand", 6)),
                "dw_s2": (("h", 8), ("w", 8), ("cin", 40), ("stride", 2))}
    # dw_s2: the bottleneck's depth-wise layer (16x16, t*C = 192 channels) at stride 2, as in the
    # first block of each MobileNetV2 stage (ours: the JETCAS paper uses the accelerator on both)
    return {"conv": (("h", 16), ("w", 16), ("cin", 32), ("cout", 64), ("k", 3), ("pad", 1)),
            "bottleneck": (("h", 16), ("w", 16), ("cin", 32), ("expand", 6)),
            "dw_s2": (("h", 16), ("w", 16), ("cin", 192), ("stride", 2))}


def sw_ports(ports):
    """The build SW runs on (its result does not depend on the IMA's ports): 4 if swept."""
    return 4 if 4 in ports else sorted(ports)[0]


def plan(ports=FULL_PORTS, quick=False, dwa=True):
    """The runs of a sweep, SW first (they are the longest), then by increasing port count; with
    ``dwa`` the depth-wise accelerator's series (IMADW bottleneck at every port count, the
    stride-2 depth-wise layer in SW and IMADW on the SW build) on the clusters with it."""
    ports = sorted(set(int(p) for p in ports))
    if not ports or any(not 1 <= p <= 16 for p in ports):
        raise ValueError(f"--ports must be port counts in 1..16, not {ports}")
    sh = shapes(quick)
    runs = [Run("conv", "SW", sw_ports(ports), sh["conv"]),
            Run("bottleneck", "SW", sw_ports(ports), sh["bottleneck"])]
    if dwa:
        runs.append(Run("dw_s2", "SW", sw_ports(ports), sh["dw_s2"]))
    for p in sorted(ports):
        runs.append(Run("conv", "IMA", p, sh["conv"]))
        for m in ("IMA8", "IMA16", "HYBRID"):
            runs.append(Run("bottleneck", m, p, sh["bottleneck"]))
    if not quick:                       # quick mode stays on the one build the tests share
        runs += [Run("conv", OVERLAP_SERIES, p, sh["conv"]) for p in sorted(ports)]
    if dwa:                             # the cluster(s) with the depth-wise accelerator
        runs += [Run("bottleneck", DWA_SERIES, p, sh["bottleneck"]) for p in sorted(ports)]
        runs.append(Run("dw_s2", DWA_SERIES, sw_ports(ports), sh["dw_s2"]))
    return runs
