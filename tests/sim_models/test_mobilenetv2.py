"""Tests of sim_models.nets.mobilenetv2: the layer list against Sandler et al. 2018, Table 2
(channels, strides, block count, chaining of shapes), weight and MAC counts recomputed
independently from the table, and the crossbar footprints of the IMA layers."""

import numpy as np
import pytest

from sim_models.graph import run_golden
from sim_models.nets import MODELS, ZOO
from sim_models.nets.mobilenetv2 import (
    GAROFALO2022,
    SANDLER2018,
    TABLE2,
    calibration_input,
    mac_counts,
    make_divisible,
    mobilenetv2,
    mobilenetv2_graph,
    weight_counts,
    xbar_matrices,
)

LAYERS = mobilenetv2()


def test_registered_as_a_model():
    assert MODELS["mobilenetv2"]() == LAYERS
    assert ZOO["mobilenetv2"] is mobilenetv2_graph


def test_shapes_chain_from_input_to_classes():
    assert LAYERS[0].in_shape == (224, 224, 3)
    assert LAYERS[-1].out_shape == (1, 1, 1000)
    for a, b in zip(LAYERS, LAYERS[1:], strict=False):
        assert a.out_shape == b.in_shape, (a.name, b.name)
    names = [x.name for x in LAYERS]
    assert len(set(names)) == len(names)


def test_table2_channels_strides_and_blocks():
    assert [(x.name, x.out_shape) for x in LAYERS[:1]] == [("conv1", (112, 112, 32))]
    # one row of Table 2 per (t, c, n, s): n blocks, the first with stride s, out channels c
    projects = [x for x in LAYERS if x.name.endswith("_project")]
    assert len(projects) == 17 == sum(n for _, _, n, _ in TABLE2)
    expect, res = [], (224 // 2)
    for _t, c, n, s in TABLE2:
        for i in range(n):
            res //= s if i == 0 else 1
            expect.append((res, res, c))
    assert [p.out_shape for p in projects] == expect
    for b in range(1, 18):
        blk = [x for x in LAYERS if x.block == b]
        kinds = [x.kind for x in blk]
        t = blk[1].in_shape[2] // blk[0].in_shape[2] if kinds[0] == "pointwise" else 1
        assert kinds == (["depthwise", "pointwise"] if b == 1 else ["pointwise", "depthwise", "pointwise"])
        assert t == (1 if b == 1 else 6)
        dw = blk[-2]
        assert dw.kernel == 3 and dw.pad == 1 and dw.in_shape[2] == dw.out_shape[2]
    strides = [x.stride for x in LAYERS if x.kind == "depthwise"]
    assert strides.count(2) == 4 and LAYERS[0].stride == 2               # 224 -> 7: five halvings
    assert [x.name for x in LAYERS[-3:]] == ["conv_last", "avgpool", "fc"]
    assert LAYERS[-3].out_shape == (7, 7, 1280)


def test_residual_exactly_where_stride_1_and_channels_match():
    got = [x.block for x in LAYERS if x.residual]
    assert got == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]
    for x in LAYERS:
        if x.residual:
            first = next(y for y in LAYERS if y.block == x.block)
            assert first.in_shape == x.out_shape


def test_weight_counts_recomputed_from_table2():
    """An independent recount from Table 2 alone (no NetLayer): conv1, then per block expand
    C*tC (if t > 1), depth-wise 9*tC, project tC*c; conv_last, fc."""
    conv, pw, dw = 3 * 3 * 3 * 32, 0, 0
    c = 32
    for t, co, n, _ in TABLE2:
        for _ in range(n):
            e = t * c
            pw += (c * e if t > 1 else 0) + e * co
            dw += 9 * e
            c = co
    pw += 320 * 1280
    w = weight_counts(LAYERS)
    assert (w["conv"], w["pointwise"], w["depthwise"], w["fc"]) == (conv, pw, dw, 1280 * 1000)
    assert w["total"] == 3_469_760                      # Sandler et al.: "3.4 M"
    assert w["total"] - w["fc"] == 2_189_760            # Garofalo et al.: "2.19 M"
    assert round((w["total"] - w["fc"]) / 1e6, 2) == GAROFALO2022["params"] / 1e6
    assert abs(w["total"] - SANDLER2018["params"]) / SANDLER2018["params"] < 0.03


def test_mac_counts():
    m = mac_counts(LAYERS)
    assert m["conv"] == 112 * 112 * 864 and m["fc"] == 1_280_000
    assert m["total"] == 300_774_272                    # Sandler et al.: "300 M"
    assert m["total"] - m["depthwise"] == 280_057_856   # the paper's 281.65 M is 0.57 % above
    assert sum(x.macs for x in LAYERS) == m["total"]


def test_xbar_footprints():
    shapes = {x.name: x.xbar_shape for x in LAYERS}
    assert shapes["conv1"] == (27, 32)                  # K*K*C_in rows, C_out columns
    assert shapes["b2_expand"] == (16, 96) and shapes["b17_project"] == (960, 320)
    assert shapes["conv_last"] == (320, 1280) and shapes["fc"] == (1280, 1000)
    assert shapes["b5_dw"] is None and shapes["avgpool"] is None
    mats = xbar_matrices(LAYERS)
    assert len(mats) == 35 and all(n != "fc" for n, _, _ in mats)
    assert sum(r * c for _, r, c in mats) == 2_125_536
    assert xbar_matrices(LAYERS, fc=True)[-1] == ("fc", 1280, 1000)


@pytest.mark.parametrize("kwargs,name", [({"resolution": 100}, "resolution"), ({"classes": 0}, "classes")])
def test_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        mobilenetv2(**kwargs)


def test_other_resolution_and_classes():
    small = mobilenetv2(resolution=96, classes=10)
    assert small[-3].out_shape == (3, 3, 1280) and small[-1].out_shape == (1, 1, 10)


# --- width multiplier and the quantised graph ----------------------------------------------------

def test_width_multiplier_channels():
    """Width 0.35 by hand from Table 2 and the rounding rule (nearest multiple of 8, at least 8,
    one step up when rounding down loses more than 10 %): 32*0.35 = 11.2 -> 8 loses 29 % -> 16;
    16*0.35 = 5.6 -> 8; 24*0.35 = 8.4 -> 8; 32 -> 11.2 -> 16; 64 -> 22.4 -> 24; 96 -> 33.6 -> 32;
    160 -> 56; 320 -> 112; the last conv keeps 1280."""
    small = mobilenetv2(resolution=96, width=0.35)
    assert small[0].out_shape == (48, 48, 16)
    outs = [x.out_shape[2] for x in small if x.name.endswith("_project")]
    assert sorted(set(outs)) == [8, 16, 24, 32, 56, 112]
    assert outs[:4] == [8, 8, 8, 16] and outs[-1] == 112
    assert small[-3].out_shape == (3, 3, 1280)
    for a, b in zip(small, small[1:], strict=False):
        assert a.out_shape == b.in_shape, (a.name, b.name)
    assert [x.block for x in small if x.residual] == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]
    assert mobilenetv2(width=1.0) == LAYERS and mobilenetv2(width=1) == LAYERS
    assert mobilenetv2(width=1.4)[-3].out_shape[2] == 1792       # 1280 * 1.4, grows above 1.0
    assert [make_divisible(v) for v in (11.2, 5.6, 8.4, 33.6, 56.0, 44.8)] == [16, 8, 8, 32, 56, 48]


@pytest.mark.parametrize("width", [0, -1, 5, "1", True])
def test_bad_width(width):
    with pytest.raises(ValueError, match="width"):
        mobilenetv2(width=width)


@pytest.fixture(scope="module")
def small_graph():
    return mobilenetv2_graph(resolution=96, width=0.35, classes=10, seed=3)


def test_graph_structure_follows_the_layer_list(small_graph):
    g = small_graph
    net = mobilenetv2(resolution=96, classes=10, width=0.35)
    weighted = [lay for lay in g.layers if lay.kind != "add"]
    assert [(x.name, x.kind, x.in_shape, x.out_shape, x.kernel, x.stride, x.pad) for x in net] == \
        [(x.name, x.kind, x.in_shape, x.out_shape, x.kernel, x.stride, x.pad) for x in weighted]
    assert g.n_params == weight_counts(net)["total"] and g.macs == mac_counts(net)["total"]
    adds = [lay for lay in g.layers if lay.kind == "add"]
    assert [a.name for a in adds] == [f"b{x.block}_add" for x in net if x.residual]
    for a in adds:
        proj = g.layer(f"b{a.block}_project")
        first = next(x for x in g.layers if x.block == a.block)
        assert a.inputs == (first.inputs[0], proj.name)               # (block input, projection)
        assert proj.adc[2:] == (-128, 127)                            # int8 into the add only
    readers = {t for lay in g.layers if lay.kind != "add" for t in lay.inputs}
    for lay in g.layers:
        if lay.name in readers:
            assert lay.out_lo == 0 and (lay.adc is None or lay.adc[3] == 255), lay.name
    assert g.layer("fc").adc[2:] == (-128, 127) and g.layer("avgpool").kernel == 3
    for lay in g.layers:
        if lay.weights is not None:
            lim = 127 if lay.kind == "depthwise" else 7
            assert lay.w_bits == (8 if lay.kind == "depthwise" else 4)
            assert -lim - (lim == 127) <= lay.weights.min() and lay.weights.max() <= lim


def test_graph_row_splits_at_array_rows(small_graph):
    for lay in small_graph.layers:
        rows = lay.xbar_shape[0] if lay.xbar_shape else 0
        assert lay.row_splits == tuple(range(256, rows, 256)), lay.name
    split = [lay.name for lay in small_graph.layers if lay.row_splits]
    assert split == ["b15_project", "b16_project", "b17_project", "fc"]      # 336, 336, 336, 1280 rows
    assert mobilenetv2_graph(resolution=32, width=0.35, classes=10, rows=128).layer("fc").row_splits \
        == tuple(range(128, 1280, 128))


def test_graph_is_seeded_and_calibrated(small_graph):
    """Same seed, same graph; the calibration input's activations use the 8-bit range: every layer
    reaches at least half its top code, and every calibrated one (not the adds, whose clamp is
    fixed) clamps at most 5 % of its outputs to the top (the 99th percentile sets the scale)."""
    again = mobilenetv2_graph(resolution=96, width=0.35, classes=10, seed=3)
    for a, b in zip(small_graph.layers, again.layers, strict=True):
        assert a.adc == b.adc and a.partial_adc == b.partial_adc
        assert a.weights is None or np.array_equal(a.weights, b.weights)
    other = mobilenetv2_graph(resolution=96, width=0.35, classes=10, seed=4)
    assert not np.array_equal(other.layer("conv1").weights, small_graph.layer("conv1").weights)
    run = run_golden(small_graph, calibration_input(96, 3))
    for lay in small_graph.layers:
        y = run.tensors[lay.name].astype(np.int64)
        hi = 255 if lay.out_lo == 0 else 127
        clamped = int(np.sum(y == hi))                  # at most 5 %, or one of a few (the 10 logits)
        assert y.max() >= hi // 2 and (lay.kind == "add" or clamped <= max(1, 0.05 * y.size)), lay.name
        if lay.name in run.partials:
            p = np.concatenate([q.reshape(-1) for q in run.partials[lay.name]]).astype(np.int64)
            assert np.abs(p).max() >= 64 and np.mean(np.abs(p) >= 127) <= 0.05, lay.name


def test_width_035_counts_recomputed_by_hand():
    """Weights and MACs of width 0.35 at 224 recounted from the hand-rounded channels of
    test_width_multiplier_channels (first conv 16; rows 8, 8, 16, 24, 32, 56, 112; last 1280)."""
    chans = (8, 8, 16, 24, 32, 56, 112)
    res, c = 112, 16
    weights, macs = 27 * 16, 112 * 112 * 27 * 16
    for (t, _, n, s), co in zip(TABLE2, chans, strict=True):
        for i in range(n):
            e, ro = t * c, res // (s if i == 0 else 1)
            weights += (c * e if t > 1 else 0) + 9 * e + e * co
            macs += res * res * (c * e if t > 1 else 0) + ro * ro * (9 * e + e * co)
            res, c = ro, co
    weights += 112 * 1280 + 1280 * 1000
    macs += 7 * 7 * 112 * 1280 + 1280 * 1000
    layers = mobilenetv2(width=0.35)
    assert (weight_counts(layers)["total"], mac_counts(layers)["total"]) == (weights, macs)
    assert (weights, macs) == (1_662_048, 59_285_808)                 # measured: 1.66 M, 59.3 MMAC
