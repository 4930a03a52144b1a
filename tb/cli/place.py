"""``ima-sim place``: Tile&Pack placement of a network's weights on a multi-array IMA.

``ima-sim place --model mobilenetv2 [--array-rows 256 --array-cols 256] [--arrays N] [--with-fc]
[--json]`` tiles and packs the conv and pointwise weight matrices of a zoo network
(:data:`sim_models.nets.ZOO`, at 224x224 with 1000 classes, shape-only)
(:func:`sim_models.placement.tile_and_pack`, Garofalo et al. 2022, Alg. 1) and prints the arrays
used, the fill of each array, and the paper's figures beside ours (34 arrays for MobileNetV2, the
last under 84 %); nothing is tuned to them. ``--with-fc`` places the fully connected classifier
too (left out by default: see :func:`sim_models.nets.mobilenetv2.xbar_matrices`). ``--json``
prints one JSON object, the placements included. A bad option or a network that does not fit
``--arrays`` arrays: one line on stderr, exit status 2, nothing printed on stdout.
"""

import json

from tb.cli.registry import command, die

__all__ = ["cmd_place", "place_report"]


def place_report(model="mobilenetv2", array_rows=256, array_cols=256, arrays=None, fc=False):
    """Run Tile&Pack on ``model`` and return the report as plain data (what ``--json`` prints).

    Raises ``ValueError`` (named parameter, or the layers that do not fit)."""
    from sim_models.graph import XBAR_KINDS
    from sim_models.nets import ZOO
    from sim_models.nets import mobilenetv2 as mnv2  # the module
    from sim_models.placement import tile_and_pack

    if model not in ZOO:
        raise ValueError(f"--model must be one of {', '.join(ZOO)}, not {model!r}")
    graph = ZOO[model](weights=False)
    placed_kinds = [k for k in XBAR_KINDS if fc or k != "fc"]
    fp = tile_and_pack([(lay.name, *lay.xbar_shape) for lay in graph.layers if lay.kind in placed_kinds],
                       array_rows, array_cols, arrays)
    kinds = ("conv", "pointwise", "depthwise", "fc")
    w = {k: sum(lay.n_params for lay in graph.layers if lay.kind == k) for k in kinds}
    m = {k: sum(lay.macs for lay in graph.layers if lay.kind == k) for k in kinds}
    w["total"], m["total"] = graph.n_params, graph.macs
    return {
        "model": model, "array_rows": array_rows, "array_cols": array_cols, "arrays": arrays,
        "placed_kinds": placed_kinds,
        **{k: v for k, v in fp.summary().items() if k not in ("array_rows", "array_cols", "arrays")},
        "full_arrays": sum(1 for f in fp.fill() if f == 1.0),
        "weights_by_kind": {k: w[k] for k in ("conv", "pointwise", "depthwise", "fc")},
        "params_total": w["total"], "params_without_fc": w["total"] - w["fc"],
        "macs_by_kind": {k: m[k] for k in ("conv", "pointwise", "depthwise", "fc")},
        "macs_total": m["total"], "macs_without_depthwise": m["total"] - m["depthwise"],
        "paper": {"garofalo2022": mnv2.GAROFALO2022, "sandler2018": mnv2.SANDLER2018}
        if model == "mobilenetv2" else {},
        "placements": [{"layer": p.layer, "tile": list(p.tile), "array": p.array, "row": p.row,
                        "col": p.col, "height": p.height, "width": p.width} for p in fp.placements],
    }


def _text(r):
    fill = r["fill"]
    lines = [f"Tile&Pack (Garofalo et al. 2022, Alg. 1): {r['model']}, {r['layers']} layers "
             f"({' + '.join(r['placed_kinds'])}) in {r['tiles']} tiles on "
             f"{r['array_rows']}x{r['array_cols']} arrays"
             + (f", {r['arrays']} available" if r["arrays"] else ""),
             f"weights placed: {r['weights']:,}; depth-wise {r['weights_by_kind']['depthwise']:,} on the "
             f"DW accelerator (not placed)"
             + ("" if "fc" in r["placed_kinds"] else
                f"; fc {r['weights_by_kind']['fc']:,} not placed (--with-fc)"),
             "fill per array (%):"]
    for i in range(0, len(fill), 8):
        row = range(i, min(i + 8, len(fill)))
        lines.append("  " + "  ".join(f"{j:2d}:{fill[j] * 100:6.1f}" for j in row))
    paper = r["paper"].get("garofalo2022")
    lines.append(f"arrays used: {r['arrays_used']} ({r['full_arrays']} full, mean fill "
                 f"{r['mean_fill'] * 100:.1f} %, last {fill[-1] * 100:.1f} %)" if fill else "arrays used: 0")
    if paper:
        s = r["paper"]["sandler2018"]
        lines += [f"paper (Garofalo et al. 2022, Sec. VI): {paper['arrays']} arrays, most full, the last "
                  f"under {paper['last_fill_below'] * 100:.0f} %",
                  f"parameters (weights, no bias / BN): {r['params_total'] / 1e6:.2f} M in all "
                  f"(Sandler et al.: {s['params'] / 1e6:.1f} M), {r['params_without_fc'] / 1e6:.2f} M "
                  f"without the fc (Garofalo et al.: {paper['params'] / 1e6:.2f} M)",
                  f"MACs: {r['macs_total'] / 1e6:.2f} M in all (Sandler et al.: {s['macs'] / 1e6:.0f} M), "
                  f"{r['macs_without_depthwise'] / 1e6:.2f} M without the depth-wise "
                  f"(Garofalo et al.: {paper['macs'] / 1e6:.2f} M as they count it)"]
    return "\n".join(lines)


def cmd_place(a):
    for opt, v in (("--array-rows", a.array_rows), ("--array-cols", a.array_cols), ("--arrays", a.arrays)):
        if v is not None and v < 1:
            die(f"{opt} must be a positive integer, not {v}")
    try:
        r = place_report(a.model, a.array_rows, a.array_cols, a.arrays, a.with_fc)
    except ValueError as e:
        die(str(e))
    print(json.dumps(r) if a.json else _text(r))
    return 0


@command("place", "Tile&Pack a network's weights on multi-array IMA crossbars (arrays used, fill)")
def _place_args(p):
    from sim_models.nets import ZOO
    p.add_argument("--model", choices=tuple(ZOO), default="mobilenetv2")
    p.add_argument("--array-rows", type=int, default=256, help="rows of one crossbar array (default 256)")
    p.add_argument("--array-cols", type=int, default=256, help="columns of one crossbar array (default 256)")
    p.add_argument("--arrays", type=int, default=None,
                   help="arrays available (default: as many as needed); too few is an error naming the layer")
    p.add_argument("--with-fc", action="store_true",
                   help="place the fully connected classifier too (the paper's count leaves it out)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


_place_args.runner(cmd_place)
