"""``ima-sim sweep``: the paper's figures re-run on the RTL (Fig. 3, Fig. 5 a-c, Fig. 6).

Every run goes through :func:`tb.cli.run.simulate` (the RTL cluster, checked bit-exactly against
the golden model). The Verilator builds (one per port count) are made first, one task per
configuration, so two workers never build the same one; then the runs go to the workers: tasks
on dask.distributed (:mod:`tb.cli.dist`), a LocalCluster of ``--jobs`` worker processes (default:
all cores) or an existing Dask cluster at ``--scheduler ADDRESS``. Outputs in ``-o DIR``:
``sweep.csv`` (one row per run), ``fig3_conv.png``, ``fig5_bottleneck.png``, ``fig6_phases.png``,
``report.md`` (our figures next to the paper's, ratios, agreement checks, simulator speed) and
``logs/`` (simulator output).
The depth-wise accelerator's series (IMADW, Garofalo et al. 2022) runs on one more build per port
count (the cluster with the accelerator); ``--no-dwa`` leaves it out. ``--preset NAME`` runs the
whole sweep under another preset of hw/config.py (runs that do not fit it are left out and
logged); a full sweep under the default preset also runs the Garofalo block (the bottleneck's five
mappings under ``jetcas2022``, one more build; ``--no-garofalo`` leaves it out).
This module orchestrates; the runs come from :mod:`tb.bench.plan`, the CSV rows and checks from
:mod:`tb.bench.analysis`, the PNGs from :mod:`tb.bench.plots`, report.md from
:mod:`tb.bench.report`, and the papers' numbers from :mod:`tb.bench.reference`. See docs/bench.md.
"""

import concurrent.futures as cf
import contextlib
import json
import os
import sys
import time

from tb.cli.registry import check_outputs, command, die, int_at_least, refuse_unused

__all__ = ["run_sweep", "worker_pool"]


@command("sweep", "re-run the paper's Fig. 3/5/6 sweeps on the RTL: CSV, plots, report.md")
def _sweep_args(p):
    p.add_argument("-o", "--output", default="reports", metavar="DIR",
                   help="output directory (default reports)")
    p.add_argument("--quick", action="store_true",
                   help="small shapes and only the 4/4 build (a few minutes; for tests)")
    p.add_argument("--jobs", type=int_at_least(1), default=os.cpu_count() or 1,
                   help=f"parallel simulations: workers of the local dask cluster (default: the "
                        f"machine's cores, {os.cpu_count()})")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask cluster (tcp://HOST:PORT; its workers need this "
                        "project installed) instead of a LocalCluster")
    p.add_argument("--ports", default=None,
                   help="comma-separated port counts (default 1,2,4,8,16; --quick: 4)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="data seed of every run (default 0)")
    p.add_argument("--profile", action="store_true",
                   help="also profile the bottleneck HYBRID 4/4 run with cProfile (report section)")
    p.add_argument("--no-dwa", dest="dwa", action="store_false",
                   help="leave out the depth-wise accelerator's series (IMADW, stride-2 depth-wise)")
    from hw.config import DEFAULT_PRESET, PRESETS
    from tb.bench.plan import GAROFALO_PRESET
    p.add_argument("--preset", default=DEFAULT_PRESET,
                   help=f"hardware configuration of the whole sweep: {', '.join(PRESETS)} (default "
                        f"{DEFAULT_PRESET}); runs whose layers do not fit it are left out")
    p.add_argument("--no-garofalo", dest="garofalo", action="store_false",
                   help=f"leave out the Garofalo block (the bottleneck in SW, IMA8, IMA16, HYBRID, "
                        f"IMADW under {GAROFALO_PRESET}: 5 runs on one more build; off with --quick)")
    p.add_argument("--rerender", action="store_true",
                   help="no simulation: rebuild plots and report.md from DIR/sweep.csv and sweep.json")


def _parse_ports(text, quick):
    from tb.bench.plan import FULL_PORTS, QUICK_PORTS
    if text is None:
        return QUICK_PORTS if quick else FULL_PORTS
    try:
        ports = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        die(f"--ports must be comma-separated integers, not {text!r}")
    if not ports or any(not 1 <= p <= 16 for p in ports):
        die(f"--ports must be in 1..16, not {text!r}")
    return ports


# ------------------------------------------------------------------ worker side
_LOG_FD = None


def _worker_init(logdir):
    """Send the simulator's own output (cocotb banner, Verilator) to a per-worker log file."""
    global _LOG_FD
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, f"worker-{os.getpid()}.log")
    _LOG_FD = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(_LOG_FD, 1)
    os.dup2(_LOG_FD, 2)


def _build(name, config):
    """Build the cluster ``config`` (a ClusterConfig); returns its name and the wall time."""
    from tb.build.cluster import build_cluster
    t0 = time.perf_counter()
    build_cluster(config)
    return name, time.perf_counter() - t0


def _model_ima_cycles(spec, cfg):
    """IMA cycles of the workload's IMA phases by sim_models/perf.py (RTL-structural overheads,
    no contention, no core-side configuration): the analytic model next to the RTL."""
    from sim_models.perf import mapping_cycles, mapping_cycles_overlapped, rtl_params
    from sim_models.workloads import prepare
    ima = cfg.ima
    model = mapping_cycles_overlapped if ima.overlap else mapping_cycles
    total = 0
    for ph in prepare(spec, ima).phases:
        if ph.kind == "ima":
            p = rtl_params(ima.ports, ima.mvm_cycles, shared_ports=ima.data_interface == "shared")
            total += model(ph.args["layer"], p).total
    return total


def _simulate(run, seed):
    from tb.cli.run import simulate
    spec, cfg = run.spec(seed), run.config()
    print(f"=== {run.label} ===", flush=True)
    t0 = time.perf_counter()
    try:
        res = simulate(spec, cfg)
    except Exception as e:          # a failed run becomes a row with its error, not an abort
        res = {"error": f"{type(e).__name__}: {e}"}
    res["wall_total_s"] = time.perf_counter() - t0
    model = _model_ima_cycles(spec, cfg) if run.mapping != "SW" else None
    return run, res, model


def _profile(run, seed, stats):
    from tb.bench.profile import profile_run
    try:
        return profile_run(run.spec(seed), run.config(), stats, n=20)
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


# ------------------------------------------------------------------ driver
@contextlib.contextmanager
def worker_pool(jobs, logdir, initializer=_worker_init, scheduler=None):
    """The runs' executor on dask.distributed (:func:`tb.cli.dist.task_pool`): a LocalCluster of
    ``jobs`` worker processes (``initializer(logdir)`` in each), or the existing cluster at
    ``scheduler`` (its workers keep their own output; each builds or finds its Verilator model
    from the run's configuration -- the build cache key, :func:`tb.build.cluster.build_params` --
    under the build's lock, so two workers never build the same one at once). On an exception --
    Ctrl-C above all -- the queued runs are dropped instead of run to the end, so ``ima-sim
    sweep`` stops at once."""
    from tb.cli.dist import task_pool
    with task_pool(scheduler, None if scheduler else jobs,
                   setup=None if scheduler else initializer, setup_args=(logdir,)) as pool:
        yield pool


def _progress(done, total, t0, text):
    el = time.perf_counter() - t0
    bar = "#" * int(30 * done / total) + "." * (30 - int(30 * done / total))
    print(f"[{bar}] {done}/{total} {el:6.0f}s  {text}", flush=True)


def run_sweep(outdir, *, ports, quick=False, jobs=1, seed=0, profile=False, dwa=True,
              preset=None, garofalo=False, scheduler=None, log=print):
    """Run the sweep under ``preset`` (default: the default preset), plus the Garofalo block
    with ``garofalo``; write CSV, plots and report into ``outdir``; return the analysis dict."""
    from hw.config import DEFAULT_PRESET
    from tb.bench import analysis, plan, plots, report
    preset = preset or DEFAULT_PRESET
    runs = plan.plan(ports, quick, dwa=dwa, preset=preset, garofalo=garofalo)   # ValueError first
    skipped = plan.left_out(ports, quick, dwa=dwa, preset=preset)
    os.makedirs(outdir, exist_ok=True)
    logdir = os.path.join(outdir, "logs")
    builds = {}
    for r in runs:
        builds.setdefault(r.build_name, r.config())
    build_ports = sorted({c.ima.ports for c in builds.values()})
    jobs = max(1, int(jobs))
    t_start = time.perf_counter()
    log(f"ima-sim sweep: {len(runs)} runs on {len(builds)} cluster build(s) "
        f"(ports {', '.join(map(str, build_ports))}), preset {preset}, {jobs} parallel job(s), "
        f"output {outdir}/")
    if skipped:
        log(f"  left out (their layers do not fit preset {preset}): "
            + ", ".join(r.label for r in skipped))
    build_s = {}
    results = []
    with worker_pool(jobs, logdir, scheduler=scheduler) as pool:
        # 1. one build per configuration (distinct configs may build in parallel)
        futs = [pool.submit(_build, n, c) for n, c in sorted(builds.items())]
        for i, f in enumerate(cf.as_completed(futs), 1):
            n, s = f.result()
            build_s[n] = s
            _progress(i, len(futs), t_start, f"build {n}: {s:.1f} s")
        # 2. the runs; SW first (longest), the rest in plan order
        futs = [pool.submit(_simulate, r, seed) for r in runs]
        if profile:
            prof_run = next((r for r in runs if r.workload == "bottleneck" and r.mapping == "HYBRID"
                             and r.ports == 4 and r.preset == preset), None)
            prof_fut = pool.submit(_profile, prof_run, seed,
                                   os.path.abspath(os.path.join(outdir, "profile_hybrid4.pstats"))) \
                if prof_run else None
        else:
            prof_fut = None
        for i, f in enumerate(cf.as_completed(futs), 1):
            run, res, model = f.result()
            results.append((run, res, model))
            if "cycles" in res:
                text = (f"{run.label}: {res['cycles']:,} cycles, {res['sim_wall_s']:.1f} s wall, "
                        f"{res['sim_cycles_per_s'] or 0:,.0f} cycles/s, "
                        f"{'PASS' if res['passed'] else 'FAIL'}")
            else:
                text = f"{run.label}: ERROR {res['error']}"
            _progress(i, len(futs), t_start, text)
        prof = prof_fut.result() if prof_fut else None
    order = {r: i for i, r in enumerate(runs)}
    results.sort(key=lambda t: order[t[0]])
    rows = [analysis.csv_row(run, res, model) for run, res, model in results]
    csv_path = os.path.join(outdir, "sweep.csv")
    analysis.write_csv(csv_path, rows)
    bn_cin = dict(plan.shapes(quick)["bottleneck"])["cin"]
    out = analysis.analyse(rows, bn_cin=bn_cin, preset=preset)
    figs = plots.plot_all(out, outdir, quick=quick)
    meta = {"quick": quick, "ports": list(ports), "jobs": jobs, "cpus": os.cpu_count(),
            "seed": seed, "wall_s": time.perf_counter() - t_start, "build_s": build_s,
            "commit": _git_commit(), "n_runs": len(runs), "preset": preset,
            "left_out": [r.label for r in skipped]}
    if prof and "wall_s" in prof:
        meta["profile_wall_s"] = prof["wall_s"]
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(report.render_report(rows, out, meta, figs, prof))
    with open(os.path.join(outdir, "sweep.json"), "w") as f:
        json.dump({"meta": meta, "results": [
            {"run": r.label, **{k: v for k, v in res.items() if k != "energy_events"}}
            for r, res, _ in results]}, f, indent=1, default=str)
    counts = analysis.verdict_counts(out["checks"])
    log(f"wrote {csv_path}, {', '.join(figs)}, report.md in {outdir}/ "
        f"({meta['wall_s']:.0f} s); checks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    out["rows"], out["meta"] = rows, meta
    return out


def _git_commit():
    import subprocess

    from tb.build.runner import PROJECT_ROOT
    if os.environ.get("IMA_SWEEP_COMMIT"):         # a run from an exported snapshot of a commit
        return os.environ["IMA_SWEEP_COMMIT"]
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return (c + ("+dirty" if dirty else "")) if c else "unknown"
    except Exception:
        return "unknown"


def rerender(outdir):
    """Plots and report from a finished sweep's ``sweep.csv``/``sweep.json`` (no simulation)."""
    from tb.bench import analysis, plots, report
    from tb.bench.reference import value
    rows = analysis.read_csv(os.path.join(outdir, "sweep.csv"))
    with open(os.path.join(outdir, "sweep.json")) as f:
        meta = json.load(f)["meta"]
    # build_s keys stay strings ("4", "4-overlap"): the report sorts them as text
    meta["build_s"] = {str(k): v for k, v in meta.get("build_s", {}).items()}
    quick = bool(meta.get("quick"))
    bn_cin = next((int(r["cin"]) for r in rows if r["workload"] == "bottleneck"), value("bn_cin"))
    out = analysis.analyse(rows, bn_cin=bn_cin, preset=meta.get("preset"))
    figs = plots.plot_all(out, outdir, quick=quick)
    prof = None
    stats = os.path.join(outdir, "profile_hybrid4.pstats")
    if os.path.exists(stats):
        from tb.bench.profile import top_functions
        prof = {"wall_s": meta.get("profile_wall_s", float("nan")),
                "by_tottime": top_functions(stats, 20, "tottime"),
                "by_cumtime": top_functions(stats, 20, "cumulative")}
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(report.render_report(rows, out, meta, figs, prof))
    counts = analysis.verdict_counts(out["checks"])
    print(f"re-rendered {', '.join(figs)}, report.md in {outdir}/; checks: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


#: Options of a sweep that ``--rerender`` (no simulation) does not use: giving one is an error.
SIMULATION_OPTIONS = (("--quick", "quick"), ("--ports", "ports"), ("--seed", "seed"),
                      ("--profile", "profile"), ("--no-dwa", "dwa"), ("--preset", "preset"),
                      ("--no-garofalo", "garofalo"), ("--jobs", "jobs"), ("--scheduler", "scheduler"))


@_sweep_args.runner
def _sweep(a):
    if a.rerender:
        refuse_unused(a, _sweep_args, SIMULATION_OPTIONS,
                      "--rerender re-draws a finished sweep without simulating")
        missing = [f for f in ("sweep.csv", "sweep.json")
                   if not os.path.isfile(os.path.join(a.output, f))]
        if missing:
            die(f"--rerender: no {' or '.join(missing)} in -o/--output {a.output}")
        check_outputs(a, dirs=(("-o/--output", "output"),))
        return rerender(a.output)
    ports = _parse_ports(a.ports, a.quick)
    if a.scheduler is not None:
        from tb.cli.dist import check_scheduler
        refuse_unused(a, _sweep_args, (("--jobs", "jobs"),),
                      "--scheduler runs on the cluster's workers")
        try:
            check_scheduler(a.scheduler)
        except ValueError as e:
            die(str(e))
    from hw.config import preset
    from tb.bench import plan
    try:
        preset(a.preset)                # a bad name: one line, exit 2, nothing written
    except ValueError as e:
        die(f"--{e}")
    try:                                # a sweep with nothing to run under the preset
        plan.plan(ports, a.quick, dwa=a.dwa, preset=a.preset, garofalo=a.garofalo and not a.quick)
    except ValueError as e:
        die(str(e))
    check_outputs(a, dirs=(("-o/--output", "output"),))
    from tb.cli.dist import SchedulerUnreachable
    try:
        if a.scheduler is not None:
            from tb.cli.dist import probe_scheduler
            probe_scheduler(a.scheduler)        # before anything is written
        out = run_sweep(a.output, ports=ports, quick=a.quick, jobs=a.jobs, seed=a.seed,
                        profile=a.profile, dwa=a.dwa, preset=a.preset,
                        garofalo=a.garofalo and not a.quick, scheduler=a.scheduler)
    except SchedulerUnreachable as e:
        die(str(e))
    failed = [r for r in out["rows"] if not r["passed"]]
    for r in failed:
        print(f"ima-sim sweep: run failed: {r['workload']} {r['mapping']} {r['ports']}/{r['ports']}"
              f" {r['error']}", file=sys.stderr)
    return 1 if failed else 0
