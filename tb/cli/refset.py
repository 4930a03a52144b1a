"""The reference set of the cluster workloads (issue 15, item 2): figures recorded from the
full-visibility build, the path every result of the project came from before the lean builds, and
re-run on today's default (lean) build, compared field by field.

Each case is an ``ima-sim run`` command line (:data:`CASES`); its figures (:func:`figures`) are
the cycles in total and per phase, TCDM grants and stall cycles per master, the energy events, the
IMA's and the DWA's counters, the MVM count, the golden checks and a SHA-256 of every array the
run dumps (inputs, weights and the output buffers read back from the TCDM). The cheap cases run
in ``make test`` (tests/tb/cli/test_refset.py, on builds the suite makes anyway), every case in
``make bench``::

    python -m tb.cli.refset --check            # every case on the default build; exit 1 on a difference
    python -m tb.cli.refset --check --cheap    # the make-test subset
    python -m tb.cli.refset --write            # regenerate refset.json on the full build (--debug-build)
    python -m tb.cli.refset --write --case NAME  # (re)record one case, keeping the others
    python -m tb.cli.refset --check --bfm python # on the per-access path (default: the engines)

Regenerate only after a change meant to alter cycles or outputs, and say so in the commit.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["REFSET", "CASES", "CHEAP", "figures", "record", "load", "compare", "main"]

#: The recorded figures (committed).
REFSET = Path(__file__).with_name("refset.json")

#: name -> ``ima-sim run`` arguments. ``run-default-<preset>``: the command's defaults under each
#: preset; the others a few mappings and layers, under both presets.
CASES = {
    "run-default-aicas2021": [],
    "run-default-jetcas2022": ["--preset", "jetcas2022"],
    "bottleneck8-SW": ["--layer", "bottleneck", "--mapping", "SW", "--h", "8", "--w", "8"],
    "bottleneck8-HYBRID": ["--layer", "bottleneck", "--mapping", "HYBRID", "--h", "8", "--w", "8"],
    "bottleneck8-IMA16": ["--layer", "bottleneck", "--mapping", "IMA16", "--h", "8", "--w", "8"],
    "conv-IMA-16": ["--layer", "conv", "--mapping", "IMA", "--ports", "16"],
    "depthwise-SW": ["--layer", "depthwise", "--mapping", "SW"],
    "jetcas2022-bottleneck8-IMADW": ["--preset", "jetcas2022", "--layer", "bottleneck",
                                     "--mapping", "IMADW", "--h", "8", "--w", "8"],
}
#: The cases of ``make test``: seconds each, on the 4/4 and jetcas2022 builds other tests make.
CHEAP = ("bottleneck8-HYBRID", "jetcas2022-bottleneck8-IMADW")
#: Recorded in this order: the cheap ones first, the longest last.
ORDER = (*CHEAP, "bottleneck8-SW", "bottleneck8-IMA16", "depthwise-SW", "run-default-aicas2021",
         "conv-IMA-16", "run-default-jetcas2022")

#: The result fields compared as they are.
EXACT = ("passed", "checks", "cycles", "phases", "tcdm_stalled", "tcdm_masters", "ima", "dwa",
         "mvms", "energy_events")


def _spec_cfg(argv):
    from tb.cli.run import _run_args, config_from_args, spec_from_args
    p = argparse.ArgumentParser()
    _run_args(p)
    a = p.parse_args(argv)
    spec, cfg = spec_from_args(a), config_from_args(a)
    spec.validate()
    return spec, cfg


def _digest(arrays):
    """SHA-256 of every array (name, dtype, shape, bytes), by name."""
    import numpy as np
    out = {}
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
        out[name] = h.hexdigest()
    return out


def figures(res, arrays):
    """The compared figures of one ``ima-sim run`` result (:func:`tb.cli.run.simulate`) and the
    arrays it dumped."""
    return {**{k: res[k] for k in EXACT}, "arrays_sha256": _digest(arrays)}


def record(name, *, debug=False, bfm=None):
    """Run case ``name`` (:data:`CASES`) on the RTL; returns ``(figures, wall_s)``. ``debug``:
    the full-visibility build (how most of :data:`REFSET` was recorded), else the default build;
    ``bfm``: the cores' TCDM path (:data:`tb.env.paths.BFM_PATHS`; ``None``: the default)."""
    import numpy as np

    from tb.cli.run import simulate
    spec, cfg = _spec_cfg(CASES[name])
    with tempfile.TemporaryDirectory(prefix="ima-refset-") as tmp:
        npz = os.path.join(tmp, "out.npz")
        t0 = time.perf_counter()
        res = simulate(spec, cfg, npz=npz, debug=debug, bfm=bfm)
        wall = time.perf_counter() - t0
        with np.load(npz) as d:
            arrays = {k: d[k] for k in d.files}
    if res.get("error"):
        raise RuntimeError(f"refset case {name}: {res['error']}")
    return json.loads(json.dumps(figures(res, arrays))), wall


def load(path=REFSET):
    """The recorded set: ``{"cases": {name: {"argv", "figures", "recorded_with"}}}``."""
    with open(path) as f:
        return json.load(f)


def compare(expected, got):
    """The differences between two figure dicts, one line per field (empty: identical)."""
    diffs = []
    for key in sorted(set(expected) | set(got)):
        if expected.get(key) != got.get(key):
            diffs.append(f"{key}: recorded {expected.get(key)!r}, now {got.get(key)!r}")
    return diffs


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tb.cli.refset", description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="re-run and compare with refset.json")
    mode.add_argument("--write", action="store_true",
                      help="record every case on the full-visibility build into refset.json")
    ap.add_argument("--cheap", action="store_true", help=f"only {', '.join(CHEAP)}")
    ap.add_argument("--case", action="append", choices=list(CASES), help="only this case (repeatable)")
    from tb.env.paths import BFM_PATHS
    ap.add_argument("--bfm", choices=BFM_PATHS, default=None,
                    help="the cores' TCDM path (default: --write 'python', the per-access reference; "
                         "--check the default path, the engines)")
    a = ap.parse_args(argv)
    names = list(a.case or (CHEAP if a.cheap else ORDER))
    if a.write:
        from tb.build.runner import cxx_opt
        bfm = a.bfm or "python"
        for name in names:             # merged after each case: a long set survives a stop
            fig, wall = record(name, debug=True, bfm=bfm)
            out = load() if REFSET.exists() else {"cases": {}}
            out["cases"] = {k: v for k, v in out["cases"].items() if k in CASES}
            out["cases"][name] = {"argv": CASES[name], "figures": fig,
                                  "recorded_with": f"ima-sim run --debug-build --bfm {bfm} "
                                                   f"(full-visibility build, C++ -{cxx_opt()})"}
            REFSET.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
            print(f"{name}: {fig['cycles']:,} cycles, {wall:.1f} s: written to {REFSET}", flush=True)
        return 0
    ref = load()["cases"]
    failed = 0
    for name in names:
        if ref.get(name, {}).get("argv") != CASES[name]:
            print(f"{name}: not recorded with these arguments: regenerate with --write")
            failed += 1
            continue
        fig, wall = record(name, bfm=a.bfm)
        diffs = compare(ref[name]["figures"], fig)
        failed += bool(diffs)
        print(f"{name}: {fig['cycles']:,} cycles, {wall:.1f} s: "
              + ("identical" if not diffs else "DIFFERS\n  " + "\n  ".join(diffs)), flush=True)
    print(f"reference set: {len(names) - failed} of {len(names)} cases identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
