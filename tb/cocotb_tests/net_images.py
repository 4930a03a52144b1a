"""cocotb entry of a many-image network run: one compiled program on the RTL cluster for every
input and every crossbar set of a bundle (:func:`tb.env.net.run_images`), one build and one
simulator start for all of them.

Parameters (:mod:`tb.env.params`): the cluster configuration built as ``config``; options
``bundle`` (the path of a pickle, :func:`tb.env.net.save_program`, of a dict with ``program``
(what :func:`tb.env.net.run_program` takes), ``input_buf`` (the program's input buffer),
``inputs`` (``(n, *input shape)`` uint8) and ``xbar_sets`` (lists of crossbars, one per array,
e.g. frozen noisy ones)) and ``monitors`` (TCDM protocol monitors, default on). Saves every
layer's outputs as arrays (``(sets, n, *shape)``) and the cycles per image; the host compares them
with the job-level executor (``ima-sim accuracy --rtl``). The test fails only on a protocol
error or a failing run, not on a value: deciding what the outputs should be is the host's job.
"""

import time

import cocotb

from tb.env import params
from tb.env.net import run_images, start_cluster


@cocotb.test()
async def run_network_images(dut):
    _, bundle, env = await start_cluster(dut, "bundle")
    wall0 = time.perf_counter()
    outputs, cycles = await run_images(env, bundle["program"], bundle["input_buf"],
                                       bundle["inputs"], bundle["xbar_sets"])
    run_wall = time.perf_counter() - wall0
    env.check_monitors()
    dut._log.info("network on %d image(s) x %d crossbar set(s): %d cycles in %.1f s",
                  cycles.shape[1], cycles.shape[0], int(cycles.sum()), run_wall)
    params.save_result({"run_wall_s": run_wall, "mvms": env.ima_counters()["mvms"]},
                       {"cycles": cycles, **{f"out:{k}": v for k, v in outputs.items()}})
