"""The register fuzzer's host side: build once, run shards in parallel, add up, report.

``run(targets, n, seed, workers)`` draws configurations ``0 .. n-1`` of each target (see
:mod:`tb.check.regfuzz`), split into ``workers`` contiguous index ranges, each an independent
Verilator run (:mod:`tb.cocotb_tests.regfuzz`) in its own process; a configuration depends only
on ``(seed, index)``, so the counts do not depend on the number of workers and ``replay``
re-runs any one index. Used by ``ima-sim fuzz`` (``make fuzz``) and tests/tb/check.
"""

import time
from concurrent.futures import ProcessPoolExecutor

from tb.build.dwa import build_dwa_tb
from tb.build.ima import build_ima_tb
from tb.build.runner import run as run_sim
from tb.check.regfuzz import Stats, fuzz_config

__all__ = ["build", "run_shard", "run", "report"]

MODULE = "tb.cocotb_tests.regfuzz"


def build(target):
    """The Verilator model of ``target``'s fuzz top (built once per configuration, cached)."""
    cfg = fuzz_config(target)
    if target == "ima":
        runner, top = build_ima_tb(cfg, twin=True, cores=True)
    else:
        runner, top = build_dwa_tb(cfg, cores=True)
    return runner, top, cfg


def run_shard(target, seed, start=0, count=0, indices=None, options=None):
    """One simulator run over ``start .. start+count-1`` (or ``indices``); its :class:`Stats`.
    ``options``: more options for :mod:`tb.cocotb_tests.regfuzz` (``drop_cause``)."""
    runner, top, cfg = build(target)
    options = {**(options or {}), "target": target, "seed": seed, "start": start, "count": count}
    if indices is not None:
        options["indices"] = [int(i) for i in indices]
    result = run_sim(runner, top, MODULE, seed=seed, config=cfg, options=options)
    return Stats().merge(result)


def run(targets, n, seed, workers=1):
    """``n`` configurations of each target in ``targets``; returns ``{target: (Stats, seconds)}``
    (wall time of the target's shards, build excluded)."""
    out = {}
    for target in targets:
        build(target)                                  # once, before the workers share it
        t0 = time.monotonic()
        cuts = [n * w // workers for w in range(workers + 1)]
        shards = [(target, seed, cuts[w], cuts[w + 1] - cuts[w]) for w in range(workers)
                  if cuts[w + 1] > cuts[w]]
        total = Stats()
        if len(shards) == 1:
            total.merge(run_shard(*shards[0]))
        else:
            with ProcessPoolExecutor(len(shards)) as pool:
                for s in pool.map(run_shard, *zip(*shards, strict=True)):
                    total.merge(s)
        out[target] = (total, time.monotonic() - t0)
    return out


def report(results, seed):
    """Text lines of a run's counts (per target)."""
    lines = []
    for target, (s, secs) in results.items():
        rate = f", {s.configs / secs:.1f} configs/s over {secs:.0f} s" if secs else ""
        lines += [f"{target}: N configurations {s.configs} (seed {seed}){rate}",
                  f"  kinds: {dict(sorted(s.kinds.items()))}",
                  f"  jobs (valid) {s.jobs}, completed {s.completed}, soft clears {s.soft_clears}"
                  f" (aborted {s.aborted}), NO_ACQUIRE tries {s.no_acquire}, ACQUIRE races {s.races}",
                  f"  errors by cause: {dict(sorted(s.errors.items()))}",
                  f"  hangs {s.hangs}, stray writes {s.stray_writes}, double grants {s.double_grants},"
                  f" mismatches {s.mismatches}; slowest valid job at {s.max_bound_ratio:.2f} of its bound"]
        low = {k: v for k, v in s.fields.items() if min(v) == 0}
        lines.append(f"  register values [0, 1..0xFFFF, other] per register: "
                     f"{len(s.fields)} registers, {len(low)} with an empty bucket {low or ''}")
        for index, what in s.failures[:10]:
            lines.append(f"  FAIL index {index}: {what}  (replay: ima-sim fuzz --target {target} "
                         f"--seed {seed} --replay {index})")
    return lines
