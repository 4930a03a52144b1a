"""ONNX in and out of a :class:`~sim_models.graph.Graph` (pure numpy + ``onnx``).

**Export** (:func:`export_onnx`): the graph as a float32 ONNX model (opset 13, NCHW as ONNX wants,
batch 1) whose weights are the graph's integer weights as floats -- conv / pointwise / depth-wise
as ``Conv`` (``group = C`` for depth-wise), fc as ``Flatten`` + ``Gemm`` (``transB``; the weight
columns reordered from our HWC flattening to ONNX's CHW one), ``add`` as ``Add`` + ``Relu``, pools
as ``GlobalAveragePool`` / ``AveragePool`` / ``MaxPool``, ``concat`` as ``Concat`` (channels), and
a ``Relu`` after every weight layer and add whose output is unsigned. A shape-only graph
(``weights=False``) has nothing to export (ValueError). The requantisation (``M``, ``S``) has no
float counterpart and is not exported: :func:`import_onnx` recalibrates it. Fed integer-valued
inputs, every ONNX node computes the graph's integer accumulators exactly while partial sums stay
below 2**24 (float32's integer range), which makes onnxruntime an independent reference
(tests/sim_models/test_onnx_io.py).

**Import** (:func:`import_onnx`): a float ONNX graph of ``Conv`` (group 1, or group = channels
for a 3x3 depth-wise), ``Gemm`` / ``MatMul``, ``Add``, ``Relu`` / ``Clip`` (lower bound 0),
``GlobalAveragePool`` / ``AveragePool`` (kernel = stride, no padding), ``MaxPool`` (square,
symmetric padding up to half the kernel, ``ceil_mode`` only where it gives the floor's shape),
``Concat`` (channels, of 4-D tensors), ``Flatten`` / ``Reshape``
(to ``[N, features]`` before a ``Gemm`` / ``MatMul``) with its initializers. Weights are quantised
by :func:`sim_models.quantise.quantise_weights`: 4 bit for the crossbar layers, 8 bit for the
depth-wise ones, **one scale per layer** (the IMA's ADC has one multiplier per job, so a
per-channel scale could not be undone); the weight scale, like the activation scales, is absorbed
into each layer's ``(M, S)``, chosen by :func:`sim_models.quantise.calibrate` on the
calibration inputs. What the hardware cannot do is an error (:class:`OnnxImportError`, one line
naming the node): other operators, a non-zero bias (the IMA and the depth-wise accelerator add no
bias: fold it away before export), dilations, asymmetric or ``auto_pad`` padding, strides other
than 1 or 2, a depth-wise kernel other than 3x3, a channel multiplier. A ``Relu`` / ``Clip`` is
folded into the ADC clamp of the layer before it (``Clip``'s upper bound is not modelled: the
calibration sets the top of the 8-bit range); a linear layer whose output feeds anything but a
residual add is clamped at 0 all the same (the DAC reads unsigned codes, see
:func:`sim_models.quantise.output_range`); ``Add`` always clamps to ``[0, 255]``
(:func:`sim_models.golden.residual_add`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from sim_models.graph import INPUT, NO_ADC_KINDS, Graph, Layer
from sim_models.quantise import calib_batch, calibrate, output_ranges, quantise_weights

__all__ = ["OnnxImportError", "export_onnx", "import_onnx", "OPSET", "SUPPORTED_OPS"]

#: Opset of exported models.
OPSET = 13
#: Operators :func:`import_onnx` reads.
SUPPORTED_OPS = ("Conv", "Gemm", "MatMul", "Add", "Relu", "Clip", "GlobalAveragePool", "AveragePool",
                 "MaxPool", "Concat", "Flatten", "Reshape", "Constant")
#: Our kinds whose output needs no ``Relu`` in the export (unsigned by construction).
_NO_RELU = ("avgpool", "maxpool", "concat")


class OnnxImportError(ValueError):
    """An ONNX model the cluster cannot run, or a file that is not one; the message is one line
    naming the node (op type and name) or the file."""


# --- export ------------------------------------------------------------------------------------

def _f32(a: np.ndarray, name: str) -> TensorProto:
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def export_onnx(graph: Graph, path: str | os.PathLike | None = None) -> onnx.ModelProto:
    """The float32 ONNX model of ``graph`` (see the module docstring); written to ``path`` unless
    None. The model passes ``onnx.checker`` (full check, shape inference included)."""
    if graph.shape_only:
        raise ValueError(f"graph {graph.name}: shape-only (built with weights=False): no weights to "
                         "export")
    nodes, inits = [], []
    flat: dict[str, bool] = {INPUT: False}            # tensor is 2-D [1, F] in the ONNX graph
    h, w, c = graph.input_shape
    for lay in graph.layers:
        src = lay.inputs[0]
        out = lay.name if (lay.kind in _NO_RELU or lay.out_lo < 0) else f"{lay.name}_pre"
        relu = out != lay.name
        if lay.kind in ("conv", "pointwise", "depthwise"):
            if flat[src]:
                raise ValueError(f"layer {lay.name}: export of a {lay.kind} on an fc output")
            wt = lay.weights
            wt = {"conv": lambda x: x.transpose(0, 3, 1, 2), "pointwise": lambda x: x[:, :, None, None],
                  "depthwise": lambda x: x[:, None, :, :]}[lay.kind](wt)
            inits.append(_f32(wt, f"{lay.name}_w"))
            nodes.append(helper.make_node(
                "Conv", [src, f"{lay.name}_w"], [out], name=lay.name, kernel_shape=[lay.kernel] * 2,
                strides=[lay.stride] * 2, pads=[lay.pad] * 4,
                group=lay.in_shape[2] if lay.kind == "depthwise" else 1))
        elif lay.kind == "fc":
            hi, wi, ci = lay.in_shape
            co = lay.out_shape[2]
            wt = lay.weights.reshape(co, hi, wi, ci).transpose(0, 3, 1, 2).reshape(co, -1)   # CHW
            if not flat[src]:
                nodes.append(helper.make_node("Flatten", [src], [f"{lay.name}_in"], axis=1,
                                              name=f"{lay.name}_flatten"))
                src = f"{lay.name}_in"
            inits.append(_f32(wt, f"{lay.name}_w"))
            nodes.append(helper.make_node("Gemm", [src, f"{lay.name}_w"], [out], name=lay.name, transB=1))
        elif lay.kind == "add":
            if flat[lay.inputs[0]] != flat[lay.inputs[1]]:
                raise ValueError(f"layer {lay.name}: export of an add of a 2-D and a 4-D tensor")
            nodes.append(helper.make_node("Add", list(lay.inputs), [out], name=lay.name))
        elif lay.kind in ("maxpool", "concat"):
            if any(flat[t] for t in lay.inputs):
                raise ValueError(f"layer {lay.name}: export of a {lay.kind} on an fc output")
            if lay.kind == "concat":
                nodes.append(helper.make_node("Concat", list(lay.inputs), [out], name=lay.name, axis=1))
            else:
                nodes.append(helper.make_node("MaxPool", [src], [out], name=lay.name,
                                              kernel_shape=[lay.kernel] * 2, strides=[lay.stride] * 2,
                                              pads=[lay.pad] * 4))
        else:                                                            # avgpool
            if lay.kernel == lay.in_shape[0] == lay.in_shape[1]:
                nodes.append(helper.make_node("GlobalAveragePool", [src], [out], name=lay.name))
            else:
                nodes.append(helper.make_node("AveragePool", [src], [out], name=lay.name,
                                              kernel_shape=[lay.kernel] * 2, strides=[lay.kernel] * 2))
        if relu:
            nodes.append(helper.make_node("Relu", [out], [lay.name], name=f"{lay.name}_relu"))
        flat[lay.name] = lay.kind == "fc" or (lay.kind == "add" and flat[lay.inputs[0]])
    last = graph.layers[-1]
    ho, wo, co = last.out_shape
    oshape = [1, ho * wo * co] if flat[last.name] else [1, co, ho, wo]
    g = helper.make_graph(nodes, graph.name,
                          [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [1, c, h, w])],
                          [helper.make_tensor_value_info(last.name, TensorProto.FLOAT, oshape)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ima-sim", doc_string="integer weights as float32; "
                              "requantisation (M, S) not exported")
    model.ir_version = 8                                  # the IR of opset 13 (onnx 1.10+)
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


# --- import ------------------------------------------------------------------------------------

@dataclass
class _Ref:
    """What an ONNX tensor is in our graph: one of our tensors, maybe as its flattened view."""
    tensor: str
    shape: tuple[int, int, int]                           # HWC of our tensor
    flat: bool = False                                    # ONNX holds it as [1, H*W*C] (CHW order)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _load(model_or_path) -> tuple[onnx.ModelProto, str]:
    if isinstance(model_or_path, onnx.ModelProto):
        model, where = model_or_path, f"model {model_or_path.graph.name or '(unnamed)'}"
    else:
        where = os.fspath(model_or_path)
        try:
            model = onnx.load(where)
        except Exception as exc:                          # protobuf / OS errors: one line
            raise OnnxImportError(f"{where}: not a readable ONNX model ({_first_line(exc)})") from None
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise OnnxImportError(f"{where}: not a valid ONNX model ({_first_line(exc)})") from None
    if not model.graph.node:
        raise OnnxImportError(f"{where}: the ONNX graph has no nodes")
    return model, where


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class _Importer:
    """One import: walks the nodes in order (ONNX requires a topological order)."""

    def __init__(self, model: onnx.ModelProto, where: str):
        self.where, self.g = where, model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in self.g.initializer}
        self.refs: dict[str, _Ref] = {}
        self.specs: list[dict] = []                       # Layer kwargs + "linear", in order
        self.by_name: dict[str, dict] = {}
        self.uses: dict[str, int] = {}
        for n in self.g.node:
            for t in n.input:
                self.uses[t] = self.uses.get(t, 0) + 1
        self.node, self.idx = None, -1

    # one-line errors naming the node
    def fail(self, msg: str):
        n = self.node
        name = repr(n.name) if n.name else f"#{self.idx} (unnamed)"
        raise OnnxImportError(f"{self.where}: node {name} ({n.op_type}): {msg}")

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            self.fail(f"{what} {name!r} must be an initializer or a Constant")
        return self.consts[name]

    def ref(self, name: str) -> _Ref:
        if name not in self.refs:
            self.fail(f"input {name!r} is not produced by an earlier supported node")
        return self.refs[name]

    def layer_name(self, idx: int) -> str:
        base = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in self.node.name) or \
            f"{self.node.op_type.lower()}{idx}"
        name, k = base, 1
        while name in self.by_name or name == INPUT:
            name, k = f"{base}_{k}", k + 1
        return name

    def add_layer(self, idx: int, onnx_out: str, **kw) -> None:
        kw["name"] = self.layer_name(idx)
        kw.setdefault("linear", True)
        self.specs.append(kw)
        self.by_name[kw["name"]] = kw
        self.refs[onnx_out] = _Ref(kw["name"], kw["out_shape"], kw["kind"] == "fc")

    def no_bias(self, name: str | None) -> None:
        if name:
            b = self.const(name, "bias")
            if np.any(b != 0):
                self.fail("non-zero bias: the IMA and the depth-wise accelerator add no bias (their "
                          "ADC transfer has a multiplier and a shift, no offset)")

    # the operators
    def input(self, calib_shape) -> None:
        ins = [i for i in self.g.input if i.name not in self.consts]
        if len(ins) != 1:
            raise OnnxImportError(f"{self.where}: expected one graph input, found {len(ins)}")
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in ins[0].type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[0] not in (None, 1):
            raise OnnxImportError(f"{self.where}: graph input {ins[0].name!r} must be [1, C, H, W], "
                                  f"not {dims}")
        c, h, w = (d if d is not None else calib_shape[i] for d, i in zip(dims[1:], (2, 0, 1),
                                                                        strict=True))
        self.input_shape = (h, w, c)
        self.refs[ins[0].name] = _Ref(INPUT, (h, w, c))

    def conv(self, idx, n) -> None:
        a = _attrs(n)
        x = self.ref(n.input[0])
        if x.flat:
            self.fail("input is a flattened tensor")
        wt = self.const(n.input[1], "weights").astype(np.float64)
        self.no_bias(n.input[2] if len(n.input) > 2 else None)
        if wt.ndim != 4 or wt.shape[2] != wt.shape[3]:
            self.fail(f"weights of shape {list(wt.shape)}: only square 2-D kernels")
        k, group = wt.shape[2], int(a.get("group", 1))
        if list(a.get("kernel_shape", [k, k])) != [k, k]:
            self.fail(f"kernel_shape {a['kernel_shape']} does not match the weights")
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            self.fail(f"dilations {a['dilations']}: only 1")
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            self.fail(f"auto_pad {a['auto_pad']!r}: give explicit symmetric pads")
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(set(pads)) != 1:
            self.fail(f"pads {pads}: only the same padding on all four sides")
        strides = list(a.get("strides", [1, 1]))
        if len(set(strides)) != 1 or strides[0] not in (1, 2):
            self.fail(f"strides {strides}: only 1 or 2, the same in both directions")
        p, s = pads[0], strides[0]
        h, w, c = x.shape
        ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        if ho < 1 or wo < 1:
            self.fail(f"kernel {k} larger than the padded input {h + 2 * p}x{w + 2 * p}")
        co = wt.shape[0]
        kw = dict(inputs=(x.tensor,), in_shape=x.shape, out_shape=(ho, wo, co), kernel=k, stride=s, pad=p)
        if group == 1:
            if wt.shape[1] != c:
                self.fail(f"weights for {wt.shape[1]} input channels, the input has {c}")
            if k == 1 and p:
                self.fail(f"1x1 convolution with padding {p}")
            if k == 1:
                q, _ = quantise_weights(wt[:, :, 0, 0], 4)
                self.add_layer(idx, n.output[0], kind="pointwise", weights=q, **kw)
            else:
                q, _ = quantise_weights(wt.transpose(0, 2, 3, 1), 4)
                self.add_layer(idx, n.output[0], kind="conv", weights=q, **kw)
        elif group == c and wt.shape[1] == 1 and co == c:
            if k != 3:
                self.fail(f"depth-wise kernel {k}x{k}: the depth-wise accelerator runs 3x3 only")
            q, _ = quantise_weights(wt[:, 0], 8)
            self.add_layer(idx, n.output[0], kind="depthwise", weights=q, w_bits=8, **kw)
        else:
            self.fail(f"group {group} with {c} input and {co} output channels: only group 1 or a "
                      "depth-wise convolution (group = channels, multiplier 1)")

    def dense(self, idx, n) -> None:
        a = _attrs(n)
        x = self.ref(n.input[0])
        wt = self.const(n.input[1], "weights").astype(np.float64)
        if n.op_type == "Gemm":
            if a.get("transA", 0):
                self.fail("transA=1")
            self.no_bias(n.input[2] if len(n.input) > 2 else None)
            wt = wt * float(a.get("alpha", 1.0))
            wt = wt if a.get("transB", 0) else wt.T
        else:
            wt = wt.T if wt.ndim == 2 else wt
        h, w, c = x.shape
        if wt.ndim != 2 or wt.shape[1] != h * w * c or not (x.flat or h == w == 1):
            self.fail(f"weights {list(wt.shape)} on an input of {h * w * c} features "
                      f"({'flattened' if x.flat else 'not flattened'})")
        co = wt.shape[0]
        wt = wt.reshape(co, c, h, w).transpose(0, 2, 3, 1).reshape(co, -1)     # CHW -> our HWC
        q, _ = quantise_weights(wt, 4)
        self.add_layer(idx, n.output[0], kind="fc", inputs=(x.tensor,), in_shape=x.shape,
                       out_shape=(1, 1, co), weights=q)

    def add(self, idx, n) -> None:
        const = [t for t in n.input if t in self.consts]
        if const:                                         # a bias add (MatMul + Add): zero only
            self.no_bias(const[0])
            self.refs[n.output[0]] = self.ref(next(t for t in n.input if t not in self.consts))
            return
        a, b = (self.ref(t) for t in n.input)
        if a.shape != b.shape or a.flat != b.flat:
            self.fail(f"operands of different shapes {a.shape} and {b.shape}")
        if a.tensor == b.tensor:
            self.fail("adds a tensor to itself")
        self.add_layer(idx, n.output[0], kind="add", inputs=(a.tensor, b.tensor), in_shape=a.shape,
                       out_shape=a.shape, linear=False)
        self.refs[n.output[0]].flat = a.flat

    def relu(self, idx, n) -> None:
        a = _attrs(n)
        if n.op_type == "Clip":
            lo = a.get("min")
            if len(n.input) > 1 and n.input[1]:
                lo = float(self.const(n.input[1], "min").reshape(-1)[0])
            if lo != 0:
                self.fail(f"Clip with lower bound {lo}: only 0 (a ReLU / ReLU6)")
        x = self.ref(n.input[0])
        if x.tensor != INPUT and self.by_name[x.tensor]["kind"] not in ("add", *_NO_RELU):   # else >= 0
            if self.uses.get(n.input[0], 0) != 1:
                self.fail("its input also feeds other nodes; the ReLU is folded into the ADC of "
                          "the layer before it")
            self.by_name[x.tensor]["linear"] = False
        self.refs[n.output[0]] = x

    def pool(self, idx, n) -> None:
        a = _attrs(n)
        x = self.ref(n.input[0])
        h, w, c = x.shape
        if x.flat:
            self.fail("input is a flattened tensor")
        if n.op_type == "GlobalAveragePool":
            if h != w:
                self.fail(f"global pool of a {h}x{w} input: only square")
            k = h
        else:
            ks = list(a.get("kernel_shape", []))
            k = ks[0] if ks else 0
            if len(ks) != 2 or len(set(ks)) != 1 or list(a.get("strides", [1, 1])) != ks:
                self.fail(f"kernel {ks} with strides {a.get('strides', [1, 1])}: only square, "
                          "stride = kernel")
            if any(a.get("pads", [0])) or a.get("ceil_mode", 0) or \
                    a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                self.fail("padding or ceil_mode: only unpadded windows")
        self.add_layer(idx, n.output[0], kind="avgpool", inputs=(x.tensor,), in_shape=x.shape,
                       out_shape=(h // k, w // k, c), kernel=k, linear=False)

    def maxpool(self, idx, n) -> None:
        a = _attrs(n)
        x = self.ref(n.input[0])
        h, w, c = x.shape
        if x.flat:
            self.fail("input is a flattened tensor")
        if len(n.output) > 1 and n.output[1]:
            self.fail("the Indices output is not supported")
        ks = list(a.get("kernel_shape", []))
        strides = list(a.get("strides", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(ks) != 2 or len(set(ks)) != 1 or len(set(strides)) != 1 or len(set(pads)) != 1:
            self.fail(f"kernel {ks}, strides {strides}, pads {pads}: only square, the same in both "
                      "directions and on all sides")
        k, s, p = ks[0], strides[0], pads[0]
        if any(d != 1 for d in a.get("dilations", [1, 1])) or a.get("storage_order", 0) or \
                a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            self.fail("dilations, storage_order or auto_pad: only the defaults")
        if p > k // 2 or h + 2 * p < k or w + 2 * p < k:
            self.fail(f"pads {p} with kernel {k} on {h}x{w}: pads up to kernel // 2, windows inside")
        ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        if a.get("ceil_mode", 0) and ((h + 2 * p - k) % s or (w + 2 * p - k) % s):
            self.fail(f"ceil_mode on {h}x{w} with kernel {k} / stride {s}: the last window would "
                      "hang over the edge (only shapes where ceil and floor agree)")
        self.add_layer(idx, n.output[0], kind="maxpool", inputs=(x.tensor,), in_shape=x.shape,
                       out_shape=(ho, wo, c), kernel=k, stride=s, pad=p, linear=False)

    def concat(self, idx, n) -> None:
        refs = [self.ref(t) for t in n.input]
        if _attrs(n).get("axis") not in (1, -3) or any(r.flat for r in refs):
            self.fail(f"axis {_attrs(n).get('axis')}: only the channels (axis 1) of 4-D tensors")
        if len(refs) < 2 or len({r.shape[:2] for r in refs}) != 1:
            self.fail(f"operands {[r.shape for r in refs]}: two or more with the same H and W")
        h, w, _ = refs[0].shape
        self.add_layer(idx, n.output[0], kind="concat", inputs=tuple(r.tensor for r in refs),
                       in_shape=refs[0].shape, out_shape=(h, w, sum(r.shape[2] for r in refs)),
                       linear=False)

    def reshape(self, idx, n) -> None:
        x = self.ref(n.input[0])
        h, w, c = x.shape
        if n.op_type == "Flatten":
            if _attrs(n).get("axis", 1) != 1:
                self.fail(f"axis {_attrs(n)['axis']}: only 1")
            self.refs[n.output[0]] = _Ref(x.tensor, x.shape, True)
            return
        shape = [int(v) for v in self.const(n.input[1], "shape").reshape(-1)]
        if len(shape) == 2 and shape[0] in (1, -1, 0) and shape[1] in (-1, h * w * c):
            self.refs[n.output[0]] = _Ref(x.tensor, x.shape, True)
        elif h == w == 1 and shape in ([1, c, 1, 1], [-1, c, 1, 1]):
            self.refs[n.output[0]] = _Ref(x.tensor, x.shape, False)
        else:
            self.fail(f"reshape of {[1, c, h, w]} to {shape}: only to [N, features] (or back to "
                      "[1, C, 1, 1])")

    def constant(self, idx, n) -> None:
        a = _attrs(n)
        if "value" not in a:
            self.fail("only a tensor 'value'")
        self.consts[n.output[0]] = numpy_helper.to_array(a["value"])

    OPS = {"Conv": conv, "Gemm": dense, "MatMul": dense, "Add": add, "Relu": relu, "Clip": relu,
           "GlobalAveragePool": pool, "AveragePool": pool, "MaxPool": maxpool, "Concat": concat,
           "Flatten": reshape, "Reshape": reshape,
           "Constant": constant}

    def run(self, calib_shape) -> None:
        self.input(calib_shape)
        for idx, n in enumerate(self.g.node):
            self.node, self.idx = n, idx
            if n.domain not in ("", "ai.onnx") or n.op_type not in self.OPS:
                self.fail(f"unsupported operator (supported: {', '.join(SUPPORTED_OPS)})")
            self.OPS[n.op_type](self, idx, n)
        if not self.specs:
            raise OnnxImportError(f"{self.where}: no layer to run")
        outs = [o.name for o in self.g.output]
        if len(outs) != 1 or outs[0] not in self.refs or self.refs[outs[0]].tensor != self.specs[-1]["name"]:
            raise OnnxImportError(f"{self.where}: the graph must have one output, that of its last "
                                  f"layer, not {outs}")

    def layers(self) -> list[Layer]:
        """Layers with their ``(LO, HI)`` and placeholder ``(M, S)``; residual adds read the
        operand that may stay signed (a linear layer that only feeds adds) second."""
        readers: dict[str, list[str]] = {}
        for kw in self.specs:
            for t in kw["inputs"]:
                readers.setdefault(t, []).append(kw["kind"])

        def may_be_signed(t):
            return t in self.by_name and self.by_name[t]["linear"] and self.by_name[t]["kind"] != "add" \
                and all(k == "add" for k in readers.get(t, []))
        for kw in self.specs:
            if kw["kind"] == "add" and may_be_signed(kw["inputs"][0]) and not may_be_signed(kw["inputs"][1]):
                kw["inputs"] = kw["inputs"][::-1]
        ranges = output_ranges((k["name"], k["kind"], k["inputs"], k["linear"]) for k in self.specs)
        return [Layer(**{k: v for k, v in kw.items() if k != "linear"},
                      adc=None if kw["kind"] in NO_ADC_KINDS else (1, 0, *ranges[kw["name"]]))
                for kw in self.specs]


def import_onnx(model_or_path: str | os.PathLike | onnx.ModelProto, *, calib: npt.ArrayLike,
                rows: int | None = 256, name: str | None = None) -> Graph:
    """A quantised :class:`~sim_models.graph.Graph` from a float ONNX model (module docstring).

    ``calib`` is the calibration batch, uint8 NHWC ``(N, H, W, C)`` (or one ``(H, W, C)`` image) in
    the graph's input shape; symbolic input dimensions are taken from it. ``rows`` is the crossbar
    height for row splits (:func:`sim_models.quantise.calibrate`). Raises
    :class:`OnnxImportError` (one line naming the node or the file) for anything the cluster
    cannot run; nothing is returned then."""
    model, where = _load(model_or_path)
    imp = _Importer(model, where)
    cal = np.asarray(calib)
    imp.run(cal.shape[-3:] if cal.ndim >= 3 else (0, 0, 0))
    try:
        batch = calib_batch(cal, imp.input_shape)
    except ValueError as exc:
        raise ValueError(f"calib: {exc}") from None
    graph = Graph(name or model.graph.name or "onnx", imp.input_shape, imp.layers())
    return calibrate(graph, batch, rows)
