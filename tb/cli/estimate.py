"""``ima-sim estimate`` and ``ima-sim estimate-net``: the fast model instead of the RTL.

``ima-sim estimate [the options of ima-sim run]`` and ``ima-sim estimate-net [the options of
ima-sim net]`` prepare the same workload / compile the same network as ``run`` / ``net`` (the
same validation, the same one-line errors) and print the same report, ``--json`` fields (and, for
networks, ``--csv`` / ``--plot``) from :mod:`sim_models.fastmodel` -- no build, no simulation, in
milliseconds. What the model is, how close it is to the RTL and where it approximates:
docs/fastmodel.md. The simulation-only options of ``run`` / ``net`` (``--dump``, ``--waves``,
``--profile``, ``--no-sim``, ``--export-onnx``, ``--monitors``) are not offered.

The JSON has the fields of ``ima-sim run --json`` / ``ima-sim net --json``; where the RTL run
checks data (``checks``, ``passed``, ``mismatches``) the estimate has none (``{}``, ``null``), its
wall-clock fields are ``model_wall_s`` instead of the build's and simulation's, and
``"estimate": true`` marks it.
"""

import json
import time

from tb.cli.net import add_network_options
from tb.cli.registry import command, die
from tb.cli.run import add_workload_options

__all__ = ["estimate_run", "estimate_net"]


@command("estimate", "the fast model's cycles and energy of a layer or the bottleneck "
                     "(the options of ima-sim run), no simulation")
def _estimate_args(p):
    add_workload_options(p)


def estimate_run(spec, cfg):
    """The fast model's result for the workload ``spec`` on the cluster ``cfg``: the fields of
    :func:`tb.cli.run.simulate`'s result (no checks) plus ``estimate`` and ``model_wall_s``."""
    from sim_models.fastmodel import estimate_workload
    from sim_models.workloads import prepare
    from tb.cli.run import report_fields
    wl = prepare(spec, cfg.ima)
    t0 = time.perf_counter()
    res = estimate_workload(wl, cfg)
    wall = time.perf_counter() - t0
    res = report_fields(spec, cfg, wl, res)
    res.update(estimate=True, model_wall_s=wall)
    return res


@_estimate_args.runner
def _estimate(a):
    from tb.cli.run import config_from_args, format_report, spec_from_args
    try:
        spec = spec_from_args(a)
        cfg = config_from_args(a)
        res = estimate_run(spec, cfg)      # prepare() raises on a shape that does not fit
    except ValueError as e:
        die(str(e))
    print(json.dumps(res) if a.json else format_report(res))
    return 0


@command("estimate-net", "the fast model's cycles and energy of a whole network, layer by layer "
                         "(the options of ima-sim net), no simulation")
def _estimate_net_args(p):
    add_network_options(p)


def estimate_net(program, cfg):
    """The fast model's result for a compiled network on ``cfg``: ``{"layers", "total",
    "estimate": True}`` with the fields of :func:`tb.cli.net.simulate`'s result (``passed`` None,
    ``mismatches`` 0: nothing is checked; ``total["model_wall_s"]``)."""
    from sim_models.fastmodel import estimate_program
    t0 = time.perf_counter()
    est = estimate_program(program, cfg)
    wall = time.perf_counter() - t0
    layers = [{**r, "passed": None, "mismatches": 0, "wall_s": 0.0} for r in est.layers]
    total = {**est.total, "passed": None, "model_wall_s": wall}
    return {"layers": layers, "total": total, "estimate": True}


@_estimate_net_args.runner
def _estimate_net(a):
    from tb.cli.net import CSV_FIELDS, format_report, plot_layers, prepare, write_csv
    try:
        spec, _, program, cfg = prepare(a)
    except ValueError as e:
        die(str(e))
    res = estimate_net(program, cfg)
    if a.csv:
        write_csv(res, a.csv)
    if a.plot:
        plot_layers(res, a.plot, f"{spec.title} (fast model)")
    if a.json:
        keys = ("cycles", "latency_ms", "energy_uj", "inf_per_s", "arrays", "passed", "macs",
                "tcdm_bytes", "clock_hz", "model_wall_s")
        out = {"model": spec.title, "preset": a.preset, "seed": spec.seed, "estimate": True,
               "layers": [{k: r[k] for k in (*CSV_FIELDS, "mismatches", "phases")} for r in res["layers"]],
               "total": {k: res["total"][k] for k in keys}}
        print(json.dumps(out))
    else:
        print(format_report(res, spec, cfg, a.preset))
    return 0
