"""The runs of ``ima-sim sweep``: which workload, mapping, port count and shape each simulation
gets (Ottavi et al., AICAS 2021, Fig. 3 and Fig. 5/6; see docs/bench.md). Pure Python: the runs
themselves go through :func:`tb.cli.run.simulate` from :mod:`tb.cli.sweep`.
"""

from dataclasses import dataclass, field

__all__ = ["Run", "shapes", "sw_ports", "plan", "BN_MAPPINGS", "OVERLAP_SERIES", "PHASES_BN",
           "FULL_PORTS", "QUICK_PORTS"]

#: The bottleneck's mappings (Fig. 5/6), SW first.
BN_MAPPINGS = ("SW", "IMA8", "IMA16", "HYBRID")
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
        layer = "conv" if self.workload == "conv" else "bottleneck"
        return RunSpec(layer=layer, mapping="IMA" if self.overlap else self.mapping,
                       seed=seed, **dict(self.shape)).validate()

    def config(self):
        """The hardware of this run: the default preset at ``ports``, overlapped or not."""
        from hw.config import preset
        return preset().with_(ports=self.ports, overlap=self.overlap)

    @property
    def overlap(self):
        """The ``IMA-OV`` series: the standard conv on the overlapped engine (ImaConfig.overlap)."""
        return self.mapping == OVERLAP_SERIES


def shapes(quick):
    """RunSpec overrides of the two workloads: the paper's (docs/spec.md section 4) or small ones."""
    if quick:
        return {"conv": (("h", 8), ("w", 8), ("cin", 16), ("cout", 32), ("k", 3), ("pad", 1)),
                "bottleneck": (("h", 8), ("w", 8), ("cin", 32), ("expand", 6))}
    return {"conv": (("h", 16), ("w", 16), ("cin", 32), ("cout", 64), ("k", 3), ("pad", 1)),
            "bottleneck": (("h", 16), ("w", 16), ("cin", 32), ("expand", 6))}


def sw_ports(ports):
    """The build SW runs on (its result does not depend on the IMA's ports): 4 if swept."""
    return 4 if 4 in ports else sorted(ports)[0]


def plan(ports=FULL_PORTS, quick=False):
    """The runs of a sweep, SW first (they are the longest), then by decreasing port count."""
    ports = sorted(set(int(p) for p in ports))
    if not ports or any(not 1 <= p <= 16 for p in ports):
        raise ValueError(f"--ports must be port counts in 1..16, not {ports}")
    sh = shapes(quick)
    runs = [Run("conv", "SW", sw_ports(ports), sh["conv"]),
            Run("bottleneck", "SW", sw_ports(ports), sh["bottleneck"])]
    for p in sorted(ports):
        runs.append(Run("conv", "IMA", p, sh["conv"]))
        for m in ("IMA8", "IMA16", "HYBRID"):
            runs.append(Run("bottleneck", m, p, sh["bottleneck"]))
    if not quick:                       # quick mode stays on the one build the tests share
        runs += [Run("conv", OVERLAP_SERIES, p, sh["conv"]) for p in sorted(ports)]
    return runs
