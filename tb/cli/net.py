"""``ima-sim net``: a whole network on the RTL cluster, every layer checked against the golden graph.

``ima-sim net [--model mobilenetv2 --input-size 224 --width 1.0 --classes 1000 | --onnx FILE
[--calib N]] [--preset jetcas2022] [--set NAME=VALUE] [--seed S] [--fc-on cores|ima] [--json]
[--csv FILE] [--plot FILE] [--waves] [--no-sim] [--export-onnx FILE]``

The network comes from the zoo (:data:`sim_models.nets.ZOO`: MobileNetV2 / V1, ResNet-18 / 50,
VGG-16, SqueezeNet 1.1; seeded random 4-bit / 8-bit weights,
ADC transfers calibrated on a seeded image) or from a float ONNX file
(:func:`sim_models.onnx_io.import_onnx`, calibrated on ``--calib`` seeded random images). The
compiler (:func:`sim_models.compiler.compile_graph`) maps it on the preset's hardware -- conv /
pointwise (and fc with ``--fc-on ima``) on the IMA's crossbars placed by Tile&Pack, 3x3
depth-wise on the depth-wise accelerator, the rest on the cores -- and sizes the TCDM to the
program: the cluster is built with ``arrays`` = the crossbars the placement needs and
``tcdm_bytes`` = the smallest power of two holding every live activation (Garofalo et al., JETCAS
2022, Sec. VI: all activations in L1, the L2 hierarchy not modelled; ``--set arrays=N`` /
``--set tcdm_bytes=B`` impose them instead). Then :mod:`tb.cocotb_tests.net` runs it on the RTL
(core BFMs, the IMA with its arrays, the depth-wise accelerator) and checks each layer's output
bit-exactly when the layer ends.

Output: a per-layer table (layer, kind, unit, MACs, cycles, time at the preset's clock, energy,
GMAC/s/W) with the totals (latency, inferences/s, energy per inference, arrays) and, under the
``jetcas2022`` preset, the paper's totals beside ours; the same as one JSON object (``--json``:
``layers`` and ``total``) or CSV rows (``--csv``), and bars of per-layer latency and energy like
the paper's Fig. 12 (``--plot``). ``--export-onnx FILE`` writes the network's ONNX and stops.
Every bad option: one line naming it, exit status 2, nothing written, no build started.
"""

import argparse
import csv
import json
import os
from pathlib import Path

from tb.cli.overrides import add_set_option, parse_sets
from tb.cli.registry import command, die, int_at_least, output_file

__all__ = ["NetSpec", "prepare", "simulate", "add_network_options", "simulate_images", "format_report",
           "write_csv", "plot_layers", "NET_PRESET", "CSV_FIELDS"]

#: The preset ``ima-sim net`` runs by default: the paper whose network experiment it repeats.
NET_PRESET = "jetcas2022"
#: Columns of ``--csv`` (one row per layer, then a ``total`` row).
CSV_FIELDS = ("name", "kind", "unit", "macs", "cycles", "time_ms", "energy_uj", "passed")
#: Options that apply to one source of the network only: name -> (source, default).
ONE_SOURCE = {"width": ("zoo", 1.0), "classes": ("zoo", 1000), "calib": ("onnx", 4)}
#: Units as the table names them, and their colours in the plot.
UNIT_COLOURS = {"ima": "tab:blue", "dwa": "tab:orange", "cores": "tab:gray"}


@command("net", "run a whole network (MobileNetV2 or an ONNX file) on the RTL cluster, checked "
                "layer by layer vs the golden graph")
def _net_args(p):
    add_network_options(p)
    p.add_argument("--export-onnx", metavar="FILE",
                   help="write the network as a float ONNX graph and stop (no simulation)")
    p.add_argument("--no-sim", action="store_true",
                   help="compile only: print the program's summary, no build, no simulation")
    p.add_argument("--monitors", action=argparse.BooleanOptionalAction, default=True,
                   help="TCDM protocol monitors on the accelerators' ports (default on; "
                        "--no-monitors runs faster)")
    p.add_argument("--waves", action="store_true", help="write an FST waveform (slow)")
    p.add_argument("--debug-build", action="store_true",
                   help="build the model with every signal visible to the VPI (for cocotb sessions that "
                        "poke at internal signals; slower; default: only the testbench's ports, "
                        "the same results)")


def add_network_options(p):
    """The options of the network and of the hardware (``ima-sim net`` and ``ima-sim estimate-net``,
    which reads the same): ``--model`` / ``--onnx``, ``--input-size``, ``--width``, ``--classes``,
    ``--calib``, ``--preset``, ``--set``, ``--seed``, ``--fc-on``, ``--json``, ``--csv``,
    ``--plot``. A parser without ``--export-onnx``, ``--no-sim``, ``--waves`` sets them off."""
    from hw.config import PRESETS
    from sim_models.nets import ZOO
    p.set_defaults(export_onnx=None, no_sim=False, waves=False, monitors=True, debug_build=False)
    p.add_argument("--model", default=None,
                   help=f"a network of the zoo: {', '.join(ZOO)} (default mobilenetv2 unless --onnx; "
                        "ResNet and VGG do not compile for the RTL: their 3x3 convs exceed one "
                        "array's rows)")
    p.add_argument("--onnx", metavar="FILE", default=None,
                   help="a float ONNX graph to quantise and run instead of a zoo model")
    p.add_argument("--input-size", type=int, default=224, help="zoo model: input H = W (default 224)")
    for opt, kind, text in (("--width", float, "zoo model: width multiplier"),
                            ("--classes", int, "zoo model: classes"),
                            ("--calib", int, "--onnx: seeded random calibration images")):
        name = opt[2:]                  # default None: given where it does nothing, an error
        p.add_argument(opt, type=kind, default=None, help=f"{text} (default {ONE_SOURCE[name][1]})")
    p.add_argument("--preset", default=NET_PRESET,
                   help=f"hardware configuration: {', '.join(PRESETS)} (default {NET_PRESET}, "
                        "the paper's network experiment)")
    add_set_option(p)
    p.add_argument("--seed", type=int_at_least(0), default=0,
                   help="weights (zoo), calibration and input seed (default 0)")
    p.add_argument("--fc-on", default="cores", help="where the fully connected layer runs: cores "
                                                    "(default, as in the paper) or ima")
    p.add_argument("--json", action="store_true", help="print one JSON object (layers, total)")
    p.add_argument("--csv", metavar="FILE", help="write the per-layer table as CSV")
    p.add_argument("--plot", metavar="FILE", help="write per-layer latency and energy bars (PNG)")


class NetSpec:
    """What ``ima-sim net`` was asked for, validated (``ValueError`` names the option)."""

    def __init__(self, a):
        from sim_models.nets import ZOO
        if a.onnx is not None and a.model is not None:
            raise ValueError("--model and --onnx exclude each other: give one")
        self.model = None if a.onnx is not None else (a.model or "mobilenetv2")
        if self.model is not None and self.model not in ZOO:
            raise ValueError(f"--model must be one of {', '.join(ZOO)}, not {self.model!r}")
        source = "zoo" if a.onnx is None else "onnx"
        for name, (only, default) in ONE_SOURCE.items():
            if getattr(a, name) is None:
                setattr(a, name, default)
            elif only != source:
                raise ValueError(f"--{name} applies to "
                                 + ("a zoo model (--model), not to --onnx" if only == "zoo"
                                    else "--onnx only") + f": drop --{name}")
        for name in ("input_size", "classes", "calib"):
            if getattr(a, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, not {getattr(a, name)}")
        if not 0 < a.width < float("inf"):
            raise ValueError(f"--width must be > 0, not {a.width}")
        if a.fc_on not in ("cores", "ima"):
            raise ValueError(f"--fc-on must be cores or ima, not {a.fc_on!r}")
        if a.export_onnx is not None:
            given = [o for o, v in (("--csv", a.csv), ("--plot", a.plot), ("--no-sim", a.no_sim),
                                    ("--waves", a.waves), ("--debug-build", a.debug_build),
                                    ("--json", a.json)) if v]
            if given:
                raise ValueError(f"--export-onnx writes the network and stops: {', '.join(given)} "
                                 "would do nothing")
        for opt in ("csv", "plot", "export_onnx"):
            if getattr(a, opt) is not None:
                output_file(f"--{opt.replace('_', '-')}", getattr(a, opt))
        if a.plot is not None:
            try:
                from matplotlib.backend_bases import FigureCanvasBase
            except ImportError:
                raise ValueError("--plot needs matplotlib (pip install '.[bench]')") from None
            kinds = FigureCanvasBase.get_supported_filetypes()
            suffix = Path(a.plot).suffix.lower().lstrip(".")
            if suffix and suffix not in kinds:
                raise ValueError(f"--plot {a.plot}: matplotlib writes {', '.join(sorted(kinds))}, "
                                 f"not .{suffix}")
        self.onnx, self.calib = a.onnx, a.calib
        self.input_size, self.width, self.classes = a.input_size, a.width, a.classes
        self.seed, self.fc_on = a.seed, a.fc_on

    @property
    def title(self):
        if self.model is None:
            return f"{Path(self.onnx).name} (ONNX)"
        return f"{self.model} {self.input_size}x{self.input_size}, width {self.width:g}, " \
               f"{self.classes} classes"


def _onnx_input_shape(model, path, size):
    """``(H, W, C)`` of the ONNX graph's (NCHW) input, a symbolic H or W taken as ``size``
    (``--input-size``); ``ValueError`` naming the file."""
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise ValueError(f"--onnx {path}: expected one graph input, found {len(inputs)}")
    dims = [d.dim_value if d.HasField("dim_value") else 0
            for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] < 1:
        raise ValueError(f"--onnx {path}: input {inputs[0].name!r} must be NCHW with a fixed C, "
                         f"not {dims}")
    return dims[2] or size, dims[3] or size, dims[1]


def _first_line(e):
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def build_graph(spec, rows):
    """The quantised graph and its seeded input image (``ValueError`` names the option / file)."""
    import numpy as np

    from sim_models import golden
    from sim_models.nets import ZOO
    if spec.model is not None:
        try:
            graph = ZOO[spec.model](resolution=spec.input_size, width=spec.width,
                                    classes=spec.classes, seed=spec.seed, rows=rows)
        except ValueError as e:         # the builder names its parameter: name the option
            msg = str(e)
            for name, opt in (("resolution", "--input-size"), ("width", "--width"),
                              ("classes", "--classes")):
                if msg.startswith(name):
                    msg = opt + msg[len(name):]
            raise ValueError(msg) from None
    else:
        import onnx

        from sim_models.onnx_io import import_onnx
        try:
            model = onnx.load(spec.onnx)
        except Exception as e:          # missing, unreadable or not a protobuf: one line
            raise ValueError(f"--onnx {spec.onnx}: not a readable ONNX model ({_first_line(e)})") \
                from None
        try:
            onnx.checker.check_model(model)
        except Exception as e:          # e.g. garbage bytes that parse as an empty model
            raise ValueError(f"--onnx {spec.onnx}: not a valid ONNX model ({_first_line(e)})") \
                from None
        shape = _onnx_input_shape(model, spec.onnx, spec.input_size)
        calib = golden.random_activations(np.random.default_rng([spec.seed, 1]), (spec.calib, *shape))
        graph = import_onnx(spec.onnx, calib=calib, rows=rows)     # errors name the node / file
    x = golden.random_activations(np.random.default_rng([spec.seed, 2]), tuple(graph.input_shape))
    return graph, x


def prepare(a):
    """Validate every option, build the graph and compile it; returns ``(spec, graph, program,
    cfg)`` (``program`` and ``cfg`` are ``None`` with ``--export-onnx``). ``ValueError`` names the
    bad option; nothing is built or written here."""
    from hw.config import preset
    from sim_models.compiler import compile_graph
    spec = NetSpec(a)
    try:
        base = preset(a.preset)
    except ValueError as e:             # "preset must be one of ..."
        raise ValueError(f"--{e}") from None
    changes = parse_sets(a.set, base)
    try:
        hw = base.with_(**changes)      # the user's overrides, before the program sizes the cluster
    except ValueError as e:
        raise ValueError(f"--set {e}") from None
    graph, x = build_graph(spec, hw.ima.rows)
    if a.export_onnx:
        return spec, graph, None, None
    program = compile_graph(graph, x, hw.ima, arrays=changes.get("arrays"), fc_unit=spec.fc_on,
                            tcdm_bytes=changes.get("tcdm_bytes"))
    if any(s.unit == "dwa" for s in program.steps) and not hw.dwa:
        raise ValueError(f"the cluster of --preset {a.preset}"
                         f"{' --set dwa=false' if 'dwa' in changes else ''} has no depth-wise "
                         "accelerator for the network's depth-wise layers: use --set dwa=true")
    try:
        cfg = hw.with_(arrays=program.arrays, tcdm_bytes=program.tcdm_bytes)
    except ValueError as e:
        raise ValueError(f"the program needs {program.arrays} arrays and {program.tcdm_bytes} TCDM "
                         f"bytes: {e}") from None
    return spec, graph, program, cfg


class _Plan:
    """What the simulator process needs of a :class:`~sim_models.compiler.NetProgram` (the
    golden run's accumulators stay on the host)."""

    def __init__(self, program):
        self.image, self.used = program.image, program.used
        self.placements, self.steps = program.placements, program.steps
        self.arrays, self.imas = program.arrays, program.imas


def _run_on_rtl(cfg, module, payload, options, *, seed, waves, quiet, debug=False):
    """Pickle ``payload`` for the simulator (its path as the option ``program_key`` of
    ``options``: ``(key, value)``), build the cluster ``cfg`` and run cocotb ``module``
    (:func:`tb.build.cluster.simulate`); returns ``(result, error, build_s, sim_s, sim_cpu_s)``
    (``error``: the failure message, the result kept)."""
    import tempfile

    from tb.build.cluster import simulate as simulate_cluster
    from tb.env.net import save_program

    key, obj = payload
    with tempfile.TemporaryDirectory(prefix="ima-net-") as tmp:
        path = os.path.join(tmp, "program.pkl")
        save_program(obj, path)
        return simulate_cluster(cfg, module, {key: path, **options}, seed=seed, waves=waves,
                                debug=debug, quiet=quiet)


def simulate(program, cfg, *, seed=0, waves=False, progress=False, monitors=True, quiet=True,
             profile=None, debug=False):
    """Run ``program`` on the RTL cluster ``cfg`` (built with its arrays and TCDM); returns
    ``{"layers", "total", ...}`` with the totals of ``ima-sim net --json`` and the wall times.
    A layer that differs from the golden graph leaves ``passed`` false (it does not raise).
    ``profile``: a path for cProfile statistics of the simulator's Python side; ``debug``: the
    full-visibility build (:func:`tb.build.runner.debug_build_requested`)."""
    res, error, build_s, sim_s, sim_cpu_s = _run_on_rtl(
        cfg, "tb.cocotb_tests.net", ("program", _Plan(program)),
        {"progress": progress, "monitors": monitors,
         "profile": str(Path(profile).resolve()) if profile else None},
        seed=seed, waves=waves, quiet=quiet, debug=debug)
    if res is None:
        raise RuntimeError(f"the network simulation produced no result ({error})")
    total = res["total"]
    clock = cfg.ima.clock_hz
    latency_ms = total["cycles"] / clock * 1e3
    total.update({
        "latency_ms": latency_ms, "inf_per_s": 1e3 / latency_ms if latency_ms else 0.0,
        "arrays": program.arrays, "tcdm_bytes": program.tcdm_bytes, "clock_hz": clock,
        "macs": sum(layer["macs"] for layer in res["layers"]),
        "passed": bool(total["passed"] and error is None),
        "build_wall_s": build_s, "sim_wall_s": sim_s, "sim_cpu_s": sim_cpu_s,
        "sim_cycles_per_s": total["cycles"] / total["run_wall_s"] if total["run_wall_s"] else None,
    })
    res["error"] = error
    return res


def simulate_images(program, cfg, inputs, xbar_sets, *, seed=0, monitors=True, quiet=True):
    """Run ``program`` (a :class:`~sim_models.compiler.NetProgram`) on the RTL cluster ``cfg`` for
    every input of ``inputs`` and every crossbar set of ``xbar_sets`` in one simulation
    (:func:`tb.env.net.run_images`); returns ``{"outputs": {layer: (sets, n, *shape)}, "cycles":
    (sets, n), "mvms", "build_wall_s", "sim_wall_s", "run_wall_s"}``. ``RuntimeError`` if the
    simulation fails (e.g. a TCDM protocol error) or gives no result."""
    from sim_models.graph import INPUT
    bundle = {"program": _Plan(program), "input_buf": program.buffers[INPUT],
              "inputs": inputs, "xbar_sets": [list(xb) for xb in xbar_sets]}
    res, error, build_s, sim_s, _ = _run_on_rtl(
        cfg, "tb.cocotb_tests.net_images", ("bundle", bundle), {"monitors": monitors},
        seed=seed, waves=False, quiet=quiet)
    if res is None or error is not None:
        raise RuntimeError(f"the network simulation failed ({error or 'no result'})")
    arrays = res["arrays"]
    return {"outputs": {k[4:]: v for k, v in arrays.items() if k.startswith("out:")},
            "cycles": arrays["cycles"], "mvms": res["mvms"], "build_wall_s": build_s,
            "sim_wall_s": sim_s, "run_wall_s": res["run_wall_s"]}


def _gmacs_per_w(macs, energy_uj):
    return macs / (energy_uj * 1e-6) / 1e9 if energy_uj > 0 else 0.0


def format_report(res, spec, cfg, preset_name):
    """The per-layer table, the per-unit summary, the totals (and the paper's, under jetcas2022)."""
    from tb.bench.reference import GAROFALO_NET, cite, value
    layers, t = res["layers"], res["total"]
    clock = t["clock_hz"]
    lines = [f"ima-sim {'estimate-net' if res.get('estimate') else 'net'}: {spec.title}, seed "
             f"{spec.seed}, preset {preset_name} "
             f"({clock / 1e6:g} MHz, {cfg.ima.rows}x{cfg.ima.cols} arrays, fc on {spec.fc_on})", "",
             f"  {'layer':<16}{'kind':<10}{'unit':<6}{'MACs':>12}{'cycles':>11}{'ms':>9}"
             f"{'uJ':>10}{'GMAC/s/W':>10}  check"]
    for r in layers:
        lines.append(f"  {r['name']:<16}{r['kind']:<10}{r['unit']:<6}{r['macs']:>12,}{r['cycles']:>11,}"
                     f"{r['time_ms']:>9.4f}{r['energy_uj']:>10.3f}"
                     f"{_gmacs_per_w(r['macs'], r['energy_uj']):>10.0f}  "
                     f"{_check(r)}")
    lines += ["", "  per unit and kind:"]
    groups = {}
    for r in layers:
        g = groups.setdefault((r["kind"], r["unit"]), [0, 0, 0.0, 0])
        g[0] += 1
        g[1] += r["cycles"]
        g[2] += r["energy_uj"]
        g[3] += r["macs"]
    for (kind, unit), (n, cyc, uj, macs) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"    {kind:<10} on {unit:<6} {n:>3} layers {cyc / clock * 1e3:>9.3f} ms "
                     f"({cyc / t['cycles']:6.1%})  {uj:>10.2f} uJ ({uj / t['energy_uj']:6.1%})  "
                     f"{macs / 1e6:8.2f} MMAC")
    ours = {"latency_ms": t["latency_ms"], "energy_uj": t["energy_uj"], "inf_per_s": t["inf_per_s"],
            "arrays": t["arrays"]}
    lines += ["",
              f"  total: {t['cycles']:,} cycles = {t['latency_ms']:.3f} ms at {clock / 1e6:g} MHz, "
              f"{t['inf_per_s']:.1f} inf/s, {t['energy_uj']:.1f} uJ per inference, "
              f"{t['macs'] / 1e6:.2f} MMAC, {t['arrays']} arrays",
              f"  TCDM: {t['tcdm_bytes']:,} bytes ({t['tcdm_bytes'] // 1024} KiB), sized to hold every "
              "live activation: the paper's assumption (Garofalo et al., JETCAS 2022, Sec. VI: all "
              "activations in L1, L2 not modelled)"]
    if preset_name == NET_PRESET:
        lines.append("  paper (" + cite(GAROFALO_NET["latency_ms"]) + "): "
                     + ", ".join(f"{k} {value(GAROFALO_NET[k]):g} (ours {v:.4g})" for k, v in ours.items())
                     + "; its network is MobileNetV2 224x224, width 1.0")
    if res.get("estimate"):
        lines += ["  no checks: the fast model (sim_models/fastmodel.py) computes cycles and energy, "
                  "no data",
                  f"  fast model: {t['model_wall_s'] * 1e3:.1f} ms wall", "", "ESTIMATE"]
        return "\n".join(lines)
    lines += ["  (the cores compute their layers with the golden arithmetic on the bytes they really "
              "loaded through the RTL: those checks prove the data movement)",
              f"  simulation: {t['sim_wall_s']:.1f} s wall ({t['build_wall_s']:.1f} s build), "
              f"{t['sim_cpu_s']:.1f} s CPU, {t['sim_cycles_per_s'] or 0:,.0f} cycles/s",
              *([f"  error: {res['error']}"] if res.get("error") else []),
              "", "PASS" if t["passed"] else "FAIL"]
    return "\n".join(lines)


def _check(r):
    """A layer's check column: PASS, FAIL (mismatches), or ``-`` for an estimate (no data)."""
    if r["passed"] is None:
        return "-"
    return "PASS" if r["passed"] else "FAIL (%d)" % r["mismatches"]


def write_csv(res, path):
    """``--csv``: one row per layer (:data:`CSV_FIELDS`), then a ``total`` row."""
    t = res["total"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_FIELDS)
        for r in res["layers"]:
            w.writerow([r[k] for k in CSV_FIELDS])
        w.writerow(["total", "", "", t["macs"], t["cycles"], t["latency_ms"], t["energy_uj"],
                    t["passed"]])


def plot_layers(res, path, title):
    """``--plot``: per-layer latency and energy bars, coloured by unit (like Garofalo et al.,
    JETCAS 2022, Fig. 12)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    layers = res["layers"]
    xs = range(len(layers))
    colours = [UNIT_COLOURS.get(r["unit"], "tab:green") for r in layers]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(max(8, len(layers) * 0.18), 7), sharex=True)
    a1.bar(xs, [r["time_ms"] for r in layers], color=colours)
    a1.set_ylabel("latency (ms)")
    a1.set_title(f"{title}: per-layer latency and energy")
    a2.bar(xs, [r["energy_uj"] for r in layers], color=colours)
    a2.set_ylabel("energy (uJ)")
    a2.set_xticks(list(xs), [r["name"] for r in layers], rotation=90, fontsize=6)
    units = list(dict.fromkeys(r["unit"] for r in layers))
    a1.legend(handles=[Patch(color=UNIT_COLOURS.get(u, "tab:green"), label=u) for u in units])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _summary(program, spec):
    s = program.summary()
    return (f"ima-sim net --no-sim: {spec.title}: {s['layers']} layers "
            f"({', '.join(f'{n} on {u}' for u, n in s['units'].items())}), {s['ima_jobs']:,} IMA jobs, "
            f"{s['dwa_jobs']} DWA jobs, {s['sw_phases']} software phases, {s['arrays']} arrays, "
            f"TCDM {s['tcdm_bytes']:,} bytes (peak {s['peak_bytes']:,}), {s['macs'] / 1e6:.2f} MMAC")


@_net_args.runner
def _net(a):
    try:
        spec, graph, program, cfg = prepare(a)
    except ValueError as e:
        die(str(e))
    if a.export_onnx:
        from sim_models.onnx_io import export_onnx
        export_onnx(graph, a.export_onnx)
        print(f"ima-sim net: wrote {spec.title} as ONNX to {a.export_onnx}")
        return 0
    if a.no_sim:
        print(_summary(program, spec))
        return 0
    res = simulate(program, cfg, seed=spec.seed, waves=a.waves, progress=True, monitors=a.monitors,
                   debug=a.debug_build)
    if a.csv:
        write_csv(res, a.csv)
    if a.plot:
        plot_layers(res, a.plot, spec.title)
    if a.json:
        keys = ("cycles", "latency_ms", "energy_uj", "inf_per_s", "arrays", "passed", "macs",
                "tcdm_bytes", "clock_hz", "build_wall_s", "sim_wall_s", "sim_cpu_s", "sim_cycles_per_s")
        out = {"model": spec.title, "preset": a.preset, "seed": spec.seed,
               "layers": [{k: r[k] for k in (*CSV_FIELDS, "mismatches", "phases", "wall_s")}
                          for r in res["layers"]],
               "total": {k: res["total"][k] for k in keys}}
        print(json.dumps(out))
    else:
        print(format_report(res, spec, cfg, a.preset))
    return 0 if res["total"]["passed"] else 1
