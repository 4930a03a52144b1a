"""Event-count energy model of the cluster + IMA (pure Python, no amaranth/cocotb).

A simulation counts events; :func:`energy_report` multiplies them by per-event energies
(:class:`EnergyParams`) and adds static power over the run time. Every constant cites its source
next to it; values without a checkable source are marked ``ASSUMPTION`` with the reasoning, and all
of them are listed in ``docs/energy_area.md``. None is fitted to the AICAS 2021 results
(13.2 GOPS, 2.55 TOPS/W, 19.7 GOPS/mm^2 for HYBRID 4/4): those stay the comparison.

Event dictionary (all keys optional except ``cycles``; a missing key counts 0; unknown keys and
negative / non-finite values raise ``ValueError`` naming the key):

==========================  ===================================================================
key                         meaning
==========================  ===================================================================
``cycles``                  total wall-clock cycles of the run (cluster clock)
``core_active_cycles``      sum over cores of cycles a core executes (not clock-gated)
``core_idle_cycles``        sum over cores of cycles a core sleeps on a barrier / event
                            (clock-gated in PULP); active + idle <= n_cores * cycles
``tcdm_accesses``           granted TCDM requests (reads + writes) of *all* masters (cores and
                            IMA ports), from the interconnect's per-master granted counters
``ima_streamin_cycles``     IMA cycles in STREAMIN
``ima_compute_cycles``      IMA cycles in COMPUTE (waiting on the analog MVM)
``ima_streamout_cycles``    IMA cycles in STREAMOUT
``ima_idle_cycles``         IMA cycles with no job (clock-gated); phase sum <= cycles (with
                            ``imas`` = K IMAs: each key sums the K IMAs', bound K * cycles)
``mvm_count``               analog MVMs (one per job)
``mvm_cells``               sum over MVMs of rows * cols of the activated window (in weights,
                            i.e. differential device pairs)
``dac_conversions``         sum over MVMs of activated rows (one DAC pulse per row)
``adc_conversions``         sum over MVMs of read columns (one ADC conversion per column)
``dwa_busy_cycles``         cycles the depth-wise accelerator runs a job (its ``stat.cycles``)
``dwa_mac_cycles``          cycles its MAC array works on a window (``stat.mac_cycles``,
                            <= ``dwa_busy_cycles``)
``dwa_idle_cycles``         cycles a present accelerator has no job (clock-gated); busy + idle
                            <= cycles. All three are 0 (absent) in a cluster without the DWA.
==========================  ===================================================================

:func:`mvm_events` builds the four MVM keys from a list of ``(rows, cols)`` windows.
"""

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Self

from sim_models.dwa import MULTIPLIERS

__all__ = [
    "EVENT_KEYS", "EnergyParams", "energy_report", "mvm_energy_pj", "mvm_events", "gops",
    "tops_per_w", "HERMES_ROWS", "HERMES_COLS", "HERMES_TOPS_PER_W", "HERMES_MVM_ENERGY_PJ",
]

# --------------------------------------------------------------------------------------------
# Source constants (with citations). Derived per-event energies follow below.
# --------------------------------------------------------------------------------------------

# Hermes core: R. Khaddam-Aljameh et al., "HERMES-Core - A 1.59-TOPS/mm2 PCM on 14-nm CMOS
# In-Memory Compute Core Using 300-ps/LSB Linearized CCO-Based ADCs", IEEE JSSC 2022, abstract:
# 256 x 256 IMC core, 256 CCO-based ADCs, measured 10.5 TOPS/W at 1.59 TOPS/mm^2 (1 GHz).
# The AICAS 2021 paper (Sec. IV-1) estimates its IMA power/performance from this core (its
# ref. [6], the VLSI 2021 version), so the analog energy is taken as is: no 14 nm -> 22 nm
# scaling (ASSUMPTION, same choice as the AICAS authors' "estimated from [6]").
HERMES_ROWS = 256
HERMES_COLS = 256
HERMES_TOPS_PER_W = 10.5
# One full MVM = 2 * 256 * 256 OPs (1 MAC = 2 OPs) -> 131072 OPs / 10.5e12 OPs/J = 12483 pJ.
HERMES_MVM_ENERGY_PJ = 2 * HERMES_ROWS * HERMES_COLS / (HERMES_TOPS_PER_W * 1e12) * 1e12

# Split of the Hermes MVM energy between what scales with columns (ADC conversions + per-column
# local digital processing), with rows (DAC / wordline drivers) and with activated cells (PCM
# read currents on the bitlines). ASSUMPTION: the abstract gives no breakdown; the ADC bank
# (256 CCO ADCs running at GHz rates, plus the LDPU) is taken as the largest share. Only partial
# windows are sensitive to this split; a full 256x256 MVM reproduces 10.5 TOPS/W for any split.
HERMES_ADC_SHARE = 0.50    # ASSUMPTION
HERMES_DAC_SHARE = 0.15    # ASSUMPTION
HERMES_CELL_SHARE = 0.35   # ASSUMPTION (= 1 - ADC - DAC)

# Vega: D. Rossi et al., "Vega: A Ten-Core SoC for IoT Endnodes With DNN Acceleration and
# Cognitive Wake-Up From MRAM-Based State-Retentive Sleep Mode", IEEE JSSC 57(1) 2022, abstract:
# 9-core PULP cluster in GF 22nm FDX, 615 GOPS/W on 8-bit integer computation (software on the
# cores; whole-cluster energy: cores + TCDM + I$ + interconnect).
VEGA_INT8_GOPS_PER_W = 615.0
# PULP-NN: A. Garofalo et al., "PULP-NN: accelerating quantized neural networks on parallel
# ultra-low-power RISC-V processors", Phil. Trans. R. Soc. A 378:20190155, 2020, abstract:
# up to 15.5 MAC/cycle on INT-8 on the 8-core cluster.
PULPNN_MACS_PER_CYCLE_8_CORES = 15.5
# ASSUMPTION: Vega's 615 GOPS/W was measured at PULP-NN-like throughput, i.e. 2 * 15.5 / 8 =
# 3.875 OPs per core-cycle (not at the 8 OPs/cycle SIMD peak). Then the whole-cluster energy
# per active core-cycle is 3.875 OPs / 615 GOPS/W = 6.30 pJ. Vega's best-efficiency point is a
# low-voltage one (the AICAS power numbers are at 0.65 V, typical corner): same order.
VEGA_CLUSTER_PJ_PER_CORE_CYCLE = (2 * PULPNN_MACS_PER_CYCLE_8_CORES / 8) / (VEGA_INT8_GOPS_PER_W * 1e9) * 1e12
# ASSUMPTION: TCDM accesses per core-cycle inside that figure. PULP-NN's int8 4x2 matmul inner
# loop issues 6 word loads (2 activation + 4 weight words) for 8 SIMD dot products, ~12-14
# instructions per iteration -> ~0.5 accesses per cycle. Used only to remove the memory share
# from the Vega per-core-cycle energy, so TCDM accesses are not counted twice.
VEGA_TCDM_ACCESSES_PER_CORE_CYCLE = 0.5

# ASSUMPTION: energy of one granted 32-bit TCDM access (SRAM bank read/write of a 32 KiB bank,
# plus the logarithmic interconnect) in 22FDX at ~0.65 V. No 22FDX figure was found in the
# stored sources. Reasoning: a 32 KiB SRAM 64-bit access costs ~20 pJ at 45 nm / 0.9 V in the
# often-quoted table of M. Horowitz, "Computing's energy problem", ISSCC 2014 (value recalled,
# not re-checked here); /2 for 32 bits, x (22/45) for capacitance, x (0.65/0.9)^2 for voltage
# -> ~2.5 pJ.
TCDM_ACCESS_PJ = 2.5

# ASSUMPTION: a clock-gated (sleeping) core costs ~10 % of an active cycle (leakage + the
# ungated part of the clock tree and event unit); PULP cores sleep on the event unit with
# their clock gated (Mr. Wolf, Vega: event unit, clock gating).
CORE_IDLE_FRACTION = 0.10

# ASSUMPTION: IMA digital energy per cycle (controller FSM + streamer + DAC/ADC buffers; the TCDM
# accesses of its ports are counted in tcdm_accesses). An HWPE streamer + controller is a few
# tens of kGE, i.e. of the order of one core; while streaming it toggles ~ a third of a core's
# logic; while waiting for the analog core only the FSM/counters run; idle is clock-gated.
IMA_STREAM_PJ_PER_CYCLE = 1.5    # ASSUMPTION
IMA_COMPUTE_PJ_PER_CYCLE = 0.5   # ASSUMPTION
IMA_IDLE_PJ_PER_CYCLE = 0.1      # ASSUMPTION

# Digital depth-wise accelerator (A. Garofalo et al., JETCAS 2022, Sec. IV-C: 36 8-bit
# multipliers + reduction tree, 32-bit accumulators, 3x3x16 weight and 4x3x16 window registers).
# ASSUMPTION: energy of one 8-bit multiply + 32-bit accumulate in 22FDX at ~0.65 V. Reasoning:
# 0.2 pJ (8-bit multiply) + 0.1 pJ (32-bit add) at 45 nm / 0.9 V in M. Horowitz, "Computing's
# energy problem", ISSCC 2014 (values recalled, not re-checked here), scaled as TCDM_ACCESS_PJ
# is: x (22/45) for capacitance, x (0.65/0.9)^2 for voltage -> 0.3 x 0.255 = 0.077 pJ.
DWA_MAC_PJ = (0.2 + 0.1) * (22 / 45) * (0.65 / 0.9) ** 2
#: Multipliers of the MAC array (Garofalo et al. 2022, Sec. IV-C: 3x3x4 per cycle).
DWA_MULTIPLIERS = MULTIPLIERS
# ASSUMPTION: the rest of a busy DWA cycle (controller FSM, address generators, the weight and
# window registers, requantisation) costs what the IMA's streamer + controller costs while
# streaming (IMA_STREAM_PJ_PER_CYCLE): same HWPE control block, a streamer of the same ports.
DWA_BUSY_PJ_PER_CYCLE = IMA_STREAM_PJ_PER_CYCLE
# ASSUMPTION: an idle (clock-gated) DWA costs what an idle IMA's digital part does.
DWA_IDLE_PJ_PER_CYCLE = IMA_IDLE_PJ_PER_CYCLE

# Mr. Wolf: A. Pullini et al., "Mr.Wolf: An Energy-Precision Scalable Parallel Ultra Low Power
# SoC for IoT Edge Processing", IEEE JSSC 54(7) 2019, abstract: 512 kB fully retentive memory at
# 108 uW (40 nm LP). ASSUMPTION: used as the order of magnitude of the 512 KiB TCDM leakage in
# 22FDX at 0.65 V (22FDX leaks less per bit than 40 nm LP at nominal, more than in retention).
TCDM_LEAKAGE_MW = 0.108
# ASSUMPTION: leakage of the cluster logic (8 cores, I$, interconnect, peripherals, IMA digital)
# in 22FDX at 0.65 V, ~2x the SRAM figure above (logic of ~1 Mgate with low-leakage cells).
LOGIC_LEAKAGE_MW = 0.2
# ASSUMPTION: the analog core is powered down between MVMs (its energy is all per MVM, as in the
# Hermes TOPS/W figure); no standing bias power.
IMA_ANALOG_STATIC_MW = 0.0


@dataclass(frozen=True)
class EnergyParams:
    """Per-event energies (pJ) and static powers (mW). Defaults derive from the cited constants."""
    # cores (RI5CY), per core-cycle
    core_active_pj: float = (VEGA_CLUSTER_PJ_PER_CORE_CYCLE
                             - VEGA_TCDM_ACCESSES_PER_CORE_CYCLE * TCDM_ACCESS_PJ)
    core_idle_pj: float = CORE_IDLE_FRACTION * (VEGA_CLUSTER_PJ_PER_CORE_CYCLE
                                                - VEGA_TCDM_ACCESSES_PER_CORE_CYCLE * TCDM_ACCESS_PJ)
    # TCDM (bank + interconnect), per granted 32-bit access
    tcdm_access_pj: float = TCDM_ACCESS_PJ
    # IMA digital, per cycle of each phase
    ima_streamin_pj: float = IMA_STREAM_PJ_PER_CYCLE
    ima_compute_pj: float = IMA_COMPUTE_PJ_PER_CYCLE
    ima_streamout_pj: float = IMA_STREAM_PJ_PER_CYCLE
    ima_idle_pj: float = IMA_IDLE_PJ_PER_CYCLE
    # analog core (Hermes-derived), per event
    mvm_cell_pj: float = HERMES_CELL_SHARE * HERMES_MVM_ENERGY_PJ / (HERMES_ROWS * HERMES_COLS)
    dac_conversion_pj: float = HERMES_DAC_SHARE * HERMES_MVM_ENERGY_PJ / HERMES_ROWS
    adc_conversion_pj: float = HERMES_ADC_SHARE * HERMES_MVM_ENERGY_PJ / HERMES_COLS
    mvm_fixed_pj: float = 0.0          # per MVM, independent of the window (none in Hermes split)
    # depth-wise accelerator, per cycle: MAC array (all 36 multipliers), the rest while busy, idle
    dwa_mac_cycle_pj: float = DWA_MULTIPLIERS * DWA_MAC_PJ
    dwa_busy_pj: float = DWA_BUSY_PJ_PER_CYCLE
    dwa_idle_pj: float = DWA_IDLE_PJ_PER_CYCLE
    # static power
    tcdm_leakage_mw: float = TCDM_LEAKAGE_MW
    logic_leakage_mw: float = LOGIC_LEAKAGE_MW
    ima_analog_static_mw: float = IMA_ANALOG_STATIC_MW

    def validate(self) -> Self:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"EnergyParams.{f.name} must be a finite number >= 0, not {v!r}")
        return self


EVENT_KEYS = (
    "cycles", "core_active_cycles", "core_idle_cycles", "tcdm_accesses",
    "ima_streamin_cycles", "ima_compute_cycles", "ima_streamout_cycles", "ima_idle_cycles",
    "mvm_count", "mvm_cells", "dac_conversions", "adc_conversions",
    "dwa_busy_cycles", "dwa_mac_cycles", "dwa_idle_cycles",
)

# component name -> (event key, EnergyParams field)
_DYNAMIC = (
    ("cores_active", "core_active_cycles", "core_active_pj"),
    ("cores_idle", "core_idle_cycles", "core_idle_pj"),
    ("tcdm", "tcdm_accesses", "tcdm_access_pj"),
    ("ima_streamin", "ima_streamin_cycles", "ima_streamin_pj"),
    ("ima_compute", "ima_compute_cycles", "ima_compute_pj"),
    ("ima_streamout", "ima_streamout_cycles", "ima_streamout_pj"),
    ("ima_idle", "ima_idle_cycles", "ima_idle_pj"),
    ("mvm_array", "mvm_cells", "mvm_cell_pj"),
    ("mvm_dac", "dac_conversions", "dac_conversion_pj"),
    ("mvm_adc", "adc_conversions", "adc_conversion_pj"),
    ("mvm_fixed", "mvm_count", "mvm_fixed_pj"),
    ("dwa_mac", "dwa_mac_cycles", "dwa_mac_cycle_pj"),
    ("dwa_busy", "dwa_busy_cycles", "dwa_busy_pj"),
    ("dwa_idle", "dwa_idle_cycles", "dwa_idle_pj"),
)


def _check_count(key, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise ValueError(f"event {key!r} must be a number, not {v!r}")
    f = float(v)
    if not math.isfinite(f) or f < 0:
        raise ValueError(f"event {key!r} must be a finite count >= 0, not {v!r}")
    return f


def _normalise_events(events, n_cores, imas=1):
    if not isinstance(events, dict):
        raise ValueError(f"events must be a dict, not {type(events).__name__}")
    for k in events:
        if k not in EVENT_KEYS:
            raise ValueError(f"unknown event key {k!r}; known keys: {', '.join(EVENT_KEYS)}")
    if "cycles" not in events:
        raise ValueError("event 'cycles' (total run cycles) is required")
    ev = {k: _check_count(k, events.get(k, 0)) for k in EVENT_KEYS}
    cyc = ev["cycles"]
    if ev["core_active_cycles"] + ev["core_idle_cycles"] > n_cores * cyc:
        raise ValueError(f"event 'core_active_cycles' + 'core_idle_cycles' exceed n_cores * cycles "
                         f"({n_cores} * {cyc:g})")
    # The sequential engine runs one phase at a time; the overlapped engine (ImaConfig.overlap)
    # runs the three at once. Either way the idle cycles plus the busiest phase fit in the run.
    busiest = max(ev[k] for k in ("ima_streamin_cycles", "ima_compute_cycles",
                                  "ima_streamout_cycles"))
    if busiest + ev["ima_idle_cycles"] > imas * cyc:
        limit = f"'cycles' ({cyc:g})" if imas == 1 else f"imas * 'cycles' ({imas} * {cyc:g})"
        raise ValueError(f"event 'ima_idle_cycles' ({ev['ima_idle_cycles']:g}) + the busiest "
                         f"'ima_*_cycles' phase ({busiest:g}) exceed {limit}")
    if ev["dwa_mac_cycles"] > ev["dwa_busy_cycles"]:
        raise ValueError(f"event 'dwa_mac_cycles' ({ev['dwa_mac_cycles']:g}) exceeds "
                         f"'dwa_busy_cycles' ({ev['dwa_busy_cycles']:g})")
    if ev["dwa_busy_cycles"] + ev["dwa_idle_cycles"] > cyc:
        raise ValueError(f"event 'dwa_busy_cycles' + 'dwa_idle_cycles' exceed 'cycles' ({cyc:g})")
    if ev["mvm_count"] == 0:
        for k in ("mvm_cells", "dac_conversions", "adc_conversions"):
            if ev[k] > 0:
                raise ValueError(f"event {k!r} is > 0 but 'mvm_count' is 0")
    return ev


def energy_report(events: dict[str, float], params: EnergyParams = EnergyParams(), *, clock_hz: float,
                  n_cores: int, imas: int = 1) -> dict[str, Any]:
    """Energy breakdown of one run at ``clock_hz`` on ``n_cores`` cores with ``imas`` IMAs (all
    from the caller's hardware configuration, :class:`hw.config.ClusterConfig`).

    With ``imas`` = K > 1 (one private IMA per core) the ``ima_*`` events add up the K IMAs
    (each IMA's idle cycles count: up to K * ``cycles``) and ``ima_analog_static`` is K times
    one IMA's (every IMA has its own analog core); ``imas`` = 1 is the one-IMA cluster.

    Returns ``{"breakdown_uj": {component: uJ}, "dynamic_uj", "static_uj", "total_uj",
    "time_us", "avg_power_mw", "cycles", "clock_hz"}``. Components: ``cores_active``,
    ``cores_idle``, ``tcdm``, ``ima_streamin``, ``ima_compute``, ``ima_streamout``, ``ima_idle``,
    ``mvm_array``, ``mvm_dac``, ``mvm_adc``, ``mvm_fixed`` (dynamic) and ``tcdm_leakage``,
    ``logic_leakage``, ``ima_analog_static`` (static power x run time); ``dwa_mac``,
    ``dwa_busy``, ``dwa_idle`` (dynamic) only when ``events`` has a ``dwa_*`` key (a cluster
    with the depth-wise accelerator), so a run without it reports exactly what it did before.
    """
    params.validate()
    if isinstance(clock_hz, bool) or not isinstance(clock_hz, (int, float)) or not clock_hz > 0 \
            or not math.isfinite(clock_hz):
        raise ValueError(f"clock_hz must be a finite number > 0, not {clock_hz!r}")
    if isinstance(imas, bool) or not isinstance(imas, int) or imas < 1:
        raise ValueError(f"imas must be an integer >= 1, not {imas!r}")
    ev = _normalise_events(events, n_cores, imas)
    breakdown = {}
    has_dwa = any(k.startswith("dwa_") for k in events)
    for name, key, field in _DYNAMIC:
        if key.startswith("dwa_") and not has_dwa:
            continue
        breakdown[name] = ev[key] * getattr(params, field) * 1e-6          # pJ -> uJ
    dynamic = sum(breakdown.values())
    time_s = ev["cycles"] / clock_hz
    static = 0.0
    for name, field in (("tcdm_leakage", "tcdm_leakage_mw"), ("logic_leakage", "logic_leakage_mw"),
                        ("ima_analog_static", "ima_analog_static_mw")):
        breakdown[name] = getattr(params, field) * 1e-3 * time_s * 1e6      # mW * s -> uJ
        if name == "ima_analog_static":
            breakdown[name] *= imas                 # one analog core per IMA (x 1 is exact)
        static += breakdown[name]
    total = dynamic + static
    return {
        "breakdown_uj": breakdown,
        "dynamic_uj": dynamic,
        "static_uj": static,
        "total_uj": total,
        "time_us": time_s * 1e6,
        "avg_power_mw": (total * 1e-6 / time_s * 1e3) if time_s > 0 else 0.0,
        "cycles": ev["cycles"],
        "clock_hz": float(clock_hz),
    }


def mvm_energy_pj(rows: int, cols: int, params: EnergyParams = EnergyParams()) -> float:
    """Analog energy (pJ) of one MVM on a rows x cols window."""
    if rows < 0 or cols < 0:
        raise ValueError(f"rows and cols must be >= 0, not {rows}, {cols}")
    return (params.mvm_cell_pj * rows * cols + params.dac_conversion_pj * rows
            + params.adc_conversion_pj * cols + params.mvm_fixed_pj)


def mvm_events(windows: Iterable[tuple[int, int]]) -> dict[str, int]:
    """MVM event counts from an iterable of ``(rows, cols)`` windows, one per MVM."""
    n = cells = dac = adc = 0
    for rows, cols in windows:
        if rows < 0 or cols < 0:
            raise ValueError(f"window rows and cols must be >= 0, not ({rows}, {cols})")
        n += 1
        cells += rows * cols
        dac += rows
        adc += cols
    return {"mvm_count": n, "mvm_cells": cells, "dac_conversions": dac, "adc_conversions": adc}


def gops(macs: int, cycles: int, clock_hz: float) -> float:
    """Throughput in GOPS (1 MAC = 2 OPs) of ``macs`` done in ``cycles`` at ``clock_hz``."""
    if macs < 0:
        raise ValueError(f"macs must be >= 0, not {macs!r}")
    if not cycles > 0 or not clock_hz > 0:
        raise ValueError(f"cycles and clock_hz must be > 0, not {cycles!r}, {clock_hz!r}")
    return 2.0 * macs / (cycles / clock_hz) / 1e9


def tops_per_w(macs: int, energy_uj: float) -> float:
    """Energy efficiency in TOPS/W (1 MAC = 2 OPs) of ``macs`` done with ``energy_uj`` uJ."""
    if macs < 0:
        raise ValueError(f"macs must be >= 0, not {macs!r}")
    if not energy_uj > 0:
        raise ValueError(f"energy_uj must be > 0, not {energy_uj!r}")
    return 2.0 * macs / (energy_uj * 1e-6) / 1e12
