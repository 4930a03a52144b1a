"""Every field of the fast model's results, snapshotted to compare two code versions bit for bit.

A speed change of :mod:`sim_models.fastmodel` (or of :mod:`sim_models.perf`, ``dwa_perf``,
``swcost``) must not change one result: run ``write`` on the old code and on the new one and
``compare`` the two files. The snapshot holds, with value types and dict orders:

* :data:`NETWORKS` -- 14 network / preset / variant programs (``ima-sim net`` options: MobileNetV2
  224 and reduced ones, overlap on / off, shared ports, 1-2 ports, 3 cores, fc on the IMA,
  aicas2021 with a DWA, two IMAs, MobileNetV1, SqueezeNet): :func:`estimate_program` cold (its
  layers, total and every phase) and :func:`estimate_workload` of the same phases; the warm run
  must equal the cold one;
* 240 seeded random layers of every kind on four clusters, every engine that can run them, on 1,
  3 and 8 cores: :func:`layer_cost` (or its ``ValueError``).

::

    python -m tb.cli.fastmodel_snapshot write before.pkl       # on the old code
    python -m tb.cli.fastmodel_snapshot write after.pkl        # on the new one
    python -m tb.cli.fastmodel_snapshot compare before.pkl after.pkl

``compare`` prints the keys that differ and exits 1 if any does (0 if none).
"""

import pickle
import sys

import numpy as np

__all__ = ["NETWORKS", "zero_layer", "snapshot", "differences", "main"]

_REDUCED = ["--input-size", "32", "--width", "0.35", "--classes", "10"]
_AICAS_DWA = ["--input-size", "32", "--width", "0.25", "--classes", "10", "--preset", "aicas2021",
              "--set", "adc_depth=512", "--set", "dac_depth=512", "--set", "dwa=true"]
#: The programs of the snapshot (``ima-sim net`` options).
NETWORKS = [
    ["--model", "mobilenetv2", "--preset", "jetcas2022"],
    _REDUCED,
    _AICAS_DWA,
    ["--input-size", "64", "--width", "0.5", "--classes", "10"],
    [*_REDUCED, "--set", "overlap=false"],
    [*_REDUCED, "--set", "overlap=true"],
    [*_REDUCED, "--set", "overlap=true", "--set", "data_interface=shared", "--set", "ports=1"],
    ["--input-size", "64", "--width", "0.35", "--classes", "10", "--set", "data_interface=shared"],
    [*_REDUCED, "--set", "n_cores=3"],
    [*_REDUCED, "--set", "ports=2", "--fc-on", "ima"],
    ["--model", "mobilenetv1", "--input-size", "32", "--width", "0.5", "--classes", "10"],
    ["--model", "squeezenet1_1", "--input-size", "32", "--width", "0.25", "--classes", "10"],
    [*_AICAS_DWA, "--set", "overlap=true"],
    ["--model", "mobilenetv2", "--input-size", "96", "--width", "0.75", "--classes", "10",
     "--set", "imas=2"],
]
_ADC = (1, 0, 0, 255)
_ENGINES = {"conv": ("ima", "sw"), "pointwise": ("ima", "sw"), "fc": ("ima", "sw"),
            "depthwise": ("dwa", "sw"), "add": ("sw",), "avgpool": ("sw",)}


def _norm(x):
    """``x`` as nested lists of ``(type name, repr)`` leaves: equal only if the values, their
    types and the dicts' orders are."""
    if isinstance(x, dict):
        return [(k, _norm(v)) for k, v in x.items()]
    if isinstance(x, (list, tuple)):
        return [_norm(v) for v in x]
    return (type(x).__name__, repr(x))


def _phase(p):
    return (p.name, p.kind, _norm(p.cycles), _norm(p.events), _norm(p.ima), _norm(p.dwa),
            _norm(p.ima_each), tuple(p.core_busy), p.stalls)


def zero_layer(kind, h=8, w=8, cin=16, cout=24, k=3, stride=1):
    """A graph layer of ``kind`` (conv, pointwise, depthwise, fc, add, avgpool) and shape with zero
    weights: the values never change the fast model's schedule, only the shapes do."""
    from sim_models.graph import Layer
    pad = k // 2 if kind in ("conv", "depthwise") else 0
    kk = k if kind in ("conv", "depthwise") else 1
    ho, wo = (h + 2 * pad - kk) // stride + 1, (w + 2 * pad - kk) // stride + 1
    if kind == "conv":
        return Layer("l", kind, ("input",), (h, w, cin), (ho, wo, cout),
                     np.zeros((cout, k, k, cin), np.int8), _ADC, kernel=k, stride=stride, pad=pad)
    if kind == "pointwise":
        return Layer("l", kind, ("input",), (h, w, cin), (ho, wo, cout), np.zeros((cout, cin), np.int8),
                     _ADC, stride=stride)
    if kind == "depthwise":
        return Layer("l", kind, ("input",), (h, w, cin), (ho, wo, cin), np.zeros((cin, k, k), np.int8),
                     _ADC, kernel=k, stride=stride, pad=pad, w_bits=8)
    if kind == "fc":
        return Layer("l", kind, ("input",), (h, w, cin), (1, 1, cout),
                     np.zeros((cout, h * w * cin), np.int8), _ADC, w_bits=8)
    if kind == "add":
        return Layer("l", kind, ("input", "other"), (h, w, cin), (h, w, cin))
    return Layer("l", "avgpool", ("input",), (h, w, cin), (1, 1, cin), adc=_ADC, kernel=h)


def snapshot(networks=NETWORKS, layers=240, seed=1234):
    """``{key: normalised results}`` of the fast model on ``networks`` and on ``layers`` random
    layers (module docstring)."""
    from hw.config import preset
    from sim_models import fastmodel as fm
    from tb.cli import net as netcli
    from tb.cli.main import build_parser
    out = {}
    for argv in networks:
        _, _, prog, cfg = netcli.prepare(build_parser().parse_args(["net", *argv]))
        fm.clear_memo()
        cold = fm.estimate_program(prog, cfg)
        warm = fm.estimate_program(prog, cfg)
        name = " ".join(argv)
        out[name] = (_norm(cold.layers), _norm(cold.total), [[_phase(p) for p in s] for s in cold.steps])
        if (_norm(warm.layers), _norm(warm.total)) != out[name][:2]:
            raise AssertionError(f"{name}: the warm estimate differs from the cold one")
        out["workload " + name] = _norm(fm.estimate_workload(type("W", (), {"phases": prog.phases})(), cfg))
    rng = np.random.default_rng(seed)
    cfgs = [preset("aicas2021"), preset("jetcas2022"), preset("aicas2021").with_(overlap=True),
            preset("jetcas2022").with_(data_interface="shared", ports=1)]
    costs = []
    for i in range(layers):
        kind = ("conv", "pointwise", "depthwise", "fc", "add", "avgpool")[i % 6]
        h, w = int(rng.integers(2, 20)), int(rng.integers(2, 20))
        if kind == "fc":
            h = w = 1
        cin, cout = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        k = 3 if kind == "depthwise" else int(rng.choice([1, 3]))
        layer = zero_layer(kind, h, w, cin, cout, k, int(rng.choice([1, 2])))
        for ci, cfg in enumerate(cfgs):
            for engine in _ENGINES[kind]:
                if engine == "dwa" and not cfg.dwa:
                    continue
                for cores in (1, 3, 8):
                    try:
                        c = fm.layer_cost(layer, engine, cfg, cores)
                        costs.append((i, ci, engine, cores, c.cycles, repr(c.energy_pj), c.macs, c.engine,
                                      c.cores, list(c.phases.items())))
                    except ValueError as e:
                        costs.append((i, ci, engine, cores, str(e)))
    out["layer_cost"] = costs
    return out


def differences(a, b):
    """The keys of snapshots ``a`` and ``b`` whose results differ (or that only one has)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def main(argv=None):
    from tb.cli.registry import CliParser  # errors in one line, exit 2
    p = CliParser(prog="python -m tb.cli.fastmodel_snapshot", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("write", help="snapshot this code's results").add_argument("out")
    cp = sub.add_parser("compare", help="the keys two snapshots differ in (exit 1 if any)")
    cp.add_argument("a")
    cp.add_argument("b")
    a = p.parse_args(argv)
    if a.cmd == "write":
        snap = snapshot()
        with open(a.out, "wb") as f:
            pickle.dump(snap, f)
        print(f"{len(snap)} keys ({len(snap['layer_cost'])} layer_cost calls) written to {a.out}")
        return 0
    snaps = []
    for path in (a.a, a.b):
        try:
            with open(path, "rb") as f:
                snaps.append(pickle.load(f))
        except (OSError, pickle.UnpicklingError, EOFError) as e:
            p.error(f"{path}: {e}")
    diff = differences(*snaps)
    for k in diff:
        print(f"differs: {k}")
    print(f"{len(diff)} of {len(snaps[0].keys() | snaps[1].keys())} keys differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
