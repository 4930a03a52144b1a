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
"""

import json
import sys
import time
import zipfile
from pathlib import Path

from tb.cli.overrides import name_option
from tb.cli.registry import check_outputs, command, die

__all__ = ["accuracy_report", "cmd_accuracy", "PLOT_SUFFIXES"]

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
QUICK_IMAGES, QUICK_SEEDS = 100, 3


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
                   ("--array-cols", a.array_cols)):
        if v is not None and v < 1:
            die(f"{opt} must be a positive integer, not {v}")
    if a.weights is not None and not Path(a.weights).is_file():
        die(f"--weights: no such file {a.weights}")
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
    p.add_argument("--array-rows", type=int, default=256, help="rows of one crossbar array (default 256)")
    p.add_argument("--array-cols", type=int, default=256, help="columns of one crossbar array (default 256)")
    p.add_argument("--engine", choices=("batched", "jobs"), default="batched",
                   help="batched MVMs over all images (default) or the job-level executor image by "
                        "image (the same outputs bit for bit, ~50x slower)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", default=None, help="write accuracy vs time to this .png/.pdf/.svg")


_accuracy_args.runner(cmd_accuracy)
