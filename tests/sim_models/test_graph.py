"""sim_models.graph: the golden run of a small graph against sim_models.golden's per-layer
functions (an independent einsum path), row-split semantics, and the validation errors."""

import numpy as np
import pytest

from sim_models import golden
from sim_models.graph import Graph, Layer, row_pieces, run_golden
from tb.build.runner import pick_seed


def _graph(rng):
    w = rng.integers(-7, 8, (6, 3, 3, 5)).astype(np.int8)
    pw = rng.integers(-7, 8, (4, 6)).astype(np.int8)
    dw = rng.integers(-128, 128, (4, 3, 3)).astype(np.int8)
    fw = rng.integers(-128, 128, (3, 4)).astype(np.int8)
    return Graph("t", (9, 9, 5), [
        Layer("c", "conv", ("input",), (9, 9, 5), (5, 5, 6), w, (3, 8, 0, 255), kernel=3, stride=2, pad=1),
        Layer("p", "pointwise", ("c",), (5, 5, 6), (5, 5, 4), pw, (3, 6, 0, 255), row_splits=(4,),
              partial_adc=(1, 2, -128, 127)),
        Layer("d", "depthwise", ("p",), (5, 5, 4), (5, 5, 4), dw, (1, 9, -128, 127), kernel=3, pad=1,
              w_bits=8),
        Layer("r", "add", ("p", "d"), (5, 5, 4), (5, 5, 4)),
        Layer("a", "avgpool", ("r",), (5, 5, 4), (1, 1, 4), None, (5, 7, 0, 255), kernel=5),
        Layer("f", "fc", ("a",), (1, 1, 4), (1, 1, 3), fw, (1, 3, 0, 255), w_bits=8),
    ])


def test_golden_run_matches_per_layer_functions():
    seed = pick_seed()
    rng = np.random.default_rng(seed)
    g = _graph(rng)
    x = rng.integers(0, 256, (9, 9, 5), dtype=np.uint8)
    r = run_golden(g, x)
    t = r.tensors
    w = g.layer("c").weights
    assert np.array_equal(t["c"], golden.conv2d(golden.pad_hwc(x, 1), w, 3, 8, 0, 255, stride=2))
    p = g.layer("p")
    assert np.array_equal(r.acc["p"], golden.pointwise_acc(t["c"], p.weights))
    parts = [golden.requant(golden.pointwise_acc(t["c"][:, :, r0:r1], p.weights[:, r0:r1]), 1, 2, -128, 127)
             for r0, r1 in row_pieces(p)]
    assert row_pieces(p) == [(0, 4), (4, 6)]
    assert np.array_equal(t["p"], golden.requant(sum(parts), 3, 6, 0, 255).astype(np.uint8))
    assert np.array_equal(sum(r.partial_acc["p"]), r.acc["p"])
    d = g.layer("d")
    assert t["d"].dtype == np.int8
    assert np.array_equal(t["d"], golden.depthwise(golden.pad_hwc(t["p"], 1), d.weights, 1, 9, -128, 127))
    assert np.array_equal(t["r"], golden.residual_add(t["p"], t["d"]))
    pool = golden.requant(t["r"].astype(np.int64).sum(axis=(0, 1)), 5, 7, 0, 255)
    assert np.array_equal(t["a"].reshape(-1), pool)
    assert np.array_equal(t["f"].reshape(-1), golden.fully_connected(t["a"], g.layer("f").weights, 1, 3))
    assert g.macs == 25 * 6 * 45 + 25 * 4 * 6 + 25 * 36 + 12


@pytest.mark.parametrize("change,msg", [
    (dict(kind="pool"), "kind"),
    (dict(inputs=("input", "input")), "input"),
    (dict(weights=np.full((6, 3, 3, 5), 8, np.int8)), "weights"),
    (dict(adc=None), "ADC"),
    (dict(row_splits=(50,), partial_adc=(1, 0, -128, 127)), "row_splits"),
    (dict(row_splits=(10,)), "partial_adc"),
    (dict(in_shape=(9, 9, 4)), "in_shape"),
])
def test_bad_layers_name_the_problem(change, msg):
    g = _graph(np.random.default_rng(0))
    c = g.layers[0]
    kw = dict(name=c.name, kind=c.kind, inputs=c.inputs, in_shape=c.in_shape, out_shape=c.out_shape,
              weights=c.weights, adc=c.adc, kernel=3, stride=2, pad=1)
    kw.update(change)
    with pytest.raises(ValueError, match=msg):
        Graph("t", (9, 9, 5), [Layer(**kw)])
