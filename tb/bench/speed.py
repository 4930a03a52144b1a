"""Simulator speed measurements (issue 15, step 1): cycles/s of cluster runs and of the bare model.

Three figures per Verilator build, measured back to back so their ratios survive a shared machine:

- ``limit``: the cluster model clocked with nothing attached (cocotb's clock, reset, then one
  ``Timer`` over ``cycles`` cycles: no Python between the edges). What the Verilator model alone
  costs, i.e. the ceiling any testbench change can reach.
- a workload run (:mod:`tb.cocotb_tests.cluster`, what ``ima-sim run`` runs): its run phase
  (``run_wall_s``, the phases only, not the start-up) gives the cycles/s.

Each figure is repeated ``repeats`` times; the report gives min / median / max and the wall time
of each build (cold when this run made it). A build is ``<C++ level>-<visibility>``: the level one
of :data:`tb.build.runner.CXX_OPT_LEVELS` (``O0`` the regression's, ``Os`` verilated.mk's own, the
default before issue 15 and today's optimised level), the visibility ``full`` (every signal
public to the VPI: ``--debug-build``, the default before issue 15) or ``lean`` (today's
default, :func:`tb.build.cluster.build_cluster`)::

    python -m tb.bench.speed --repeats 3 --builds Os-full,O0-lean,Os-lean   # what make bench runs
"""

import argparse
import json
import os
import statistics
import sys
import time

try:                                   # only inside the simulator
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, Timer
except ImportError:                    # pragma: no cover
    cocotb = None

__all__ = ["BUILDS", "measure_limit", "measure_run", "main"]

CLK_NS = 4
#: The builds ``make bench`` compares: the default before issue 15 (verilated.mk's -Os, every
#: signal public), the regression's (-O0, lean) and today's optimised default (-Os, lean).
BUILDS = ("Os-full", "O0-lean", "Os-lean")
#: The measured cases: two ``ima-sim run`` workloads (the bottleneck HYBRID at 4/4, the issue's
#: software-bound target; a standard conv on the IMA at 16/16, its accelerator-bound one) and the
#: bare model of each build (:func:`clock_only`).
CASES = ("hybrid_4", "conv_ima_16", "limit_4", "limit_16")

if cocotb is not None:
    @cocotb.test()
    async def clock_only(dut):
        """Reset, then let the clock run ``cycles`` cycles with every master idle."""
        from tb.env import params
        p = params.load()
        cfg = p.cluster_config()
        cycles = int(p.option("cycles", 100_000))
        Clock(dut.clk, CLK_NS, unit="ns").start()
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        for i in range(cfg.n_cores):
            dut[f"core_tcdm__{i}__req"].value = 0
            dut[f"core_periph__{i}__req"].value = 0
        for k in range(cfg.dma_ports):
            dut[f"dma__{k}__req"].value = 0
        await ClockCycles(dut.clk, 3)
        dut.rst.value = 0
        t0 = time.perf_counter()
        await Timer(cycles * CLK_NS, unit="ns")
        wall = time.perf_counter() - t0
        params.save_result({"cycles": cycles, "run_wall_s": wall})


def _build(cfg, build):
    """The cluster model of ``build`` (``"<level>-<full|lean>"``); returns ``(runner, wall_s)``."""
    from tb.build.cluster import build_cluster
    level, vis = build.split("-")
    os.environ["IMA_FAST_BUILD"] = "0"          # the level is the build's own, -O0 included
    t0 = time.perf_counter()
    r = build_cluster(cfg, debug=vis == "full", opt=level)
    return r, time.perf_counter() - t0


def measure_limit(cfg, cycles, *, build):
    """Run :func:`clock_only` once; returns ``{"cycles", "run_wall_s", "sim_wall_s",
    "build_wall_s"}``."""
    from tb.build import runner
    from tb.build.cluster import TOP
    r, build_s = _build(cfg, build)
    t0 = time.perf_counter()
    res = runner.run(r, TOP, "tb.bench.speed", seed=0, config=cfg, testcase="clock_only",
                     options={"cycles": cycles}, log_level="WARNING")
    res["sim_wall_s"], res["build_wall_s"] = time.perf_counter() - t0, build_s
    return res


def measure_run(spec, cfg, *, build, bfm=None):
    """One cluster run of ``spec`` (as ``ima-sim run``) on ``build`` (``"<level>-<full|lean>"``);
    the fields the speed report needs.

    ``bfm``: ``None`` (the default path of :class:`tb.env.cluster.ClusterEnv`), ``"engine"``
    (the RTL request engines and RTL protocol checkers) or ``"python"`` (the per-access BFM and
    the Python protocol monitors: the path before issue 15's engines)."""
    from dataclasses import asdict

    from tb.build import runner
    from tb.build.cluster import TOP
    t0 = time.perf_counter()
    r, _ = _build(cfg, build)
    t1 = time.perf_counter()
    options = {"spec": asdict(spec)}
    if bfm is not None:
        options.update(bfm=bfm, monitors="rtl" if bfm == "engine" else "python")
    res = runner.run(r, TOP, "tb.cocotb_tests.cluster", seed=spec.seed, config=cfg,
                     options=options, log_level="WARNING")
    res["build_wall_s"], res["sim_wall_s"] = t1 - t0, time.perf_counter() - t1
    if not res["passed"]:
        raise AssertionError(f"{spec.layer} {spec.mapping}: outputs differ ({res['checks']})")
    return {k: res[k] for k in ("cycles", "phases", "tcdm_stalled", "run_wall_s", "sim_wall_s",
                                "build_wall_s", "energy_events", "tcdm_masters", "ima")}


def _spread(xs):
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def main(argv=None):
    from hw.config import preset
    from sim_models.workloads import RunSpec
    from tb.build.runner import CXX_OPT_LEVELS
    ap = argparse.ArgumentParser(prog="python -m tb.bench.speed", description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit-cycles", type=int, default=200_000)
    ap.add_argument("--builds", default=",".join(BUILDS),
                    help=f"comma-separated <level>-<full|lean>, level one of {', '.join(CXX_OPT_LEVELS)} "
                         f"(default {','.join(BUILDS)})")
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated, of {', '.join(CASES)} (default all)")
    ap.add_argument("--bfm", default="default",
                    help="comma-separated core BFM paths: default, engine, python (default: default)")
    ap.add_argument("--json", metavar="FILE", help="write every sample as JSON")
    a = ap.parse_args(argv)
    if a.repeats < 1:
        print(f"--repeats must be >= 1, not {a.repeats}", file=sys.stderr)
        return 2
    builds = a.builds.split(",")
    bad = [b for b in builds if b.count("-") != 1 or b.split("-")[0] not in CXX_OPT_LEVELS
           or b.split("-")[1] not in ("full", "lean")]
    if bad:
        print(f"--builds: <level>-<full|lean> with level one of {', '.join(CXX_OPT_LEVELS)}, "
              f"not {bad[0]!r}", file=sys.stderr)
        return 2
    cases = a.cases.split(",")
    if any(c not in CASES for c in cases):
        print(f"--cases: of {', '.join(CASES)}, not {a.cases!r}", file=sys.stderr)
        return 2
    bfms = a.bfm.split(",")
    if any(b not in ("default", "engine", "python") for b in bfms):
        print(f"--bfm: default, engine, python, not {a.bfm!r}", file=sys.stderr)
        return 2
    base = preset("aicas2021")
    runs = [(name, spec, cfg) for name, spec, cfg in
            (("hybrid_4", RunSpec(layer="bottleneck", mapping="HYBRID"), base.with_(ports=4)),
             ("conv_ima_16", RunSpec(layer="conv", mapping="IMA"), base.with_(ports=16)))
            if name in cases]
    samples = {}
    for rep in range(a.repeats):                # interleaved: each repeat measures every build
        for b in builds:
            for name, spec, cfg in runs:
                for path in bfms:
                    r = measure_run(spec, cfg, build=b, bfm=None if path == "default" else path)
                    key = f"{b}/{name}" + ("" if path == "default" else f"/{path}")
                    samples.setdefault(key, []).append(r)
                    print(f"{key} #{rep}: {r['cycles']} cyc, run {r['run_wall_s']:.2f} s "
                          f"({r['cycles'] / r['run_wall_s']:,.0f} cyc/s), sim {r['sim_wall_s']:.2f} s, "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
            for ports in [p for p in (4, 16) if f"limit_{p}" in cases]:
                r = measure_limit(base.with_(ports=ports), a.limit_cycles, build=b)
                samples.setdefault(f"{b}/limit_{ports}", []).append(r)
                print(f"{b} limit_{ports} #{rep}: {r['cycles']} cyc in {r['run_wall_s']:.2f} s "
                      f"({r['cycles'] / r['run_wall_s']:,.0f} cyc/s)", flush=True)
    print(f"\n{'case':<22} {'cycles':>9} {'cyc/s min':>10} {'median':>10} {'max':>10} "
          f"{'build s':>8}  (load average {os.getloadavg()[0]:.1f})")
    for key, rs in samples.items():
        s = _spread([r["cycles"] / r["run_wall_s"] for r in rs])
        print(f"{key:<22} {rs[0]['cycles']:>9} {s['min']:>10,.0f} {s['median']:>10,.0f} "
              f"{s['max']:>10,.0f} {rs[0]['build_wall_s']:>8.1f}")
    from tb.bench.speed_report import format_targets
    print("\n" + format_targets(samples, load=os.getloadavg()[0]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(samples, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
