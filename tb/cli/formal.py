"""``ima-sim formal``: the formal proofs of the interconnect, the HWPE control block and the
streamer address generator (:mod:`hw.flow.formal`), one line per proof, then the total.

* ``ima-sim formal [-o DIR] [--fast] [--timeout S] [--report FILE.md] [NAME ...]`` -- run the
  proofs (all of :data:`hw.flow.formal.PROOFS` and the broken variants, or the ``fast`` ones, or
  those named: exact names or patterns such as ``'hwpe_ctrl.*'``); exit status 1 if any result
  differs from what is expected (a broken variant must FAIL).
* ``ima-sim formal --list`` -- the table of proofs (name, block, mode, depth, property).
"""

import time
from functools import partial
from pathlib import Path

from tb.cli.registry import check_outputs, command, die

__all__ = ["cmd_formal"]


def cmd_formal(a):
    from hw.flow.formal import BROKEN, PROOFS, run_all, select, table, warm_up

    if a.list:
        for p in PROOFS + BROKEN:
            tag = " [make test]" if p.fast else ""
            print(f"{p.name:40s} {p.mode:6s} depth {p.depth:2d} {p.solver:5s} expect {p.expect}"
                  f"{tag}  {p.what}")
        return 0
    if a.timeout is not None and not 0 < a.timeout < float("inf"):
        die(f"--timeout must be a positive number of seconds, not {a.timeout}")
    try:
        proofs = select(a.names, fast=a.fast)
    except ValueError as e:
        die(f"NAME: {e}")
    out = Path(a.out)
    check_outputs(a, files=(("--report", "report"),), dirs=(("-o/--out", "out"),))
    t0 = time.monotonic()
    warm_up()
    print(f"wasm Yosys ready in {time.monotonic() - t0:.1f} s (compiled once per checkout, "
          f"cached in XDG_CACHE_HOME)", flush=True)
    results = run_all(proofs, out, timeout=a.timeout, log=partial(print, flush=True))
    total = time.monotonic() - t0
    bad = [r for r in results if not r.ok]
    print(f"formal: {len(results) - len(bad)} of {len(results)} as expected, total wall time "
          f"{total:.1f} s (work folder {out})")
    for r in results:
        if r.proof.expect == "FAIL" and r.trace:
            print(f"  {r.proof.name}: counterexample {r.trace}")
    if a.report:
        Path(a.report).write_text(table(results) + f"\n\nTotal wall time {total:.1f} s.\n")
    return 1 if bad else 0


@command("formal", "formal proofs (SymbiYosys): interconnect, HWPE control block, address generator")
def _formal_args(p):
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="proofs to run (names or patterns; default: all)")
    p.add_argument("-o", "--out", default="build/formal", help="work folder")
    p.add_argument("--fast", action="store_true", help="only the proofs make test runs")
    p.add_argument("--timeout", type=float, default=None, help="seconds per proof")
    p.add_argument("--report", default=None, help="also write the results as a Markdown table")
    p.add_argument("--list", action="store_true", help="list the proofs and exit")


_formal_args.runner(cmd_formal)
