"""Design parameters of the IMA and the cluster: one frozen dataclass each, validated once.

Pure Python (no Amaranth import) so that the RTL, the register header, the HAL, the reports and
the CLI all read the same object. ``validate()`` raises ``ValueError`` naming the parameter.
"""

import math
from dataclasses import dataclass, replace

__all__ = ["ImaConfig", "ClusterConfig"]

#: Cluster reference clock and analog MVM latency: AICAS 2021 (Ottavi et al.), Sec. III / IV:
#: "70 ns ... at 250 MHz", i.e. 18 cycles per analog MVM.
REF_CLOCK_HZ = 250e6
MVM_NS = 70.0


def _check_int(name, value, lo, hi=None):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be in {rng}, not {value}")


def _check_pow2(name, value):
    if value & (value - 1):
        raise ValueError(f"{name} must be a power of two, not {value}")


@dataclass(frozen=True)
class ImaConfig:
    """Design-time parameters of one IMA.

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
        Cluster clock and analog MVM latency; ``mvm_cycles`` = ceil(mvm_ns * clock).
    overlap : bool
        Overlapped phases (beyond the paper): double-buffered DAC and ADC buffers so that
        STREAMIN of job i+1 and STREAMOUT of job i-1 run while job i computes
        (:mod:`hw.ima.overlapped`). ``False`` (default): the paper's sequential engine, one phase at
        a time. Costs ``8 * (dac_depth + adc_depth)`` more flip-flops.
    """
    ports: int = 4
    rows: int = 2048
    cols: int = 512
    dac_depth: int = 512
    adc_depth: int = 256
    n_cores: int = 8
    tcdm_bytes: int = 512 * 1024
    clock_hz: float = REF_CLOCK_HZ
    mvm_ns: float = MVM_NS
    overlap: bool = False

    def __post_init__(self):
        self.validate()

    def validate(self):
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
        return self

    @property
    def mvm_cycles(self):
        return math.ceil(self.mvm_ns * 1e-9 * self.clock_hz - 1e-9)

    def with_(self, **changes):
        return replace(self, **changes)

    def key(self):
        """Short parameter dict for build-directory names."""
        key = {"ports": self.ports, "rows": self.rows, "cols": self.cols,
               "dac": self.dac_depth, "adc": self.adc_depth}
        if self.overlap:                # only when set: default keys stay as they were
            key["overlap"] = 1
        return key


@dataclass(frozen=True)
class ClusterConfig:
    """Design-time parameters of the cluster: cores, TCDM, and the IMA it hosts."""
    n_cores: int = 8
    banks: int = 16
    tcdm_bytes: int = 512 * 1024
    ima: ImaConfig = ImaConfig()
    dma_ports: int = 1

    def __post_init__(self):
        self.validate()

    def validate(self):
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
        return self

    @property
    def masters(self):
        """TCDM masters: cores, then N load + N store IMA ports, then DMA/testbench ports."""
        return self.n_cores + 2 * self.ima.ports + self.dma_ports
