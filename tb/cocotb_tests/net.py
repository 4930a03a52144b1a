"""cocotb entry of a network run: a compiled :class:`sim_models.compiler.NetProgram` on the RTL
cluster, every layer checked bit-exactly against the golden graph as soon as it ran.

Parameters (:mod:`tb.env.params`): the cluster configuration built as ``config`` (the preset with
the program's ``arrays`` and ``tcdm_bytes``); options ``program`` (the path of the pickled
program, :func:`tb.env.net.save_program`), ``monitors`` (TCDM protocol monitors on the
accelerators' ports, default on), ``progress`` (a line per layer on stderr) and ``profile`` (a
path: write cProfile statistics of the run there). Saves the result
(``layers``, ``total``, wall times) for the host and fails the test if a layer differs.
``ima-sim net`` and the tests call it through :func:`tb.cli.net.simulate`.
"""

import time

import cocotb

from tb.env import params
from tb.env.net import run_program, start_cluster


async def execute(dut):
    """Run the program of this run's parameters; returns the result dict."""
    p, program, env = await start_cluster(dut, "program")
    wall0 = time.perf_counter()
    layers, total = await run_program(env, program, progress=p.option("progress", False))
    run_wall = time.perf_counter() - wall0
    env.check_monitors()                          # a TCDM protocol error fails the run
    total["run_wall_s"] = run_wall
    counters = env.ima_counters()                 # cfg.imas > 1: sums, and each IMA's at the end
    total["ima"] = counters.pop("ima")
    total["dwa"] = env.dwa_stats()
    total["mvms"] = counters.pop("mvms")
    total.update(counters)
    dut._log.info("network: %d layers, %d cycles, passed=%s", len(layers), total["cycles"],
                  total["passed"])
    return {"layers": layers, "total": total}


@cocotb.test()
async def run_network(dut):
    prof_path = params.load().option("profile")
    if prof_path:                                  # cProfile of the Python side (slower)
        import cProfile
        pr = cProfile.Profile()
        pr.enable()
        try:
            result = await execute(dut)
        finally:
            pr.disable()
            pr.dump_stats(prof_path)
    else:
        result = await execute(dut)
    params.save_result(result)
    bad = [r["name"] for r in result["layers"] if not r["passed"]]
    assert not bad, f"layers differ from the golden graph: {bad}"
