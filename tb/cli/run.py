"""``ima-sim run``: simulate a layer on the RTL cluster.

``run`` validates the options (one clear line and exit status 2 on a bad one), builds the
cluster for the requested ports (cached per configuration), executes the workload with the core
BFMs and the Python crossbar, checks every output against the golden model and prints a report
(cycles per phase, GOPS, TOPS/W, GOPS/mm^2, PASS/FAIL) or, with ``--json``, one JSON object.
The cores compute their layers with the golden arithmetic on the bytes they really loaded through
the RTL, so the checks of those layers prove the data movement; the report names them.
"""

import argparse
import json
from dataclasses import asdict

from tb.cli.overrides import add_set_option, name_option, parse_sets
from tb.cli.registry import check_outputs, command, die, int_at_least

__all__ = ["simulate", "format_report", "spec_from_args", "config_from_args", "SHAPE_OPTIONS",
           "add_workload_options", "report_fields"]

#: The shape options each ``--layer`` reads. Another one given on the command line is an error
#: (it would be silently ignored), unless it equals the value the layer implies (:data:`IMPLIED`).
SHAPE_OPTIONS = {
    "conv": ("h", "w", "cin", "cout", "k", "stride", "pad"),
    "pointwise": ("h", "w", "cin", "cout", "stride"),
    "fc": ("cin", "cout"),
    "depthwise": ("h", "w", "cin", "k", "stride", "pad"),
    "bottleneck": ("h", "w", "cin", "expand", "stride"),
}
#: (layer, option) -> the value the layer uses whatever is given (a function of the spec).
IMPLIED = {("pointwise", "k"): lambda s: 1, ("pointwise", "pad"): lambda s: 0,
           ("fc", "k"): lambda s: 1, ("fc", "pad"): lambda s: 0,
           ("depthwise", "cout"): lambda s: s.cin,
           ("bottleneck", "k"): lambda s: 3, ("bottleneck", "pad"): lambda s: 1}
SHAPE_HELP = {"h": "input height", "w": "input width", "cin": "input channels",
              "cout": "output channels", "k": "kernel size", "stride": "stride, 1 or 2",
              "pad": "padding", "expand": "bottleneck expansion t"}


# ------------------------------------------------------------------ run
@command("run", "simulate a layer or the bottleneck on the RTL cluster, checked vs golden")
def _run_args(p):
    add_workload_options(p)
    p.add_argument("--dump", metavar="FILE.npz", help="save inputs, weights, ADC params, outputs")
    p.add_argument("--waves", action="store_true", help="write an FST waveform (slower)")
    p.add_argument("--debug-build", action="store_true",
                   help="build the model with every signal visible to the VPI (for cocotb sessions that "
                        "poke at internal signals; slower; default: only the testbench's ports, "
                        "the same results)")
    p.add_argument("--profile", metavar="FILE.pstats",
                   help="run under cProfile instead: write the statistics, print the top functions")
    from tb.env.paths import BFM_PATHS, DEFAULT_BFM
    p.add_argument("--bfm", choices=BFM_PATHS, default=None,
                   help="how the cores drive their TCDM ports: 'engine' (the test top's RTL request "
                        "engines, one batch per load / store call) or 'python' (one coroutine step "
                        "per access: the reference path, clearer in a waveform); the same cycles "
                        f"and outputs either way (default {DEFAULT_BFM})")


def add_workload_options(p):
    """The options of the workload and of the hardware it runs on (``ima-sim run`` and ``ima-sim
    estimate``, which reads the same): ``--layer``, ``--mapping``, the shape, ``--preset``,
    ``--set``, ``--ports``, ``--overlap``, ``--dwa``, ``--dwa-arrangement``, ``--seed``,
    ``--program-weights``, ``--json``."""
    from dataclasses import fields

    from hw.config import DEFAULT_PRESET, DWA_ARRANGEMENTS, PRESETS
    from sim_models.workloads import LAYER_MAPPINGS, RunSpec, default_mapping
    default = PRESETS[DEFAULT_PRESET]
    spec_default = {f.name: f.default for f in fields(RunSpec)}
    spec_default["pad"] = "k//2"
    by_default = {}
    for layer in LAYER_MAPPINGS:
        by_default.setdefault(default_mapping(layer), []).append(layer)
    p.add_argument("--layer", default="bottleneck",
                   help="conv, pointwise, depthwise, fc or bottleneck (default)")
    p.add_argument("--mapping", default=None,
                   help="SW, IMA, IMA8, IMA16, HYBRID or IMADW (pointwise on the IMA, 3x3 "
                        "depth-wise on the depth-wise accelerator; --layer depthwise/bottleneck); "
                        "default: the layer's, "
                        + ", ".join(f"{m} for {' / '.join(ls)}" for m, ls in by_default.items()))
    p.add_argument("--preset", default=DEFAULT_PRESET,
                   help=f"hardware configuration: {', '.join(PRESETS)} (default {DEFAULT_PRESET})")
    p.add_argument("--ports", type=int, default=None,
                   help=f"N load + N store IMA ports, 1..16 (default: the preset's, "
                        f"{default.ima.ports} in {DEFAULT_PRESET})")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="data seed (default 0)")
    for name, text in SHAPE_HELP.items():   # default None: a given option the layer ignores: error
        users = ", ".join(layer for layer, opts in SHAPE_OPTIONS.items() if name in opts)
        p.add_argument(f"--{name}", type=int, default=None,
                       help=f"{text} (default {spec_default[name]}; used by --layer {users})")
    p.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=None,
                   help="double-buffered IMA engine: STREAMIN/STREAMOUT overlap COMPUTE (--overlap) "
                        "or the sequential one (--no-overlap); default: the preset's")
    p.add_argument("--dwa", action=argparse.BooleanOptionalAction, default=None,
                   help="build the cluster with (--dwa) or without (--no-dwa) the depth-wise "
                        "accelerator (default: with it exactly for --mapping IMADW)")
    p.add_argument("--dwa-arrangement", choices=DWA_ARRANGEMENTS, default=None,
                   help="the depth-wise accelerator's data ports: 'shared' with the IMA's load ports "
                        "or 'separate' TCDM masters (default: the preset's, "
                        f"{default.dwa_arrangement} in {DEFAULT_PRESET})")
    add_set_option(p)
    p.add_argument("--program-weights", default="backdoor", choices=["backdoor", "registers"],
                   help="program the PCM through SUBMIT_PLOT registers, or directly (default)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def spec_from_args(a):
    """The workload options of ``ima-sim run`` as a :class:`sim_models.workloads.RunSpec`: the
    options given, :class:`RunSpec`'s defaults for the others, ``--mapping`` by default the
    layer's (:func:`sim_models.workloads.default_mapping`). ``ValueError`` names an unknown
    ``--layer`` or a shape option the layer does not use (``--layer depthwise --cout 16``: a
    depth-wise layer has C_out = C_in)."""
    from sim_models.workloads import RunSpec, default_mapping
    mapping = a.mapping if a.mapping is not None else default_mapping(a.layer)
    given = {name: getattr(a, name) for name in SHAPE_HELP if getattr(a, name) is not None}
    spec = RunSpec(layer=a.layer, mapping=mapping, seed=a.seed, program_weights=a.program_weights,
                   **given)
    for name, v in given.items():
        if name in SHAPE_OPTIONS[a.layer]:
            continue
        implied = IMPLIED.get((a.layer, name))
        if implied is not None and implied(spec) == v:
            continue
        if (a.layer, name) == ("depthwise", "cout"):
            raise ValueError(f"--cout {v}: a depth-wise layer has C_out = C_in (--cin {spec.cin}); "
                             "drop --cout")
        raise ValueError(f"--{name} is not used by --layer {a.layer} (it reads "
                         f"{', '.join('--' + o for o in SHAPE_OPTIONS[a.layer])}): drop it")
    return spec


def config_from_args(a):
    """The hardware options of ``ima-sim run`` (``--preset``, ``--set NAME=VALUE``, ``--ports``,
    ``--overlap``, ``--dwa``, ``--dwa-arrangement``) as a :class:`hw.config.ClusterConfig`: the preset, each
    option given overriding one parameter of it; ``ValueError`` names the option.

    A mapping that runs on the depth-wise accelerator (``IMADW``) gets a cluster with it unless
    the user asks for one without (``--no-dwa``: an error); other mappings keep the preset's
    cluster unless ``--dwa`` adds it."""
    from hw.config import preset
    from sim_models.workloads import DWA_MAPPINGS
    try:
        base = preset(a.preset)
    except ValueError as e:             # "preset must be one of ..."
        raise ValueError(f"--{e}") from None
    changes = parse_sets(getattr(a, "set", []), base)     # the named options below win
    if a.overlap is not None:
        changes["overlap"] = a.overlap
    if a.ports is not None:
        changes["ports"] = a.ports
    mapping = getattr(a, "mapping", None)
    want = getattr(a, "dwa", None)
    if mapping in DWA_MAPPINGS:
        if want is False:
            raise ValueError(f"--mapping {mapping} runs the depth-wise layer on the depth-wise "
                             "accelerator: drop --no-dwa")
        want = True
    if want is not None:
        changes["dwa"] = want
    if getattr(a, "dwa_arrangement", None) is not None:
        changes["dwa_arrangement"] = a.dwa_arrangement
    named = {name: opt for name, opt in (("overlap", "--overlap"), ("ports", "--ports"),
                                         ("dwa", "--dwa"), ("dwa_arrangement", "--dwa-arrangement"))
             if getattr(a, name, None) is not None}
    try:
        cfg = base.with_(**changes)
    except ValueError as e:             # the message starts with the parameter's name
        raise ValueError(name_option(e, named, changes)) from None
    if mapping in DWA_MAPPINGS and not cfg.dwa:
        raise ValueError(f"--mapping {mapping} needs a cluster with the depth-wise accelerator; "
                         f"preset {a.preset} has none")
    return cfg


def dwa_model(wl, cfg):
    """The depth-wise accelerator's jobs of workload ``wl`` and what the cycle model predicts:
    ``{"jobs", "macs", "engine_cycles"}`` (:func:`sim_models.dwa_perf.engine_cycles` on
    ``cfg.dwa_ports`` ports, no contention), or ``None`` when the workload has no DWA phase."""
    jobs = [ph.args["job"] for ph in wl.phases if ph.kind == "dwa"]
    if not jobs:
        return None
    from sim_models.dwa_perf import engine_cycles
    return {"jobs": len(jobs), "macs": sum(j.macs for j in jobs),
            "engine_cycles": sum(engine_cycles(j, cfg.dwa_ports) for j in jobs)}


def simulate(spec, cfg, *, waves=False, npz=None, quiet=True, debug=False, bfm=None):
    """Run the workload ``spec`` on the RTL cluster ``cfg`` (a :class:`hw.config.ClusterConfig`);
    returns the result dict (report fields included). ``debug``: the full-visibility build
    (:func:`tb.build.runner.debug_build_requested`); ``bfm``: the cores' TCDM path
    (:data:`tb.env.paths.BFM_PATHS`, ``None``: :class:`~tb.env.cluster.ClusterEnv`'s default)."""
    import numpy as np

    from sim_models.workloads import prepare
    from tb.build.cluster import simulate as simulate_cluster

    wl = prepare(spec, cfg.ima)                 # ValueError on a shape that does not fit
    res, error, build_s, sim_s, sim_cpu_s = simulate_cluster(
        cfg, "tb.cocotb_tests.cluster",
        {"spec": asdict(spec), "dump": bool(npz), **({"bfm": bfm} if bfm is not None else {})},
        seed=spec.seed,
        waves=waves, debug=debug, quiet=quiet)
    if res is None:
        raise RuntimeError(f"the simulation produced no result ({error})")
    outs = res.pop("arrays", {})
    if npz:
        np.savez(npz, **wl.arrays, **outs)
    res = report_fields(spec, cfg, wl, res)
    res.update({
        "build_wall_s": build_s, "sim_wall_s": sim_s, "sim_cpu_s": sim_cpu_s,
        "sim_cycles_per_s": res["cycles"] / res["run_wall_s"] if res["run_wall_s"] else None,
        "error": error,
    })
    return res


def report_fields(spec, cfg, wl, res):
    """Add the report's fields to ``res`` (the cycles, phases, IMA / DWA counters and energy events
    of a run of workload ``wl`` -- on the RTL or from the fast model) and return it: energy,
    throughput, area, the DWA model's prediction, the shape and options."""
    from sim_models.area import area_report, gops_per_mm2
    from sim_models.energy import energy_report, gops, tops_per_w
    ima = cfg.ima
    cycles = res["cycles"]
    energy = energy_report(res["energy_events"], clock_hz=ima.clock_hz, n_cores=cfg.n_cores,
                           imas=cfg.imas)
    area = area_report(wl.pcm_devices, ima.ports, n_cores=cfg.n_cores, tcdm_bytes=cfg.tcdm_bytes,
                       n_banks=cfg.banks, dwa_arrangement=cfg.dwa_arrangement if cfg.dwa else None,
                       imas=cfg.imas)
    g = gops(wl.macs, cycles, ima.clock_hz)
    model = dwa_model(wl, cfg)
    dwa = res.get("dwa") or {}
    res.update({
        "layer": spec.layer, "mapping": spec.mapping, "ports": ima.ports, "seed": spec.seed,
        "overlap": ima.overlap, "clock_hz": ima.clock_hz,
        "dwa_arrangement": cfg.dwa_arrangement if cfg.dwa else None,
        "dwa_model": model,
        "dwa_mac_per_cycle": (model["macs"] / dwa["cycles"]
                              if model and dwa.get("cycles") else None),
        "shape": {"h": spec.h, "w": spec.w, "cin": spec.cin, "cout": spec.cout, "k": spec.k,
                  "stride": spec.stride, "pad": spec.padding, "expand": spec.expand},
        # phases the cores compute in software: golden arithmetic on the bytes they loaded
        "core_phases": list(dict.fromkeys(ph.name for ph in wl.phases if ph.kind not in ("ima", "dwa"))),
        "macs": wl.macs, "gops": g, "energy_uj": energy["total_uj"],
        "tops_per_w": tops_per_w(wl.macs, energy["total_uj"]),
        "energy_breakdown_uj": energy["breakdown_uj"], "power_mw": energy["avg_power_mw"],
        "pcm_devices": wl.pcm_devices, "pcm_area_mm2": area["pcm_area_mm2"],
        "cluster_area_mm2": area["cluster_area_mm2"],
        "gops_per_mm2": gops_per_mm2(g, area["pcm_area_mm2"]) if wl.pcm_devices else None,
        "gops_per_mm2_cluster": gops_per_mm2(g, area["total_area_mm2"]),
    })
    if cfg.imas > 1:                    # one private IMA per core (a one-IMA report stays as it was)
        res["imas"] = cfg.imas
    return res


def format_report(res):
    from sim_models.energy import DWA_MULTIPLIERS
    s = res["shape"]
    what = (f"bottleneck {s['h']}x{s['w']}x{s['cin']} t={s['expand']}" if res["layer"] == "bottleneck"
            else f"{res['layer']} {s['h']}x{s['w']}x{s['cin']} -> "
                 f"{s['cin'] if res['layer'] == 'depthwise' else s['cout']} k={s['k']} "
                 f"stride={s['stride']} pad={s['pad']}")
    engine = ", overlapped engine" if res.get("overlap") else ""
    if res.get("imas", 1) > 1:
        engine += f", {res['imas']} IMAs"
    if res.get("dwa_arrangement"):
        engine += f", depth-wise accelerator ({res['dwa_arrangement']} ports)"
    estimate = bool(res.get("estimate"))
    lines = [f"ima-sim {'estimate' if estimate else 'run'}: {what}, mapping {res['mapping']}, "
             f"{res['ports']}/{res['ports']} "
             f"ports{engine}, seed {res['seed']}", "", f"  {'phase':<12}{'cycles':>10}{'share':>9}"]
    total = res["cycles"]
    for name, c in res["phases"].items():
        lines.append(f"  {name:<12}{c:>10}{c / total:>9.1%}")
    clock = res["clock_hz"]
    lines.append(f"  {'total':<12}{total:>10}   = {total / clock * 1e6:.1f} us at {clock / 1e6:g} MHz")
    ima = res["ima"]
    if ima["jobs"]:
        lines.append(f"  IMA: {ima['jobs']} jobs; streamin {ima['streamin']}, compute "
                     f"{ima['compute']}, streamout {ima['streamout']} cycles; TCDM stall "
                     f"cycles {res['tcdm_stalled']}")
    for k, each in enumerate(res.get("ima_each") or ()):      # cfg.imas > 1: the IMAs one by one
        lines.append(f"    IMA {k}: {each['jobs']} jobs; streamin {each['streamin']}, compute "
                     f"{each['compute']}, streamout {each['streamout']} cycles; "
                     f"{res['mvms_each'][k]} MVMs")
    dwa, model = res.get("dwa") or {}, res.get("dwa_model")
    if dwa.get("jobs"):
        pred = (f" (model engine_cycles {model['engine_cycles']:,}: "
                f"{'equal' if model['engine_cycles'] == dwa['cycles'] else 'differs'})" if model else "")
        mpc = res.get("dwa_mac_per_cycle")
        lines.append(f"  DWA: {dwa['jobs']} job(s); busy {dwa['cycles']:,} cycles{pred}, MAC array "
                     f"{dwa['mac_cycles']:,} cycles, stalled {dwa['stalled']:,}"
                     + (f"; {mpc:.1f} MAC/cycle (peak {DWA_MULTIPLIERS})" if mpc else ""))
    gpm = f"{res['gops_per_mm2']:.2f}" if res["gops_per_mm2"] is not None else "n/a (no PCM)"
    lines += ["",
              f"  MACs {res['macs']:,}   GOPS {res['gops']:.2f}   energy {res['energy_uj']:.2f} uJ   "
              f"TOPS/W {res['tops_per_w']:.3f}   power {res['power_mw']:.1f} mW",
              f"  PCM devices {res['pcm_devices']:,}   PCM area {res['pcm_area_mm2']:.3f} mm^2   "
              f"GOPS/mm^2 (PCM) {gpm}   GOPS/mm^2 (cluster+PCM) {res['gops_per_mm2_cluster']:.2f}",
              *_checks_lines(res)]
    return "\n".join(lines)


def _checks_lines(res):
    """The report's last lines: the checks and the simulation's wall time, or, for an estimate
    (``res["estimate"]``), what the fast model is and its wall time."""
    if res.get("estimate"):
        return ["  no checks: the fast model (sim_models/fastmodel.py) computes cycles and energy, "
                "no data; TCDM stall cycles are its contention approximation",
                f"  fast model: {res['model_wall_s'] * 1e3:.1f} ms wall", "", "ESTIMATE"]
    return ["  checks vs golden: " + ", ".join(
                f"{k} {'PASS' if v['passed'] else 'FAIL (%d bytes)' % v['mismatches']}"
                for k, v in res["checks"].items()),
            *([f"  (the cores compute {', '.join(res['core_phases'])} with the golden arithmetic on the "
               "bytes they really loaded through the RTL: those checks prove the data movement)"]
              if res.get("core_phases") else []),
            f"  simulation: {res['sim_wall_s']:.1f} s wall ({res['build_wall_s']:.1f} s build), "
            f"{res['sim_cpu_s']:.1f} s CPU, {res['sim_cycles_per_s'] or 0:,.0f} cycles/s",
            "", "PASS" if res["passed"] else "FAIL"]


@_run_args.runner
def _run(a):
    try:
        from sim_models.workloads import prepare
        spec = spec_from_args(a)
        cfg = config_from_args(a)
        spec.validate()
        prepare(spec, cfg.ima)             # shapes that do not fit fail here, before any build
    except ValueError as e:
        die(str(e))
    check_outputs(a, files=(("--dump", "dump"), ("--profile", "profile")))
    if a.profile:
        given = [o for o, v in (("--json", a.json), ("--dump", a.dump), ("--waves", a.waves)) if v]
        if given:
            die(f"--profile runs under cProfile and prints its top functions: {', '.join(given)} "
                "would do nothing")
        from tb.bench.profile import format_profile, profile_run
        print(format_profile(profile_run(spec, cfg, a.profile, 20, debug=a.debug_build, bfm=a.bfm),
                             20))
        return 0
    res = simulate(spec, cfg, waves=a.waves, npz=a.dump, debug=a.debug_build, bfm=a.bfm)
    if a.json:
        print(json.dumps(res))
    else:
        print(format_report(res))
    return 0 if res["passed"] else 1
