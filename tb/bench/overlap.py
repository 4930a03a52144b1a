"""Cycles per job of the standard conv (3x3, 16x16 out, 32 -> 64 channels) on the RTL, sequential
vs overlapped engine (``ImaConfig.overlap``), for N = 1, 4, 16 ports.

Usage: ``python -m tb.bench.overlap [--ports 1 4 16] [--seed S]``. One Verilator build per
configuration (cached under ``sim_build/ima_tb/``, shared with tests/hw/ima/test_ima.py).
"""

import argparse
import json

from hw.config import preset
from tb.build.ima import build_ima_tb
from tb.build.runner import pick_seed, run

#: Cycles per job when COMPUTE-bound: one MVM (70 ns at 250 MHz = 18 in the default preset).
COMPUTE_BOUND = preset().ima.mvm_cycles


def measure(ports, overlap, seed, tcdm_bytes=64 * 1024):
    cfg = preset().with_(ports=ports, tcdm_bytes=tcdm_bytes, overlap=bool(overlap))
    runner, top = build_ima_tb(cfg)
    return run(runner, top, "tb.cocotb_tests.ima", seed=seed, testcase="standard_conv_timing",
               config=cfg)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ports", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    seed = pick_seed(args.seed)
    rows = []
    for n in args.ports:
        for ov in (False, True):
            r = measure(n, ov, seed)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print(f"\n| N | engine | layer cycles | cycles/job | model cycles/job "
          f"| vs {COMPUTE_BOUND}-cycle bound |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        model = r["model_overlapped"] if r["overlap"] else r["model_sequential"]
        per_job = r["layer_cycles"] / r["jobs"]
        print(f"| {r['ports']} | {'overlapped' if r['overlap'] else 'sequential'} | "
              f"{r['layer_cycles']} | {per_job:.2f} | {model / r['jobs']:.2f} | "
              f"{per_job / COMPUTE_BOUND:.3f}x |")


if __name__ == "__main__":
    main()
