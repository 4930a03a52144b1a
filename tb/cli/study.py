"""``ima-sim study``: the TPDS 2024 study (tiles / coverage x coupling x balancing x CNNs).

Every point is :func:`sim_models.study.run_point` (placement, then the event-driven schedule
over the fast model's layer costs); every network's costs are one :func:`sim_models.study.cost_table`
task. Both run on ``dask.distributed`` (:func:`tb.cli.dist.task_pool`: a ``LocalCluster`` of
``--workers`` processes by default, ``--scheduler ADDRESS`` for an existing cluster) or, with
``--in-process``, in this process; the results are the same. Outputs in ``-o DIR``:
``study.csv`` (one row per point), ``study_speedup.png``, ``study_energy.png``,
``study_policies.png`` and ``report.md`` (:mod:`tb.bench.study_report`). See docs/study.md.
"""

import os
import sys
import time

from tb.cli.registry import check_outputs, command, die, int_at_least

__all__ = ["study_config", "plan", "run_study", "STUDY_PRESET", "MAIN_POLICY"]

#: The study's hardware: Garofalo et al.'s multi-array cluster (256 x 256 arrays, the tile of
#: the study; one multi-array IMA is the loosely coupled pool), the sweep's Garofalo preset.
from tb.bench.plan import GAROFALO_PRESET as STUDY_PRESET  # noqa: E402

#: The placement policy of the report's tables and main plots (the others: study_policies.png).
MAIN_POLICY = "knapsack"


def _csv_choice(option, choices):
    def parse(text):
        import argparse
        items = [x.strip() for x in text.split(",") if x.strip()]
        if text.strip() == "all":
            return tuple(choices)
        bad = [x for x in items if x not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"expected 'all' or a comma-separated list of {', '.join(choices)}, not {text!r}")
        return tuple(dict.fromkeys(items))
    parse.__name__ = option
    return parse


def _tiles(text):
    import argparse
    try:
        ts = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated tile counts >= 0, not {text!r}") from None
    if not ts or ts[0] < 0:
        raise argparse.ArgumentTypeError(f"expected comma-separated tile counts >= 0, not {text!r}")
    return tuple(ts)


@command("study", "the TPDS 2024 study: speed-up and energy vs coverage, coupling, balancing, CNNs")
def _study_args(p):
    from sim_models import balance, coverage
    from sim_models.study import NETS
    p.add_argument("--nets", type=_csv_choice("nets", NETS), default=tuple(NETS),
                   help=f"'all' (default) or some of {', '.join(NETS)}")
    p.add_argument("--tiles", type=_tiles, default=None,
                   help="comma-separated tile counts T (default: per network, 0 and geometric steps "
                        "up to the tiles that hold it all)")
    p.add_argument("--coupling", type=_csv_choice("coupling", coverage.COUPLINGS),
                   default=coverage.COUPLINGS, help="tight, loose or both (default)")
    p.add_argument("--balancing", type=_csv_choice("balancing", balance.BALANCINGS),
                   default=balance.BALANCINGS, help=f"some of {', '.join(balance.BALANCINGS)} (default all)")
    p.add_argument("--policy", type=_csv_choice("policy", coverage.POLICIES), default=coverage.POLICIES,
                   help=f"placement policies: some of {', '.join(coverage.POLICIES)} (default all; the "
                        f"report's tables use {MAIN_POLICY} when it is run)")
    p.add_argument("--granularity", choices=coverage.GRANULARITIES, default="layer",
                   help="placement unit: whole layers (default) or 256-column slabs")
    p.add_argument("--images", type=int_at_least(1), default=4,
                   help="inferences per point (default 4; layer-level balancing pipelines them)")
    p.add_argument("--preset", default=STUDY_PRESET,
                   help=f"hardware preset (default {STUDY_PRESET}; its arrays become 256 x 256 tiles)")
    p.add_argument("-o", "--output", default="reports/study", metavar="DIR",
                   help="output directory (default reports/study)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://HOST:PORT); default: a LocalCluster")
    p.add_argument("--workers", type=int_at_least(1), default=None,
                   help="workers of the LocalCluster (default: the machine's cores)")
    p.add_argument("--in-process", action="store_true",
                   help="no dask: run every task in this process (same results)")


def study_config(name):
    """The preset ``name`` with 256 x 256 arrays (the study's tile; DAC / ADC buffers capped)."""
    from hw.config import preset
    from sim_models.placement import ARRAY_COLS, ARRAY_ROWS
    cfg = preset(name)
    if (cfg.ima.rows, cfg.ima.cols) != (ARRAY_ROWS, ARRAY_COLS):
        cfg = cfg.with_(rows=ARRAY_ROWS, cols=ARRAY_COLS, dac_depth=min(cfg.ima.dac_depth, ARRAY_ROWS),
                        adc_depth=min(cfg.ima.adc_depth, ARRAY_COLS))
    return cfg


def plan(nets, tiles, couplings, balancings, policies, images=4, granularity="layer"):
    """The study's points, in a fixed order (net, T, policy, coupling, balancing)."""
    from sim_models.study import Point, net_layers, tile_sweep
    pts = []
    for net in nets:
        ts = tiles if tiles is not None else tile_sweep(net_layers(net), granularity=granularity)
        for t in ts:
            for pol in policies:
                for cp in couplings:
                    for bal in balancings:
                        pts.append(Point(net, t, pol, cp, bal, images=images, granularity=granularity))
    return pts


class _Progress:
    """A tqdm bar on a terminal, plain lines (every 10 %) otherwise."""

    def __init__(self, total, desc):
        self.total, self.done, self.t0, self.desc = total, 0, time.perf_counter(), desc
        self.bar = None
        if sys.stdout.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit="task")

    def step(self, text=""):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.done == self.total or self.done * 10 // self.total != (self.done - 1) * 10 // self.total:
            print(f"{self.desc}: {self.done}/{self.total} ({time.perf_counter() - self.t0:.1f} s) {text}",
                  flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_study(points, preset_name, executor=None):
    """Rows of ``points`` (dicts, in the points' order) and the cost tables by network; the tasks
    go to ``executor`` (a :func:`tb.cli.dist.task_pool`), or run here when it is ``None``."""
    import concurrent.futures as cf

    from sim_models.study import cost_table, run_point
    cfg = study_config(preset_name)
    nets = list(dict.fromkeys(p.net for p in points))
    prog = _Progress(len(nets) + len(points), "study")
    tables, rows = {}, [None] * len(points)
    try:
        if executor is None:
            for n in nets:
                tables[n] = cost_table(n, cfg, preset_name)
                prog.step(f"costs of {n}")
            for i, p in enumerate(points):
                rows[i] = run_point(p, tables[p.net])
                prog.step()
            return rows, tables
        futs = {executor.submit(cost_table, n, cfg, preset_name): n for n in nets}
        for f in cf.as_completed(futs):
            tables[futs[f]] = f.result()
            prog.step(f"costs of {futs[f]}")
        pf = {executor.submit(run_point, p, tables[p.net]): i for i, p in enumerate(points)}
        for f in cf.as_completed(pf):
            rows[pf[f]] = f.result()
            prog.step()
        return rows, tables
    finally:
        prog.close()


def _git_commit():
    from tb.cli.sweep import _git_commit as gc
    return gc()


@_study_args.runner
def _study(a):
    from hw.config import preset
    from tb.cli.dist import check_scheduler
    try:
        preset(a.preset)
    except ValueError as e:
        die(f"--{e}")
    if a.scheduler is not None:
        if a.in_process:
            die("--scheduler: --in-process runs no scheduler; drop one of them")
        if a.workers is not None:
            die("--workers: sizes the LocalCluster, not the cluster at --scheduler; drop --workers")
        try:
            check_scheduler(a.scheduler)
        except ValueError as e:
            die(str(e))
    if a.in_process and a.workers is not None:
        die("--workers: --in-process runs no workers; drop --workers")
    check_outputs(a, dirs=(("-o/--output", "output"),))
    if a.scheduler is not None:
        from tb.cli.dist import SchedulerUnreachable, probe_scheduler
        try:
            probe_scheduler(a.scheduler)            # before anything runs or is written
        except SchedulerUnreachable as e:
            die(str(e))
    from tb.bench import study_report
    pts = plan(a.nets, a.tiles, a.coupling, a.balancing, a.policy, a.images, a.granularity)
    engine = ("in-process" if a.in_process else f"dask scheduler {a.scheduler}" if a.scheduler
              else f"dask LocalCluster, {a.workers or os.cpu_count()} workers")
    print(f"ima-sim study: {len(pts)} points on {len(a.nets)} network(s), preset {a.preset}, {engine}",
          flush=True)
    t0 = time.perf_counter()
    if a.in_process:
        rows, tables = run_study(pts, a.preset)
    else:
        from tb.cli.dist import SchedulerUnreachable, task_pool
        try:
            with task_pool(a.scheduler, a.workers, connect_timeout=10) as ex:
                rows, tables = run_study(pts, a.preset, ex)
        except SchedulerUnreachable as e:
            die(str(e))
    wall = time.perf_counter() - t0
    os.makedirs(a.output, exist_ok=True)
    study_report.write_csv(os.path.join(a.output, "study.csv"), rows)
    main_policy = MAIN_POLICY if MAIN_POLICY in a.policy else a.policy[0]
    figs = study_report.plot_all(rows, a.output, main_policy)
    cfg = study_config(a.preset)
    meta = {"preset": a.preset, "tile_rows": cfg.ima.rows, "tile_cols": cfg.ima.cols,
            "clock_mhz": cfg.ima.clock_hz / 1e6, "cores": cfg.n_cores, "banks": cfg.banks,
            "overlap": cfg.ima.overlap, "ports": cfg.ima.ports, "images": a.images,
            "chunks_per_core": pts[0].chunks_per_core if pts else 0,
            "tiles_text": (", ".join(map(str, a.tiles)) if a.tiles
                           else "per network (0, halvings and even steps up to the whole network)"),
            "policies": list(a.policy), "main_policy": main_policy, "granularity": a.granularity,
            "engine": engine, "wall_s": wall, "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "commit": _git_commit()}
    with open(os.path.join(a.output, "report.md"), "w") as f:
        f.write(study_report.render_report(rows, meta, tables, figs))
    print(f"wrote study.csv, {', '.join(figs)}, report.md in {a.output}/ ({wall:.1f} s)")
    return 0
