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
* Barrier: 11 cycles, the hardware barrier latency of the PULP cluster's synchronisation unit
  (Glaser et al., "Hardware-Accelerated Energy-Efficient Synchronization and Communication for
  Ultra-Low-Power Tightly Coupled Clusters", DATE 2019, abstract).
"""

import math
from dataclasses import dataclass

__all__ = ["SwCost", "DEFAULT_COST"]


@dataclass(frozen=True)
class SwCost:
    """Per-core cycle costs of the software kernels (see the module docstring for sources)."""
    mac_per_cycle_pw: float = 0.55 * 4       # AICAS 2021 Sec. IV-2 (PULP-NN SIMD utilisation)
    dw_fixed_cycles: int = 7                 # derived: requant 4 + store 1 + pointers 2
    hwc2chw_cycles_per_byte: float = 2.25    # derived
    residual_cycles_per_byte: float = 5.0    # derived
    barrier_cycles: int = 11                 # Glaser et al., DATE 2019
    kernel_call_cycles: int = 50             # ASSUMPTION: call, argument set-up, chunk bounds

    def matmul(self, macs: int) -> int:
        """Pointwise / im2col convolution / fully connected: cycles for ``macs`` on one core."""
        return math.ceil(macs / self.mac_per_cycle_pw) + self.kernel_call_cycles

    def depthwise(self, outputs: int, k: int = 3) -> int:
        """KxK depthwise: cycles for ``outputs`` output elements on one core."""
        return outputs * (2 * k + self.dw_fixed_cycles) + self.kernel_call_cycles

    def hwc2chw(self, nbytes: int) -> int:
        return math.ceil(nbytes * self.hwc2chw_cycles_per_byte) + self.kernel_call_cycles

    def residual(self, nbytes: int) -> int:
        return math.ceil(nbytes * self.residual_cycles_per_byte) + self.kernel_call_cycles


DEFAULT_COST = SwCost()
