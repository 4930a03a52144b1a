"""Area model of the cluster + IMA in GF 22nm FDX (pure Python, no amaranth/cocotb).

``pcm_area_mm2`` is the paper's metric (AICAS 2021 Sec. IV-1: 18.2 um^2 per PCM device; Fig. 5c
reports GOPS per mm^2 of PCM area actually used, padding included). ``cluster_area_mm2`` adds a
digital cluster estimate (8 RI5CY cores, 512 KiB TCDM, logarithmic interconnect, IMA digital
logic as a function of its ports) so GOPS/mm^2 can also be quoted "with the cluster". Every
constant cites its source or is marked ``ASSUMPTION`` with its reasoning; the full list is in
``docs/energy_area.md``. None is fitted to the AICAS results (19.7 GOPS/mm^2, 1.82x, 2.56x).
"""

import math
from dataclasses import dataclass, fields
from typing import Any, Self

__all__ = ["PCM_DEVICE_UM2", "AreaParams", "pcm_area_mm2", "cluster_area_breakdown_mm2",
           "area_report", "gops_per_mm2"]

# G. Ottavi et al., "End-to-end 100-TOPS/W Inference With Analog In-Memory Computing: Are We
# There Yet?", AICAS 2021, Sec. IV-1: "each PCM device has an area of 18.2 um^2".
PCM_DEVICE_UM2 = 18.2

# ASSUMPTION: area of one gate equivalent (2-input NAND) in GF 22FDX standard cells, 0.199 um^2,
# the figure PULP/ETH 22FDX papers use to convert kGE to um^2 (recalled, not re-checked here).
GE_UM2 = 0.199
# ASSUMPTION: placement utilisation of standard-cell logic (cell area / block area): 0.7 is a
# usual target density for a timing-closed block.
LOGIC_UTILISATION = 0.7
# ASSUMPTION: one RI5CY core (RV32IMC + Xpulp, no FPU) incl. its register file ~ 50 kGE; the
# core paper (M. Gautschi et al., "Near-Threshold RISC-V Core With DSP Extensions for Scalable
# IoT Endpoint Devices", IEEE TVLSI 25(10) 2017) reports the core in the tens of kGE (exact value
# not re-checked here).
CORE_KGE = 50.0
# ASSUMPTION: shared instruction cache (a few KiB, SRAM/latch based), event unit, cluster
# peripherals, DMA and the peripheral interconnect: ~ 6 cores' worth, 300 kGE. Mr. Wolf and Vega
# die photos show these blocks as a sizeable but minor part of the cluster next to the L1.
CLUSTER_OTHER_KGE = 300.0
# ASSUMPTION: effective SRAM macro area per bit in GF 22FDX for 32 KiB, 32-bit-wide macros:
# ~0.11 um^2 high-density bitcell (foundry-advertised order for 22 nm) / ~50 % array efficiency
# of a small macro (periphery, sense amplifiers, decoders) -> 0.22 um^2/bit. 512 KiB -> 0.92 mm^2.
SRAM_UM2_PER_BIT = 0.22
# ASSUMPTION: logarithmic interconnect cost per (master, bank) crosspoint: request address/data
# mux + response mux + round-robin arbiter slice for a 32-bit port, ~0.3 kGE.
XBAR_KGE_PER_CROSSPOINT = 0.3
# ASSUMPTION: IMA digital logic. Controller (HWPE register file with job registers, FSM): ~25 kGE.
# Streamer per 32-bit TCDM port pair (one load + one store: address generator slice, request
# FIFO, realignment): ~6 kGE. DAC/ADC buffers are flip-flops at ~6 GE per bit (flop + mux).
IMA_CTRL_KGE = 25.0
IMA_STREAMER_KGE_PER_PORT = 6.0
IMA_BUFFER_GE_PER_BIT = 6.0
# Data formats (docs/spec.md section 2): 8-bit DAC inputs and 8-bit ADC outputs.
DAC_BITS = 8
ADC_BITS = 8


@dataclass(frozen=True)
class AreaParams:
    """Area constants (see module docstring and docs/energy_area.md for sources)."""
    pcm_device_um2: float = PCM_DEVICE_UM2
    ge_um2: float = GE_UM2
    logic_utilisation: float = LOGIC_UTILISATION
    core_kge: float = CORE_KGE
    cluster_other_kge: float = CLUSTER_OTHER_KGE
    sram_um2_per_bit: float = SRAM_UM2_PER_BIT
    xbar_kge_per_crosspoint: float = XBAR_KGE_PER_CROSSPOINT
    ima_ctrl_kge: float = IMA_CTRL_KGE
    ima_streamer_kge_per_port: float = IMA_STREAMER_KGE_PER_PORT
    ima_buffer_ge_per_bit: float = IMA_BUFFER_GE_PER_BIT

    def validate(self) -> Self:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"AreaParams.{f.name} must be a finite number >= 0, not {v!r}")
        if not 0 < self.logic_utilisation <= 1:
            raise ValueError(f"AreaParams.logic_utilisation must be in (0, 1], "
                             f"not {self.logic_utilisation!r}")
        return self


def _nonneg_int(name, v, lo=0, hi=None):
    if isinstance(v, bool) or not isinstance(v, int) and not (hasattr(v, "__index__")):
        raise ValueError(f"{name} must be an integer, not {v!r}")
    v = int(v)
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"{name} must be {rng}, not {v}")
    return v


def pcm_area_mm2(devices: int, params: AreaParams = AreaParams()) -> float:
    """Area (mm^2) of ``devices`` PCM devices (two per signed weight)."""
    devices = _nonneg_int("devices", devices)
    return devices * params.pcm_device_um2 * 1e-6


def _logic_mm2(kge, params):
    return kge * 1e3 * params.ge_um2 / params.logic_utilisation * 1e-6


def cluster_area_breakdown_mm2(ports: int, *, n_cores: int, tcdm_bytes: int, n_banks: int,
                               array_rows: int = 256, array_cols: int = 256,
                               params: AreaParams = AreaParams()) -> dict[str, float]:
    """Digital cluster area by block (mm^2): cores, tcdm, interconnect, cluster_other, ima_digital.

    ``ports``, ``n_cores``, ``tcdm_bytes`` and ``n_banks`` come from the caller's hardware
    configuration (:class:`hw.config.ClusterConfig`); ``array_rows`` / ``array_cols`` size the
    IMA buffers of the estimate (ASSUMPTION: a 256 x 256 array, the Hermes core's).

    The interconnect has ``n_cores + 2 * ports`` masters (each IMA port pair is one load and one
    store master) on ``n_banks`` banks; the IMA buffers hold one DAC word per row and one ADC word
    per column of the array.
    """
    params.validate()
    ports = _nonneg_int("ports", ports, 1, 16)
    n_cores = _nonneg_int("n_cores", n_cores, 0)
    tcdm_bytes = _nonneg_int("tcdm_bytes", tcdm_bytes, 0)
    n_banks = _nonneg_int("n_banks", n_banks, 1)
    array_rows = _nonneg_int("array_rows", array_rows, 0)
    array_cols = _nonneg_int("array_cols", array_cols, 0)
    masters = n_cores + 2 * ports
    buffer_bits = array_rows * DAC_BITS + array_cols * ADC_BITS
    ima_kge = (params.ima_ctrl_kge + params.ima_streamer_kge_per_port * ports
               + params.ima_buffer_ge_per_bit * buffer_bits / 1e3)
    return {
        "cores": _logic_mm2(n_cores * params.core_kge, params),
        "tcdm": tcdm_bytes * 8 * params.sram_um2_per_bit * 1e-6,
        "interconnect": _logic_mm2(masters * n_banks * params.xbar_kge_per_crosspoint, params),
        "cluster_other": _logic_mm2(params.cluster_other_kge, params),
        "ima_digital": _logic_mm2(ima_kge, params),
    }


def area_report(pcm_devices: int, ports: int, *, n_cores: int, tcdm_bytes: int, n_banks: int,
                array_rows: int = 256, array_cols: int = 256,
                params: AreaParams = AreaParams()) -> dict[str, Any]:
    """Area summary: ``pcm_area_mm2``, ``cluster_area_mm2`` (digital, incl. IMA logic),
    ``total_area_mm2`` and ``breakdown_mm2`` (per block, plus ``pcm``)."""
    pcm = pcm_area_mm2(pcm_devices, params)
    br = cluster_area_breakdown_mm2(ports, n_cores=n_cores, tcdm_bytes=tcdm_bytes,
                                    n_banks=n_banks, array_rows=array_rows,
                                    array_cols=array_cols, params=params)
    cluster = sum(br.values())
    br = dict(br, pcm=pcm)
    return {
        "pcm_area_mm2": pcm,
        "cluster_area_mm2": cluster,
        "total_area_mm2": pcm + cluster,
        "breakdown_mm2": br,
    }


def gops_per_mm2(gops: float, area_mm2: float) -> float:
    """Area efficiency in GOPS/mm^2."""
    if gops < 0:
        raise ValueError(f"gops must be >= 0, not {gops!r}")
    if not area_mm2 > 0:
        raise ValueError(f"area_mm2 must be > 0, not {area_mm2!r}")
    return gops / area_mm2
