"""sim_models.nets (the zoo) and sim_models.nets.builder: the six networks' parameter and MAC
counts against the published figures (torchvision's model tables, Howard et al. 2017), their
structure against the papers' tables, shape-only graphs (same counts, no weights, MobileNetV2's
seeded graphs unchanged), and the builders' errors."""

import numpy as np
import pytest

from sim_models.graph import KINDS, WEIGHT_KINDS, row_pieces
from sim_models.nets import PUBLISHED, ZOO, count_check, documented_extra
from sim_models.nets.builder import NetSpec, calibration_input
from sim_models.nets.mobilenetv2 import mobilenetv2, mobilenetv2_graph, weight_counts

NAMES = ("mobilenetv2", "mobilenetv1", "resnet18", "resnet50", "vgg16", "squeezenet1_1")


@pytest.fixture(scope="module")
def full():
    """Every zoo network at 224x224, width 1.0, 1000 classes, shape-only."""
    return {name: ZOO[name](resolution=224, weights=False) for name in NAMES}


def test_zoo_has_the_six():
    assert tuple(ZOO) == NAMES and set(PUBLISHED) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_counts_match_the_published_figures(full, name):
    """Our weights plus what the source counts and our graph folds away (batch norm's scale and
    shift per channel and the classifier's bias, or one bias per output channel) equal the
    published parameter count -- exactly for torchvision's, within the printed digits for the
    paper's 4.2 M; MACs equal the published figure to its printed digits."""
    r = count_check(name, full[name])
    pub = PUBLISHED[name]
    print(f"{name}: ours {r['params']:,} + {pub.extra} {r['extra']:,} = {r['params'] + r['extra']:,} vs "
          f"{pub.params:,.0f} ({pub.source}); MACs {r['macs']:,} vs {pub.macs:,.0f}")
    assert r["params_ok"] and r["macs_ok"], r
    if pub.params_tol == 0:
        assert r["params"] + r["extra"] == pub.params
    assert r["params"] < pub.params + pub.params_tol
    assert r["extra"] < 0.02 * r["params"]             # BN / biases: 1.0 % at most (MobileNetV2)


def test_documented_extra_by_hand():
    """VGG-16's biases are its output channels: 13 convs + 4096 + 4096 + 1000; ResNet-18's batch
    norms: two per channel of 20 convs (conv1 64, 4x64, 4x128 + 128, 4x256 + 256, 4x512 + 512),
    plus the fc's 1000 biases."""
    vgg = ZOO["vgg16"](weights=False)
    convs = 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512
    assert documented_extra(vgg, "bias") == convs + 4096 + 4096 + 1000 == 13_416
    r18 = ZOO["resnet18"](weights=False)
    chans = 64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512
    assert documented_extra(r18, "bn+fc_bias") == 2 * chans + 1000 == 10_600
    with pytest.raises(ValueError, match="extra"):
        documented_extra(vgg, "bn")


#: Layers per kind at 224 (from the papers' tables: He et al. Table 1, Simonyan & Zisserman
#: Table 1 D, torchvision's squeezenet1_1, Howard et al. Table 1, Sandler et al. Table 2).
KIND_COUNTS = {
    "resnet18": dict(conv=17, pointwise=3, add=8, maxpool=1, avgpool=1, fc=1),
    "resnet50": dict(conv=17, pointwise=36, add=16, maxpool=1, avgpool=1, fc=1),
    "vgg16": dict(conv=13, maxpool=5, fc=3),
    "squeezenet1_1": dict(conv=9, pointwise=17, concat=8, maxpool=3, avgpool=1),
    "mobilenetv1": dict(conv=1, depthwise=13, pointwise=13, avgpool=1, fc=1),
    "mobilenetv2": dict(conv=1, pointwise=34, depthwise=17, add=10, avgpool=1, fc=1),
}


@pytest.mark.parametrize("name", NAMES)
def test_layers_per_kind_and_feature_maps(full, name):
    g = full[name]
    counts = {k: sum(lay.kind == k for lay in g.layers) for k in KINDS}
    assert {k: v for k, v in counts.items() if v} == KIND_COUNTS[name]
    assert g.layers[-1].out_shape == (1, 1, 1000)
    sizes = sorted({lay.out_shape[0] for lay in g.layers if lay.kind in ("conv", "pointwise")}, reverse=True)
    assert sizes == {"resnet18": [112, 56, 28, 14, 7], "resnet50": [112, 56, 28, 14, 7],
                     "vgg16": [224, 112, 56, 28, 14], "squeezenet1_1": [111, 55, 27, 13],
                     "mobilenetv1": [112, 56, 28, 14, 7], "mobilenetv2": [112, 56, 28, 14, 7]}[name]


def test_network_details(full):
    """Spot checks against the tables: ResNet-50's bottleneck 3x3 carries the stride (V1.5) and
    the projection shortcut reads the block input; VGG's fc1 reads 7x7x512 = 25,088 features;
    SqueezeNet's fire concatenates expand1x1 then expand3x3; MobileNetV1's last depth-wise has
    stride 1."""
    r50 = full["resnet50"]
    assert [r50.layer(f"s2b1_conv{i}").stride for i in (1, 2, 3)] == [1, 2, 1]
    assert r50.layer("s2b1_down").inputs == ("s1b3_add",) and r50.layer("s2b1_down").stride == 2
    assert r50.layer("s2b1_add").inputs == ("s2b1_down", "s2b1_conv3")
    assert r50.layer("s2b2_add").inputs == ("s2b1_add", "s2b2_conv3")
    assert r50.layer("s2b1_conv3").adc[2:] == (-128, 127) and r50.layer("s2b1_down").adc[2:] == (0, 255)
    assert full["resnet18"].layer("maxpool").out_shape == (56, 56, 64)
    assert full["vgg16"].layer("fc1").xbar_shape == (25_088, 4096)
    fire = full["squeezenet1_1"].layer("fire9_concat")
    assert fire.inputs == ("fire9_expand1x1", "fire9_expand3x3") and fire.out_shape == (13, 13, 512)
    assert full["mobilenetv1"].layer("dw13").stride == 1 and full["mobilenetv1"].layer("dw12").stride == 2


@pytest.mark.parametrize("name", NAMES)
def test_shape_only_equals_the_weighted_graph(name):
    """Same layers, clamps, row splits and counts with and without weights (small version);
    no arrays in the shape-only graph; the weighted one's weights have the declared shapes."""
    kw = dict(resolution=32, width=0.25, classes=10, seed=2, rows=64)
    a, b = ZOO[name](**kw), ZOO[name](**kw, weights=False)
    assert not a.shape_only and b.shape_only
    fields = ("name", "kind", "inputs", "in_shape", "out_shape", "kernel", "stride", "pad", "w_bits",
              "row_splits", "block", "weight_shape", "xbar_shape", "n_params", "macs")
    for x, y in zip(a.layers, b.layers, strict=True):
        assert [getattr(x, f) for f in fields] == [getattr(y, f) for f in fields], x.name
        assert (x.adc is None) == (y.adc is None) and (x.adc is None or x.adc[2:] == y.adc[2:])
        assert y.weights is None and (x.weights is None) == (x.kind not in WEIGHT_KINDS)
        if x.row_splits:
            assert row_pieces(x) == row_pieces(y) and y.partial_adc == (1, 0, -128, 127)


def test_mobilenetv2_shape_only_and_layer_list(full):
    """The shape-only MobileNetV2 has the layer list's counts (weights only, no biases)."""
    layers = mobilenetv2()
    assert full["mobilenetv2"].n_params == weight_counts(layers)["total"] == 3_469_760
    g = mobilenetv2_graph(resolution=32, width=0.35, classes=10, seed=5)
    assert g.name == "mobilenetv2_32_w0.35" and g.layer("b3_add").inputs == ("b2_project", "b3_project")


@pytest.mark.parametrize("name", NAMES)
def test_seeded_and_calibrated(name):
    """Same seed, same weights and transfers; another seed, other weights; the output of the
    calibration image uses its 8-bit range (at least half the top code)."""
    from sim_models.graph import run_golden
    kw = dict(resolution=32, width=0.25, classes=10, rows=256)
    a, b, c = ZOO[name](**kw, seed=4), ZOO[name](**kw, seed=4), ZOO[name](**kw, seed=5)
    first = next(lay.name for lay in a.layers if lay.weights is not None)
    assert np.array_equal(a.layer(first).weights, b.layer(first).weights)
    assert not np.array_equal(a.layer(first).weights, c.layer(first).weights)
    assert [lay.adc for lay in a.layers] == [lay.adc for lay in b.layers]
    run = run_golden(a, calibration_input(32, 4))
    for lay in a.layers:
        y = np.abs(run.tensors[lay.name].astype(np.int64))
        assert y.max() >= (255 if lay.out_lo == 0 else 127) // 2, lay.name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kw,msg", [
    (dict(resolution=48), "resolution must be a multiple of 32"),
    (dict(resolution=0), "resolution must be a positive integer"),
    (dict(classes=0), "classes must be a positive integer"),
    (dict(width=0), r"width must be a number in \(0, 4\]"),
    (dict(weights="no"), "weights must be True or False"),
])
def test_builder_errors_name_the_parameter(name, kw, msg):
    with pytest.raises(ValueError, match=msg):
        ZOO[name](**{"resolution": 32, **kw})


def test_netspec_refuses_a_name_twice():
    net = NetSpec("t", (8, 8, 3))
    net.conv("a", 4, 3, 1, 1)
    with pytest.raises(ValueError, match="layer a: name used twice"):
        net.conv("a", 4, 1)
