"""Profile one cluster run with cProfile inside the cocotb process (py-spy is not available).

The cocotb side (:func:`profile_workload`) wraps :func:`tb.cocotb_tests.cluster.run_workload` in a
``cProfile.Profile`` and dumps the statistics to ``$IMA_PROFILE`` (pstats format). The driver
side (:func:`profile_run`, or ``python -m tb.bench.profile [ima-sim run options]``) builds the
cluster, runs it and returns the top functions by cumulative and by own time::

    python -m tb.bench.profile --layer bottleneck --mapping HYBRID --ports 4

Profiling slows the Python side down (about 1.5-2x); the wall times in the sweep report are
measured without it.
"""

import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time

try:                                   # only inside the simulator
    import cocotb
except ImportError:                    # pragma: no cover
    cocotb = None

__all__ = ["build_params", "profile_run", "top_functions"]


if cocotb is not None:
    @cocotb.test()
    async def profile_workload(dut):
        from tb.cocotb_tests import cluster as cocotb_cluster
        pr = cProfile.Profile()
        pr.enable()
        try:
            await cocotb_cluster.run_workload.func(dut)
        finally:
            pr.disable()
            pr.dump_stats(os.environ["IMA_PROFILE"])


def top_functions(stats_path, n=15, sort="tottime"):
    """[(function, ncalls, tottime_s, cumtime_s)] of the ``n`` top entries by ``sort``."""
    st = pstats.Stats(stats_path, stream=io.StringIO())
    st.sort_stats(sort)
    rows = []
    for func in st.fcn_list[:n]:
        cc, nc, tt, ct, _ = st.stats[func]
        file, line, name = func
        if "site-packages/" in file:
            file = file.split("site-packages/", 1)[1]
        elif file.startswith("/"):
            file = os.path.relpath(file)
        where = f"{file}:{line}({name})"
        rows.append((where, nc, tt, ct))
    return rows


def build_params(spec):
    """The cluster build parameters of ``spec``: the spec's own
    (:meth:`sim_models.workloads.RunSpec.cluster_params`), so the profile runs the same RTL as
    ``ima-sim run`` with the same options (``--overlap`` included)."""
    return spec.cluster_params()


def profile_run(spec, stats_path, n=15):
    """Run ``spec`` (a :class:`sim_models.workloads.RunSpec`) under cProfile; returns a dict with the
    result JSON, the profiled wall time and the top functions by own and cumulative time."""
    from hw.cluster.cluster import Cluster
    from tb.build import runner

    r = runner.build("cluster", Cluster, build_params(spec))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "result.json")
        env = {**spec.to_env(), "IMA_RESULT": out, "IMA_PROFILE": os.path.abspath(stats_path),
               "COCOTB_LOG_LEVEL": "WARNING"}
        t0 = time.perf_counter()
        runner.run(r, "cluster", "tb.bench.profile", seed=spec.seed, extra_env=env,
                   test_dir=os.path.join(d, "run"))
        wall = time.perf_counter() - t0
        with open(out) as f:
            res = json.load(f)
    return {"result": res, "wall_s": wall,
            "by_tottime": top_functions(stats_path, n, "tottime"),
            "by_cumtime": top_functions(stats_path, n, "cumulative")}


def format_profile(prof, n=15):
    res = prof["result"]
    lines = [f"profiled run: {res['cycles']} cycles, {prof['wall_s']:.1f} s wall (with cProfile), "
             f"run phase {res['run_wall_s']:.1f} s", "", "top by own time:",
             f"  {'ncalls':>10} {'tottime':>8} {'cumtime':>8}  function"]
    for where, nc, tt, ct in prof["by_tottime"][:n]:
        lines.append(f"  {nc:>10} {tt:>8.2f} {ct:>8.2f}  {where}")
    lines += ["", "top by cumulative time:", f"  {'ncalls':>10} {'tottime':>8} {'cumtime':>8}  function"]
    for where, nc, tt, ct in prof["by_cumtime"][:n]:
        lines.append(f"  {nc:>10} {tt:>8.2f} {ct:>8.2f}  {where}")
    return "\n".join(lines)


def main(argv=None):
    import argparse
    from tb.cli.run import _run_args, spec_from_args
    p = argparse.ArgumentParser(prog="python -m tb.bench.profile",
                                description="profile one ima-sim run with cProfile")
    _run_args(p)
    p.add_argument("--stats", default="profile.pstats", help="pstats output (default profile.pstats)")
    p.add_argument("--top", type=int, default=20)
    a = p.parse_args(argv)
    spec = spec_from_args(a).validate()
    print(format_profile(profile_run(spec, a.stats, a.top), a.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
