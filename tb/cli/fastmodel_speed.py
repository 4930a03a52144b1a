"""The fast model's speed against the RTL, measured in one run (issue 16, item 1).

One compiled network, two ways: the RTL run on today's default path (the lean Verilator build,
the request engines of :mod:`tb.bfm.engine`; the build made first and excluded) and the fast model
(:func:`sim_models.fastmodel.estimate_program`) on the same ``NetProgram`` and cluster, cold (its
memo cleared before every run) and warm (every engine result memoised). All three are CPU times:
the simulator's is the CPU of its process (``RUSAGE_CHILDREN`` around the run), the model's
``time.process_time`` of this process, the median of ``--repeats`` runs. The table gives the
ratio of the simulator's CPU time to the model's, cold and warm, next to both cycle counts (the
model is exact on these networks: docs/fastmodel.md) and the load average, since a shared
machine stretches wall times::

    python -m tb.cli.fastmodel_speed                 # the reduced MobileNetV2 (make bench)
    python -m tb.cli.fastmodel_speed --full          # also MobileNetV2 224 on the RTL (many minutes)
    python -m tb.cli.fastmodel_speed -o reports/fastmodel_speed.md --json reports/fastmodel_speed.json
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

__all__ = ["NETWORKS", "model_cpu", "measure", "format_table", "main"]

#: The benched networks: name -> the options of ``ima-sim net`` (the reduced MobileNetV2 of the
#: validation, tests/tb/cli/test_net.py; the full one of ``make bench``'s ``ima-sim net`` run).
NETWORKS = {
    "reduced MobileNetV2 (32x32, width 0.35)": ["--input-size", "32", "--width", "0.35",
                                                "--classes", "10"],
    "MobileNetV2 224 (width 1.0)": ["--model", "mobilenetv2", "--preset", "jetcas2022"],
}


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def model_cpu(program, cfg, repeats, *, cold):
    """``(median, min)`` CPU seconds of ``estimate_program(program, cfg)`` over ``repeats`` runs,
    its memo cleared before each one when ``cold`` (after one warming run otherwise)."""
    from sim_models.fastmodel import clear_memo, estimate_program
    if not cold:
        estimate_program(program, cfg)
    times = []
    for _ in range(repeats):
        if cold:
            clear_memo()
        t0 = time.process_time()
        estimate_program(program, cfg)
        times.append(time.process_time() - t0)
    return statistics.median(times), min(times)


def measure(name, argv, repeats, *, seed=0):
    """One row: the RTL run of network ``name`` (``ima-sim net`` options ``argv``) and the fast
    model on the same program. ``RuntimeError`` if the RTL run fails its checks."""
    from sim_models.fastmodel import estimate_program
    from tb.build.cluster import build_cluster
    from tb.cli import net as netcli
    from tb.cli.main import build_parser
    _, _, program, cfg = netcli.prepare(build_parser().parse_args(["net", *argv]))
    t0 = time.perf_counter()
    build_cluster(cfg)                         # made (or found) here: the run below excludes it
    build_s = time.perf_counter() - t0
    c0, w0 = _children_cpu(), time.perf_counter()
    rtl = netcli.simulate(program, cfg, seed=seed, monitors=False)
    rtl_cpu, rtl_wall = _children_cpu() - c0, time.perf_counter() - w0
    if not rtl["total"]["passed"]:
        raise RuntimeError(f"{name}: the RTL run failed its checks ({rtl.get('error')})")
    cold, cold_min = model_cpu(program, cfg, repeats, cold=True)
    warm, warm_min = model_cpu(program, cfg, repeats, cold=False)
    est = estimate_program(program, cfg)
    return {"network": name, "options": " ".join(argv), "rtl_cycles": rtl["total"]["cycles"],
            "model_cycles": est.total["cycles"], "rtl_cpu_s": rtl_cpu, "rtl_wall_s": rtl_wall,
            "rtl_build_wall_s": build_s, "model_cold_s": cold, "model_cold_min_s": cold_min,
            "model_warm_s": warm, "model_warm_min_s": warm_min, "repeats": repeats,
            "ratio_cold": rtl_cpu / cold, "ratio_warm": rtl_cpu / warm,
            "load": os.getloadavg()}


def format_table(rows):
    """The Markdown table of :func:`measure`'s rows, with the 10,000x target's verdict."""
    lines = ["| network | RTL cycles | model cycles | RTL CPU (s) | RTL wall (s) | model cold (ms) | "
             "model warm (ms) | ratio cold | ratio warm | load |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['rtl_cycles']:,} | {r['model_cycles']:,} | {r['rtl_cpu_s']:.1f} | "
            f"{r['rtl_wall_s']:.1f} | {r['model_cold_s'] * 1e3:.2f} | {r['model_warm_s'] * 1e3:.2f} | "
            f"{r['ratio_cold']:,.0f}x | {r['ratio_warm']:,.0f}x | "
            f"{' / '.join(f'{x:.1f}' for x in r['load'])} |")
    lines += ["", "CPU times: the simulator process's (build excluded) and the model's (median of "
              f"{rows[0]['repeats'] if rows else 0} runs; cold = memo cleared before each run)."]
    for r in rows:
        verdict = "meets" if r["ratio_cold"] >= 1e4 else "does not meet"
        lines.append(f"{r['network']}: {verdict} the 10,000x target cold ({r['ratio_cold']:,.0f}x; "
                     f"warm {r['ratio_warm']:,.0f}x).")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tb.cli.fastmodel_speed", description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=21, help="model runs per figure (median), >= 1")
    p.add_argument("--full", action="store_true",
                   help="also MobileNetV2 224 on the RTL (tens of CPU minutes)")
    p.add_argument("-o", "--output", help="also write the table here (the simulator logs to stdout)")
    p.add_argument("--json", help="also write the rows here")
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error(f"--repeats must be >= 1, not {a.repeats}")
    names = list(NETWORKS)[:2 if a.full else 1]
    rows = [measure(n, NETWORKS[n], a.repeats) for n in names]
    text = format_table(rows)
    print(text)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
