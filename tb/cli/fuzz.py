"""``ima-sim fuzz``: random register configurations of the IMA and the DWA on the RTL.

Draws ``--configs`` configurations of each target (:mod:`tb.check.regfuzz`), runs them in
``--workers`` parallel Verilator runs (:mod:`tb.bench.fuzz`) and prints the counts: N
configurations, valid jobs, errors by cause, hangs, stray writes, double grants, mismatches,
register-value coverage. Exit status 1 if anything went wrong or an ERROR cause was hit fewer
than ``--min-cause-hits`` times. ``--replay INDEX`` re-runs one configuration of a seed.
"""

import json
import random

from tb.cli.registry import command, die, int_at_least, refuse_unused

__all__ = []


@command("fuzz", "random register configurations (valid and invalid) of the IMA and the DWA")
def _fuzz_args(p):
    p.add_argument("--target", choices=["ima", "dwa", "both"], default="both",
                   help="accelerator(s) fuzzed (default both; --configs each)")
    p.add_argument("--configs", "-n", type=int_at_least(1), default=100_000,
                   help="configurations per target (default 100000)")
    p.add_argument("--seed", type=int_at_least(0), default=None,
                   help="seed of the run (default: a fresh one, printed)")
    p.add_argument("--workers", type=int_at_least(1), default=2,
                   help="parallel simulator runs per target (default 2)")
    p.add_argument("--replay", type=int_at_least(0), default=None, metavar="INDEX",
                   help="run only configuration INDEX of --seed (with --target ima or dwa)")
    p.add_argument("--min-cause-hits", type=int_at_least(0), default=0,
                   help="fail if an ERROR cause was predicted fewer times (make fuzz: 100)")
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")


@_fuzz_args.runner
def _fuzz(args):
    from tb.bench.fuzz import report, run, run_shard
    from tb.check.regfuzz import make_target

    targets = ["ima", "dwa"] if args.target == "both" else [args.target]
    if args.replay is not None:
        if args.seed is None or len(targets) != 1:
            die("--replay: give --seed and --target ima or dwa")
        refuse_unused(args, _fuzz_args, (("--configs", "configs"), ("--workers", "workers"),
                                         ("--min-cause-hits", "min_cause_hits")),
                      "--replay runs one configuration")
        s = run_shard(targets[0], args.seed, indices=[args.replay])
        results = {targets[0]: (s, 0.0)}
    else:
        seed = args.seed if args.seed is not None else random.randrange(1 << 31)
        args.seed = seed
        print(f"seed = {seed}  (replay one configuration: ima-sim fuzz --target T --seed {seed} "
              f"--replay INDEX)", flush=True)
        results = run(targets, args.configs, seed, args.workers)
    short = {}
    for target, (s, _) in results.items():
        causes = [f.name for f in make_target(target).regmap["ERROR"].fields
                  if f.name not in ("no_acquire", "aborted", "weight", "prog_window")]
        hits = {c: s.errors.get(c, 0) for c in causes}
        hits["no_acquire"], hits["aborted"] = s.no_acquire, s.aborted
        short[target] = {c: n for c, n in hits.items() if n < args.min_cause_hits}
    if args.json:
        print(json.dumps({t: {**s.as_dict(), "seconds": secs, "short_causes": short[t]}
                          for t, (s, secs) in results.items()}, default=str))
    else:
        print("\n".join(report(results, args.seed)))
        for t, low in short.items():
            if low:
                print(f"{t}: causes hit fewer than {args.min_cause_hits} times: {low}")
    bad = any(s.bad for s, _ in results.values()) or any(short.values())
    return 1 if bad else 0
