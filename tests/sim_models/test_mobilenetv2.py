"""Tests of sim_models.nets.mobilenetv2: the layer list against Sandler et al. 2018, Table 2
(channels, strides, block count, chaining of shapes), weight and MAC counts recomputed
independently from the table, and the crossbar footprints of the IMA layers."""

import pytest

from sim_models.nets import MODELS
from sim_models.nets.mobilenetv2 import (
    GAROFALO2022,
    SANDLER2018,
    TABLE2,
    mac_counts,
    mobilenetv2,
    weight_counts,
    xbar_matrices,
)

LAYERS = mobilenetv2()


def test_registered_as_a_model():
    assert MODELS["mobilenetv2"]() == LAYERS


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
