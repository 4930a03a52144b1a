"""Simulator speed measurements (issue 15, step 1): cycles/s of cluster runs and of the bare model.

Three figures per Verilator build, measured back to back so their ratios survive a shared machine:

- ``limit``: the cluster model clocked with nothing attached (cocotb's clock, reset, then one
  ``Timer`` over ``cycles`` cycles: no Python between the edges). What the Verilator model alone
  costs, i.e. the ceiling any testbench change can reach.
- a workload run (:mod:`tb.cocotb_tests.cluster`, what ``ima-sim run`` runs): its run phase
  (``run_wall_s``, the phases only, not the start-up) gives the cycles/s.

Each figure is repeated ``repeats`` times; the report gives min / median / max. ``fast`` selects
the -O0 build (``IMA_FAST_BUILD=1``, the regression's) or the optimised one, ``lean`` the lean
build (:func:`tb.build.cluster.build_cluster`)::

    python -m tb.bench.speed --repeats 3 --builds opt,opt-lean   # HYBRID 4/4, conv IMA 16/16
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

__all__ = ["measure_limit", "measure_run", "main"]

CLK_NS = 4

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


def _set_fast(fast):
    os.environ["IMA_FAST_BUILD"] = "1" if fast else "0"


def measure_limit(cfg, cycles, *, fast, lean=False):
    """Run :func:`clock_only` once; returns ``{"cycles", "run_wall_s", "sim_wall_s"}``."""
    from tb.build import runner
    from tb.build.cluster import TOP, build_cluster
    _set_fast(fast)
    r = build_cluster(cfg, lean=lean)
    t0 = time.perf_counter()
    res = runner.run(r, TOP, "tb.bench.speed", seed=0, config=cfg, testcase="clock_only",
                     options={"cycles": cycles}, log_level="WARNING")
    res["sim_wall_s"] = time.perf_counter() - t0
    return res


def measure_run(spec, cfg, *, fast, lean=False, bfm=None):
    """One cluster run of ``spec`` (as ``ima-sim run``); the fields the speed report needs.

    ``bfm``: ``None`` (the default path of :class:`tb.env.cluster.ClusterEnv`), ``"engine"``
    (the RTL request engines and RTL protocol checkers) or ``"python"`` (the per-access BFM and
    the Python protocol monitors: the path before issue 15's engines)."""
    from dataclasses import asdict

    from tb.build import runner
    from tb.build.cluster import TOP, build_cluster
    _set_fast(fast)
    t0 = time.perf_counter()
    r = build_cluster(cfg, lean=lean)
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
                                "build_wall_s", "energy_events", "tcdm_per_master", "ima")}


def _spread(xs):
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def main(argv=None):
    from hw.config import preset
    from sim_models.workloads import RunSpec
    ap = argparse.ArgumentParser(prog="python -m tb.bench.speed", description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit-cycles", type=int, default=200_000)
    ap.add_argument("--builds", default="fast,opt",
                    help="comma-separated: fast, opt, fast-lean, opt-lean (default fast,opt)")
    ap.add_argument("--bfm", default="default",
                    help="comma-separated core BFM paths: default, engine, python (default: default)")
    ap.add_argument("--cases", default="hybrid_4,conv_ima_16",
                    help="comma-separated: hybrid_4, conv_ima_16 (default both)")
    ap.add_argument("--no-limit", action="store_true", help="skip the bare-model runs")
    ap.add_argument("--json", metavar="FILE", help="write every sample as JSON")
    a = ap.parse_args(argv)
    if a.repeats < 1:
        print(f"--repeats must be >= 1, not {a.repeats}", file=sys.stderr)
        return 2
    builds = a.builds.split(",")
    if any(b not in ("fast", "opt", "fast-lean", "opt-lean") for b in builds):
        print(f"--builds: fast, opt, fast-lean, opt-lean, not {a.builds!r}", file=sys.stderr)
        return 2
    bfms = a.bfm.split(",")
    if any(b not in ("default", "engine", "python") for b in bfms):
        print(f"--bfm: default, engine, python, not {a.bfm!r}", file=sys.stderr)
        return 2
    base = preset("aicas2021")
    cases = [("hybrid_4", RunSpec(layer="bottleneck", mapping="HYBRID"), base.with_(ports=4)),
             ("conv_ima_16", RunSpec(layer="conv", mapping="IMA"), base.with_(ports=16))]
    names = a.cases.split(",")
    if any(n not in [c[0] for c in cases] for n in names):
        print(f"--cases: hybrid_4, conv_ima_16, not {a.cases!r}", file=sys.stderr)
        return 2
    cases = [c for c in cases if c[0] in names]
    samples = {}
    for rep in range(a.repeats):                # interleaved: each repeat measures every build
        for b in builds:
            fast, lean = b.startswith("fast"), b.endswith("-lean")
            for name, spec, cfg in cases:
                for path in bfms:
                    r = measure_run(spec, cfg, fast=fast, lean=lean,
                                    bfm=None if path == "default" else path)
                    key = f"{b}/{name}" + ("" if path == "default" else f"/{path}")
                    samples.setdefault(key, []).append(r)
                    print(f"{key} #{rep}: {r['cycles']} cyc, run {r['run_wall_s']:.2f} s "
                          f"({r['cycles'] / r['run_wall_s']:,.0f} cyc/s), sim {r['sim_wall_s']:.2f} s, "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
            for ports in ((4, 16) if not a.no_limit else ()):
                r = measure_limit(base.with_(ports=ports), a.limit_cycles, fast=fast, lean=lean)
                samples.setdefault(f"{b}/limit_{ports}", []).append(r)
                print(f"{b} limit_{ports} #{rep}: {r['cycles']} cyc in {r['run_wall_s']:.2f} s "
                      f"({r['cycles'] / r['run_wall_s']:,.0f} cyc/s)", flush=True)
    print(f"\n{'case':<22} {'cycles':>9} {'cyc/s min':>10} {'median':>10} {'max':>10}")
    for key, rs in samples.items():
        s = _spread([r["cycles"] / r["run_wall_s"] for r in rs])
        print(f"{key:<22} {rs[0]['cycles']:>9} {s['min']:>10,.0f} {s['median']:>10,.0f} "
              f"{s['max']:>10,.0f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(samples, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
