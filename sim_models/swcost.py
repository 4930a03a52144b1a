"""Cycle cost of the software kernels the 8 RISC-V cores run (PULP-NN style, RI5CY + Xpulp).

The core bus-functional models do their real loads and stores through the RTL interconnect and
insert the remaining cycles of a kernel from this model: a kernel's cycles on one core are
``cost`` below; the BFM subtracts the accesses it issued itself (each load/store is one issue slot
on RI5CY, already inside the cost), so bank-conflict stalls come on top, as on the real cluster.

Constants and where they come from:

* Pointwise / standard convolution (PULP-NN matmul kernel, 4x2 register blocking, ``pv.sdotp``
  4 x 8-bit MACs per cycle): AICAS 2021 (Ottavi et al.) Sec. IV-2: PULP-NN "achieves more than 55%
  utilization of the SIMD MAC units", i.e. 0.55 x 4 = 2.2 MAC/cycle/core (8 cores: 17.6
  MAC/cycle; Garofalo et al., Phil. Trans. R. Soc. A 2020, report up to 15.5 MAC/cycle on 8
  cores, i.e. 1.94 -- the same order). Requantisation is inside that figure.
* Depthwise 3x3 on CHW data (PULP-NN depthwise kernel): no published per-cycle figure was at hand,
  so it is DERIVED from the inner loop of one output on RI5CY with Xpulp (one instruction per
  cycle, hardware loops free): K row loads (``p.lw`` of 4 bytes, K <= 4), K ``pv.sdotusp.b``,
  4 requant instructions (``p.mul``, ``add``, ``sra``, ``p.clipu``), 1 ``p.sb`` store and 2 for the
  sliding-window pointer updates: 2K + 7 cycles for K*K MACs (13 cycles / 9 MACs for K = 3).
  ASSUMPTION (derived, not measured).
* HWC -> CHW re-layout before the depthwise (PULP-NN's depthwise reads CHW): per 4 bytes one
  ``p.lw`` plus 4 x (``p.extractu`` + ``p.sb``): 2.25 cycles/byte. ASSUMPTION (derived).
* Residual add ``clamp(x + p, 0, 255)`` scalar loop: ``p.lbu``, ``p.lb``, ``add``, ``p.clipu``,
  ``p.sb``: 5 cycles/byte. ASSUMPTION (derived).
* Average pool (HWC window sums, then requantisation; the whole network's global pool): per
  input byte one ``p.lbu`` and one ``add`` into a 32-bit accumulator (2 cycles; 8-bit SIMD adds
  would overflow), per output byte the requantisation (``p.mul``, ``add``, ``sra``, ``p.clip``) and
  one ``p.sb``: 5 cycles. ASSUMPTION (derived).
* Max pool (HWC, ``KxK`` windows): four channels of a pixel are one 32-bit word, so per output
  word ``K*K`` ``p.lw`` (post-increment / strided pointers) and ``K*K - 1`` ``pv.maxu.b`` (Xpulp's
  4-lane unsigned byte maximum; no overflow, unlike the average pool's sums) and one ``p.sw``:
  ``2 K^2`` cycles per 4 output bytes. Windows at a padded border are costed as full ones.
  ASSUMPTION (derived).
* Channel concatenation (HWC): per pixel, each operand's channel run is copied word by word
  (one ``p.lw`` and one ``p.sw`` per 4 bytes, 0.5 cycles/byte) plus 2 cycles per run (pointer
  jump and loop set-up, as for the padding ring). ASSUMPTION (derived). (A compiler could have
  the producers write into the concatenated buffer directly, making it free; we cost the copy.)
* Sum of the int8 partials of a row-split layer (``T`` pieces) and requantisation: per output byte
  ``T`` ``p.lb``, ``T - 1`` ``add``, the 4 requantisation instructions and one ``p.sb``:
  ``2T + 4`` cycles. ASSUMPTION (derived).
* Zeroing the padding ring of a padded buffer: one ``p.sw`` of a zero register per 4 bytes
  (post-increment addressing), plus 2 cycles per contiguous run of the ring (pointer jump and loop
  set-up). ASSUMPTION (derived).
* Barrier: 11 cycles, the hardware barrier latency of the PULP cluster's synchronisation unit
  (Glaser et al., "Hardware-Accelerated Energy-Efficient Synchronization and Communication for
  Ultra-Low-Power Tightly Coupled Clusters", DATE 2019, abstract).

One set of constants per paper, and a second set ONLY where a paper publishes a measured kernel
figure (:data:`SW_COSTS`, chosen by name through the preset's ``sw_cost`` in hw/config.py):

* ``pulpnn`` (:data:`DEFAULT_COST`): the constants above (the ``aicas2021`` preset).
* ``garofalo2022`` (the ``jetcas2022`` preset): the same, except the depth-wise kernel. Garofalo
  et al., JETCAS 2022, Sec. IV-C: their DW accelerator reaches "29.7 MAC/cycle on average" and is
  "26x faster than the software" depth-wise layer on the 8 cores, i.e. the software depth-wise
  runs at 29.7 / 26 = 1.142 MAC/cycle on 8 cores = 0.1428 MAC/cycle per core (7.0 cycles per
  MAC, 63 cycles per 3x3 output) -- MEASURED by the paper on its cluster, not derived by us.
  The paper does not say whether that figure includes an HWC->CHW re-layout; ours stays a
  separate phase at the derived 2.25 cycles/byte (so if theirs includes it, our SW depth-wise
  layer is slower than theirs by about that phase).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

__all__ = ["chunk", "SwCost", "DEFAULT_COST", "SW_COSTS", "DEFAULT_SW_COST", "sw_cost", "differences",
           "GAROFALO2022_DW_MAC_PER_CYCLE"]

#: Garofalo et al., JETCAS 2022, Sec. IV-C: the DW accelerator's 29.7 MAC/cycle is 26x the
#: software depth-wise on the 8-core cluster -> the software's MAC/cycle on 8 cores.
GAROFALO2022_DW_MAC_PER_CYCLE = 29.7 / 26
#: The cluster those 8 cores are (Sec. III-B): the per-core figure is the above / 8.
_GAROFALO2022_CORES = 8


def chunk(n: int, part: int, parts: int) -> tuple[int, int]:
    """The ``part``-th of ``parts`` near-equal contiguous slices of ``range(n)``: how the kernels
    split their work over the cores (PULP-NN style; :mod:`tb.bfm.kernels`), the first ``n %
    parts`` slices one longer."""
    q, r = divmod(n, parts)
    lo = part * q + min(part, r)
    return lo, lo + q + (1 if part < r else 0)


@dataclass(frozen=True)
class SwCost:
    """Per-core cycle costs of the software kernels (see the module docstring for sources)."""
    mac_per_cycle_pw: float = 0.55 * 4       # AICAS 2021 Sec. IV-2 (PULP-NN SIMD utilisation)
    dw_fixed_cycles: int = 7                 # derived: requant 4 + store 1 + pointers 2
    hwc2chw_cycles_per_byte: float = 2.25    # derived
    residual_cycles_per_byte: float = 5.0    # derived
    pool_cycles_per_input: float = 2.0       # derived: p.lbu + add
    pool_cycles_per_output: float = 5.0      # derived: requant 4 + p.sb
    partials_cycles_per_part: float = 2.0    # derived: p.lb + add per piece ...
    partials_fixed_cycles: float = 4.0       # ... (2T - 1) + requant 4 + p.sb = 2T + 4 per byte
    zero_bytes_per_cycle: float = 4.0        # derived: one p.sw per word
    zero_run_cycles: int = 2                 # derived: pointer jump + loop set-up per run
    maxpool_lanes: int = 4                   # derived: pv.maxu.b, 4 bytes per word
    copy_cycles_per_byte: float = 0.5        # derived: p.lw + p.sw per 4 bytes
    copy_run_cycles: int = 2                 # derived: pointer jump + loop set-up per run
    barrier_cycles: int = 11                 # Glaser et al., DATE 2019
    kernel_call_cycles: int = 50             # ASSUMPTION: call, argument set-up, chunk bounds
    #: Depth-wise MACs per cycle per core when a paper measured it; ``None``: the derived inner
    #: loop of ``2K + dw_fixed_cycles`` cycles per KxK output.
    dw_mac_per_cycle: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None and f.name == "dw_mac_per_cycle":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ValueError(f"{f.name} must be a non-negative number, not {v!r}")
        if self.zero_bytes_per_cycle <= 0 or self.maxpool_lanes < 1:
            raise ValueError("zero_bytes_per_cycle and maxpool_lanes must be positive")
        if self.mac_per_cycle_pw <= 0 or (self.dw_mac_per_cycle is not None and self.dw_mac_per_cycle <= 0):
            raise ValueError("mac_per_cycle_pw and dw_mac_per_cycle must be positive")

    def matmul(self, macs: int) -> int:
        """Pointwise / im2col convolution / fully connected: cycles for ``macs`` on one core."""
        return math.ceil(macs / self.mac_per_cycle_pw) + self.kernel_call_cycles

    def depthwise(self, outputs: int, k: int = 3) -> int:
        """KxK depthwise: cycles for ``outputs`` output elements on one core."""
        if self.dw_mac_per_cycle is not None:
            return math.ceil(outputs * k * k / self.dw_mac_per_cycle) + self.kernel_call_cycles
        return outputs * (2 * k + self.dw_fixed_cycles) + self.kernel_call_cycles

    def dw_cycles_per_output(self, k: int = 3) -> float:
        """Cycles per KxK depth-wise output on one core (the prose of the reports quotes it)."""
        if self.dw_mac_per_cycle is not None:
            return k * k / self.dw_mac_per_cycle
        return float(2 * k + self.dw_fixed_cycles)

    def hwc2chw(self, nbytes: int) -> int:
        return math.ceil(nbytes * self.hwc2chw_cycles_per_byte) + self.kernel_call_cycles

    def residual(self, nbytes: int) -> int:
        return math.ceil(nbytes * self.residual_cycles_per_byte) + self.kernel_call_cycles

    def avgpool(self, inputs: int, outputs: int) -> int:
        """Average pool: cycles for ``inputs`` bytes summed into ``outputs`` outputs on one core."""
        return (math.ceil(inputs * self.pool_cycles_per_input + outputs * self.pool_cycles_per_output)
                + self.kernel_call_cycles)

    def maxpool(self, outputs: int, k: int) -> int:
        """KxK max pool: cycles for ``outputs`` output bytes on one core (``2 K^2`` per word of
        ``maxpool_lanes`` outputs: K^2 loads, K^2 - 1 SIMD maxima, one store)."""
        return math.ceil(outputs / self.maxpool_lanes) * 2 * k * k + self.kernel_call_cycles

    def concat(self, nbytes: int, runs: int) -> int:
        """Channel concatenation: cycles for copying ``nbytes`` in ``runs`` contiguous runs (one
        per pixel and operand) on one core."""
        return (math.ceil(nbytes * self.copy_cycles_per_byte) + runs * self.copy_run_cycles
                + self.kernel_call_cycles)

    def add_partials(self, nbytes: int, parts: int) -> int:
        """Sum of ``parts`` int8 partials + requantisation: cycles for ``nbytes`` outputs."""
        per_byte = parts * self.partials_cycles_per_part + self.partials_fixed_cycles
        return math.ceil(nbytes * per_byte) + self.kernel_call_cycles

    def zero_fill(self, nbytes: int, runs: int) -> int:
        """Zeroing ``nbytes`` in ``runs`` contiguous runs (a padding ring) on one core."""
        return (math.ceil(nbytes / self.zero_bytes_per_cycle) + runs * self.zero_run_cycles
                + self.kernel_call_cycles)


DEFAULT_COST = SwCost()

#: The cost sets by name (a preset's ``sw_cost``; see the module docstring for the sources).
SW_COSTS: Mapping[str, SwCost] = MappingProxyType({
    "pulpnn": DEFAULT_COST,
    # JETCAS 2022 Sec. IV-C, measured: 29.7/26 MAC/cycle on 8 cores for the software depth-wise
    "garofalo2022": SwCost(dw_mac_per_cycle=GAROFALO2022_DW_MAC_PER_CYCLE / _GAROFALO2022_CORES),
})
#: The cost set of the default preset.
DEFAULT_SW_COST = "pulpnn"


def sw_cost(name: str = DEFAULT_SW_COST) -> SwCost:
    """The cost set ``name``; ``ValueError`` lists the known ones."""
    try:
        return SW_COSTS[name]
    except KeyError:
        raise ValueError(f"sw_cost must be one of {', '.join(SW_COSTS)}, not {name!r}") from None


def differences(a: SwCost, b: SwCost) -> dict[str, tuple]:
    """``{constant: (value in a, value in b)}`` for every constant where ``a`` and ``b`` differ."""
    return {f.name: (getattr(a, f.name), getattr(b, f.name)) for f in fields(SwCost)
            if getattr(a, f.name) != getattr(b, f.name)}
