"""The one home of every design default: :class:`ImaConfig`, :class:`ClusterConfig` and the
named presets (:data:`PRESETS`).

Pure Python (no Amaranth import) so that the RTL, the register header, the HAL, the testbench,
the reports and the CLI all read the same object. Each config validates itself on construction
(``ValueError`` naming the parameter).

The presets are data: :data:`PRESET_DATA` maps a name to the plain values of one configuration,
each citing its source; :data:`PRESETS` holds the same as :class:`ClusterConfig` objects. The
dataclass defaults are the default preset's values (``aicas2021``), so ``ImaConfig()`` and
``ClusterConfig()`` are today's configuration. Adding a preset (e.g. ``jetcas2022``) is one more
entry in :data:`PRESET_DATA`.

The MVM latency in cycles has one formula, :func:`sim_models.crossbar.latency_cycles`;
:attr:`ImaConfig.mvm_cycles` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from sim_models.crossbar import latency_cycles
from sim_models.swcost import SW_COSTS

__all__ = ["ImaConfig", "ClusterConfig", "DWA_ARRANGEMENTS", "DATA_INTERFACES", "PRESET_DATA",
           "PRESETS", "DEFAULT_PRESET", "MAX_ARRAYS", "preset", "IMA_FIELDS", "CLUSTER_FIELDS"]

#: The presets as plain data, one per paper: ``aicas2021`` (G. Ottavi et al., "End-to-end
#: 100-TOPS/W Inference With Analog In-Memory Computing: Are We There Yet?", AICAS 2021,
#: papers/ottavi2021-*.md) and ``jetcas2022`` (A. Garofalo et al., JETCAS 2022,
#: papers/garofalo2022-notes.md); "ours" marks a value the paper leaves open (docs/spec.md
#: sections 1, 2 and 8). Every entry has every key; no code path checks a preset's name.
PRESET_DATA: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "aicas2021": MappingProxyType({
        # -- cluster
        "n_cores": 8,               # Sec. II-B: "The cluster incorporates 8 RISC-V cores"
        "banks": 16,                # Sec. III: TCDM "composed of 16 parallel 32-bit banks"
        "tcdm_bytes": 512 * 1024,   # Sec. IV-3: "fit the on-cluster TCDM (512 kB)"
        "dma_ports": 1,             # ours: one DMA / testbench master on the TCDM
        "imas": 1,                  # Sec. III: one IMA, shared by the cores through the TCDM
        # -- IMA
        "ports": 4,                 # Sec. IV-3, Fig. 6 and Sec. V: "4/4 port configurations"
        "rows": 2048,               # ours; Sec. IV-1: "the PCM array is properly sized to fit
        "cols": 512,                #   all weights" (every docs/spec.md section 4 layer fits)
        "dac_depth": 512,           # ours: DAC buffer bytes >= the largest job's rows (288)
        "adc_depth": 256,           # ours: ADC buffer bytes >= the largest job's columns (192)
        "clock_hz": 250e6,          # Sec. IV-1: "relative to the cluster frequency of 250MHz"
        "mvm_ns": 70.0,             # Sec. IV-1: "a single array operation takes 70ns"
        "overlap": False,           # Sec. III: STREAMIN, COMPUTATION, STREAMOUT in sequence
        "data_interface": "split",  # Sec. III: "N load and N store ports" (separate master ports)
        "arrays": 1,                # Sec. IV-1: one PCM array, "properly sized" to the layers
        # -- depth-wise accelerator (A. Garofalo et al., JETCAS 2022, Sec. IV-C; not in AICAS)
        "dwa": False,               # the AICAS cluster has none (its Sec. V asks for one)
        "dwa_arrangement": "shared",  # JETCAS Sec. III-B: "statically multiplexed" with the IMA
        # -- the cores' software cost model (sim_models/swcost.py SW_COSTS)
        "sw_cost": "pulpnn",        # PULP-NN kernels (AICAS Sec. IV-2; derived depth-wise)
    }),
    # A. Garofalo et al., "A Heterogeneous In-Memory Computing Cluster For Flexible End-to-End
    # Inference of Real-World Deep Neural Networks", IEEE JETCAS 12(2), 2022 (arXiv 2201.01089;
    # papers/garofalo2022-notes.md). Section numbers are the paper's.
    "jetcas2022": MappingProxyType({
        # -- cluster
        "n_cores": 8,               # Sec. III-B: 8 RISC-V cores (RV32IMCXpulpV2)
        "banks": 32,                # Sec. III-B: TCDM "32 banks", word-interleaved
        "tcdm_bytes": 512 * 1024,   # Sec. III-B: 512 kB TCDM
        "dma_ports": 1,             # ours: one DMA / testbench master on the TCDM
        "imas": 1,                  # Sec. III-B / Fig. 2: one IMA on the cluster's TCDM
        # -- IMA
        "ports": 4,                 # Sec. V-A/V-C: 128-bit data interface = 4 x 32-bit ports
        "data_interface": "shared",  # Sec. III-B / Fig. 2: source and sink share the 4 ports
                                    #   through a round-robin mux (hw.hwpe.streamer.shared_port)
        "rows": 256,                # Sec. III-A/IV-B: one 256x256 PCM crossbar (HERMES core)
        "cols": 256,                #   per array
        "dac_depth": 256,           # ours: a job can activate every row of the 256x256 array
        "adc_depth": 256,           # ours: a job can read every column of it
        "clock_hz": 500e6,          # Sec. V-A/V-C: 500 MHz at 0.8 V (22 nm FDX)
        "mvm_ns": 130.0,            # Sec. IV-B: "one MVM = 130 ns" (65 cycles at 500 MHz)
        "overlap": True,            # Sec. IV-B/V-C: the pipelined IMA is used for all results
        "arrays": 1,                # Sec. V-C: the bottleneck runs on one array; Sec. VI's
                                    #   MobileNetV2 needs 34 (--arrays N, one active at a time)
        # -- depth-wise accelerator
        "dwa": True,                # Sec. IV-C: the digital depth-wise accelerator is present
        "dwa_arrangement": "shared",  # Sec. III-B: statically multiplexed onto the IMA's ports
        # -- the cores' software cost model (sim_models/swcost.py SW_COSTS)
        "sw_cost": "garofalo2022",  # Sec. IV-C: their software depth-wise, 29.7/26 MAC/cycle
    }),
})
#: Most crossbars one IMA may hold (:attr:`ImaConfig.arrays`).
MAX_ARRAYS = 64
#: The preset the defaults come from.
DEFAULT_PRESET = "aicas2021"
_D = PRESET_DATA[DEFAULT_PRESET]


#: Data interfaces of the IMA (:attr:`ImaConfig.data_interface`).
DATA_INTERFACES = ("split", "shared")


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be in {rng}, not {value}")


def _check_pow2(name: str, value: int) -> None:
    if value & (value - 1):
        raise ValueError(f"{name} must be a power of two, not {value}")


@dataclass(frozen=True)
class ImaConfig:
    """Design-time parameters of one IMA (defaults: the ``aicas2021`` preset).

    Parameters
    ----------
    ports : int
        N: the IMA has N load and N store 32-bit TCDM master ports (1..16).
    rows, cols : int
        Crossbar size (devices pairs per column / columns). Rows are inputs (DAC), columns outputs (ADC).
    dac_depth : int
        DAC buffer size in bytes = the most crossbar rows one job can activate.
    adc_depth : int
        ADC buffer size in bytes = the most columns one job can read.
    n_cores : int
        Cores on the peripheral bus (width of the event output, range of the initiator id).
    tcdm_bytes : int
        Size of the TCDM; the controller rejects jobs touching bytes outside ``[0, tcdm_bytes)``.
    clock_hz, mvm_ns : float
        Cluster clock and analog MVM latency; :attr:`mvm_cycles` rounds their product up.
    overlap : bool
        Overlapped phases (beyond the paper): double-buffered DAC and ADC buffers so that
        STREAMIN of job i+1 and STREAMOUT of job i-1 run while job i computes
        (:mod:`hw.ima.overlapped`). ``False`` (default): the paper's sequential engine, one phase at
        a time. Costs ``8 * (dac_depth + adc_depth)`` more flip-flops.
    data_interface : str
        ``"split"`` (default): N load ports for the Source and N store ports for the Sink.
        ``"shared"``: one N-port interface that the Source and the Sink share through a
        round-robin arbiter (:mod:`hw.hwpe.streamer.shared_port`; Garofalo et al. 2022,
        Sec. III-B): the IMA's ``tcdm_load`` ports then carry reads and writes and
        ``tcdm_store`` is empty.
    arrays : int
        Crossbars of ``rows`` x ``cols`` inside the IMA (1..64), sharing its control and data
        interface, one active at a time (Garofalo et al. 2022, Sec. VI; :mod:`hw.ima.arrays`).
        A job's array is its ``J_ARRAY`` register. 1 (default): today's single-array IMA.
    """
    ports: int = _D["ports"]
    rows: int = _D["rows"]
    cols: int = _D["cols"]
    dac_depth: int = _D["dac_depth"]
    adc_depth: int = _D["adc_depth"]
    n_cores: int = _D["n_cores"]
    tcdm_bytes: int = _D["tcdm_bytes"]
    clock_hz: float = _D["clock_hz"]
    mvm_ns: float = _D["mvm_ns"]
    overlap: bool = _D["overlap"]
    data_interface: str = _D["data_interface"]
    arrays: int = _D["arrays"]

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> ImaConfig:
        _check_int("ports", self.ports, 1, 16)
        _check_int("rows", self.rows, 1, 1 << 15)
        _check_int("cols", self.cols, 1, 1 << 15)
        _check_int("dac_depth", self.dac_depth, 4, 4096)
        _check_int("adc_depth", self.adc_depth, 4, 4096)
        _check_int("n_cores", self.n_cores, 1, 16)
        _check_int("tcdm_bytes", self.tcdm_bytes, 64, 1 << 30)
        _check_pow2("tcdm_bytes", self.tcdm_bytes)
        if self.dac_depth > self.rows:
            raise ValueError(f"dac_depth ({self.dac_depth}) must not exceed rows ({self.rows})")
        if self.adc_depth > self.cols:
            raise ValueError(f"adc_depth ({self.adc_depth}) must not exceed cols ({self.cols})")
        if not (self.clock_hz > 0):
            raise ValueError(f"clock_hz must be positive, not {self.clock_hz!r}")
        if not (self.mvm_ns > 0):
            raise ValueError(f"mvm_ns must be positive, not {self.mvm_ns!r}")
        if not isinstance(self.overlap, bool):
            raise ValueError(f"overlap must be a bool, not {self.overlap!r}")
        if self.data_interface not in DATA_INTERFACES:
            raise ValueError(f"data_interface must be one of {', '.join(DATA_INTERFACES)}, "
                             f"not {self.data_interface!r}")
        _check_int("arrays", self.arrays, 1, MAX_ARRAYS)
        return self

    @property
    def store_ports(self) -> int:
        """The IMA's dedicated store ports: N (``"split"``), 0 (``"shared"``: the Sink writes
        through the N ``tcdm_load`` ports it shares with the Source)."""
        return self.ports if self.data_interface == "split" else 0

    @property
    def mvm_cycles(self) -> int:
        """Cycles of one analog MVM (18 at 70 ns, 250 MHz): the one formula of sim_models."""
        return latency_cycles(self.clock_hz, self.mvm_ns)

    def with_(self, **changes: Any) -> ImaConfig:
        return replace(self, **changes)


#: Field names of each dataclass (the flat keyword names of :meth:`ClusterConfig.with_`).
IMA_FIELDS = tuple(f.name for f in fields(ImaConfig))


#: Port arrangements of the depth-wise accelerator (:attr:`ClusterConfig.dwa_arrangement`).
DWA_ARRANGEMENTS = ("shared", "separate")


@dataclass(frozen=True)
class ClusterConfig:
    """Design-time parameters of the cluster: cores, TCDM, the IMA and the depth-wise accelerator.

    ``n_cores`` and ``tcdm_bytes`` are also fields of :attr:`ima` (the IMA needs them); they must
    agree, which :meth:`with_` keeps true by setting both.

    Parameters (beyond the IMA's)
    -----------------------------
    dwa : bool
        The cluster has the digital depth-wise accelerator (:mod:`hw.dwa`), with ``ima.ports``
        32-bit TCDM data ports shared by its source and sink, its own peripheral region and
        event lines. ``False``: today's AICAS cluster, unchanged.
    dwa_arrangement : str
        ``"shared"``: the DWA's N data ports are multiplexed onto the IMA's N load ports (one
        accelerator owns them at a time, as in Garofalo et al. 2022, Sec. III-B), no extra TCDM
        masters. ``"separate"``: the DWA has N TCDM master ports of its own.
    imas : int
        IMA instances (1..``n_cores``), each ``Ima(ima)`` with its own ``ima.arrays`` crossbars,
        TCDM master ports, peripheral region, analog core port, statistics and event lines.
        1 (default): the one IMA all cores share (the loosely coupled cluster, unchanged).
        ``K > 1``: the tightly coupled cluster of the TPDS 2024 study (papers/tpds2024-notes.md,
        "Our definitions"): IMA ``k`` is core ``k``'s private accelerator -- by convention of the
        driver (only core ``k`` acquires IMA ``k``), not enforced by hardware; see
        :mod:`hw.cluster.cluster`. With the DWA in the ``shared`` arrangement its ports share
        IMA 0's load ports.
    sw_cost : str
        The cores' software cost model, a name in :data:`sim_models.swcost.SW_COSTS` (the
        cycles the core BFMs charge per kernel; no RTL depends on it). A preset names the set
        of its paper.
    """
    n_cores: int = _D["n_cores"]
    banks: int = _D["banks"]
    tcdm_bytes: int = _D["tcdm_bytes"]
    ima: ImaConfig = ImaConfig()
    dma_ports: int = _D["dma_ports"]
    dwa: bool = _D["dwa"]
    dwa_arrangement: str = _D["dwa_arrangement"]
    sw_cost: str = _D["sw_cost"]
    imas: int = _D["imas"]

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> ClusterConfig:
        _check_int("n_cores", self.n_cores, 1, 16)
        _check_int("banks", self.banks, 1, 256)
        _check_pow2("banks", self.banks)
        _check_int("dma_ports", self.dma_ports, 0, 4)
        if self.tcdm_bytes % (4 * self.banks):
            raise ValueError(f"tcdm_bytes ({self.tcdm_bytes}) must be a multiple of 4*banks")
        if self.ima.n_cores != self.n_cores:
            raise ValueError(f"ima.n_cores ({self.ima.n_cores}) must equal n_cores ({self.n_cores})")
        if self.ima.tcdm_bytes != self.tcdm_bytes:
            raise ValueError(f"ima.tcdm_bytes ({self.ima.tcdm_bytes}) must equal tcdm_bytes")
        if not isinstance(self.dwa, bool):
            raise ValueError(f"dwa must be a bool, not {self.dwa!r}")
        if self.dwa_arrangement not in DWA_ARRANGEMENTS:
            raise ValueError(f"dwa_arrangement must be one of {', '.join(DWA_ARRANGEMENTS)}, "
                             f"not {self.dwa_arrangement!r}")
        if self.sw_cost not in SW_COSTS:
            raise ValueError(f"sw_cost must be one of {', '.join(SW_COSTS)}, not {self.sw_cost!r}")
        _check_int("imas", self.imas, 1, self.n_cores)
        return self

    @property
    def dwa_ports(self) -> int:
        """The depth-wise accelerator's 32-bit data ports (0 without it): N, as the IMA's."""
        return self.ima.ports if self.dwa else 0

    def master_ranges(self) -> dict[str, range]:
        """TCDM master indices by owner, in order: ``cores``, ``ima_load``, ``ima_store``,
        ``dwa`` (its own ports: only with ``dwa_arrangement == "separate"``; shared, it uses
        ``ima_load``), ``dma`` (DMA / testbench ports). With ``imas`` = K IMAs, ``ima_load``
        holds K*N ports and ``ima_store`` K*S (S = ``ima.store_ports``), instance by instance:
        IMA ``k``'s load port ``j`` is ``ima_load[k*N + j]``, its store port ``j``
        ``ima_store[k*S + j]`` (:meth:`ima_masters`)."""
        n, k = self.ima.ports, self.imas
        own = self.dwa_ports if self.dwa_arrangement == "separate" else 0
        sizes = {"cores": self.n_cores, "ima_load": k * n, "ima_store": k * self.ima.store_ports,
                 "dwa": own, "dma": self.dma_ports}
        out, base = {}, 0
        for name, size in sizes.items():
            out[name] = range(base, base + size)
            base += size
        return out

    def ima_masters(self, k: int) -> dict[str, range]:
        """TCDM master indices of IMA ``k`` (0..imas-1): ``{"load": ..., "store": ...}``."""
        _check_int("k", k, 0, self.imas - 1)
        rng, n, s = self.master_ranges(), self.ima.ports, self.ima.store_ports
        return {"load": rng["ima_load"][k * n:(k + 1) * n],
                "store": rng["ima_store"][k * s:(k + 1) * s]}

    @property
    def masters(self) -> int:
        """TCDM masters: cores, N load + N store IMA ports, the DWA's own ports (separate
        arrangement only), then DMA/testbench ports (see :meth:`master_ranges`)."""
        return sum(len(r) for r in self.master_ranges().values())

    # ------------------------------------------------------------------ flat views
    def with_(self, **changes: Any) -> ClusterConfig:
        """A copy with flat keyword changes routed to the cluster or its IMA: ``ports``,
        ``rows``, ``overlap``, ... go to :attr:`ima`; ``banks``, ``dma_ports`` to the cluster;
        ``n_cores`` and ``tcdm_bytes`` to both. ``ValueError`` names an unknown keyword."""
        unknown = sorted(set(changes) - set(self.flat()))
        if unknown:
            raise ValueError(f"unknown configuration parameter(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(self.flat()))}")
        ima = {k: v for k, v in changes.items() if k in IMA_FIELDS}
        top = {k: v for k, v in changes.items() if k in CLUSTER_FIELDS}
        return replace(self, ima=self.ima.with_(**ima) if ima else self.ima, **top)

    def flat(self) -> dict[str, Any]:
        """Every parameter under its flat name (the inverse of :meth:`with_`; JSON-ready)."""
        out = {f: getattr(self.ima, f) for f in IMA_FIELDS}
        out.update({f: getattr(self, f) for f in CLUSTER_FIELDS})
        return out

    @classmethod
    def from_flat(cls, flat: Mapping[str, Any], *, base: str = DEFAULT_PRESET) -> ClusterConfig:
        """The preset ``base`` with the flat parameters ``flat`` (see :meth:`with_`)."""
        return preset(base).with_(**flat)

    def build_params(self, always: tuple[str, ...] = ()) -> dict[str, Any]:
        """Flat parameters naming a build: the names in ``always`` plus every parameter that
        differs from the default preset (so a default build keeps a short, stable key)."""
        flat, ref = self.flat(), preset().flat()
        return {k: v for k, v in flat.items() if k in always or v != ref[k]}


CLUSTER_FIELDS = tuple(f.name for f in fields(ClusterConfig) if f.name != "ima")


def _from_data(data: Mapping[str, Any]) -> ClusterConfig:
    ima = ImaConfig(**{k: data[k] for k in IMA_FIELDS})
    return ClusterConfig(ima=ima, **{k: data[k] for k in CLUSTER_FIELDS})


#: Name -> validated :class:`ClusterConfig`, one per entry of :data:`PRESET_DATA`.
PRESETS: Mapping[str, ClusterConfig] = MappingProxyType(
    {name: _from_data(data) for name, data in PRESET_DATA.items()})


def preset(name: str = DEFAULT_PRESET) -> ClusterConfig:
    """The configuration of a named preset; ``ValueError`` lists the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}") from None
