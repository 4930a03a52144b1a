"""The runs of ``ima-sim sweep``: which workload, mapping, port count and shape each simulation
gets (Ottavi et al., AICAS 2021, Fig. 3 and Fig. 5/6; see docs/bench.md), plus the depth-wise
accelerator's series (Garofalo et al., JETCAS 2022): the bottleneck in ``IMADW`` at every port
count on the cluster with the accelerator, and a stride-2 depth-wise layer (``dw_s2``) in SW and
IMADW. Pure Python: the runs themselves go through :func:`tb.cli.run.simulate` from
:mod:`tb.cli.sweep`.

Every run names its hardware preset (``hw/config.py``). ``plan(preset=NAME)`` runs the whole
sweep under that preset, leaving out the runs whose layers do not fit its crossbar (e.g. the
standard conv's 288-row jobs on ``jetcas2022``'s 256x256 array: :func:`left_out`) and the
overlapped-engine series when the preset's engine already overlaps. ``plan(garofalo=True)`` adds
the Garofalo block: the bottleneck in every mapping of :data:`BN_SERIES` under
:data:`GAROFALO_PRESET` at that preset's port count, on one build (the preset has the depth-wise
accelerator) -- five runs.
"""

from dataclasses import dataclass, field

from hw.config import DEFAULT_PRESET
from hw.config import preset as preset_config

__all__ = ["Run", "shapes", "sw_ports", "plan", "left_out", "fits", "BN_MAPPINGS", "DWA_SERIES",
           "BN_SERIES", "OVERLAP_SERIES", "PHASES_BN", "FULL_PORTS", "QUICK_PORTS", "WORKLOAD_LAYER",
           "GAROFALO_PRESET", "garofalo_runs"]

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
#: Garofalo et al.'s cluster (JETCAS 2022): the preset of the sweep's Garofalo block / section.
GAROFALO_PRESET = "jetcas2022"


@dataclass(frozen=True)
class Run:
    """One simulation of the sweep. ``workload`` is ``conv`` (Fig. 3) or ``bottleneck`` (Fig. 5/6);
    SW runs once per workload (``ports`` is the build it runs on; its result holds for all)."""
    workload: str
    mapping: str
    ports: int
    shape: tuple = field(default=(), compare=True)     # ((name, value), ...) RunSpec overrides
    preset: str = DEFAULT_PRESET                       # the hardware preset (hw/config.py)

    @property
    def label(self):
        p = "any" if self.mapping == "SW" else f"{self.ports}/{self.ports}"
        return f"{self.workload} {self.mapping} {p}" + (
            "" if self.preset == DEFAULT_PRESET else f" [{self.preset}]")

    def spec(self, seed=0):
        """The workload of this run (:class:`sim_models.workloads.RunSpec`)."""
        from sim_models.workloads import RunSpec
        return RunSpec(layer=WORKLOAD_LAYER[self.workload],
                       mapping="IMA" if self.overlap else self.mapping,
                       seed=seed, **dict(self.shape)).validate()

    def config(self):
        """The hardware of this run: its preset at ``ports``; the overlapped engine for the
        ``IMA-OV`` series and the depth-wise accelerator (the preset's arrangement) for the IMADW
        series, the preset's engine and accelerator otherwise (``aicas2021``: sequential, none)."""
        changes = {"ports": self.ports}
        if self.overlap:
            changes["overlap"] = True
        if self.dwa:
            changes["dwa"] = True
        return preset_config(self.preset).with_(**changes)

    @property
    def build_name(self):
        """The name of this run's cluster build in logs and the report (``4``, ``4-overlap``,
        ``4-dwa``; another preset's prefixed: ``jetcas2022-4-overlap-dwa``)."""
        cfg = self.config()
        name = f"{cfg.ima.ports}{'-overlap' if cfg.ima.overlap else ''}{'-dwa' if cfg.dwa else ''}"
        return name if self.preset == DEFAULT_PRESET else f"{self.preset}-{name}"

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


def fits(run):
    """True when every layer of ``run`` fits its preset's crossbar and buffers
    (:func:`sim_models.workloads.prepare` accepts it)."""
    from sim_models.workloads import prepare
    try:
        prepare(run.spec(), run.config().ima)
    except ValueError:
        return False
    return True


def garofalo_runs(quick=False):
    """The Garofalo block: the bottleneck (our default shape, the paper's is unknown; the quick
    shape with ``quick``) in SW, IMA8, IMA16, HYBRID and IMADW under :data:`GAROFALO_PRESET` at
    its own port count (4: the 128-bit data interface), SW first."""
    p = preset_config(GAROFALO_PRESET).ima.ports
    return [Run("bottleneck", m, p, shapes(quick)["bottleneck"], GAROFALO_PRESET) for m in BN_SERIES]


def left_out(ports=FULL_PORTS, quick=False, dwa=True, preset=DEFAULT_PRESET):
    """The runs ``plan(..., preset=preset)`` leaves out because their layers do not fit the
    preset's crossbar (none under the default preset)."""
    return [r for r in _plan(ports, quick, dwa, preset) if not fits(r)]


def plan(ports=FULL_PORTS, quick=False, dwa=True, preset=DEFAULT_PRESET, garofalo=False):
    """The runs of a sweep, SW first (they are the longest), then by increasing port count; with
    ``dwa`` the depth-wise accelerator's series (IMADW bottleneck at every port count, the
    stride-2 depth-wise layer in SW and IMADW on the SW build) on the clusters with it.

    ``preset`` (a name of hw/config.py): every run on that preset (the default: today's sweep);
    under another preset the runs that do not fit it are left out (:func:`left_out`).
    ``garofalo``: add :func:`garofalo_runs` (unless ``preset`` is already that preset, whose
    bottleneck series hold those runs)."""
    runs = _plan(ports, quick, dwa, preset)
    if preset != DEFAULT_PRESET:
        runs = [r for r in runs if fits(r)]
    if garofalo:
        runs += [r for r in garofalo_runs(quick) if r not in runs]
    return runs


def _plan(ports, quick, dwa, preset):
    preset_config(preset)                           # ValueError naming a bad preset
    ports = sorted(set(int(p) for p in ports))
    if not ports or any(not 1 <= p <= 16 for p in ports):
        raise ValueError(f"--ports must be port counts in 1..16, not {ports}")
    sh = shapes(quick)
    runs = _series(ports, quick, dwa, sh)
    if preset == DEFAULT_PRESET:
        return runs
    overlapped = preset_config(preset).ima.overlap   # IMA-OV would repeat the IMA series
    return [Run(r.workload, r.mapping, r.ports, r.shape, preset) for r in runs
            if not (overlapped and r.mapping == OVERLAP_SERIES)]


def _series(ports, quick, dwa, sh):
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
