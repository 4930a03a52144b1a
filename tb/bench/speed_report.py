"""Issue 15's targets, read off the samples of the speed bench (:mod:`tb.bench.speed`).

:func:`target_rows` turns the bench's samples (``{"<build>/<case>[/<bfm path>]": [run, ...]}``,
each run with ``cycles`` and ``run_cpu_s``) into one row per measured workload and path: its
median cycles/s, the ratio to the bare model of the same build (``limit_4`` / ``limit_16``: what
the Verilator model alone costs, so the remaining testbench overhead is visible), the ratio to the
old path (the per-access Python BFM on the full-visibility -Os build, the simulator before issue
15, when the run measured it) and whether the issue's target is met. :func:`format_targets`
prints them; ``make bench`` (``python -m tb.bench.speed``) ends with that table. Cycles per
CPU second of the simulator process (``run_cpu_s``, as the bench's own table): on a shared machine
wall-clock rates follow the load, and even CPU rates mean most as ratios of neighbouring samples.
"""

import statistics

__all__ = ["TARGETS", "LIMIT_OF", "OLD_PATH", "target_rows", "format_targets"]

#: Issue 15, "What must be true", item 1: simulated cycles/s per workload, ``(target, goal)``.
TARGETS = {"hybrid_4": (60_000, 100_000), "conv_ima_16": (150_000, None)}
#: The bare model each workload is compared with (the same cluster configuration, nothing attached).
LIMIT_OF = {"hybrid_4": "limit_4", "conv_ima_16": "limit_16"}
#: The path before issue 15: every signal public (``full``), verilated.mk's -Os, the per-access BFM.
OLD_PATH = ("Os-full", "python")


def _rate(runs):
    """Median cycles per CPU second over ``runs``."""
    return statistics.median(r["cycles"] / r["run_cpu_s"] for r in runs)


def _limit_runs(samples, build, case, clock):
    """The bare model's runs the workload ``case`` of ``build`` is compared with: those measured
    with the default clock (``<build>/<limit>``), else those measured with the clock the workload
    runs on, named (``<build>/<limit>/<clock>``, as ``--clock`` keys them); ``None`` if neither."""
    limit = f"{build}/{LIMIT_OF[case]}"
    return samples.get(limit) or (samples.get(f"{limit}/{clock}") if clock else None)


def target_rows(samples, *, old=OLD_PATH, clock=None):
    """One dict per measured workload key of ``samples`` (see the module doc): ``key``, ``case``,
    ``build``, ``path`` (``None``: the environment's default), ``cycles``, ``cycles_per_s``
    (median), ``limit_per_s`` / ``vs_limit`` (``None`` when the build's bare model was not
    measured with the default clock nor with ``clock``, the workloads' own), ``old_per_s`` /
    ``vs_old`` (``None`` when ``old`` = ``(build, path)`` was not), and ``target``, ``goal``,
    ``met`` (cycles/s >= target), ``goal_met``."""
    rows = []
    for key, runs in samples.items():
        parts = key.split("/")
        if len(parts) < 2 or parts[1] not in TARGETS or not runs:
            continue
        build, case = parts[0], parts[1]
        path = parts[2] if len(parts) > 2 else None
        rate = _rate(runs)
        limit = _limit_runs(samples, build, case, clock)
        limit_rate = _rate(limit) if limit else None
        old_runs = samples.get(f"{old[0]}/{case}/{old[1]}")
        old_rate = _rate(old_runs) if old_runs else None
        target, goal = TARGETS[case]
        rows.append({
            "key": key, "case": case, "build": build, "path": path, "cycles": runs[0]["cycles"],
            "cycles_per_s": rate, "limit_per_s": limit_rate,
            "vs_limit": rate / limit_rate if limit_rate else None,
            "old_per_s": old_rate, "vs_old": rate / old_rate if old_rate else None,
            "target": target, "goal": goal, "met": rate >= target,
            "goal_met": None if goal is None else rate >= goal,
        })
    return rows


def _x(v, fmt):
    return "n/a" if v is None else format(v, fmt)


def format_targets(samples, *, old=OLD_PATH, load=None, clock=None):
    """The targets table of :func:`target_rows` as text (``load``: the load average to state;
    ``clock``: the workloads' clock, see :func:`target_rows`)."""
    rows = target_rows(samples, old=old, clock=clock)
    head = ("issue 15 targets (cycles per CPU second of the simulator over the run phase, medians"
            + (f"; load average {load:.1f}" if load is not None else "") + ")")
    if not rows:
        return head + "\n  no workload measured"
    lines = [head,
             f"  {'case':<30} {'cyc/s':>9} {'bare model':>10} {'/ bare':>7} {'/ old':>7} "
             f"{'target':>8} {'met':>4}"]
    for r in rows:
        goal = "" if r["goal"] is None else f" (goal {r['goal']:,}: {'yes' if r['goal_met'] else 'no'})"
        lines.append(f"  {r['key']:<30} {r['cycles_per_s']:>9,.0f} {_x(r['limit_per_s'], ',.0f'):>10} "
                     f"{_x(r['vs_limit'], '.2f'):>7} {_x(r['vs_old'], '.2f'):>7} {r['target']:>8,} "
                     f"{'yes' if r['met'] else 'no':>4}{goal}")
    if all(r["old_per_s"] is None for r in rows):
        lines.append(f"  (/ old: measure the old path too: --builds {old[0]},... --bfm {old[1]},...)")
    return "\n".join(lines)
