"""cocotb entry of the tightly coupled cluster (``ClusterConfig.imas`` = K > 1): core ``k`` runs a
layer on its private IMA ``k``, alone and then all K at once.

Parameters (:mod:`tb.env.params`): the cluster configuration built as ``config`` (``imas`` >= 2);
options ``seed`` (the data), ``h``, ``w``, ``cin``, ``cout`` (one pointwise layer per IMA, each
with its own random input, weights and ADC scaling, mapped by
:func:`sim_models.mapping.map_pointwise` into its own TCDM buffers), ``registers`` (IMA k >= 1's
weights go in through its registers, written by core k at its own base address, when true; IMA
0's always straight into its crossbar model), ``bfm`` and ``monitors``
(:class:`tb.env.cluster.ClusterEnv`).

Steps: core ``k`` alone on IMA ``k`` for every ``k`` (phase ``alone<k>``), then every core at once
on its own IMA (phase ``together``); before each step the output buffers are overwritten with a
fill pattern so a step's outputs are its own. After each step every output it produced is
compared with the numpy golden model (:func:`sim_models.golden.pointwise_acc` +
:func:`~sim_models.golden.requant`). A watcher records the busy spans (first cycle, last cycle
+ 1) of every IMA's ``busy`` in the ``together`` step. Saved result: ``cycles`` per step,
``spans`` (per IMA, ``together`` only), ``checks`` (name -> mismatching bytes), ``jobs`` and
``mvms`` per IMA, ``events`` (end-of-job events per IMA per core line), ``expected_mvms``,
``offload_cycles`` (per step, per core: :attr:`tb.env.cluster.ClusterEnv.offload_cycles`).
"""

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge, ValueChange

from hw.cluster.cluster import ima_name
from sim_models import golden
from sim_models.mapping import TcdmAllocator, map_pointwise
from sim_models.workloads import Phase
from tb.bfm.core import now
from tb.bfm.sig import reader
from tb.env import params
from tb.env.cluster import ClusterEnv

FILL = 0xA5          # what an output buffer holds before a step


def _layers(cfg, rng, h, w, cin, cout):
    """One pointwise layer per IMA in one TCDM image: ``[(mapping, expected output)]``, image."""
    alloc = TcdmAllocator(cfg.tcdm_bytes)
    out, data = [], []
    for k in range(cfg.imas):
        x = golden.random_activations(rng, (h, w, cin))
        wt = golden.random_weights(rng, (cout, cin))
        acc = golden.pointwise_acc(x, wt, 1)
        m, s = golden.choose_adc(acc, 0, 255)
        ref = golden.requant(acc, m, s, 0, 255).astype(np.uint8)
        lm = map_pointwise((h, w, cin), wt, (m, s, 0, 255), alloc=alloc, name=f"pw{k}")
        lm.validate(cfg.ima.rows, cfg.ima.cols, cfg.tcdm_bytes)
        for job in lm.jobs:
            job.validate(dac_depth=cfg.ima.dac_depth, adc_depth=cfg.ima.adc_depth)
        out.append((lm, ref.reshape(lm.dst.shape)))
        data.append(x)
    image = alloc.image()
    for (lm, _), x in zip(out, data, strict=True):
        lm.src.write(image, x)
    return out, image, alloc.used


async def _busy_spans(dut, names, spans):
    """Append ``(rise, fall)`` cycles of each ``busy`` signal in ``names`` to ``spans[k]``."""
    async def watch(k, sig):
        get, rise = reader(sig), None
        while True:
            await ValueChange(sig)
            await ReadOnly()
            if get() and rise is None:
                rise = now()
            elif not get() and rise is not None:
                spans[k].append((rise, now()))
                rise = None
            await RisingEdge(dut.clk)
    return [cocotb.start_soon(watch(k, dut[n])) for k, n in enumerate(names)]


@cocotb.test()
async def private_imas(dut):
    p = params.load()
    cfg = p.cluster_config()
    assert cfg.imas >= 2, f"this test needs a cluster with imas >= 2, not {cfg.imas}"
    rng = np.random.default_rng(p.option("seed"))
    layers, image, used = _layers(cfg, rng, *(p.option(n) for n in ("h", "w", "cin", "cout")))
    env = ClusterEnv(dut, cfg, bfm=p.option("bfm"), monitors=p.option("monitors", True))
    await env.start()
    env.preload(image, used)
    for k, (lm, _) in enumerate(layers):
        placements = [(pl.row, pl.col, pl.weights, pl.array) for pl in lm.placements]
        await env.program_weights(placements, bool(p.option("registers")) and k > 0, ima=k)
    await RisingEdge(env.clk)
    steps = [(f"alone{k}", [k]) for k in range(cfg.imas)] + [("together", list(range(cfg.imas)))]
    cycles, checks, offload = {}, {}, {}
    spans = [[] for _ in range(cfg.imas)]
    for name, owners in steps:
        for lm, _ in layers:                      # outputs of an earlier step out of the way
            env.backdoor.load(lm.dst.addr, bytes([FILL]) * lm.dst.nbytes)
        watchers = (await _busy_spans(dut, [f"{ima_name('ima_stat', k)}__busy" for k in owners],
                                      spans)) if name == "together" else []
        t0 = now()
        # the last IMA's layer as a one-entry list (the phase takes a layer or a list per core)
        plan = {k: [layers[k][0]] if k == cfg.imas - 1 else layers[k][0] for k in owners}
        timing = await env.run_phases([Phase(name, "ima", {"layers": plan})])
        cycles[name] = now() - t0
        offload[name] = dict(env.offload_cycles)
        assert timing[name] == cycles[name]
        for t in watchers:
            t.cancel()
        dump = np.frombuffer(env.dump(used), dtype=np.uint8)
        for k in owners:
            lm, ref = layers[k]
            checks[f"{name}.y{k}"] = int(np.count_nonzero(lm.dst.read(dump) != ref))
    env.check_monitors()
    result = {
        "cycles": cycles, "spans": spans, "checks": checks, "offload_cycles": offload,
        "jobs": [stat["jobs"]() for stat in env.ima_stats],
        "mvms": [a.mvms for a in env.analogs],
        "expected_mvms": [sum(job.num_jobs for job in lm.jobs) for lm, _ in layers],
        "events": [list(ev.total) for ev in env.ima_events],
        "analog_errors": [a.errors for a in env.analogs],
        "monitor": env.monitor_kind,
        "tcdm_masters": {"granted": [f() for f in env.granted], "stalled": [f() for f in env.stalled]},
    }
    params.save_result(result)
    assert not any(checks.values()), f"outputs differ from the golden model: {checks}"
