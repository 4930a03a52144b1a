"""``ima-sim traffic`` and ``ima-sim bench-tcdm``: the TCDM interconnect on its own.

``traffic`` runs random traffic from every master and prints bandwidth, conflict rate and a
per-master table; ``bench-tcdm`` measures simulation speed (cycles/s with all masters active,
with and without monitors, idle clock) and the backdoor preload time.
"""

import json

from tb.cli.overrides import name_option
from tb.cli.registry import command, die, int_at_least

__all__ = ["format_traffic", "format_bench"]


# -- shared helpers -------------------------------------------------------------------------------

def _geometry_args(p):
    # The defaults read the default cluster's fields, not tb.build.tcdm.geometry: importing the
    # build module (amaranth, cocotb) here would cost every ima-sim command 0.7 s of start-up.
    from hw.config import preset
    cfg = preset()
    g = dict(masters=cfg.masters, banks=cfg.banks, size_bytes=cfg.tcdm_bytes)
    p.add_argument("--masters", type=int, default=g["masters"],
                   help=f"TCDM master ports (default {g['masters']}: {cfg.n_cores} cores + "
                        f"2x{cfg.ima.ports} IMA + {cfg.dma_ports} DMA)")
    p.add_argument("--banks", type=int, default=g["banks"],
                   help=f"TCDM banks (default {g['banks']})")
    p.add_argument("--size", type=int, default=g["size_bytes"],
                   help=f"TCDM bytes (default {g['size_bytes'] // 1024} KiB)")
    p.add_argument("--seed", type=int_at_least(0), default=None, help="random seed (default: random)")


def _simulate_tcdm(args, testcase, **options):
    """Build the TCDM top, run ``tb.cocotb_tests.traffic.<testcase>``, return its JSON result."""
    from hw.cluster.interconnect import check_masters
    from hw.cluster.tcdm import check_tcdm_params
    from tb.build import runner
    from tb.build.tcdm import TOP, build_tcdm

    try:
        check_masters(args.masters)
        check_tcdm_params(args.banks, args.size)
    except ValueError as e:             # the message starts with the parameter's name
        die(name_option(e, {"masters": "--masters", "banks": "--banks", "size_bytes": "--size"}))
    seed = runner.pick_seed(args.seed)
    geometry = dict(masters=args.masters, banks=args.banks, size_bytes=args.size)
    r = build_tcdm(**geometry)
    return runner.run(r, TOP, "tb.cocotb_tests.traffic", seed=seed, testcase=testcase,
                      config=geometry, options=options, log_level="WARNING")


# -- traffic --------------------------------------------------------------------------------------

@command("traffic", "random traffic demo on the TCDM interconnect (bandwidth, conflicts)")
def _traffic_args(p):
    _geometry_args(p)
    p.add_argument("--ops", type=int_at_least(1), default=400, help="accesses per master (default 400)")
    p.add_argument("--load", type=float, default=0.5,
                   help="probability a master starts an access in a cycle (default 0.5)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def format_traffic(res):
    stats = res["stats"]
    granted = sum(g for g, _ in stats)
    stalled = sum(s for _, s in stats)
    cycles = res["cycles"]
    lines = [
        f"TCDM traffic: {res['masters']} masters, {res['banks']} banks, "
        f"{res['size_bytes'] // 1024} KiB, {res['ops']} random accesses per master, "
        f"offered load {res['load']:.2f}/master/cycle",
        f"  cycles             {cycles}",
        f"  bandwidth          {granted / cycles:.2f} accesses/cycle "
        f"(peak {min(res['masters'], res['banks'])})",
        f"  conflict rate      {stalled / max(1, granted + stalled):.1%} of request cycles stalled",
        f"  reads checked      {res['reads_checked']} (all match the reference memory)",
        "",
        "  master   granted   stalled  stall/access  max wait",
    ]
    for i, ((g, s), w) in enumerate(zip(stats, res["max_wait"], strict=True)):
        lines.append(f"  {i:>6}  {g:>8}  {s:>8}  {s / max(1, g):>12.2f}  {w:>8}")
    return "\n".join(lines)


@_traffic_args.runner
def _traffic(args):
    if not 0.0 < args.load <= 1.0:
        die("--load must be in (0, 1]")
    res = _simulate_tcdm(args, "traffic", ops=args.ops, load=args.load)
    print(json.dumps(res) if args.json else format_traffic(res))
    return 0


# -- bench-tcdm -----------------------------------------------------------------------------------

@command("bench-tcdm", "TCDM simulation speed (cycles/s, all masters active) and preload time")
def _bench_args(p):
    _geometry_args(p)
    p.add_argument("--ops", type=int_at_least(1), default=2000, help="accesses per master (default 2000)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def format_bench(res):
    def rate(d):
        return d["cycles"] / d["wall_s"]

    kib = res["size_bytes"] // 1024
    return "\n".join([
        f"TCDM bench: {res['masters']} masters, {res['banks']} banks, {kib} KiB",
        f"  backdoor preload {kib} KiB   {res['preload_s'] * 1e3:8.1f} ms "
        f"({res['preload_method']}); readback {res['readback_s'] * 1e3:.1f} ms",
        f"  all masters active, BFMs + monitors + scoreboard: {rate(res['full']):9.0f} cycles/s "
        f"({res['full']['cycles']} cycles, {res['full']['accesses']} accesses)",
        f"  all masters active, BFMs only:                    "
        f"{rate(res['drivers_only']):9.0f} cycles/s",
        f"  idle clock (model alone):                         {rate(res['idle']):9.0f} cycles/s",
    ])


@_bench_args.runner
def _bench(args):
    res = _simulate_tcdm(args, "bench", ops=args.ops)
    print(json.dumps(res) if args.json else format_bench(res))
    return 0
