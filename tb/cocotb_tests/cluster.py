"""cocotb entry of a cluster run: execute one :class:`sim_models.workloads.RunSpec` on the RTL cluster.

Reads the spec from ``IMA_RUNSPEC``, runs it, checks every output buffer against the golden
model, writes a result JSON to ``IMA_RESULT`` (and the outputs to ``IMA_RESULT_NPZ``), and fails
the test if anything differs. ``ima-sim run`` and the cluster tests call it through tb.build.runner.
"""

import json
import os
import time

import cocotb
import numpy as np

from tb.env.cluster import ClusterEnv
from tb.bfm.core import now
from sim_models.workloads import RunSpec, prepare
from hw.cluster.cluster import _config_from_kwargs


@cocotb.test()
async def run_workload(dut):
    spec = RunSpec.from_env()
    wl = prepare(spec)
    cfg = _config_from_kwargs(**spec.cluster_params())
    env = ClusterEnv(dut, cfg)
    await env.start()
    wall0 = time.perf_counter()
    env.preload(wl.image, wl.used)
    await env.program_weights(wl.placements, spec.program_weights == "registers")
    await cocotb.triggers.RisingEdge(env.clk)     # leave a ReadOnly phase before writing
    dut.stat_clear.value = 1
    await cocotb.triggers.RisingEdge(env.clk)
    dut.stat_clear.value = 0
    t0 = now()
    run_wall0 = time.perf_counter()
    phases = await env.run_phases(wl.phases)
    run_wall = time.perf_counter() - run_wall0
    cycles = now() - t0
    env.check_monitors()                          # a TCDM protocol error fails the run
    image = np.frombuffer(env.dump(wl.used), dtype=np.uint8)
    checks = wl.check(image)
    passed = all(ok for _, ok, _ in checks)
    result = {
        "passed": passed,
        "checks": {name: {"passed": ok, "mismatches": n} for name, ok, n in checks},
        "cycles": cycles, "phases": phases,
        "ima": {k: f() for k, f in env.ima_stat.items()},
        "energy_events": env.events_for_energy(cycles),
        "tcdm_stalled": sum(f() for f in env.stalled),
        "run_wall_s": run_wall, "total_wall_s": time.perf_counter() - wall0,
        "mvms": env.analog.mvms,
    }
    path = os.environ.get("IMA_RESULT")
    if path:
        with open(path, "w") as f:
            json.dump(result, f)
    npz = os.environ.get("IMA_RESULT_NPZ")
    if npz:
        np.savez(npz, **{name: buf.read(image) for name, buf, _ in wl.checks})
    dut._log.info("%s %s N=%d: %d cycles %s checks=%s", spec.layer, spec.mapping, spec.ports,
                  cycles, phases, result["checks"])
    assert passed, f"outputs differ from the golden model: {result['checks']}"
