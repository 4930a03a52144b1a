"""The fast model against the RTL: error tables, the bounds the tests assert, the bench report.

:func:`estimate_like` gives the fast model's result for the command line of an RTL run (``run``
or ``net`` options), :func:`phase_rows` / :func:`layer_rows` pair the model's cycles with the
RTL's, :func:`check_bounds` asserts the bounds of issue 16 (each phase / layer within
:data:`PER_LAYER`, the total within :data:`TOTAL`) and :func:`format_rows` prints a table.
The tests call these after the RTL runs they do anyway (tests/tb/cli/test_net.py,
tests/hw/cluster/); ``python -m tb.cli.fastmodel_rtl`` (``make bench``) runs the reduced
MobileNetV2 and the bottleneck at full size on the RTL, reads the full MobileNetV2's per-layer
CSV of the bench's own ``ima-sim net`` run, and writes the error tables with the speed ratios.
"""

import argparse
import csv
import json
import os
import sys
import time

__all__ = ["PER_LAYER", "TOTAL", "estimate_like", "phase_rows", "layer_rows", "check_bounds",
           "format_rows", "main"]

#: Largest relative cycle error of a layer (or an ``ima-sim run`` phase) the tests allow.
PER_LAYER = 0.05
#: Largest relative error of a run's / a network's total cycles the tests allow.
TOTAL = 0.02


def estimate_like(command, argv):
    """The fast model's result for ``ima-sim <command> <argv>`` (``command`` ``"run"`` or ``"net"``):
    the same parser, the same preparation, :func:`tb.cli.estimate.estimate_run` /
    ``estimate_net`` instead of the simulation."""
    from tb.cli.estimate import estimate_net, estimate_run
    from tb.cli.main import build_parser
    a = build_parser().parse_args([f"estimate{'' if command == 'run' else '-net'}", *argv])
    if command == "run":
        from tb.cli.run import config_from_args, spec_from_args
        return estimate_run(spec_from_args(a), config_from_args(a))
    from tb.cli.net import prepare
    _, _, program, cfg = prepare(a)
    return estimate_net(program, cfg)


def _row(name, rtl, model, **extra):
    err = (model - rtl) / rtl if rtl else (0.0 if model == rtl else float("inf"))
    return {"name": name, "rtl": int(rtl), "model": int(model), "error": err, **extra}


def phase_rows(rtl, est):
    """``[{name, rtl, model, error}]``: every phase of an ``ima-sim run`` result, then ``total``."""
    rows = [_row(k, v, est["phases"].get(k, 0)) for k, v in rtl["phases"].items()]
    extra = set(est["phases"]) - set(rtl["phases"])
    if extra:
        raise AssertionError(f"the model has phases the RTL run has not: {sorted(extra)}")
    return rows + [_row("total", rtl["cycles"], est["cycles"])]


def layer_rows(rtl_layers, est_layers, rtl_total=None, est_total=None):
    """``[{name, kind, unit, rtl, model, error}]``: every layer of a network (RTL records and
    the model's, in the same order), then ``total`` when the totals are given."""
    names = [r["name"] for r in rtl_layers]
    if names != [r["name"] for r in est_layers]:
        raise AssertionError("the model's layers are not the RTL run's")
    rows = [_row(r["name"], r["cycles"], m["cycles"], kind=r.get("kind", ""), unit=r.get("unit", ""))
            for r, m in zip(rtl_layers, est_layers, strict=True)]
    if rtl_total is not None:
        rows.append(_row("total", rtl_total, est_total))
    return rows


def check_bounds(rows, what, per_layer=PER_LAYER, total=TOTAL):
    """AssertionError naming every row beyond its bound (``total`` rows: ``total``)."""
    bad = [f"{r['name']}: RTL {r['rtl']}, model {r['model']} ({r['error']:+.2%})" for r in rows
           if abs(r["error"]) > (total if r["name"] == "total" else per_layer)]
    assert not bad, f"{what}: the fast model is off the RTL: " + "; ".join(bad)


def format_rows(rows, title):
    """A Markdown table of ``rows`` with the largest error."""
    worst = max((abs(r["error"]) for r in rows if r["name"] != "total"), default=0.0)
    lines = [f"### {title}", "", "| layer / phase | kind | unit | RTL cycles | model cycles | error |",
             "| --- | --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['name']} | {r.get('kind', '')} | {r.get('unit', '')} | {r['rtl']:,} | "
                     f"{r['model']:,} | {r['error']:+.2%} |")
    lines += ["", f"Largest error of a layer / phase: {worst:.2%}.", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ make bench
#: The RTL runs of the bench: (title, preset, workload options). Full-size bottleneck (16x16x32,
#: t = 6) in every mapping of each preset's cluster.
BOTTLENECKS = [("aicas2021", m, []) for m in ("HYBRID", "SW", "IMA8", "IMA16")] + \
    [("jetcas2022", m, []) for m in ("HYBRID", "IMADW")]
REDUCED_NET = ["--input-size", "32", "--width", "0.35", "--classes", "10"]


def _net_csv_rows(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [{"name": r["name"], "kind": r["kind"], "unit": r["unit"], "cycles": int(r["cycles"])}
            for r in rows if r["name"] != "total"], int(rows[-1]["cycles"])


def _model_cpu(estimate, repeats=5):
    """Median CPU seconds of ``estimate()`` run cold (the model's memo cleared each time)."""
    from sim_models.fastmodel import clear_memo
    times = []
    for _ in range(repeats):
        clear_memo()
        t0 = time.process_time()
        estimate()
        times.append(time.process_time() - t0)
    return sorted(times)[len(times) // 2]


def _report_times(path):
    """``(wall, CPU)`` seconds of the simulation ``ima-sim net``'s text report gives
    (``simulation: X s wall (B s build), Y s CPU``); ``None`` for one it lacks (older reports
    give no CPU time)."""
    import re
    with open(path) as f:
        text = f.read()
    wall = re.search(r"simulation: ([\d.]+) s wall", text)
    cpu = re.search(r"simulation: .*?, ([\d.]+) s CPU", text)
    return (float(wall.group(1)) if wall else None), (float(cpu.group(1)) if cpu else None)


def main(argv=None):
    """``python -m tb.cli.fastmodel_rtl [-o FILE] [--net-csv FILE [--net-report FILE]]``: the error
    tables and speed ratios (Markdown) on stdout and in ``-o``."""
    p = argparse.ArgumentParser(prog="python -m tb.cli.fastmodel_rtl")
    p.add_argument("-o", "--output", help="also write the report here")
    p.add_argument("--net-csv", help="per-layer CSV of the RTL run of the full MobileNetV2 "
                                     "(ima-sim net --csv, make bench)")
    p.add_argument("--net-report", help="that run's text report (its simulation wall time)")
    p.add_argument("--rtl-json", help="also write the RTL figures (cycles, CPU and wall seconds) of the "
                                      "reduced MobileNetV2 and, with --net-report, of MobileNetV2 224 "
                                      "here, for python -m tb.cli.fastmodel_speed --rtl-json: make bench "
                                      "runs each network on the RTL once")
    a = p.parse_args(argv)
    from sim_models.fastmodel import estimate_program, estimate_workload
    from sim_models.workloads import prepare as prepare_workload
    from tb.cli import net as netcli
    from tb.cli.estimate import estimate_net
    from tb.cli.main import build_parser
    from tb.cli.run import config_from_args, simulate, spec_from_args
    out = ["# The fast model against the RTL (sim_models/fastmodel.py)", ""]
    speed = []                          # (run, RTL wall s, RTL CPU s or None, model CPU s)
    # reduced MobileNetV2, jetcas2022
    na = build_parser().parse_args(["net", *REDUCED_NET])
    spec, _, program, cfg = netcli.prepare(na)
    rtl = netcli.simulate(program, cfg, seed=spec.seed, monitors=False)
    cpu = rtl["total"]["sim_cpu_s"]             # the simulator process's, the build excluded
    est = estimate_like("net", REDUCED_NET)
    rows = layer_rows(rtl["layers"], est["layers"], rtl["total"]["cycles"], est["total"]["cycles"])
    out.append(format_rows(rows, f"Reduced MobileNetV2 ({' '.join(REDUCED_NET)}), jetcas2022"))
    speed.append(("reduced MobileNetV2", rtl["total"]["sim_wall_s"], cpu,
                  _model_cpu(lambda: estimate_program(program, cfg))))
    from tb.cli.fastmodel_speed import FULL, NETWORKS, REDUCED
    assert NETWORKS[REDUCED] == REDUCED_NET, "the speed bench's reduced network is this one"
    rtl_rows = [{"network": REDUCED, "rtl_cycles": rtl["total"]["cycles"], "rtl_cpu_s": cpu,
                 "rtl_wall_s": rtl["total"]["sim_wall_s"],
                 "rtl_source": f"python -m tb.cli.fastmodel_rtl, {time.strftime('%Y-%m-%d %H:%M')}"}]
    # the bottleneck at full size
    for preset_name, mapping, extra in BOTTLENECKS:
        argv_run = ["--preset", preset_name, "--layer", "bottleneck", "--mapping", mapping, *extra]
        ra = build_parser().parse_args(["run", *argv_run])
        rspec, rcfg = spec_from_args(ra), config_from_args(ra)
        res = simulate(rspec, rcfg)
        cpu = res["sim_cpu_s"]
        e = estimate_like("run", argv_run)
        out.append(format_rows(phase_rows(res, e), f"Bottleneck 16x16x32 t=6, {mapping}, {preset_name}"))
        wl = prepare_workload(rspec, rcfg.ima)
        speed.append((f"bottleneck {mapping} {preset_name}", res["sim_wall_s"], cpu,
                      _model_cpu(lambda wl=wl, rcfg=rcfg: estimate_workload(wl, rcfg))))
    # the full MobileNetV2 from the bench's own RTL run
    if a.net_csv:
        layers, total = _net_csv_rows(a.net_csv)
        full = NETWORKS[FULL]
        fa = build_parser().parse_args(["estimate-net", *full])
        _, _, fprog, fcfg = netcli.prepare(fa)
        est = estimate_net(fprog, fcfg)
        rows = layer_rows(layers, est["layers"], total, est["total"]["cycles"])
        out.append(format_rows(rows, "MobileNetV2 224x224, width 1.0, jetcas2022 (make bench's RTL run)"))
        wall, full_cpu = _report_times(a.net_report) if a.net_report else (None, None)
        if wall:
            speed.append(("MobileNetV2 224", wall, full_cpu,
                          _model_cpu(lambda: estimate_program(fprog, fcfg))))
        if full_cpu:
            rtl_rows.append({"network": FULL, "rtl_cycles": total, "rtl_cpu_s": full_cpu, "rtl_wall_s": wall,
                             "rtl_source": f"make bench's ima-sim net run ({a.net_report})"})
    if a.rtl_json:
        with open(a.rtl_json, "w") as f:
            json.dump(rtl_rows, f, indent=1)
    out += ["### Speed", "",
            "| run | RTL simulation wall (s) | its CPU (s) | fast model CPU, cold (ms) | ratio |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name, wall, cpu, model in speed:
        ref = cpu if cpu else wall
        out.append(f"| {name} | {wall:.1f} | {'-' if cpu is None else f'{cpu:.1f}'} | "
                   f"{model * 1e3:.1f} | {ref / model:,.0f}x |")
    out += ["", f"(measured {time.strftime('%Y-%m-%d %H:%M')}, load average "
            f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}; ratio = the simulator's CPU time "
            "(its wall time where the CPU time is not known) over the model's median CPU time of 5 "
            "cold runs -- its memo cleared; the model's excludes compiling the network, as the "
            "RTL's excludes the build)"]
    text = "\n".join(out)
    print(text)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
