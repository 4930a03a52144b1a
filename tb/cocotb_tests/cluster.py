"""cocotb entry of a cluster run: execute one :class:`sim_models.workloads.RunSpec` on the RTL cluster.

Parameters (:mod:`tb.env.params`): the cluster configuration built as ``config``; options
``spec`` (the RunSpec's fields), ``dump`` (return the output buffers as arrays), ``bfm``
(how the cores drive their TCDM ports, :data:`tb.env.paths.BFM_PATHS`; ``engine_registered``:
the engines' registered write pointer, default :data:`tb.bfm.engine.DEFAULT_REGISTERED`) and ``monitors``
(``True``, ``False``, ``"rtl"`` or ``"python"``: :class:`tb.env.cluster.ClusterEnv`). Runs the
workload, checks every output buffer against the golden model, saves the result (cycles, phases,
the IMAs' (:meth:`~tb.env.cluster.ClusterEnv.ima_counters`) and the depth-wise accelerator's
counters, energy events; and the outputs) for the host, and fails the test if anything differs.
``ima-sim run`` and the cluster tests call it through tb.build.runner.
"""

import time

import cocotb
import numpy as np

from sim_models.workloads import RunSpec, prepare
from tb.bfm.clock import main_clock_stats
from tb.bfm.core import now
from tb.env import params
from tb.env.cluster import ClusterEnv


async def execute(dut):
    """Run the workload of this run's parameters; returns ``(result, arrays)``."""
    p = params.load()
    cfg = p.cluster_config()
    spec = RunSpec(**p.option("spec", {}))
    wl = prepare(spec, cfg.ima)
    env = ClusterEnv(dut, cfg, bfm=p.option("bfm", None), monitors=p.option("monitors", True),
                     engine_registered=p.option("engine_registered", None))
    await env.start()
    wall0 = time.perf_counter()
    env.preload(wl.image, wl.used)
    await env.program_weights(wl.placements, spec.program_weights == "registers")
    await cocotb.triggers.RisingEdge(env.clk)     # leave a ReadOnly phase before writing
    dut.tcdm_stat__clear.value = 1
    await cocotb.triggers.RisingEdge(env.clk)
    dut.tcdm_stat__clear.value = 0
    t0 = now()
    run_wall0, run_cpu0 = time.perf_counter(), time.process_time()
    phases = await env.run_phases(wl.phases)
    run_wall, run_cpu = time.perf_counter() - run_wall0, time.process_time() - run_cpu0
    cycles = now() - t0
    env.check_monitors()                          # a TCDM protocol error fails the run
    image = np.frombuffer(env.dump(wl.used), dtype=np.uint8)
    checks = wl.check(image)
    passed = all(ok for _, ok, _ in checks)
    counters = env.ima_counters()                 # cfg.imas > 1: sums, and each IMA's at the end
    result = {
        "passed": passed,
        "checks": {name: {"passed": ok, "mismatches": n} for name, ok, n in checks},
        "cycles": cycles, "phases": phases,
        "ima": counters.pop("ima"),
        "dwa": env.dwa_stats(),                   # {} without the depth-wise accelerator
        "energy_events": env.events_for_energy(cycles),
        "tcdm_stalled": sum(f() for f in env.stalled),
        # per TCDM master (cores, IMA / DWA ports, DMA): the reference set's figures
        "tcdm_masters": {"granted": [f() for f in env.granted], "stalled": [f() for f in env.stalled]},
        "run_wall_s": run_wall, "total_wall_s": time.perf_counter() - wall0,
        "run_cpu_s": run_cpu,                     # the simulator process's CPU time (model + Python)
        "mvms": counters.pop("mvms"), **counters,
    }
    if env.xz_monitor is not None:                # 4-state simulator: what the X/Z checks covered
        result["xz"] = {"outputs": env.xz_monitor.watched, "cycles": env.xz_monitor.cycle,
                        "tcdm_ports": len(env.core_monitor.ports)
                        + (len(env.monitor.ports) if env.monitor else 0)}
    arrays = {name: buf.read(image) for name, buf, _ in wl.checks} if p.option("dump") else {}
    dut._log.info("%s %s N=%d: %d cycles %s checks=%s dwa=%s clock=%s", spec.layer, spec.mapping,
                  cfg.ima.ports, cycles, phases, result["checks"], result["dwa"], main_clock_stats())
    return result, arrays


@cocotb.test()
async def run_workload(dut):
    result, arrays = await execute(dut)
    params.save_result(result, arrays)
    assert result["passed"], f"outputs differ from the golden model: {result['checks']}"
