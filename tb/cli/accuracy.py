"""``ima-sim accuracy``: a trained network's accuracy on PCM crossbars, ideal and non-ideal.

``ima-sim accuracy [--weights FILE.npz] [--seeds N] [--images N] [--quick] [--array-rows R
--array-cols C] [--engine batched|jobs] [--json] [--plot FILE]`` loads the digits CNN
(:mod:`sim_models.nets.digits`, the committed weights by default) and evaluates the held-out test
images with the float model, the integer model (:func:`sim_models.graph.run_golden`), the
crossbars in ideal mode (must equal the integer model bit for bit: otherwise FAIL and exit
status 1) and every non-ideal point of :func:`sim_models.accuracy.default_points` over ``N``
programming seeds (mean and spread); ``--engine``: :data:`sim_models.accuracy.ENGINES`. It prints
a table; ``--json`` prints one object ``{float_acc, quant_acc, ideal_acc, points: [{noise, t_s,
compensated, mean, std, seeds, acc}], ...}``; ``--plot`` writes accuracy vs time after
programming (like IBM aihwkit's inference examples). ``--quick``: 100 images, 3 seeds (under a
minute). A bad option or file: one line on stderr, exit status 2, nothing written.

``ima-sim accuracy --rtl N [--seeds S] [--preset P] [--set NAME=VALUE] [--json]`` (issue 18,
item 3) runs the first ``N`` test images on the RTL cluster (preset ``jetcas2022`` by default:
its 256x256 array and depth-wise accelerator, the build of the preset as it is) with the same
noisy conductances as the job-level executor: for each of ``S`` programming seeds (default 2) and
each time of :data:`RTL_TIMES` (1 day, 1 year), programming noise + read noise + drift, frozen
(:func:`rtl_comparison`). It prints, per seed and time, how many images give bit-identical
outputs (every layer) on the two; exit status 0 only if all do.
"""

import json
import sys
import time
import zipfile
from pathlib import Path

from tb.cli.overrides import add_set_option, name_option
from tb.cli.registry import check_outputs, command, die

__all__ = ["accuracy_report", "rtl_comparison", "cmd_accuracy", "PLOT_SUFFIXES", "RTL_TIMES",
           "RTL_PRESET"]

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
QUICK_IMAGES, QUICK_SEEDS = 100, 3
#: Times after programming of the RTL comparison, s: 1 day and 1 year (issue 18, item 3).
RTL_TIMES = (86400.0, 365 * 86400.0)
#: The cluster of ``--rtl`` by default: Garofalo et al.'s (JETCAS 2022), 256x256 arrays and the
#: depth-wise accelerator the network's depth-wise layer runs on.
RTL_PRESET = "jetcas2022"
RTL_SEEDS = 2


def accuracy_report(weights=None, seeds=10, images=None, rows=256, cols=256, progress=None,
                    engine="batched"):
    """The whole study as plain data (what ``--json`` prints).

    Raises ``ValueError`` naming a bad parameter or an unreadable weights file."""
    from sim_models.accuracy import ENGINES, AnalogNet, accuracy_table, default_points
    from sim_models.nets import digits

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")

    for name, v in (("seeds", seeds), ("images", images)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be a positive integer, not {v!r}")
    path = digits.WEIGHTS_FILE if weights is None else Path(weights)
    try:
        params, graph = digits.load_params(path), digits.load_graph(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"weights file {path}: cannot load the digits CNN ({e})") from None
    data = digits.load_data()
    if images is not None and images > len(data.y_test):
        raise ValueError(f"images must be at most {len(data.y_test)} (the held-out set), not {images}")
    x, y = data.x_test[:images], data.y_test[:images]
    t0 = time.perf_counter()
    net = AnalogNet(graph, rows, cols)
    gold = net.golden_logits(x)
    ideal = net.logits(x, net.crossbars(), engine)
    points = default_points()
    table = accuracy_table(net, x, y, list(range(seeds)), points, progress, engine)
    return {"network": graph.name, "weights": str(path), "images": int(len(y)),
            "programming_seeds": list(range(seeds)), "array_rows": rows, "array_cols": cols,
            "arrays": net.arrays, "engine": engine,
            "float_acc": digits.float_accuracy(params, x, y),
            "quant_acc": float((gold.argmax(axis=1) == y).mean()),
            "ideal_acc": float((ideal.argmax(axis=1) == y).mean()),
            "ideal_equals_quant": bool((ideal == gold).all()),
            "points": table, "wall_s": round(time.perf_counter() - t0, 2)}


def rtl_comparison(cfg, images, seeds, *, weights=None, times=RTL_TIMES, monitors=True):
    """The digits CNN on the RTL cluster ``cfg`` and on the job-level executor with the same
    frozen noisy crossbars; returns the comparison as plain data (what ``--rtl --json`` prints).

    For each programming seed ``k`` in ``range(seeds)`` and time ``t`` in ``times`` the crossbars
    are :meth:`AnalogNet.crossbars(k, ...) <sim_models.accuracy.AnalogNet.crossbars>` of the
    point ``prog+read+drift`` at ``t`` (uncompensated), then :meth:`~sim_models.crossbar.Crossbar.
    freeze`: one read (drift and one read-noise draw) for every MVM of every image, as aihwkit
    evaluates at one ``t_inference``. Frozen, an MVM is a pure function of the stored state and
    the DAC vector (no random draw: ADC noise is off), so the RTL's analog core model (handed the
    pickled sets, :meth:`tb.env.cluster.ClusterEnv.use_crossbars`) and
    :meth:`AnalogNet.run_jobs` give the same ADC outputs whenever the RTL streams the same bytes;
    a difference is an RTL (data movement) difference. Both run the same compiled program
    (``AnalogNet.program``) and all ``len(seeds) * len(times) * images`` runs share one build and
    one simulation.

    ``ValueError`` names a bad parameter, or a cluster that cannot hold the program."""
    import numpy as np

    from sim_models.accuracy import AnalogNet, NoisePoint
    from sim_models.nets import digits
    from tb.cli.net import simulate_images

    for name, v in (("images", images), ("seeds", seeds)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, not {v!r}")
    path = digits.WEIGHTS_FILE if weights is None else Path(weights)
    try:
        graph = digits.load_graph(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"weights file {path}: cannot load the digits CNN ({e})") from None
    data = digits.load_data()
    if images > len(data.y_test):
        raise ValueError(f"rtl must be at most {len(data.y_test)} images (the held-out set), "
                         f"not {images}")
    ima = cfg.ima
    if ima.dac_depth < ima.rows or ima.adc_depth < ima.cols:
        raise ValueError(f"the cluster's DAC / ADC buffers ({ima.dac_depth} / {ima.adc_depth} bytes) "
                         f"must cover a whole {ima.rows}x{ima.cols} array (the program's jobs may)")
    net = AnalogNet(graph, ima.rows, ima.cols, arrays=ima.arrays)
    if net.program.tcdm_bytes > cfg.tcdm_bytes:
        raise ValueError(f"the program needs {net.program.tcdm_bytes} TCDM bytes, the cluster has "
                         f"{cfg.tcdm_bytes}")
    if any(st.unit == "dwa" for st in net.program.steps) and not cfg.dwa:
        raise ValueError("the cluster has no depth-wise accelerator for the network's depth-wise "
                         "layer: use --set dwa=true")
    x = data.x_test[:images]
    t0 = time.perf_counter()
    sets, keys = [], []
    for k in range(seeds):
        for t in times:
            xbars = net.crossbars(k, **NoisePoint("prog+read+drift", float(t)).crossbar_kwargs())
            for xb in xbars:
                xb.freeze()
            sets.append(xbars)
            keys.append((k, float(t)))
    expected = [net.run_jobs(x, xbars) for xbars in sets]
    exec_s = time.perf_counter() - t0
    rtl = simulate_images(net.program, cfg, x, sets, monitors=monitors)
    gold = net.golden_logits(x)
    rows, n_same = [], 0
    for j, (k, t) in enumerate(keys):
        same = np.ones(images, dtype=bool)
        for name, want in expected[j].items():
            got = rtl["outputs"][name][j]
            same &= (got.reshape(images, -1) == want.reshape(images, -1)).all(axis=1)
        logits = expected[j][graph.output].reshape(images, -1)
        rows.append({"seed": k, "t_s": t, "images": images, "identical": int(same.sum()),
                     "different": int((~same).sum()),
                     "differ_from_ideal": int((logits != gold).any(axis=1).sum()),
                     "acc_executor": float((logits.argmax(axis=1) == data.y_test[:images]).mean()),
                     "cycles_per_image": float(rtl["cycles"][j].mean())})
        n_same += int(same.sum())
    total = images * len(keys)
    return {"network": graph.name, "weights": str(path), "preset_arrays": ima.arrays,
            "images": images, "seeds": seeds, "times_s": [float(t) for t in times],
            "runs": total, "identical": n_same, "different": total - n_same, "points": rows,
            "mvms": rtl["mvms"], "executor_wall_s": round(exec_s, 2),
            "build_wall_s": round(rtl["build_wall_s"], 2), "sim_wall_s": round(rtl["sim_wall_s"], 2),
            "passed": n_same == total}


def _rtl_text(r):
    lines = [f"{r['network']}: RTL cluster vs job-level executor on the same frozen noisy crossbars "
             f"(programming + read noise + drift), {r['images']} test images",
             f"{'seed':>4} {'t':>8} {'identical':>9} {'different':>9} {'noisy!=ideal':>12} "
             f"{'acc %':>6} {'cycles/img':>10}"]
    for p in r["points"]:
        lines.append(f"{p['seed']:>4} {_t_label(p['t_s']):>8} {p['identical']:>9} {p['different']:>9} "
                     f"{p['differ_from_ideal']:>12} {p['acc_executor'] * 100:6.2f} "
                     f"{p['cycles_per_image']:>10.0f}")
    lines += [f"total: {r['identical']} / {r['runs']} image runs bit-identical (every layer), "
              f"{r['different']} different; {r['mvms']} MVMs on the RTL",
              f"wall: executor {r['executor_wall_s']} s, build {r['build_wall_s']} s, simulation "
              f"{r['sim_wall_s']} s",
              "PASS" if r["passed"] else "FAIL"]
    return "\n".join(lines)


def _cmd_rtl(a):
    """``--rtl N``: the options that do not apply refused, the cluster built from ``--preset`` /
    ``--set``, the comparison printed; exit status 0 only if every run is bit-identical."""
    from hw.config import preset
    from tb.cli.overrides import parse_sets
    for opt, v in (("--images", a.images), ("--quick", a.quick or None), ("--plot", a.plot),
                   ("--engine", a.engine), ("--array-rows", a.array_rows),
                   ("--array-cols", a.array_cols)):
        if v is not None:
            die(f"{opt} does not apply with --rtl (the arrays are the cluster's: --set rows=R)")
    try:
        base = preset(a.preset or RTL_PRESET)
    except ValueError as e:
        die(f"--{e}")
    try:
        cfg = base.with_(**parse_sets(a.set, base))
    except ValueError as e:
        die(str(e) if str(e).startswith("--set") else f"--set {e}")
    try:
        r = rtl_comparison(cfg, a.rtl, a.seeds if a.seeds is not None else RTL_SEEDS,
                           weights=a.weights)
    except ValueError as e:
        die(str(e).replace("rtl must", "--rtl must", 1))
    print(json.dumps(r) if a.json else _rtl_text(r))
    return 0 if r["passed"] else 1


def _t_label(t):
    for unit, s in (("year", 365 * 86400.0), ("month", 30 * 86400.0), ("day", 86400.0),
                    ("h", 3600.0), ("s", 1.0)):
        if t >= s:
            return f"{t / s:g} {unit}"
    return "0"


def _text(r):
    lines = [f"{r['network']} on {r['images']} held-out digits, {len(r['programming_seeds'])} "
             f"programming seeds, {r['arrays']} array(s) of {r['array_rows']}x{r['array_cols']}, "
             f"{r['engine']} engine",
             f"float model      {r['float_acc'] * 100:6.2f} %",
             f"integer model    {r['quant_acc'] * 100:6.2f} %",
             f"crossbar, ideal  {r['ideal_acc'] * 100:6.2f} %  ("
             + ("PASS: equals the integer model" if r["ideal_equals_quant"]
                else "FAIL: differs from the integer model") + ")",
             f"{'noise':<17} {'t':>8} {'comp.':>5} {'mean %':>7} {'std %':>6} {'min %':>6}"]
    for p in r["points"]:
        lines.append(f"{p['noise']:<17} {_t_label(p['t_s']):>8} {'yes' if p['compensated'] else 'no':>5} "
                     f"{p['mean'] * 100:7.2f} {p['std'] * 100:6.2f} {min(p['acc']) * 100:6.2f}")
    lines.append(f"wall time {r['wall_s']} s")
    return "\n".join(lines)


def plot_accuracy(r, path):
    """Accuracy vs time after programming, mean +- std over seeds (log time axis)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for comp, style in ((False, "o-"), (True, "s--")):
        pts = [p for p in r["points"] if p["noise"] == "prog+read+drift" and p["compensated"] == comp]
        ax.errorbar([p["t_s"] for p in pts], [p["mean"] * 100 for p in pts],
                    yerr=[p["std"] * 100 for p in pts], fmt=style, capsize=3,
                    label="drift, " + ("global drift compensation" if comp else "no compensation"))
    for key, label, ls in (("float_acc", "float model", ":"),
                           ("quant_acc", "integer model (= ideal crossbar)", "-")):
        ax.axhline(r[key] * 100, color="gray", ls=ls, lw=1, label=label)
    for p, ls in zip((q for q in r["points"] if q["noise"] in ("prog", "prog+read")), ("-.", "--"),
                     strict=False):
        ax.axhline(p["mean"] * 100, color="tab:green", ls=ls, lw=1, label=f"{p['noise']} (t = 0)")
    ax.set_xscale("log")
    ax.set_xlabel("time after programming (s)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{r['network']}: {r['images']} test images, {len(r['programming_seeds'])} seeds")
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def cmd_accuracy(a):
    for opt, v in (("--seeds", a.seeds), ("--images", a.images), ("--array-rows", a.array_rows),
                   ("--array-cols", a.array_cols), ("--rtl", a.rtl)):
        if v is not None and v < 1:
            die(f"{opt} must be a positive integer, not {v}")
    if a.weights is not None and not Path(a.weights).is_file():
        die(f"--weights: no such file {a.weights}")
    if a.rtl is not None:
        return _cmd_rtl(a)
    if a.preset is not None or a.set:
        die("--preset / --set choose the RTL cluster: they apply with --rtl only")
    a.array_rows = 256 if a.array_rows is None else a.array_rows
    a.array_cols = 256 if a.array_cols is None else a.array_cols
    a.engine = "batched" if a.engine is None else a.engine
    if a.plot is not None:
        plot = Path(a.plot)
        if plot.suffix.lower() not in PLOT_SUFFIXES:
            die(f"--plot {a.plot}: the file name must end in one of {', '.join(PLOT_SUFFIXES)}")
        check_outputs(a, files=(("--plot", "plot"),))
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            die("--plot needs matplotlib (pip install -e .[bench])")
    seeds = a.seeds if a.seeds is not None else QUICK_SEEDS if a.quick else 10
    images = a.images if a.images is not None else QUICK_IMAGES if a.quick else None
    from tqdm import tqdm

    from sim_models.accuracy import default_points
    n_eval = seeds * len(default_points())
    with tqdm(total=n_eval, desc="accuracy", unit="eval", disable=not sys.stderr.isatty()) as bar:
        try:
            r = accuracy_report(a.weights, seeds, images, a.array_rows, a.array_cols, bar.update,
                                a.engine)
        except ValueError as e:         # the message starts with the parameter's name
            die(name_option(e, {"images": "--images", "seeds": "--seeds", "engine": "--engine",
                                "weights": "--weights"}))
    print(json.dumps(r) if a.json else _text(r))
    if a.plot is not None:
        plot_accuracy(r, a.plot)
    return 0 if r["ideal_equals_quant"] else 1


@command("accuracy", "accuracy of the trained digits CNN on PCM crossbars: ideal, programming / read "
                     "noise, drift over time, with and without global drift compensation")
def _accuracy_args(p):
    p.add_argument("--weights", default=None,
                   help="trained weights (.npz written by python -m sim_models.nets.digits; "
                        "default: the committed file)")
    p.add_argument("--seeds", type=int, default=None,
                   help="programming seeds per point (default 10; --quick 3)")
    p.add_argument("--images", type=int, default=None,
                   help="first N held-out test images (default all 360; --quick 100)")
    p.add_argument("--quick", action="store_true", help=f"{QUICK_IMAGES} images, {QUICK_SEEDS} seeds")
    p.add_argument("--array-rows", type=int, default=None, help="rows of one crossbar array (default 256)")
    p.add_argument("--array-cols", type=int, default=None, help="columns of one crossbar array (default 256)")
    p.add_argument("--engine", choices=("batched", "jobs"), default=None,
                   help="batched MVMs over all images (default) or the job-level executor image by "
                        "image (the same outputs bit for bit, ~50x slower)")
    p.add_argument("--rtl", type=int, default=None, metavar="N",
                   help="instead: the first N test images on the RTL cluster vs the job-level "
                        f"executor, same frozen noisy crossbars, {RTL_SEEDS} seeds (--seeds) x "
                        "1 day, 1 year; counts of bit-identical images")
    p.add_argument("--preset", default=None,
                   help=f"--rtl: the cluster's hardware preset (default {RTL_PRESET})")
    add_set_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", default=None, help="write accuracy vs time to this .png/.pdf/.svg")


_accuracy_args.runner(cmd_accuracy)
