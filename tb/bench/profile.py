"""Profile one cluster run with cProfile inside the cocotb process (py-spy is not available).

The cocotb side (:func:`profile_workload`) wraps :func:`tb.cocotb_tests.cluster.execute` in a
``cProfile.Profile`` and returns the statistics (pstats format) with the run's result, as the
array ``pstats`` (:mod:`tb.env.params`). The driver side (:func:`profile_run`, behind
``ima-sim run --profile FILE`` and ``ima-sim sweep --profile``) builds the cluster, runs it,
writes the statistics file and returns the top functions by cumulative and by own time::

    ima-sim run --layer bottleneck --mapping HYBRID --ports 4 --profile hybrid.pstats

Profiling slows the Python side down (about 1.5-2x); the wall times in the sweep report are
measured without it.
"""

import cProfile
import io
import marshal
import os
import pstats
import time

import numpy as np

try:                                   # only inside the simulator
    import cocotb
except ImportError:                    # pragma: no cover
    cocotb = None

__all__ = ["profile_run", "top_functions"]


if cocotb is not None:
    @cocotb.test()
    async def profile_workload(dut):
        from tb.cocotb_tests import cluster as cocotb_cluster
        from tb.env import params
        # option ``cpu_timer``: time functions in CPU time of the process (time.process_time)
        # instead of wall time -- the comparable figure on a shared machine
        cpu = params.load().option("cpu_timer", False)
        pr = cProfile.Profile(time.process_time) if cpu else cProfile.Profile()
        pr.enable()
        try:
            result, arrays = await cocotb_cluster.execute(dut)
        finally:
            pr.disable()
        pr.create_stats()                       # what Profile.dump_stats writes
        arrays["pstats"] = np.frombuffer(marshal.dumps(pr.stats), dtype=np.uint8)
        params.save_result(result, arrays)
        assert result["passed"], f"outputs differ from the golden model: {result['checks']}"


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


def profile_run(spec, cfg, stats_path, n=15, *, debug=False, bfm=None):
    """Run ``spec`` (a :class:`sim_models.workloads.RunSpec`) on the cluster ``cfg`` (a
    :class:`hw.config.ClusterConfig`) under cProfile; writes the statistics to ``stats_path`` and
    returns a dict with the result, the profiled wall time and the top functions by own and
    cumulative time. ``debug``: the full-visibility build (``ima-sim run --debug-build``);
    ``bfm``: the cores' TCDM path (``ima-sim run --bfm``, ``None``: the default)."""
    from dataclasses import asdict

    from tb.build import runner
    from tb.build.cluster import TOP, build_cluster

    r = build_cluster(cfg, debug=debug)
    t0 = time.perf_counter()
    res = runner.run(r, TOP, "tb.bench.profile", seed=spec.seed, config=cfg,
                     options={"spec": asdict(spec), **({"bfm": bfm} if bfm is not None else {})},
                     log_level="WARNING")
    wall = time.perf_counter() - t0
    with open(stats_path, "wb") as f:
        f.write(res.pop("arrays")["pstats"].tobytes())
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
