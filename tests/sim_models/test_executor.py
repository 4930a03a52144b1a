"""Executor == golden, bit-exactly, over random shapes (hypothesis) and the default bottleneck.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import os

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sim_models import executor as ex
from sim_models import golden as g
from sim_models import mapping as mp
from sim_models.crossbar import Crossbar
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

SEED = int(os.environ.get("IMA_SEED", "20240611"))
MAX_EXAMPLES = 100


def _run_prop(name, body, record_property, max_examples=MAX_EXAMPLES):
    count = 0

    @settings(max_examples=max_examples, deadline=None)
    @seed(SEED)
    @given(st.data())
    def prop(data):
        nonlocal count
        count += 1
        body(data)
    prop()
    print(f"{name}: {count} hypothesis examples, seed {SEED}")
    record_property(f"hypothesis_examples_{name}", count)


def _rng(data):
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="rng seed"))


def _lohi(data):
    return data.draw(st.sampled_from([(0, 255), (-128, 127)]))


def test_conv_executor_matches_golden(record_property):
    def body(data):
        rng = _rng(data)
        k = data.draw(st.sampled_from([1, 2, 3, 5]))
        stride = data.draw(st.sampled_from([1, 2]))
        pad = data.draw(st.integers(0, k // 2))
        h, w = data.draw(st.integers(max(1, k - 2 * pad), 7)), data.draw(st.integers(max(1, k - 2 * pad), 7))
        cin, cout = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 11))
        x = g.random_activations(rng, (h, w, cin))
        wt = g.random_weights(rng, (cout, k, k, cin))
        lo, hi = _lohi(data)
        xp = g.pad_hwc(x, pad)
        adc = g.choose_adc(g.conv2d_acc(xp, wt, stride), lo, hi) + (lo, hi)
        row, col = data.draw(st.integers(0, 20)), data.draw(st.integers(0, 20))
        lm = mp.map_conv(x.shape, wt, adc, stride=stride, pad=pad, row=row, col=col)
        assert (ex.run_layer(lm, x) == g.conv2d(xp, wt, *adc, stride=stride)).all()
    _run_prop("conv", body, record_property)


def test_pointwise_and_fc_executor_match_golden(record_property):
    def body(data):
        rng = _rng(data)
        stride = data.draw(st.sampled_from([1, 2]))
        h, w = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7))
        cin, cout = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 40))
        x = g.random_activations(rng, (h, w, cin))
        wt = g.random_weights(rng, (cout, cin))
        lo, hi = _lohi(data)
        adc = g.choose_adc(g.pointwise_acc(x, wt, stride), lo, hi) + (lo, hi)
        lm = mp.map_pointwise(x.shape, wt, adc, stride=stride)
        assert (ex.run_layer(lm, x) == g.pointwise(x, wt, *adc, stride=stride)).all()
        wf = g.random_weights(rng, (cout, h * w * cin))
        if wf.shape[1] <= 256:
            adc = g.choose_adc(g.fc_acc(x, wf), lo, hi) + (lo, hi)
            fm = mp.map_fc(x.shape, wf, adc)
            assert (ex.run_layer(fm, x) == g.fully_connected(x, wf, *adc)).all()
    _run_prop("pointwise_fc", body, record_property)


def test_depthwise_executor_matches_golden(record_property):
    def body(data):
        rng = _rng(data)
        k = data.draw(st.sampled_from([3, 5]))
        stride = data.draw(st.sampled_from([1, 2]))
        pad = data.draw(st.sampled_from([0, k // 2]))
        lo_hw = max(1, k - 2 * pad)
        h, w = data.draw(st.integers(lo_hw, 7)), data.draw(st.integers(lo_hw, 7))
        c = data.draw(st.integers(1, 27))
        c_job = data.draw(st.sampled_from([1, 3, 4, 8, 16]))
        layout = data.draw(st.sampled_from(["diagonal", "packed"]))
        x = g.random_activations(rng, (h, w, c))
        wt = g.random_weights(rng, (c, k, k))
        lo, hi = _lohi(data)
        xp = g.pad_hwc(x, pad)
        adc = g.choose_adc(g.depthwise_acc(xp, wt, stride), lo, hi) + (lo, hi)
        lm = mp.map_depthwise(x.shape, wt, adc, c_job=c_job, stride=stride, pad=pad, layout=layout)
        rows = max(256, lm.footprint[2])
        y = ex.run_layer(lm, x, rows=rows)
        assert (y == g.depthwise(xp, wt, *adc, stride=stride)).all()
        assert len(lm.jobs) == (2 if c % c_job and c > c_job else 1)
    _run_prop("depthwise", body, record_property)


def test_bottleneck_small_shapes(record_property):
    def body(data):
        h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
        c, t = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 6))
        mapping = data.draw(st.sampled_from(["HYBRID", "IMA8", "IMA16"]))
        d = g.make_bottleneck(data.draw(st.integers(0, 2**32 - 1)), h, w, c, t)
        bm = mp.map_bottleneck(d.x.shape, d.w_exp, d.w_dw, d.w_proj, d.adc_exp, d.adc_dw,
                               d.adc_proj, mapping=mapping)
        out, _, _ = ex.run_bottleneck(bm, d.x)
        ref = g.bottleneck(d)
        for key in ("e", "d", "p", "y"):
            assert (out[key] == ref[key]).all(), key
    _run_prop("bottleneck", body, record_property, max_examples=50)


@pytest.mark.parametrize("mapping", ["HYBRID", "IMA8", "IMA16"])
def test_default_bottleneck(mapping):
    print(f"IMA_SEED={SEED}")
    d = g.make_bottleneck(SEED)
    bm = mp.map_bottleneck(d.x.shape, d.w_exp, d.w_dw, d.w_proj, d.adc_exp, d.adc_dw, d.adc_proj,
                           mapping=mapping)
    out, _, xbar = ex.run_bottleneck(bm, d.x)
    ref = g.bottleneck(d)
    for key in ("e", "d", "p", "y"):
        assert (out[key] == ref[key]).all(), key
    assert xbar.devices_programmed == bm.devices


def test_nonideal_bottleneck_is_close_to_golden():
    print(f"IMA_SEED={SEED}")
    d = g.make_bottleneck(SEED, 8, 8, 16, 6)
    bm = mp.map_bottleneck(d.x.shape, d.w_exp, d.w_dw, d.w_proj, d.adc_exp, d.adc_dw, d.adc_proj,
                           mapping="IMA16")
    out, _, _ = ex.run_bottleneck(bm, d.x, ideal=False, seed=SEED, t_inference=3600.0,
                                  drift_compensation=True)
    ref = g.bottleneck(d)
    err = out["e"].astype(float) - ref["e"]
    assert 0 < np.sqrt((err ** 2).mean()) < 0.25 * ref["e"].std()


def test_low_byte_of_signed_output_is_written():
    xb = Crossbar(4, 4)
    xb.program(0, 0, np.array([[-7, 7]], dtype=np.int8))
    img = np.zeros(64, dtype=np.uint8)
    img[0] = 10
    job = LayerJob(0, 8, Walk3D(1), Walk3D(2), 0, 0, 1, 2, adc_lo=-128, adc_hi=127)
    ex.execute(img, xb, [job])
    assert img[8:10].tolist() == [(256 - 70), 70]


def test_executor_errors():
    xb = Crossbar(4, 4)
    job = LayerJob(0, 8, Walk3D(2), Walk3D(2), 3, 0, 2, 2)
    with pytest.raises(ValueError, match="off the 4-row array"):
        ex.execute(np.zeros(64, np.uint8), xb, [job])
    job = LayerJob(60, 8, Walk3D(2), Walk3D(2), 0, 0, 2, 2,
                   loops=(JobLoop(3, src_stride=2), JobLoop(), JobLoop()))
    with pytest.raises(ValueError, match="outside"):
        ex.execute(np.zeros(64, np.uint8), xb, [job])
    with pytest.raises(ValueError, match="np.uint8"):
        ex.execute(np.zeros(64, np.int16), xb, [job])
    with pytest.raises(ValueError, match="holds shape"):
        lm = mp.map_pointwise((2, 2, 3), np.zeros((2, 3), np.int8), (1, 0, 0, 255))
        ex.run_layer(lm, np.zeros((2, 2, 4), np.uint8))


# --------------------------------------------------------------------- multi-array IMA
def test_layer_split_across_arrays_matches_golden(record_property):
    """A pointwise and a conv layer split by columns over 3 arrays (tiles at random positions,
    random array order) equal the golden model, and each array holds exactly its tiles' weights
    (the program and the run both pick ``xbars[array]``)."""
    def body(data):
        rng = _rng(data)
        rows, cols, n = 64, 24, 3
        kind = data.draw(st.sampled_from(["pointwise", "conv"]), label="kind")
        cin = data.draw(st.integers(1, 7), label="cin")
        k = 3 if kind == "conv" else 1
        widths = [data.draw(st.integers(1, cols), label=f"w{i}") for i in range(n)]
        order = data.draw(st.permutations(range(n)), label="order")
        tiles, c0 = [], 0
        for wd, a in zip(widths, order, strict=True):
            tiles.append(mp.ColumnTile(a, int(rng.integers(0, rows - k * k * cin + 1)),
                                       int(rng.integers(0, cols - wd + 1)), c0, wd))
            c0 += wd
        h, wdt = data.draw(st.integers(1, 4), label="h"), data.draw(st.integers(1, 4), label="w")
        x = g.random_activations(rng, (h, wdt, cin))
        if kind == "conv":
            w = g.random_weights(rng, (c0, 3, 3, cin))
            xp = g.pad_hwc(x, 1)
            m, s = g.choose_adc(g.conv2d_acc(xp, w, 1), 0, 255)
            ref = g.conv2d(xp, w, m, s, 0, 255, 1)
            lm = mp.map_conv((h, wdt, cin), w, (m, s, 0, 255), pad=1, tiles=tiles)
        else:
            w = g.random_weights(rng, (c0, cin))
            m, s = g.choose_adc(g.pointwise_acc(x, w, 1), 0, 255)
            ref = g.pointwise(x, w, m, s, 0, 255, 1)
            lm = mp.map_pointwise((h, wdt, cin), w, (m, s, 0, 255), tiles=tiles)
        xbars = [Crossbar(rows, cols) for _ in range(n)]
        out = ex.run_layer(lm, x, xbars)
        assert np.array_equal(out, ref)
        for a in range(n):
            want = sum(int(np.count_nonzero(p.weights)) for p in lm.placements if p.array == a)
            assert np.count_nonzero(xbars[a].weights) == want
    _run_prop("split_across_arrays", body, record_property, max_examples=40)


def test_execute_rejects_a_missing_array():
    layer = LayerJob(src_addr=0, dst_addr=64, src=Walk3D(4), dst=Walk3D(4), row=0, col=0,
                     height=4, width=4, array=2)
    image = np.zeros(256, np.uint8)
    with pytest.raises(ValueError, match="array 2 does not exist: the IMA has 2"):
        ex.execute(image, [Crossbar(8, 8), Crossbar(8, 8)], layer)
    with pytest.raises(ValueError, match="array 2 does not exist: the IMA has 1"):
        ex.execute(image, Crossbar(8, 8), layer)
