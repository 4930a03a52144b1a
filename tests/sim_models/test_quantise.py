"""sim_models.quantise: per-layer weight quantisation, output ranges from consumers, row splits,
and calibration checked against golden.choose_adc on accumulators recomputed independently with
sim_models.golden's per-layer functions (einsum paths, not graph.layer_golden)."""

import numpy as np
import pytest

from sim_models import golden
from sim_models.graph import Graph, Layer, run_golden
from sim_models.quantise import (
    INT8,
    UINT8,
    calibrate,
    output_range,
    output_ranges,
    quantise_weights,
    split_rows,
)
from tb.build.runner import pick_seed


def test_quantise_weights_one_scale_per_layer():
    w = np.array([[0.5, -1.0], [0.25, 0.1]])
    q, scale = quantise_weights(w, 4)
    assert scale == pytest.approx(1 / 7) and q.dtype == np.int8
    assert np.array_equal(q, [[4, -7], [2, 1]])                    # round(w * 7), one scale
    q8, s8 = quantise_weights(w, 8)
    assert s8 == pytest.approx(1 / 127) and np.array_equal(q8, [[64, -127], [32, 13]])
    ints = np.array([[-7, 3], [0, 7]], dtype=np.float32)
    assert quantise_weights(ints, 4)[1] == 1.0 and np.array_equal(quantise_weights(ints, 4)[0], ints)
    big = np.array([-8.0, 4.0])                                   # -8 is not a 4-bit crossbar weight
    q, scale = quantise_weights(big, 4)
    assert scale == pytest.approx(8 / 7) and np.array_equal(q, [-7, 4])      # 3.5 rounds to even
    assert np.array_equal(quantise_weights(np.array([-128.0, 127.0]), 8)[0], [-128, 127])
    for bad, kw in (([1.0], dict(bits=3)), ([np.nan], dict(bits=4))):
        with pytest.raises(ValueError, match="bits|finite"):
            quantise_weights(np.array(bad), **kw)


def test_output_range_from_consumers():
    assert output_range(False, []) == UINT8                       # ReLU
    assert output_range(True, []) == INT8                         # linear network output
    assert output_range(True, [("add", 1)]) == INT8
    assert output_range(True, [("add", 1), ("pointwise", 0)]) == UINT8   # the DAC reads it too
    assert output_range(True, [("add", 0)]) == UINT8
    got = output_ranges([("a", "conv", ("input",), False), ("b", "pointwise", ("a",), True),
                         ("c", "add", ("a", "b"), False), ("d", "fc", ("c",), True)])
    assert got == {"a": UINT8, "b": INT8, "c": UINT8, "d": INT8}


def _layer(name, kind, inputs, in_shape, out_shape, w=None, lo_hi=UINT8, **kw):
    return Layer(name, kind, inputs, in_shape, out_shape, w, None if kind == "add" else (1, 0, *lo_hi), **kw)


def test_split_rows():
    rng = np.random.default_rng(0)
    fc = _layer("f", "fc", ("input",), (1, 1, 600), (1, 1, 4), golden.random_weights(rng, (4, 600)))
    assert split_rows(fc, 256) == (256, 512) and split_rows(fc, 600) == () and split_rows(fc, None) == ()
    with pytest.raises(ValueError, match="rows"):
        split_rows(fc, 0)


def test_calibrate_against_independent_accumulators():
    """conv 3x3 (27 rows, split at 16) -> pointwise 48 -> 20 (split at 16, 32) -> depth-wise
    stride 2 -> avgpool, on 16-row arrays;
    M and S of each layer equal golden.choose_adc on accumulators recomputed here over the whole
    calibration batch, the split layer's partial_adc on all pieces, its adc on the partial sums."""
    seed = pick_seed()
    rng = np.random.default_rng(seed)
    wc = golden.random_weights(rng, (48, 3, 3, 3))
    wp = golden.random_weights(rng, (20, 48))
    wd = rng.integers(-128, 128, (20, 3, 3), dtype=np.int8)
    g = Graph("q", (8, 8, 3), [
        _layer("c", "conv", ("input",), (8, 8, 3), (8, 8, 48), wc, kernel=3, pad=1),
        _layer("p", "pointwise", ("c",), (8, 8, 48), (8, 8, 20), wp),
        _layer("d", "depthwise", ("p",), (8, 8, 20), (4, 4, 20), wd, kernel=3, stride=2, pad=1, w_bits=8),
        _layer("a", "avgpool", ("d",), (4, 4, 20), (1, 1, 20), kernel=4),
    ])
    xs = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    q = calibrate(g, xs, rows=16)
    assert [lay.row_splits for lay in q.layers] == [(16,), (16, 32), (), ()]   # conv 27 rows, pw 48

    def flat(arrs):
        return np.concatenate([a.reshape(-1) for a in arrs])
    # conv: 27 rows split at 16; pieces are (ky, kx, c) rows 0..15 and 16..26
    conv = q.layer("c")
    cols = [np.stack([golden.pad_hwc(x, 1)[ky:ky + 8, kx:kx + 8] for ky in range(3) for kx in range(3)],
                     axis=2).reshape(8, 8, 27).astype(np.int64) for x in xs]          # rows (ky, kx, c)
    wm = wc.reshape(48, 27).T.astype(np.int64)
    pieces = [[c[:, :, a:b] @ wm[a:b] for c in cols] for a, b in ((0, 16), (16, 27))]
    pm, ps = golden.choose_adc(flat(pieces[0] + pieces[1]), -128, 127)
    assert conv.partial_adc == (pm, ps, -128, 127)
    sums = [golden.requant(p0, pm, ps, -128, 127) + golden.requant(p1, pm, ps, -128, 127)
            for p0, p1 in zip(*pieces, strict=True)]
    m, s = golden.choose_adc(flat(sums), 0, 255)
    assert conv.adc == (m, s, 0, 255)
    cs = [golden.requant(t, m, s, 0, 255).astype(np.uint8) for t in sums]
    # pointwise: 48 rows split at 16, 32 (input channels)
    pw = q.layer("p")
    pieces = [[golden.pointwise_acc(c[:, :, a:b], wp[:, a:b]) for c in cs]
              for a, b in ((0, 16), (16, 32), (32, 48))]
    pm, ps = golden.choose_adc(flat(sum(pieces, [])), -128, 127)
    sums = [sum(golden.requant(p, pm, ps, -128, 127) for p in ps_) for ps_ in zip(*pieces, strict=True)]
    m, s = golden.choose_adc(flat(sums), 0, 255)
    assert pw.partial_adc == (pm, ps, -128, 127) and pw.adc == (m, s, 0, 255)
    p_out = [golden.requant(t, m, s, 0, 255).astype(np.uint8) for t in sums]
    # depth-wise, then the pool's sums
    dacc = [golden.depthwise_acc(golden.pad_hwc(p, 1), wd, 2) for p in p_out]
    m, s = golden.choose_adc(flat(dacc), 0, 255)
    assert q.layer("d").adc == (m, s, 0, 255)
    d_out = [golden.requant(a, m, s, 0, 255) for a in dacc]
    pool = golden.choose_adc(flat([d.sum(axis=(0, 1)) for d in d_out]), 0, 255)
    assert q.layer("a").adc == (*pool, 0, 255)
    # the calibrated graph's golden run on the first image reproduces these tensors
    run = run_golden(q, xs[0])
    assert np.array_equal(run.tensors["p"], p_out[0]) and np.array_equal(run.tensors["d"], d_out[0])
    print(f"seed {seed}: calibrated adc {[lay.adc for lay in q.layers]}")
    # the whole batch counts (one image calibrates differently); rows=None splits nothing
    one = calibrate(g, xs[:1], rows=16)
    assert [lay.adc for lay in one.layers] != [lay.adc for lay in q.layers]
    assert all(lay.row_splits == () for lay in calibrate(g, xs, rows=None).layers)


def test_calibrate_bad_inputs():
    g = Graph("q", (4, 4, 2), [_layer("p", "pointwise", ("input",), (4, 4, 2), (4, 4, 3),
                                      np.ones((3, 2), np.int8))])
    for bad in (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 4, 4, 2), np.int16),
                np.zeros((0, 4, 4, 2), np.uint8)):
        with pytest.raises(ValueError, match="calib"):
            calibrate(g, bad)
