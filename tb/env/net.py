"""A compiled network (:class:`sim_models.compiler.NetProgram`) on the RTL cluster, step by step.

:func:`run_program` runs on a started :class:`tb.env.cluster.ClusterEnv` whose configuration holds
the program (``arrays`` crossbars, ``tcdm_bytes`` of TCDM): it preloads the program's TCDM image,
programs every crossbar window on its array, then for each :class:`~sim_models.compiler.NetStep`
snapshots the counters, runs the step's phases (IMA / DWA offloads, software kernels), snapshots
again, reads the step's output buffer through the backdoor and compares it with
``step.expected`` (the golden graph's tensor) right away -- a later step may reuse the buffer.
Each layer is accounted on its own: cycles, time at the preset's clock, energy from
:mod:`sim_models.energy` on the step's event deltas.

:func:`run_images` runs one program on many inputs and crossbar sets in one simulation (one build,
the weights programmed once): for each set of crossbars (e.g. frozen noisy ones, swapped in by
:meth:`tb.env.cluster.ClusterEnv.use_crossbars`) and each input, it reloads the program's TCDM
image with that input through the backdoor, runs every step and keeps every layer's output --
compared on the host with the job-level executor on the same crossbars.

The program is duck-typed (``image``, ``used``, ``placements`` with ``row, col, weights, array``,
``steps`` with ``layer, kind, unit, phases, out, expected, macs``), so a test can hand-build one
around single software kernels.
"""

import dataclasses
import pickle
import sys
import time

import numpy as np
from cocotb.triggers import RisingEdge

from sim_models.energy import energy_report
from tb.bfm.core import now
from tb.env import params
from tb.env.cluster import ClusterEnv

__all__ = ["run_program", "run_images", "save_program", "load_program", "layer_record",
           "program_crossbars", "start_cluster"]


def save_program(program, path):
    """Host side: write ``program`` for the simulator process (a pickle: numpy arrays, Buffers,
    LayerJobs and DwJobs travel as they are, so the RTL runs exactly what the host compiled)."""
    with open(path, "wb") as f:
        pickle.dump(program, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_program(path):
    """Simulator side: the program :func:`save_program` wrote."""
    with open(path, "rb") as f:
        return pickle.load(f)


async def start_cluster(dut, option):
    """Simulator side, the opening of a network run (:mod:`tb.cocotb_tests.net`,
    :mod:`~tb.cocotb_tests.net_images`): this run's parameters (:func:`tb.env.params.load`), the
    pickle their option ``option`` names (:func:`load_program`) and a started
    :class:`~tb.env.cluster.ClusterEnv` of their cluster configuration, with the TCDM protocol
    monitors of option ``monitors`` (default on). Returns ``(params, loaded, env)``."""
    p = params.load()
    loaded = load_program(p.option(option))
    env = ClusterEnv(dut, p.cluster_config(), monitors=p.option("monitors", True))
    await env.start()
    return p, loaded, env


def read_buffer(env, buf):
    """The tensor ``buf`` holds in the TCDM now (backdoor; its interior, in its dtype)."""
    raw = np.frombuffer(env.backdoor.dump(buf.addr, buf.nbytes), dtype=np.uint8)
    return dataclasses.replace(buf, addr=0).read(raw)


def layer_record(step, cycles, energy_uj, clock_hz, got):
    """One layer's result: what ``ima-sim net --json`` lists, plus the mismatch count."""
    expected = np.asarray(step.expected)
    same_shape = got.shape == expected.shape
    passed = bool(same_shape and np.array_equal(got, expected))
    return {"name": step.layer, "kind": step.kind, "unit": step.unit, "macs": int(step.macs),
            "cycles": int(cycles), "time_ms": cycles / clock_hz * 1e3, "energy_uj": energy_uj,
            "passed": passed,
            "mismatches": int(np.count_nonzero(got != expected)) if same_shape else int(expected.size)}


async def program_crossbars(env, program):
    """Program every crossbar window of ``program`` (backdoor): on IMA 0, or -- a program of
    private IMAs (``program.imas`` > 1, :func:`sim_models.compiler.compile_graph`'s ``ima_of``)
    -- window ``array`` on IMA ``array // program.arrays``, its array ``array % program.arrays``."""
    imas = getattr(program, "imas", 1)
    if imas == 1:
        await env.program_weights([(p.row, p.col, p.weights, p.array) for p in program.placements],
                                  via_registers=False)
        return
    per = program.arrays
    for k in range(imas):
        await env.program_weights([(p.row, p.col, p.weights, p.array % per)
                                   for p in program.placements if p.array // per == k],
                                  via_registers=False, ima=k)


async def run_program(env, program, *, progress=False):
    """Run ``program`` on ``env`` (started); returns ``(layers, total)``.

    ``layers``: a :func:`layer_record` per step, in execution order, with ``phases`` (cycles per
    phase name) and ``wall_s`` (the simulation's wall time of the layer) added; ``total``:
    ``cycles`` (first step to last), ``energy_uj`` (the whole run's events), ``passed`` (every
    layer bit-exact), ``events`` and ``energy_breakdown_uj``.
    ``progress`` prints one line per layer on stderr (``layer i/N``)."""
    cfg = env.cfg
    clock = cfg.ima.clock_hz
    env.preload(program.image, program.used)
    await program_crossbars(env, program)
    await RisingEdge(env.clk)                 # leave a ReadOnly phase before writing
    env.dut.tcdm_stat__clear.value = 1
    await RisingEdge(env.clk)
    env.dut.tcdm_stat__clear.value = 0
    start = env.counters()
    t_start = now()
    layers = []
    n = len(program.steps)
    for i, step in enumerate(program.steps):
        snap, t0, wall0 = env.counters(), now(), time.perf_counter()
        phases = await env.run_phases(step.phases)
        cycles = now() - t0
        wall = time.perf_counter() - wall0
        events = env.events_for_energy(cycles, since=snap)
        energy = energy_report(events, clock_hz=clock, n_cores=cfg.n_cores,
                               imas=cfg.imas)["total_uj"]
        rec = layer_record(step, cycles, energy, clock, read_buffer(env, step.out))
        rec["phases"], rec["wall_s"] = phases, wall
        layers.append(rec)
        if progress:
            print(f"ima-sim net: layer {i + 1}/{n} {step.layer} ({step.kind} on {step.unit}): "
                  f"{cycles} cycles in {wall:.1f} s {'PASS' if rec['passed'] else 'FAIL'}",
                  file=sys.stderr, flush=True)
    cycles = now() - t_start
    events = env.events_for_energy(cycles, since=start)
    energy = energy_report(events, clock_hz=clock, n_cores=cfg.n_cores, imas=cfg.imas)
    total = {"cycles": cycles, "energy_uj": energy["total_uj"],
             "passed": all(r["passed"] for r in layers), "events": events,
             "energy_breakdown_uj": energy["breakdown_uj"]}
    return layers, total


async def run_images(env, program, input_buf, inputs, xbar_sets):
    """Run ``program`` on every input of ``inputs`` (``(n, *input shape)`` uint8) with every
    crossbar set of ``xbar_sets`` (a list of per-array crossbar lists); returns ``(outputs,
    cycles)``: ``outputs[layer]`` of shape ``(sets, n, *layer shape)`` (each step's output buffer
    read right after the step, as :func:`run_program` does) and ``cycles`` ``(sets, n)``.

    The crossbars of the cluster are programmed once from ``program.placements`` (as
    :func:`run_program` does); each set must hold those weights (:func:`tb.env.cluster.
    check_crossbars`). Before each input the TCDM gets ``program.image`` with the input stored
    in ``input_buf`` (the executor's start state: nothing left over from the previous image).
    A program of private IMAs (``program.imas`` > 1) is a ValueError: the crossbar sets are IMA
    0's (:meth:`~tb.env.cluster.ClusterEnv.use_crossbars`)."""
    imas = getattr(program, "imas", 1)
    if imas > 1:
        raise ValueError(f"run_images runs a program on IMA 0's crossbar sets; this one uses "
                         f"{imas} private IMAs (imas): compile it without ima_of")
    inputs = np.asarray(inputs, dtype=np.uint8)
    await env.program_weights([(p.row, p.col, p.weights, p.array) for p in program.placements],
                              via_registers=False)
    outputs = {s.layer: np.zeros((len(xbar_sets), len(inputs), *s.out.shape), dtype=s.out.dtype)
               for s in program.steps}
    cycles = np.zeros((len(xbar_sets), len(inputs)), dtype=np.int64)
    for k, xbars in enumerate(xbar_sets):
        env.use_crossbars(xbars)
        for i, x in enumerate(inputs):
            image = program.image.copy()
            input_buf.write(image, x)
            await RisingEdge(env.clk)             # leave a ReadOnly phase before writing
            env.preload(image, program.used)
            t0 = now()
            for step in program.steps:
                await env.run_phases(step.phases)
                outputs[step.layer][k, i] = read_buffer(env, step.out)
            cycles[k, i] = now() - t0
    return outputs, cycles
