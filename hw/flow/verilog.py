"""Verilog for integrators: the IMA, the IMA with its analog core inside, the TCDM, the cluster,
the depth-wise accelerator (DWA) alone and the cluster with it.

:func:`generate` writes into one folder (names and ports are documented in docs/integration.md):

==========================  ==================  ==============================================
file                        top module          what
==========================  ==================  ==============================================
``ima.v``                   ``ima``             :class:`hw.ima.top.Ima`; analog boundary as
                                                ``ac__*`` ports
``ima_with_analog.v``       ``ima_with_analog`` :class:`hw.ima.with_analog.ImaWithAnalog`: the
                                                analog core inside (black box or twin)
``ima_analog_core.v``       ``ima_analog_core`` ``(* blackbox *)`` stub (``--analog blackbox``)
``tcdm.v``                  ``tcdm_subsystem``  interconnect + banks for ``n_cores + 2N + 1``
                                                masters
``cluster.v``               ``cluster``         :class:`hw.cluster.cluster.Cluster` without the
                                                DWA (the AICAS cluster, whatever ``dwa`` says)
``dwa.v``                   ``dwa``             :class:`hw.dwa.top.Dwa` for the cluster
                                                (N data ports, ``n_cores``, ``tcdm_bytes``)
``cluster_dwa.v``           ``cluster_dwa``     the cluster with the DWA, in the configuration's
                                                ``dwa_arrangement`` (``--dwa-arrangement``)
``manifest.json``                               parameters, files, tops, ports (name,
                                                direction, width), ``analog_macros``: one
                                                ``ima_analog_core`` instance per array
==========================  ==================  ==============================================

Both cluster files are always written (``cluster.v`` is unchanged by the DWA), so one run gives
the area and port lists with and without the accelerator.

:func:`convert` is the one Amaranth -> Verilog conversion of the project (this folder's
``generate``, the synthesis flow and the simulation builds of :mod:`tb.build.runner`): all-zero
memory initialisers are left out (see its docstring). Lint: :mod:`hw.flow.lint`.
"""

import contextlib
import json
import re
import threading
import time
from pathlib import Path

from amaranth.back import rtlil, verilog

from hw.cluster.cluster import Cluster
from hw.cluster.periph import dwa_base
from hw.cluster.subsystem import TcdmSubsystem
from hw.cluster.tcdm import check_tcdm_params
from hw.config import ClusterConfig, preset
from hw.dwa.top import Dwa
from hw.ima.top import Ima
from hw.ima.with_analog import ANALOG_KINDS, ANALOG_MODULE, ImaWithAnalog, analog_core_stub, macro_instances

__all__ = ["generate", "convert", "port_list", "TOPS"]

MANIFEST_VERSION = 1
#: Top modules :func:`generate` can write (all by default).
TOPS = ("ima", "ima_with_analog", "tcdm_subsystem", "cluster", "dwa", "cluster_dwa")


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


_emit_lock = threading.Lock()


@contextlib.contextmanager
def _zero_memories_uninitialised():
    """While active, Amaranth's RTLIL backend emits no ``$meminit`` for all-zero memories."""
    with _emit_lock:
        orig = rtlil.ModuleEmitter.emit_memory

        def emit_memory(self, cell_idx, cell):
            if any(cell.init):
                orig(self, cell_idx, cell)

        rtlil.ModuleEmitter.emit_memory = emit_memory
        try:
            yield
        finally:
            rtlil.ModuleEmitter.emit_memory = orig


def convert(component, name):
    """Verilog text of ``component`` as module ``name``, without zero memory initialisers.

    Amaranth turns a zero-initialised ``lib.memory.Memory`` into one constant net per bit (4 Mi
    nets for a 512 KiB TCDM: about 15 s of conversion) and then one ``mem[i] = 0`` line per word,
    which dominates Verilator's compile and keeps Yosys' front end busy for minutes. SRAM banks
    have no power-on value in silicon, so every Verilog we write -- ``ima-sim verilog`` and the
    simulation builds alike -- leaves all-zero memories uninitialised (Verilator runs with
    ``--x-initial 0``, so they still start at zero in simulation). Non-zero initialisers stay.
    """
    with _zero_memories_uninitialised():
        return verilog.convert(component, name=name, emit_src=False)


def generate(out_dir, config: ClusterConfig = None, *, analog="blackbox", latency=None,
             cluster=True, tops=TOPS, log=None, **flat):
    """Write the Verilog tops and ``manifest.json`` into ``out_dir``; return the manifest.

    ``config`` (default: the default preset of :mod:`hw.config`) with the flat parameter changes
    ``**flat`` (``ports=``, ``rows=``, ``banks=``, ...; :meth:`ClusterConfig.with_`) is the
    configuration written. ``tops`` selects a subset of :data:`TOPS` (tests use it to stay
    fast); ``cluster=False`` leaves out ``cluster.v`` and ``cluster_dwa.v``. ``cluster.v`` is
    the configuration without the depth-wise accelerator and ``cluster_dwa.v`` the same with it
    (``dwa_arrangement`` from the configuration: ``dwa_arrangement="separate"`` in ``**flat``).

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
    ccfg = (config or preset()).with_(**flat)
    check_tcdm_params(ccfg.banks, ccfg.tcdm_bytes)
    cfg, banks = ccfg.ima, ccfg.banks
    say = log or (lambda msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    masters = ccfg.with_(dwa=False).masters      # tcdm.v: the AICAS cluster's masters
    entries = []

    def emit(file, top, component, extra_files=(), note=""):
        if top not in tops:
            return
        t0 = time.monotonic()
        text = convert(component, top)
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
         note=f"TCDM: {masters} masters (cores, N load, N store, {ccfg.dma_ports} DMA/testbench), "
              f"{banks} banks")
    if cluster and "cluster" in tops:
        emit("cluster.v", "cluster", Cluster(ccfg.with_(dwa=False)),
             note="cluster top (ac__* boundary ports)")
    dcfg = ccfg.with_(dwa=True)
    if "dwa" in tops:
        emit("dwa.v", "dwa", Dwa.for_cluster(dcfg),
             note=f"depth-wise accelerator: {dcfg.dwa_ports} data ports, {dcfg.n_cores} cores, "
                  f"{dcfg.tcdm_bytes} B TCDM")
    if cluster and "cluster_dwa" in tops:
        arr = dcfg.dwa_arrangement
        how = ("its ports multiplexed onto the IMA's load masters" if arr == "shared"
               else "its own TCDM masters")
        emit("cluster_dwa.v", "cluster_dwa", Cluster(dcfg),
             note=f"cluster top with the depth-wise accelerator ({arr}: {how}; {dcfg.masters} "
                  f"TCDM masters; DWA registers at 0x{dwa_base(dcfg.imas):X} on the cores' "
                  "peripheral bus)")
    manifest = {
        "version": MANIFEST_VERSION,
        "generator": "ima-sim verilog (hw/flow/verilog.py)",
        "parameters": {"ports": cfg.ports, "rows": cfg.rows, "cols": cfg.cols,
                       "dac_depth": cfg.dac_depth, "adc_depth": cfg.adc_depth,
                       "n_cores": cfg.n_cores, "tcdm_bytes": cfg.tcdm_bytes, "banks": banks,
                       "tcdm_masters": masters, "analog": analog,
                       "twin_latency": (latency or cfg.mvm_cycles) if analog == "twin" else None,
                       "clock_hz": cfg.clock_hz, "mvm_cycles": cfg.mvm_cycles,
                       "dwa_ports": dcfg.dwa_ports, "dwa_arrangement": dcfg.dwa_arrangement,
                       "dwa_base": dwa_base(dcfg.imas), "cluster_dwa_tcdm_masters": dcfg.masters,
                       "arrays": cfg.arrays, "overlap": cfg.overlap,
                       "data_interface": cfg.data_interface, "imas": ccfg.imas},
        "clock": "clk (rising edge)", "reset": "rst (synchronous, active high)",
        "analog_module": ANALOG_MODULE if analog == "blackbox" else None,
        # One black-box macro per crossbar (macro k = array k), in ima_with_analog.v.
        "analog_macros": ([{"instance": name, "module": ANALOG_MODULE, "array": k,
                            "rows": cfg.rows, "cols": cfg.cols}
                           for k, name in enumerate(macro_instances(cfg))]
                          if analog == "blackbox" else []),
        "tops": entries,
    }
    _write(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return manifest
