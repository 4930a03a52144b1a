"""Cycles per job of the standard conv (3x3, 16x16 out, 32 -> 64 channels) on the RTL, sequential
vs overlapped engine (``ImaConfig.overlap``), for N = 1, 4, 16 ports.

Usage: ``python -m tb.bench.overlap [--ports 1 4 16] [--seed S]``. One Verilator build per
configuration (cached under ``sim_build/ima_tb/``, shared with tests/hw/ima/test_ima.py).
"""

import argparse
import json
import tempfile
from pathlib import Path

from tb.env.ima import ImaParams
from tb.build.runner import build, pick_seed, run
from tb.build.tops import ImaTestTop

COMPUTE_BOUND = 18          # cycles per job: one 70 ns MVM at 250 MHz


def measure(ports, overlap, seed, tcdm_bytes=64 * 1024):
    params = ImaParams(ports=ports, tcdm_bytes=tcdm_bytes, overlap=int(overlap))
    runner = build("ima_tb", ImaTestTop, params.top_kwargs())
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "timing.json"
        run(runner, "ima_tb", "tb.cocotb_tests.ima", seed=seed, testcase="standard_conv_timing",
            extra_env={**params.env(), "IMA_TIMING_OUT": str(out)})
        return json.loads(out.read_text())


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
    print("\n| N | engine | layer cycles | cycles/job | model cycles/job | vs 18-cycle bound |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        model = r["model_overlapped"] if r["overlap"] else r["model_sequential"]
        per_job = r["layer_cycles"] / r["jobs"]
        print(f"| {r['ports']} | {'overlapped' if r['overlap'] else 'sequential'} | "
              f"{r['layer_cycles']} | {per_job:.2f} | {model / r['jobs']:.2f} | "
              f"{per_job / COMPUTE_BOUND:.3f}x |")


if __name__ == "__main__":
    main()
