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

from sim_models.energy import DWA_MULTIPLIERS

__all__ = ["PCM_DEVICE_UM2", "AreaParams", "pcm_area_mm2", "dwa_kge", "cluster_area_breakdown_mm2",
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
# Digital depth-wise accelerator (DWA; A. Garofalo et al., "A Heterogeneous In-Memory Computing
# Cluster For Flexible End-to-End Inference of Real-World Deep Neural Networks", IEEE JETCAS 2022,
# Sec. IV-C): 36 multipliers (3x3 taps x 4 channels) with a reduction tree, 32-bit accumulators,
# a 3x3x16 weight buffer and a 4x3x16 window buffer of 8-bit registers. The paper gives its area
# only as 2.1 % of the cluster: that figure is the comparison (tb/bench/reference.py), not an
# input. Estimated bottom-up instead:
DWA_GROUP = 16
# ASSUMPTION: one 8 x 8-bit (signed x unsigned) array multiplier ~ 0.4 kGE: 64 partial-product
# AND gates + ~56 full adders at ~6 GE each.
DWA_MULTIPLIER_KGE = 0.4
# ASSUMPTION: reduction tree, 4 channels x 8 adders of ~20 bits (9 products -> 1), ~6 GE per bit:
# 4 x 8 x 20 x 6 GE ~ 3.8 kGE.
DWA_TREE_KGE = 4 * 8 * 20 * 6 / 1e3
# ASSUMPTION: requantisation (acc x M, 32 x 16-bit, rounding shift, clamp), one unit per MAC lane
# (4 channels per cycle, matching the paper's 4-cycle inner loop): ~3.5 kGE each.
DWA_REQUANT_KGE = 4 * 3.5
# Registers (Sec. IV-C): weights 3x3x16 + window 4x3x16 bytes + 16 x 32-bit accumulators, at the
# IMA buffers' IMA_BUFFER_GE_PER_BIT (ASSUMPTION there).
DWA_REGISTER_BITS = (3 * 3 * DWA_GROUP + 4 * 3 * DWA_GROUP) * 8 + DWA_GROUP * 32
# ASSUMPTION: the DWA's HWPE controller (register file with 13 job registers + FSM) ~ 15 kGE,
# less than the IMA's 25 kGE (about 30 job registers, PCM programming); its streamer per 32-bit
# data port (one address generator walk shared by loads and stores, realignment) the IMA's
# IMA_STREAMER_KGE_PER_PORT.
DWA_CTRL_KGE = 15.0
# ASSUMPTION: "shared" arrangement: a 2:1 request mux per IMA load port (~70 request bits at
# ~2 GE/bit) instead of new interconnect masters.
DWA_SHARED_MUX_KGE_PER_PORT = 70 * 2 / 1e3
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
    dwa_datapath_kge: float = DWA_MULTIPLIERS * DWA_MULTIPLIER_KGE + DWA_TREE_KGE + DWA_REQUANT_KGE
    dwa_ctrl_kge: float = DWA_CTRL_KGE
    dwa_streamer_kge_per_port: float = IMA_STREAMER_KGE_PER_PORT
    dwa_shared_mux_kge_per_port: float = DWA_SHARED_MUX_KGE_PER_PORT

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


def dwa_kge(ports: int, arrangement: str = "shared", params: AreaParams = AreaParams()) -> float:
    """Gate count (kGE) of the depth-wise accelerator with ``ports`` 32-bit data ports:
    datapath (multipliers, tree, requantisation), registers, controller, streamer, and in the
    ``shared`` arrangement the muxes onto the IMA's load ports (see the module constants)."""
    params.validate()
    ports = _nonneg_int("ports", ports, 1, 16)
    if arrangement not in ("shared", "separate"):
        raise ValueError(f"arrangement must be 'shared' or 'separate', not {arrangement!r}")
    mux = params.dwa_shared_mux_kge_per_port * ports if arrangement == "shared" else 0.0
    return (params.dwa_datapath_kge + params.ima_buffer_ge_per_bit * DWA_REGISTER_BITS / 1e3
            + params.dwa_ctrl_kge + params.dwa_streamer_kge_per_port * ports + mux)


def cluster_area_breakdown_mm2(ports: int, *, n_cores: int, tcdm_bytes: int, n_banks: int,
                               array_rows: int = 256, array_cols: int = 256,
                               dwa_arrangement: str | None = None, imas: int = 1,
                               params: AreaParams = AreaParams()) -> dict[str, float]:
    """Digital cluster area by block (mm^2): cores, tcdm, interconnect, cluster_other, ima_digital
    and, with ``dwa_arrangement`` (``"shared"`` or ``"separate"``; ``None`` = no depth-wise
    accelerator, the default), ``dwa_digital`` (:func:`dwa_kge`, ``ports`` data ports).

    ``ports``, ``n_cores``, ``tcdm_bytes`` and ``n_banks`` come from the caller's hardware
    configuration (:class:`hw.config.ClusterConfig`); ``array_rows`` / ``array_cols`` size the
    IMA buffers of the estimate (ASSUMPTION: a 256 x 256 array, the Hermes core's).

    The interconnect has ``n_cores + 2 * ports * imas`` masters (each IMA port pair is one load
    and one store master; ``+ ports`` for a ``separate`` DWA) on ``n_banks`` banks; the IMA
    buffers hold one DAC word per row and one ADC word per column of the array. ``imas``
    (``ClusterConfig.imas``, one private IMA per core) counts ``ima_digital`` that many times; the
    PCM area is the caller's devices (:func:`area_report`), on whichever IMA they are.
    """
    params.validate()
    if dwa_arrangement not in (None, "shared", "separate"):
        raise ValueError(f"dwa_arrangement must be None, 'shared' or 'separate', "
                         f"not {dwa_arrangement!r}")
    ports = _nonneg_int("ports", ports, 1, 16)
    n_cores = _nonneg_int("n_cores", n_cores, 0)
    tcdm_bytes = _nonneg_int("tcdm_bytes", tcdm_bytes, 0)
    n_banks = _nonneg_int("n_banks", n_banks, 1)
    array_rows = _nonneg_int("array_rows", array_rows, 0)
    array_cols = _nonneg_int("array_cols", array_cols, 0)
    imas = _nonneg_int("imas", imas, 1)
    masters = n_cores + 2 * ports * imas + (ports if dwa_arrangement == "separate" else 0)
    buffer_bits = array_rows * DAC_BITS + array_cols * ADC_BITS
    ima_kge = (params.ima_ctrl_kge + params.ima_streamer_kge_per_port * ports
               + params.ima_buffer_ge_per_bit * buffer_bits / 1e3)
    out = {
        "cores": _logic_mm2(n_cores * params.core_kge, params),
        "tcdm": tcdm_bytes * 8 * params.sram_um2_per_bit * 1e-6,
        "interconnect": _logic_mm2(masters * n_banks * params.xbar_kge_per_crosspoint, params),
        "cluster_other": _logic_mm2(params.cluster_other_kge, params),
        "ima_digital": _logic_mm2(imas * ima_kge, params),
    }
    if dwa_arrangement is not None:
        out["dwa_digital"] = _logic_mm2(dwa_kge(ports, dwa_arrangement, params), params)
    return out


def area_report(pcm_devices: int, ports: int, *, n_cores: int, tcdm_bytes: int, n_banks: int,
                array_rows: int = 256, array_cols: int = 256, dwa_arrangement: str | None = None,
                imas: int = 1, params: AreaParams = AreaParams()) -> dict[str, Any]:
    """Area summary: ``pcm_area_mm2``, ``cluster_area_mm2`` (digital, incl. the logic of the
    ``imas`` IMAs and the depth-wise accelerator when ``dwa_arrangement`` is given),
    ``total_area_mm2`` and ``breakdown_mm2`` (per block, plus ``pcm``)."""
    pcm = pcm_area_mm2(pcm_devices, params)
    br = cluster_area_breakdown_mm2(ports, n_cores=n_cores, tcdm_bytes=tcdm_bytes,
                                    n_banks=n_banks, array_rows=array_rows,
                                    array_cols=array_cols, dwa_arrangement=dwa_arrangement,
                                    imas=imas, params=params)
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
