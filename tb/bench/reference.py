"""The numbers the sweep compares against, as data: what the papers report (each with the paper
and the figure / section that says it) and the project's own targets (with where they were set).

Reference points only: nothing here feeds a model constant. Model inputs that happen to come
from a paper (18.2 um^2 per PCM device, 70 ns per MVM, PULP-NN's SIMD utilisation) live with
their own citation beside the model (sim_models/, hw/config.py); this table is what the report's
checks and prose quote. :mod:`tb.bench.analysis` and :mod:`tb.bench.report` read every
reference number from here; docs/bench.md lists the table.
"""

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["SOURCES", "SHORT", "Reference", "PAPER", "TARGETS", "CONV_SPEEDUP", "PEAK_TOPS_W_PORTS",
           "DW_SATURATION_PORTS", "GAROFALO_SPEEDUP_SW", "GAROFALO_ENERGY_SW", "GAROFALO_NET",
           "value", "cite"]

#: The publications cited below, by short key.
SOURCES = MappingProxyType({
    "aicas2021": ("G. Ottavi, G. Karunaratne, F. Conti, I. Boybat, L. Benini, D. Rossi, \"End-to-end "
                  "100-TOPS/W Inference With Analog In-Memory Computing: Are We There Yet?\", "
                  "IEEE AICAS 2021, doi:10.1109/AICAS51828.2021.9458409"),
    "pulpnn2020": ("A. Garofalo, M. Rusci, F. Conti, D. Rossi, L. Benini, \"PULP-NN: accelerating "
                   "quantized neural networks on parallel ultra-low-power RISC-V processors\", "
                   "Phil. Trans. R. Soc. A 378:20190155, 2020"),
    "jetcas2022": ("A. Garofalo, G. Ottavi, F. Conti, G. Karunaratne, I. Boybat, L. Benini, D. Rossi, "
                   "\"A Heterogeneous In-Memory Computing Cluster For Flexible End-to-End Inference of "
                   "Real-World Deep Neural Networks\", IEEE JETCAS 2022 (papers/garofalo2022-notes.md)"),
    "project": "this project's own targets (the issues that set them; docs/bench.md)",
})

#: Short names of the sources for prose ("Ottavi et al., AICAS 2021").
SHORT = MappingProxyType({"aicas2021": "Ottavi et al., AICAS 2021",
                          "pulpnn2020": "Garofalo et al., Phil. Trans. R. Soc. A 2020",
                          "jetcas2022": "Garofalo et al., JETCAS 2022",
                          "project": "project target"})


@dataclass(frozen=True)
class Reference:
    """One number: its value, its unit, the source (a key of :data:`SOURCES`), where in the
    source it stands (figure / section) and what it says, in the source's words where possible."""
    value: float
    unit: str
    source: str
    where: str
    says: str

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}, not {self.source!r}")

    @property
    def citation(self):
        return f"{SHORT[self.source]}, {self.where}"


def _table(entries):
    return MappingProxyType({k: Reference(*v) for k, v in entries.items()})


#: What the papers report (docs/spec.md section 5). Never an output of ours.
PAPER = _table({
    # standard convolution, Fig. 3
    "conv_speedup_1": (10.2, "x", "aicas2021", "Sec. IV-2, Fig. 3",
                       "speed-up of the IMA at 1/1 ports over 8-core PULP-NN software"),
    "conv_speedup_16": (36.7, "x", "aicas2021", "Sec. IV-2, Fig. 3",
                        "speed-up of the IMA at 16/16 ports over 8-core PULP-NN software"),
    "conv_k": (3, "", "aicas2021", "Sec. IV-2", "standard conv: 3x3 filter"),
    "conv_out_hw": (16, "pixels", "aicas2021", "Sec. IV-2", "standard conv: 16x16 output size"),
    "conv_cin": (32, "channels", "aicas2021", "Sec. IV-2", "standard conv: 32 input channels"),
    "conv_cout": (64, "channels", "aicas2021", "Sec. IV-2", "standard conv: 64 output channels"),
    "sw_simd_utilisation": (0.55, "", "aicas2021", "Sec. IV-2",
                            "PULP-NN achieves more than 55% utilization of the SIMD MAC units"),
    "mvm_ns": (70, "ns", "aicas2021", "Sec. IV-1", "a single array operation takes 70ns"),
    "clock_hz": (250e6, "Hz", "aicas2021", "Sec. IV-1",
                 "results reported relative to the cluster frequency of 250MHz"),
    "pcm_device_um2": (18.2, "um^2", "aicas2021", "Sec. IV-1", "each PCM device has an area of 18.2 um^2"),
    # MobileNetV2 bottleneck, Fig. 4-6
    "bn_cin": (32, "channels", "aicas2021", "Sec. IV-3",
               "bottleneck C: implied by the PCM area ratios 3.25 = 1 + 72/C (docs/spec.md section 4)"),
    "bn_expand": (6, "", "aicas2021", "Fig. 4", "bottleneck expansion factor t (docs/spec.md section 4)"),
    "bn_dw_k": (3, "", "aicas2021", "Sec. IV-3, Fig. 4", "the bottleneck's 3x3 depthwise layer"),
    "hybrid_speedup_4": (3.0, "x", "aicas2021", "Sec. IV-3",
                         "the improvement when using the IMA down to ~3x the software implementation"),
    "hybrid_gops_4": (13.2, "GOPS", "aicas2021", "Sec. V, Fig. 5a", "HYBRID on a 4/4 configuration"),
    "hybrid_tops_w_4": (2.55, "TOPS/W", "aicas2021", "Sec. V, Fig. 5b", "HYBRID on a 4/4 configuration"),
    "hybrid_gops_mm2_4": (19.7, "GOPS/mm^2", "aicas2021", "Sec. V, Fig. 5c",
                          "HYBRID on a 4/4 configuration, PCM area including padding"),
    "pcm_ratio_ima16": (3.25, "x", "aicas2021", "Sec. IV-3, Fig. 5c",
                        "HYBRID needs ~3.25x smaller PCM area than IMA16"),
    "pcm_ratio_ima8": (2.13, "x", "aicas2021", "Sec. IV-3, Fig. 5c",
                       "HYBRID needs 2.13x smaller PCM area than IMA8"),
    "cluster_ratio_ima16": (1.82, "x", "aicas2021", "Sec. IV-3",
                            "with the cluster area, HYBRID has 1.82x better GOPS/mm^2 than IMA16"),
    "cluster_ratio_ima8": (2.56, "x", "aicas2021", "Sec. IV-3",
                           "with the cluster area, HYBRID has 2.56x better GOPS/mm^2 than IMA8"),
    "peak_tops_w_ports_hybrid": (4, "ports", "aicas2021", "Sec. IV-3, Fig. 5b",
                                 "energy efficiency peaks at 4 ports (HYBRID/IMA16)"),
    "peak_tops_w_ports_ima16": (4, "ports", "aicas2021", "Sec. IV-3, Fig. 5b",
                                "energy efficiency peaks at 4 ports (HYBRID/IMA16)"),
    "peak_tops_w_ports_ima8": (2, "ports", "aicas2021", "Sec. IV-3, Fig. 5b",
                               "energy efficiency peaks at 2 ports (IMA8)"),
    "dw_saturation_ports_ima8": (2, "ports", "aicas2021", "Sec. IV-3",
                                 "8 channels per job: 2 ports are sufficient for the depthwise"),
    "dw_saturation_ports_ima16": (4, "ports", "aicas2021", "Sec. IV-3",
                                  "IMA16: the depthwise bandwidth saturates at 4 TCDM ports"),
    # the digital depth-wise accelerator and the IMA+DW mapping (their configuration: 500 MHz,
    # 128-bit data interface shared with the DW accelerator, pipelined IMA -- hw/config.py's
    # jetcas2022 preset, a later issue; our runs use aicas2021, so these are compared, not passed)
    "imadw_speedup_sw": (11.5, "x", "jetcas2022", "abstract, Sec. V-C",
                         "IMA+DW: 11.5x performance over 8-core software on the bottleneck"),
    "imadw_speedup_hybrid": (2.6, "x", "jetcas2022", "Sec. V-C",
                             "IMA+DW over HYBRID (depth-wise on the cores): 2.6x performance"),
    "imadw_energy_sw": (9.5, "x", "jetcas2022", "abstract, conclusion (Sec. V-C: 9.2x)",
                        "IMA+DW: 9.5x energy efficiency over 8-core software on the bottleneck"),
    "jetcas_hybrid_speedup_sw": (4.6, "x", "jetcas2022", "Sec. V-C",
                                 "HYBRID: 4.6x performance over software in their configuration"),
    "jetcas_ima8_speedup_sw": (1.23, "x", "jetcas2022", "Sec. V-C",
                               "IMA, C_job 8 (depth-wise on the IMA): 1.23x performance over software"),
    "jetcas_ima16_speedup_sw": (2.27, "x", "jetcas2022", "Sec. V-C",
                                "IMA, C_job 16 (depth-wise on the IMA): 2.27x performance over software"),
    "imadw_energy_sw_sec5c": (9.2, "x", "jetcas2022", "Sec. V-C",
                              "IMA+DW: 9.2x energy efficiency over software (the abstract says 9.5x)"),
    "jetcas_hybrid_energy_sw": (3.4, "x", "jetcas2022", "Sec. V-C",
                                "HYBRID: 3.4x energy efficiency over software"),
    "dwa_dw_speedup": (26.0, "x", "jetcas2022", "Sec. IV-C",
                       "the DW accelerator is 26x faster than the software depth-wise layer"),
    "dwa_mac_per_cycle": (29.7, "MAC/cycle", "jetcas2022", "Sec. IV-C",
                          "29.7 MAC/cycle on average on the depth-wise layers"),
    "dwa_peak_mac_per_cycle": (36, "MAC/cycle", "jetcas2022", "Sec. IV-C",
                               "36 multipliers (3x3x4 per cycle): peak 36 MAC/cycle"),
    "dwa_area_share": (0.021, "", "jetcas2022", "Sec. IV-C",
                       "the DW accelerator takes 2.1 % of the cluster area"),
    # MobileNetV2 end to end on the multi-array IMA + DW accelerator (Sec. VI, Table I)
    "mnv2_latency_ms": (10.1, "ms", "jetcas2022", "Sec. VI, Table I",
                        "MobileNetV2 (224x224, width 1.0) end to end: 10.1 ms per inference"),
    "mnv2_energy_uj": (482, "uJ", "jetcas2022", "Sec. VI, Table I",
                       "MobileNetV2 end to end: 482 uJ per inference"),
    "mnv2_inf_per_s": (99, "inf/s", "jetcas2022", "Sec. VI, Table I",
                       "MobileNetV2 end to end: 99 inferences per second"),
    "mnv2_arrays": (34, "arrays", "jetcas2022", "Sec. VI",
                    "Tile&Pack places MobileNetV2 on 34 crossbars of 256x256"),
    # PULP-NN
    "pulpnn_mac_per_cycle": (15.5, "MAC/cycle", "pulpnn2020", "abstract",
                             "up to 15.5 MAC/cycle on INT-8 on the 8-core cluster"),
})

#: Our own targets: pass criteria the project set itself (not a paper's result).
TARGETS = _table({
    "overlap_speedup": (55.0, "x", "project", "issue: overlapped engine phases",
                        "the overlapped engine's standard conv within 10% of the compute bound "
                        "(one MVM per job), i.e. >= 55x over SW"),
    "sim_wall_s": (20.0, "s", "project", "issue: simulator speed",
                   "the bottleneck HYBRID 4/4 run in <= 20 s wall, excluding the build"),
})


def value(key):
    """The value of ``key`` in :data:`PAPER` or :data:`TARGETS` (KeyError names the key)."""
    return (PAPER[key] if key in PAPER else TARGETS[key]).value


def cite(key):
    """Where ``key`` comes from, e.g. ``'Ottavi et al., AICAS 2021, Sec. IV-2, Fig. 3'``."""
    return (PAPER[key] if key in PAPER else TARGETS[key]).citation


#: Fig. 3 speed-ups by port count.
CONV_SPEEDUP = MappingProxyType({1: value("conv_speedup_1"), 16: value("conv_speedup_16")})
#: Port count where each mapping's TOPS/W peaks (Fig. 5b).
PEAK_TOPS_W_PORTS = MappingProxyType({"HYBRID": value("peak_tops_w_ports_hybrid"),
                                      "IMA16": value("peak_tops_w_ports_ima16"),
                                      "IMA8": value("peak_tops_w_ports_ima8")})
#: Port count where each IMA-depthwise mapping's depthwise stops gaining.
DW_SATURATION_PORTS = MappingProxyType({"IMA8": value("dw_saturation_ports_ima8"),
                                        "IMA16": value("dw_saturation_ports_ima16")})
#: Garofalo et al., JETCAS 2022, Sec. V-C: each bottleneck mapping's performance over 8-core software
#: (the key of :data:`PAPER` holding it), under their configuration (the ``jetcas2022`` preset).
GAROFALO_SPEEDUP_SW = MappingProxyType({"IMA8": "jetcas_ima8_speedup_sw",
                                        "IMA16": "jetcas_ima16_speedup_sw",
                                        "HYBRID": "jetcas_hybrid_speedup_sw",
                                        "IMADW": "imadw_speedup_sw"})
#: ... and their energy efficiency over software (IMADW twice: the abstract's 9.5x, Sec. V-C's 9.2x).
GAROFALO_ENERGY_SW = MappingProxyType({"HYBRID": ("jetcas_hybrid_energy_sw",),
                                       "IMADW": ("imadw_energy_sw", "imadw_energy_sw_sec5c")})
#: Garofalo et al., JETCAS 2022, Sec. VI: MobileNetV2 end to end (``ima-sim net``'s totals line):
#: our total's field -> the key of :data:`PAPER`.
GAROFALO_NET = MappingProxyType({"latency_ms": "mnv2_latency_ms", "energy_uj": "mnv2_energy_uj",
                                 "inf_per_s": "mnv2_inf_per_s", "arrays": "mnv2_arrays"})
