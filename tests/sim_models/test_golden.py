"""Tests of sim_models.golden against naive loop implementations and hand-computed values.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import os

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sim_models import golden as g

SEED = int(os.environ.get("IMA_SEED", "20240611"))
MAX_EXAMPLES = 40


def _rq(acc, m, s, lo, hi):
    v = acc * m + (2 ** (s - 1) if s else 0)
    return min(max(v // 2 ** s, lo), hi)


def _naive_conv(xp, w, stride, m, s, lo, hi):
    cout, k, _, cin = w.shape
    ho, wo = (xp.shape[0] - k) // stride + 1, (xp.shape[1] - k) // stride + 1
    out = np.zeros((ho, wo, cout), dtype=np.int64)
    for oy in range(ho):
        for ox in range(wo):
            for co in range(cout):
                acc = 0
                for ky in range(k):
                    for kx in range(k):
                        for ci in range(cin):
                            acc += int(w[co, ky, kx, ci]) * int(xp[oy * stride + ky, ox * stride + kx, ci])
                out[oy, ox, co] = _rq(acc, m, s, lo, hi)
    return out


def _naive_dw(xp, w, stride, m, s, lo, hi):
    c, k, _ = w.shape
    ho, wo = (xp.shape[0] - k) // stride + 1, (xp.shape[1] - k) // stride + 1
    out = np.zeros((ho, wo, c), dtype=np.int64)
    for oy in range(ho):
        for ox in range(wo):
            for ch in range(c):
                acc = sum(int(w[ch, ky, kx]) * int(xp[oy * stride + ky, ox * stride + kx, ch])
                          for ky in range(k) for kx in range(k))
                out[oy, ox, ch] = _rq(acc, m, s, lo, hi)
    return out


def _adc(draw):
    return (draw(st.integers(1, 4000)), draw(st.integers(0, 16)),
            *draw(st.sampled_from([(0, 255), (-128, 127)])))


def test_conv_and_depthwise_match_naive_loops(record_property):
    count = 0

    @settings(max_examples=MAX_EXAMPLES, deadline=None)
    @seed(SEED)
    @given(st.data())
    def prop(data):
        nonlocal count
        count += 1
        k = data.draw(st.sampled_from([1, 3]))
        stride = data.draw(st.sampled_from([1, 2]))
        h, w, cin, cout = (data.draw(st.integers(lo_, 6)) for lo_ in (k, k, 1, 1))
        m, s, lo, hi = _adc(data.draw)
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
        xp = g.random_activations(rng, (h, w, cin))
        wc = g.random_weights(rng, (cout, k, k, cin))
        wd = g.random_weights(rng, (cin, k, k))
        y = g.conv2d(xp, wc, m, s, lo, hi, stride)
        assert y.dtype == g.out_dtype(lo)
        assert (y.astype(np.int64) == _naive_conv(xp, wc, stride, m, s, lo, hi)).all()
        assert (g.depthwise(xp, wd, m, s, lo, hi, stride).astype(np.int64)
                == _naive_dw(xp, wd, stride, m, s, lo, hi)).all()
        if k == 1:
            assert (g.pointwise(xp, wc[:, 0, 0, :], m, s, lo, hi, stride) == y).all()
    prop()
    print(f"golden conv/dw: {count} hypothesis examples, seed {SEED}")
    record_property("hypothesis_examples", count)


def test_requant_rounding_and_floor():
    assert g.requant(3, 1, 0, -128, 255) == 3          # no rounding term at S = 0
    assert g.requant(3, 1, 1, -128, 255) == 2          # (3 + 1) >> 1
    assert g.requant(-7, 1, 2, -128, 255) == -2        # floor((-7 + 2) / 4)
    assert g.requant(10**6, 1, 0, 0, 255) == 255
    assert g.requant(-5, 1, 0, 0, 255) == 0


def test_fc_and_residual():
    x = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
    w = np.array([[1, -1, 2, 0, 7, -7], [0, 0, 0, 0, 0, 1]], dtype=np.int8)
    # acc = [0 - 1 + 4 + 0 + 28 - 35, 5] = [-4, 5]
    assert g.fully_connected(x, w, 1, 0, -128, 127).tolist() == [-4, 5]
    assert g.fully_connected(x, w, 1, 0).tolist() == [0, 5]
    p = np.array([-128, 127, -3], dtype=np.int8)
    assert g.residual_add(np.array([5, 200, 3], dtype=np.uint8), p).tolist() == [0, 255, 0]


def test_choose_adc_uses_range_and_is_deterministic():
    print(f"IMA_SEED={SEED}")
    d1, d2 = g.make_bottleneck(SEED, 8, 8, 16, 6), g.make_bottleneck(SEED, 8, 8, 16, 6)
    assert (d1.adc_exp, d1.adc_dw, d1.adc_proj) == (d2.adc_exp, d2.adc_dw, d2.adc_proj)
    out = g.bottleneck(d1)
    for key, lo, hi in (("e", 0, 255), ("d", 0, 255), ("p", -128, 127)):
        v = out[key]
        assert v.min() >= lo and v.max() <= hi
        assert np.unique(v).size > 100, key
        assert ((v > lo) & (v < hi)).mean() > 0.3, key   # ReLU zeroes about half
    for m, s, _, _ in (d1.adc_exp, d1.adc_dw, d1.adc_proj):
        assert 1 <= m < 2**15 and 0 <= s <= 31
    assert out["p"].dtype == np.int8 and out["y"].dtype == np.uint8


def test_bottleneck_shapes_default():
    d = g.make_bottleneck(SEED)
    out = g.bottleneck(d)
    assert out["e"].shape == (16, 16, 192) and out["d"].shape == (16, 16, 192)
    assert out["y"].shape == (16, 16, 32)
    assert d.t == 6


def test_kernel_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match="smaller than the kernel"):
        g.conv2d(np.zeros((2, 2, 1), np.uint8), np.zeros((1, 3, 3, 1), np.int8), 1, 0)


def test_int_matmul_equals_the_int64_product():
    """:func:`golden.int_matmul` (float64 BLAS where every partial sum is below 2**53) equals
    numpy's int64 product on random integers: stacked and 2-D left operands, signed and unsigned,
    and operands whose bound exceeds 2**53 (the int64 path), whose float64 product would round."""
    rng = np.random.default_rng(SEED)
    print(f"int_matmul: seed {SEED} (IMA_SEED={SEED} replays)")
    for _ in range(30):
        k, n = int(rng.integers(1, 300)), int(rng.integers(1, 64))
        lead = tuple(int(x) for x in rng.integers(1, 9, size=int(rng.integers(0, 3))))
        a = rng.integers(-255, 256, size=(*lead, k))
        b = rng.integers(-128, 128, size=(k, n))
        got = g.int_matmul(a, b)
        assert got.dtype == np.int64 and got.shape == (*lead, n)
        assert np.array_equal(got, a @ b)
    big = rng.integers(2**40, 2**41, size=(3, 50))      # 2**41 * 2**15 * 50 > 2**53
    w = rng.integers(2**14, 2**15, size=(50, 4))
    assert not np.array_equal((big.astype(np.float64) @ w.astype(np.float64)).astype(np.int64), big @ w)
    assert np.array_equal(g.int_matmul(big, w), big @ w)
