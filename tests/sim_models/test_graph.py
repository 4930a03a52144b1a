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


# --- maxpool and concat: against loops written out here ----------------------------------------

def _maxpool_loops(x, k, s, p):
    """Max pool by explicit loops over the windows, reading only the real input pixels (the
    -inf padding of PyTorch / ONNX)."""
    h, w, c = x.shape
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    y = np.zeros((ho, wo, c), np.uint8)
    for oy in range(ho):
        for ox in range(wo):
            ys = [iy for iy in range(oy * s - p, oy * s - p + k) if 0 <= iy < h]
            xs = [ix for ix in range(ox * s - p, ox * s - p + k) if 0 <= ix < w]
            for ch in range(c):
                y[oy, ox, ch] = max(int(x[iy, ix, ch]) for iy in ys for ix in xs)
    return y


def _pool_concat_graph(k, s, p, h=11):
    ho = (h + 2 * p - k) // s + 1
    return Graph("pc", (h, h, 3), [
        Layer("m", "maxpool", ("input",), (h, h, 3), (ho, ho, 3), kernel=k, stride=s, pad=p),
        Layer("q", "pointwise", ("m",), (ho, ho, 3), (ho, ho, 2), np.ones((2, 3), np.int8), (1, 1, 0, 255)),
        Layer("cat", "concat", ("q", "m", "q"), (ho, ho, 2), (ho, ho, 7)),
    ])


@pytest.mark.parametrize("k,s,p", [(3, 2, 1), (2, 2, 0), (3, 2, 0), (3, 1, 1)])
def test_maxpool_and_concat_match_loops(k, s, p):
    """ResNet's 3x3/2/1, VGG's 2x2/2/0, SqueezeNet's 3x3/2/0 and a stride-1 pool; a concat of
    three operands (one twice) in the order given."""
    seed = pick_seed()
    x = np.random.default_rng([seed, k, s, p]).integers(0, 256, (11, 11, 3), dtype=np.uint8)
    g = _pool_concat_graph(k, s, p)
    r = run_golden(g, x)
    want = _maxpool_loops(x, k, s, p)
    assert r.tensors["m"].dtype == np.uint8 and np.array_equal(r.tensors["m"], want), seed
    q = r.tensors["q"]
    assert np.array_equal(q, np.clip((want.astype(np.int64).sum(axis=2, keepdims=True) + 1) >> 1, 0, 255)
                          .repeat(2, axis=2))
    cat = r.tensors["cat"]
    assert cat.shape == (*want.shape[:2], 7) and cat.dtype == np.uint8
    assert np.array_equal(cat[..., :2], q) and np.array_equal(cat[..., 2:5], want) \
        and np.array_equal(cat[..., 5:], q)
    assert "m" not in r.acc and "cat" not in r.acc and g.macs == q.shape[0] * q.shape[1] * 6


@pytest.mark.parametrize("layer,msg", [
    (dict(name="m", kind="maxpool", inputs=("input",), in_shape=(8, 8, 3), out_shape=(4, 4, 3), kernel=3,
          stride=2, pad=2), "pad <= kernel // 2"),
    (dict(name="m", kind="maxpool", inputs=("input",), in_shape=(8, 8, 3), out_shape=(3, 3, 3), kernel=2,
          stride=2), r"out_shape \(3, 3, 3\), not \(4, 4, 3\)"),
    (dict(name="m", kind="maxpool", inputs=("input",), in_shape=(8, 8, 3), out_shape=(4, 4, 3), kernel=2,
          stride=2, adc=(1, 0, 0, 255)), "takes no ADC"),
    (dict(name="c", kind="concat", inputs=("input",), in_shape=(8, 8, 3), out_shape=(8, 8, 3)),
     "2 or more input"),
    (dict(name="c", kind="concat", inputs=("input", "input"), in_shape=(8, 8, 3), out_shape=(8, 8, 5)),
     r"concat of .* gives \(8, 8, 6\)"),
    (dict(name="p", kind="pointwise", inputs=("input",), in_shape=(8, 8, 3), out_shape=(8, 8, 2),
          weights=np.ones((2, 4), np.int8), adc=(1, 0, 0, 255)), r"weights of shape \(2, 4\).*\(2, 3\)"),
    (dict(name="p", kind="pointwise", inputs=("input",), in_shape=(8, 8, 3), out_shape=(8, 8, 2),
          weights=np.ones((2, 3), np.int8), adc=(1, 0, 0, 255), shape_only=True), "takes no weights array"),
])
def test_bad_pool_concat_and_weight_shapes(layer, msg):
    with pytest.raises(ValueError, match=msg):
        Graph("t", (8, 8, 3), [Layer(**layer)])


def test_maxpool_and_concat_read_uint8_only():
    g = _pool_concat_graph(2, 2, 0)
    from sim_models.graph import layer_golden
    with pytest.raises(ValueError, match="layer m: maxpool reads uint8"):
        layer_golden(g.layer("m"), [np.zeros((11, 11, 3), np.int8)])


def test_shape_only_layers_count_but_do_not_run():
    """A shape-only layer has the counts of its weighted twin; the golden run refuses the graph
    naming the layer (before touching the input)."""
    import dataclasses
    full = _graph(np.random.default_rng(0))
    bare = Graph("t", full.input_shape, [
        dataclasses.replace(lay, weights=None, shape_only=True) if lay.weights is not None else lay
        for lay in full.layers])
    assert bare.shape_only and not full.shape_only
    for a, b in zip(full.layers, bare.layers, strict=True):
        assert (a.n_params, a.macs, a.xbar_shape, a.weight_shape) == (b.n_params, b.macs, b.xbar_shape,
                                                                      b.weight_shape), a.name
        assert a.weights is None or a.weight_shape == a.weights.shape
    assert (bare.n_params, bare.macs) == (full.n_params, full.macs)
    assert row_pieces(bare.layer("p")) == [(0, 4), (4, 6)]
    with pytest.raises(ValueError, match="layer c: shape-only"):
        run_golden(bare, np.zeros((9, 9, 5), np.uint8))
    with pytest.raises(ValueError, match="layer p: shape-only"):
        _ = bare.layer("p").weight_matrix
