"""sim_models.onnx_io against an independent reference: onnxruntime runs each weight layer's ONNX
node (plus the Flatten / Reshape in front of it) as a one-node float model on the same
integer-valued input tensor as our golden run, and must reproduce ``GoldenRun.acc`` exactly (all
partial sums below 2**24, asserted). Graphs: a hand-built ONNX graph covering every supported
operator, and a reduced MobileNetV2 (96x96, width 0.35) exported from the zoo; plus the round
trip zoo -> export -> import, and one test per import error."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from sim_models.graph import row_pieces, run_golden
from sim_models.nets.mobilenetv2 import calibration_input, mobilenetv2_graph
from sim_models.onnx_io import OnnxImportError, export_onnx, import_onnx
from tb.build.runner import pick_seed

F32_EXACT = 1 << 24


# --- the reference: one ONNX node in onnxruntime -------------------------------------------------

def _one_node_acc(model: onnx.ModelProto, node_name: str, x_hwc: np.ndarray) -> np.ndarray:
    """Run node ``node_name`` of ``model`` (with the Flatten / Reshape / Constant nodes that feed
    its data input) in onnxruntime on ``x_hwc`` (fed NCHW, or ``[1, F]`` where the ONNX tensor is
    2-D); returns the output as HWC ``(H, W, C)`` float64."""
    g = onnx.shape_inference.infer_shapes(model).graph
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in [*g.input, *g.value_info, *g.output]}
    producer = {o: n for n in g.node for o in n.output}
    inits = {t.name: t for t in g.initializer}
    node = next(n for n in g.node if n.name == node_name)
    nodes, entry = [node], node.input[0]
    while entry in producer and producer[entry].op_type in ("Flatten", "Reshape"):
        nodes.insert(0, producer[entry])
        entry = producer[entry].input[0]
    needed = {t for n in nodes for t in n.input[1:] if t}
    nodes = [producer[t] for t in needed if t in producer] + nodes               # Constant nodes
    x = np.asarray(x_hwc, dtype=np.float32)
    feed = x.transpose(2, 0, 1)[None] if ranks[entry] == 4 else x.reshape(1, -1)
    sub = helper.make_graph(
        nodes, "one_node", [helper.make_tensor_value_info(entry, TensorProto.FLOAT, list(feed.shape))],
        [helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None)],
        [inits[t] for t in needed if t in inits])
    m = helper.make_model(sub, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    y = sess.run(None, {entry: feed})[0].astype(np.float64)
    return y[0].transpose(1, 2, 0) if y.ndim == 4 else y.reshape(1, 1, -1)


def _check_against_ort(model, graph, run, names=None):
    """Every weight layer's accumulator equals onnxruntime's; returns (layers, values) checked."""
    layers = values = 0
    for lay in graph.layers:
        if lay.weights is None:
            continue
        x = run.tensors[lay.inputs[0]]
        rows = lay.xbar_shape[0] if lay.xbar_shape else lay.kernel ** 2
        bound = rows * 255 * int(np.abs(lay.weights.astype(np.int64)).max())
        assert bound < F32_EXACT, lay.name                # every partial sum exact in float32
        acc = run.acc[lay.name]
        assert np.abs(acc).max() < F32_EXACT
        got = _one_node_acc(model, (names or {}).get(lay.name, lay.name), x)
        assert got.shape == acc.shape, lay.name
        assert np.array_equal(got, acc.astype(np.float64)), lay.name
        layers, values = layers + 1, values + acc.size
    return layers, values


def _check_partials_against_ort(model, graph, run):
    """Each piece of a row-split pointwise / fc layer (rows = input channels there) as a one-node
    model on the input's channel slice and the exported weights' column slice; returns pieces."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    pieces = 0
    for lay in graph.layers:
        if not lay.row_splits:
            continue
        assert lay.kind == "pointwise" or (lay.kind == "fc" and lay.in_shape[:2] == (1, 1)), lay.name
        w = inits[f"{lay.name}_w"]
        for (r0, r1), want in zip(row_pieces(lay), run.partial_acc[lay.name], strict=True):
            x = run.tensors[lay.inputs[0]][:, :, r0:r1].astype(np.float32)
            if lay.kind == "pointwise":
                node = helper.make_node("Conv", ["x", "w"], ["y"])
                feed, wt = x.transpose(2, 0, 1)[None], w[:, r0:r1]
            else:
                node = helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)
                feed, wt = x.reshape(1, -1), w[:, r0:r1]
            g = helper.make_graph([node], "piece", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                                list(feed.shape))],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                  [numpy_helper.from_array(np.ascontiguousarray(wt), "w")])
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
            m.ir_version = 8
            y = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]) \
                .run(None, {"x": feed})[0]
            y = y[0].transpose(1, 2, 0) if y.ndim == 4 else y.reshape(1, 1, -1)
            assert np.array_equal(y.astype(np.float64), want.astype(np.float64)), (lay.name, r0)
            pieces += 1
    return pieces


# --- a hand-built graph with every supported operator ------------------------------------------

def _hand_model(rng, *, node_changes=None, extra_inits=()):
    """image [N, 3, 12, 12] -> conv 3x3 s2 (+ zero bias) -> Relu -> pw -> Clip(0, 6) -> dw 3x3 ->
    Relu -> pj (linear) -> Add(pj, conv) -> Relu -> AveragePool 2 -> Reshape [1, -1] (Constant)
    -> MatMul -> Add(zero bias) -> Relu -> Reshape [1, 20, 1, 1] -> pw2 -> Relu ->
    GlobalAveragePool -> Flatten -> Gemm (transB, zero C): the logits, linear."""
    def w(shape, lim=7):
        return numpy_helper.from_array(rng.integers(-lim, lim + 1, shape).astype(np.float32))
    inits = {"conv_w": w((8, 3, 3, 3)), "conv_b": np.zeros(8, np.float32), "pw_w": w((16, 8, 1, 1)),
             "dw_w": w((16, 1, 3, 3), 127), "pj_w": w((8, 16, 1, 1)), "mm_w": w((72, 20)),
             "mm_b": np.zeros(20, np.float32), "pw2_w": w((12, 20, 1, 1)), "fc_w": w((10, 12)),
             "fc_c": np.zeros(10, np.float32), "lo": np.float32(0), "hi": np.float32(6),
             "shape4": np.array([1, 20, 1, 1], np.int64), **dict(extra_inits)}
    nodes = [
        ("Conv", ["image", "conv_w", "conv_b"], ["c1"], "conv", dict(kernel_shape=[3, 3], strides=[2, 2],
                                                                    pads=[1, 1, 1, 1])),
        ("Relu", ["c1"], ["r1"], "conv_relu", {}),
        ("Conv", ["r1", "pw_w"], ["p1"], "pw", {}),
        ("Clip", ["p1", "lo", "hi"], ["q1"], "pw_clip", {}),
        ("Conv", ["q1", "dw_w"], ["d1"], "dw", dict(group=16, pads=[1, 1, 1, 1])),
        ("Relu", ["d1"], ["e1"], "dw_relu", {}),
        ("Conv", ["e1", "pj_w"], ["j1"], "pj", {}),
        ("Add", ["j1", "r1"], ["a1"], "res", {}),
        ("Relu", ["a1"], ["a2"], "res_relu", {}),
        ("AveragePool", ["a2"], ["ap"], "pool", dict(kernel_shape=[2, 2], strides=[2, 2])),
        ("Constant", [], ["shape2"], "shape2",
         dict(value=numpy_helper.from_array(np.array([1, -1], np.int64)))),
        ("Reshape", ["ap", "shape2"], ["fl"], "flat", {}),
        ("MatMul", ["fl", "mm_w"], ["m1"], "mm", {}),
        ("Add", ["m1", "mm_b"], ["m2"], "mm_bias", {}),
        ("Relu", ["m2"], ["m3"], "mm_relu", {}),
        ("Reshape", ["m3", "shape4"], ["m4"], "unflat", {}),
        ("Conv", ["m4", "pw2_w"], ["p2"], "pw2", {}),
        ("Relu", ["p2"], ["p3"], "pw2_relu", {}),
        ("GlobalAveragePool", ["p3"], ["gp"], "gap", {}),
        ("Flatten", ["gp"], ["gf"], "gap_flat", {}),
        ("Gemm", ["gf", "fc_w", "fc_c"], ["logits"], "fc", dict(transB=1)),
    ]
    for name, change in (node_changes or {}).items():
        nodes = [change(n) if n[3] == name else n for n in nodes]
    onodes = [helper.make_node(op, i, o, name=nm, **a) for op, i, o, nm, a in nodes if op]
    tensors = [v if isinstance(v, TensorProto) else numpy_helper.from_array(np.asarray(v), k)
               for k, v in inits.items()]
    for k, t in zip(inits, tensors, strict=True):
        t.name = k
    g = helper.make_graph(onodes, "hand", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                           ["N", 3, 12, 12])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], tensors)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def test_hand_built_graph_every_operator():
    seed = pick_seed()
    rng = np.random.default_rng(seed)
    model = _hand_model(rng)
    calib = rng.integers(0, 256, (3, 12, 12, 3), dtype=np.uint8)
    g = import_onnx(model, calib=calib, rows=32)
    assert [(x.name, x.kind, x.in_shape, x.out_shape) for x in g.layers] == [
        ("conv", "conv", (12, 12, 3), (6, 6, 8)), ("pw", "pointwise", (6, 6, 8), (6, 6, 16)),
        ("dw", "depthwise", (6, 6, 16), (6, 6, 16)), ("pj", "pointwise", (6, 6, 16), (6, 6, 8)),
        ("res", "add", (6, 6, 8), (6, 6, 8)), ("pool", "avgpool", (6, 6, 8), (3, 3, 8)),
        ("mm", "fc", (3, 3, 8), (1, 1, 20)), ("pw2", "pointwise", (1, 1, 20), (1, 1, 12)),
        ("gap", "avgpool", (1, 1, 12), (1, 1, 12)), ("fc", "fc", (1, 1, 12), (1, 1, 10))]
    assert g.layer("res").inputs == ("conv", "pj")           # the int8 projection read second
    assert g.layer("pj").adc[2:] == (-128, 127) and g.layer("fc").adc[2:] == (-128, 127)
    assert all(x.adc[2:] == (0, 255) for x in g.layers if x.name not in ("pj", "fc", "res"))
    assert g.layer("dw").w_bits == 8 and g.layer("mm").row_splits == (32, 64)
    # the fc's weights come back in our HWC order: column (y, x, c) is ONNX's (c, y, x)
    mm = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "mm_w"))
    assert np.array_equal(g.layer("mm").weights, mm.T.reshape(20, 8, 3, 3).transpose(0, 2, 3, 1)
                          .reshape(20, 72).astype(np.int8))
    x = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    run = run_golden(g, x)
    layers, values = _check_against_ort(model, g, run)
    print(f"seed {seed}: hand-built graph, {layers} layers, {values} accumulators equal onnxruntime")
    assert layers == 7 and values == 288 + 576 + 576 + 288 + 20 + 12 + 10


# --- the zoo's MobileNetV2, exported -------------------------------------------------------------

@pytest.fixture(scope="module")
def small_net():
    return mobilenetv2_graph(resolution=96, width=0.35, classes=100, seed=7)


def test_reduced_mobilenetv2_export_matches_onnxruntime(small_net, tmp_path):
    seed = pick_seed()
    path = tmp_path / "mnv2.onnx"
    model = export_onnx(small_net, path)
    assert path.exists() and onnx.load(path).graph.node[0].op_type == "Conv"
    ops = {n.op_type for n in model.graph.node}
    assert ops == {"Conv", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm"}
    x = np.random.default_rng(seed).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    run = run_golden(small_net, x)
    layers, values = _check_against_ort(model, small_net, run)
    print(f"seed {seed}: MobileNetV2 96x96 w0.35, {layers} weight layers, {values} accumulators "
          "equal onnxruntime")
    assert layers == sum(lay.weights is not None for lay in small_net.layers) == 53
    pieces = _check_partials_against_ort(model, small_net, run)
    print(f"seed {seed}: {pieces} row-split pieces' partial accumulators equal onnxruntime")
    assert pieces == 3 * 2 + 5                           # b15..b17_project 336 rows, fc 1280 rows
    # the whole float model also runs in onnxruntime (no requantisation: only that it loads and runs)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert sess.run(None, {"input": x.transpose(2, 0, 1)[None].astype(np.float32)})[0].shape == (1, 100)


def test_round_trip_zoo_export_import(small_net):
    """Same layer structure, weights and -- calibrated on the same input with the same rows -- the
    same row splits and ADC transfers."""
    back = import_onnx(export_onnx(small_net), calib=calibration_input(96, 7), rows=256,
                       name=small_net.name)
    assert back.name == small_net.name and back.input_shape == small_net.input_shape
    assert len(back.layers) == len(small_net.layers)
    for a, b in zip(small_net.layers, back.layers, strict=True):
        fields = ("name", "kind", "inputs", "in_shape", "out_shape", "kernel", "stride", "pad", "w_bits",
                  "row_splits", "adc", "partial_adc")
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields], a.name
        assert (a.weights is None and b.weights is None) or np.array_equal(a.weights, b.weights)


def test_float_weights_quantised_per_layer():
    """Non-integer weights: one scale per layer, max |w| -> 7 (4 bit) / 127 (depth-wise 8 bit)."""
    rng = np.random.default_rng(1)
    model = _hand_model(rng)
    for t in model.graph.initializer:
        if t.name in ("pw_w", "dw_w"):
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(0.013), t.name))
    g = import_onnx(model, calib=rng.integers(0, 256, (12, 12, 3), dtype=np.uint8))
    for name, lim in (("pw", 7), ("dw", 127)):
        src = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == f"{name}_w"))
        src = src.reshape(src.shape[0], -1).astype(np.float64)
        want = np.round(src / (np.abs(src).max() / lim))
        got = g.layer(name).weights.reshape(src.shape[0], -1)
        assert np.abs(got).max() == lim and np.array_equal(got, want), name


# --- errors ------------------------------------------------------------------------------------

def _replace(op=None, inputs=None, **attrs):
    def change(n):
        o, i, out, nm, a = n
        return (op or o, inputs or i, out, nm, {**a, **attrs})
    return change


@pytest.mark.parametrize("changes,inits,match", [
    ({"pw_clip": _replace("Sigmoid", ["p1"])}, {}, r"node 'pw_clip' \(Sigmoid\): unsupported operator"),
    ({"dw": _replace(inputs=["q1", "dw5"], pads=[2, 2, 2, 2])},
     {"dw5": np.ones((16, 1, 5, 5), np.float32)}, r"'dw' \(Conv\): depth-wise kernel 5x5"),
    ({"conv": _replace(dilations=[2, 2])}, {}, r"'conv' \(Conv\): dilations"),
    ({"conv": _replace(pads=[1, 1, 0, 0])}, {}, r"'conv' \(Conv\): pads \[1, 1, 0, 0\]"),
    ({"conv": _replace(strides=[3, 3])}, {}, r"'conv' \(Conv\): strides \[3, 3\]"),
    ({"conv": _replace(inputs=["image", "conv_w", "bias1"])}, {"bias1": np.ones(8, np.float32)},
     r"'conv' \(Conv\): non-zero bias: the IMA .* add no bias"),
    ({"fc": _replace(inputs=["gf", "fc_w", "bias1"])}, {"bias1": np.ones(10, np.float32)},
     r"'fc' \(Gemm\): non-zero bias"),
    ({"mm_bias": _replace(inputs=["m1", "bias1"])}, {"bias1": np.ones(20, np.float32)},
     r"'mm_bias' \(Add\): non-zero bias"),
    ({"pw": _replace(inputs=["r1", "pwg"], group=2)}, {"pwg": np.ones((16, 4, 1, 1), np.float32)},
     r"'pw' \(Conv\): group 2"),
    ({"pw_clip": _replace(inputs=["p1", "neg", "hi"])}, {"neg": np.float32(-1)},
     r"'pw_clip' \(Clip\): Clip with lower bound -1"),
    ({"res": _replace(inputs=["j1", "c1"])}, {}, r"'conv_relu' \(Relu\): its input also feeds"),
    ({"pool": _replace(strides=[1, 1])}, {}, r"'pool' \(AveragePool\): kernel \[2, 2\] with strides"),
])
def test_import_errors_name_the_node(changes, inits, match):
    model = _hand_model(np.random.default_rng(0), node_changes=changes, extra_inits=inits)
    with pytest.raises(OnnxImportError, match=match) as err:
        import_onnx(model, calib=np.zeros((12, 12, 3), np.uint8))
    assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


def test_corrupt_or_missing_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.onnx"
    good = export_onnx(mobilenetv2_graph(resolution=32, width=0.35, classes=10, rows=None))
    bad.write_bytes(good.SerializeToString()[:300])                 # truncated
    for path in (bad, tmp_path / "missing.onnx"):
        with pytest.raises(OnnxImportError, match=f"{path}: not a readable ONNX model") as err:
            import_onnx(path, calib=np.zeros((32, 32, 3), np.uint8))
        assert "\n" not in str(err.value)
    text = tmp_path / "text.onnx"
    text.write_text("not a model\n")
    with pytest.raises(OnnxImportError, match="text.onnx"):
        import_onnx(text, calib=np.zeros((32, 32, 3), np.uint8))


def test_bad_calibration_input():
    model = export_onnx(mobilenetv2_graph(resolution=32, width=0.35, classes=10, rows=None))
    with pytest.raises(ValueError, match="calib"):
        import_onnx(model, calib=np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="calib"):
        import_onnx(model, calib=np.zeros((32, 32, 3), np.float32))


def test_unnamed_node_is_named_by_position():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])
    m = helper.make_model(helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"])], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(OnnxImportError, match=r"node #0 \(unnamed\) \(Sigmoid\): unsupported operator"):
        import_onnx(m, calib=np.zeros((4, 4, 2), np.uint8))


# --- the other five zoo networks, exported -------------------------------------------------------

def _check_pools_concats_against_ort(model, graph, run):
    """Every maxpool / concat node of ``model`` alone in onnxruntime on the golden run's input
    tensors must give the golden output exactly; returns how many were checked."""
    done = 0
    for lay in graph.layers:
        if lay.kind not in ("maxpool", "concat"):
            continue
        node = next(n for n in model.graph.node if n.name == lay.name)
        feeds = {t: run.tensors[t].astype(np.float32).transpose(2, 0, 1)[None] for t in lay.inputs}
        ins = [helper.make_tensor_value_info(t, TensorProto.FLOAT, list(v.shape)) for t, v in feeds.items()]
        g = helper.make_graph([node], "one", ins,
                              [helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        y = sess.run(None, feeds)[0]
        assert np.array_equal(y[0].transpose(1, 2, 0), run.tensors[lay.name].astype(np.float32)), lay.name
        done += 1
    return done


@pytest.mark.parametrize("name,pools", [("mobilenetv1", 0), ("resnet18", 1), ("resnet50", 1), ("vgg16", 5),
                                        ("squeezenet1_1", 3 + 8)])
def test_zoo_export_matches_onnxruntime(name, pools):
    """A reduced version (32x32, width 0.25, 10 classes) of each new zoo network: every weight
    layer's accumulators and every max pool's / concatenation's output equal onnxruntime's; the
    export re-imports to the same graph."""
    from sim_models.nets import ZOO
    seed = pick_seed()
    g = ZOO[name](resolution=32, width=0.25, classes=10, seed=seed % 1000)
    model = export_onnx(g)
    x = np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    run = run_golden(g, x)
    layers, values = _check_against_ort(model, g, run)
    others = _check_pools_concats_against_ort(model, g, run)
    print(f"seed {seed}: {name} 32x32 w0.25, {layers} weight layers ({values} accumulators) and {others} "
          "max pools / concats equal onnxruntime")
    assert layers == sum(lay.weights is not None for lay in g.layers) and others == pools
    back = import_onnx(model, calib=calibration_input(32, seed % 1000), rows=256, name=g.name)
    for a, b in zip(g.layers, back.layers, strict=True):
        assert (a.name, a.kind, a.inputs, a.out_shape, a.kernel, a.stride, a.pad, a.adc, a.row_splits) == \
            (b.name, b.kind, b.inputs, b.out_shape, b.kernel, b.stride, b.pad, b.adc, b.row_splits), a.name


def test_shape_only_graph_does_not_export():
    from sim_models.nets import ZOO
    with pytest.raises(ValueError, match="shape-only"):
        export_onnx(ZOO["vgg16"](resolution=32, weights=False))


@pytest.mark.parametrize("attrs,match", [
    (dict(kernel_shape=[3, 3], strides=[2, 2], pads=[2, 2, 2, 2]), "pads 2 with kernel 3"),
    (dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), "ceil_mode on 8x8"),
    (dict(kernel_shape=[3, 2], strides=[2, 2]), r"kernel \[3, 2\]"),
])
def test_maxpool_import_errors(attrs, match):
    """What a max pool cannot be here (one line naming the node); ceil_mode is accepted where it
    gives the floor's shape (9x9, 3/2: exact)."""
    def model(h, **a):
        nodes = [helper.make_node("MaxPool", ["x"], ["y"], name="mp", **a)]
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, h, h])
        g = helper.make_graph(nodes, "m", [x],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, None, None])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        return m
    with pytest.raises(OnnxImportError, match=r"node 'mp' \(MaxPool\): " + match):
        import_onnx(model(8, **attrs), calib=np.zeros((8, 8, 4), np.uint8))
    g = import_onnx(model(9, kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
                    calib=np.zeros((9, 9, 4), np.uint8))
    assert g.layers[0].kind == "maxpool" and g.layers[0].out_shape == (4, 4, 4)
