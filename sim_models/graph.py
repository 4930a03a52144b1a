"""A quantised network as data, and its integer golden run (pure numpy).

A :class:`Graph` is a list of :class:`Layer` objects in execution order. Tensors are named after
the layer that produces them; the graph's input tensor is called ``"input"``. Every tensor is HWC
(``(H, W, C)``; a fully connected layer's output is ``(1, 1, C_out)``). Activations are ``uint8``
except the output of a layer whose ADC clamp is signed (``lo < 0``, e.g. a projection feeding a
residual add), which is ``int8`` -- :func:`sim_models.golden.out_dtype`.

Layer kinds and their integer semantics (one home: :func:`layer_golden`):

``conv``       KxK convolution, stride, zero padding ``pad``; weights ``[C_out, K, K, C_in]``.
``pointwise``  1x1 convolution (``stride`` 1 or 2); weights ``[C_out, C_in]``.
``depthwise``  KxK depth-wise, one filter per channel; weights ``[C, K, K]``.
``fc``         fully connected on the flattened HWC input; weights ``[C_out, H*W*C_in]``.
``add``        residual add of two tensors: ``clamp(a + b, 0, 255)`` (``a`` uint8, ``b`` int8 or
               uint8), :func:`sim_models.golden.residual_add`; no weights, no ADC.
``avgpool``    average pool, kernel ``K`` = stride ``K``, no padding (global when ``K`` equals
               the input's H and W): the per-channel sum of each window requantised by ``adc``.
``maxpool``    max pool, kernel ``K``, ``stride``, padding ``pad <= K // 2`` (ResNet's 3x3 / 2 / 1,
               VGG's 2x2 / 2 / 0, SqueezeNet's 3x3 / 2 / 0): the per-channel maximum of each
               window of a uint8 input; no weights, no ADC (a maximum keeps the input's scale).
               The padding is zeros: for unsigned inputs the same as PyTorch's / ONNX's -inf,
               since every window holds at least one input value, which is >= 0.
``concat``     channel concatenation of two or more uint8 tensors of the same H and W, in the
               order of ``inputs`` (SqueezeNet's fire modules); no weights, no ADC. In a quantised
               network the operands carry their own scales; the integer semantics is the plain
               concatenation (a deployment would give the producers one common output scale).

Every layer with weights or an average pool has an ``adc`` transfer ``(M, S, LO, HI)``:
``y = clamp((acc * M + 2**(S-1)) >> S, LO, HI)`` (BRIEF.md section 2), the same for the IMA, the
depth-wise accelerator and the cores.

**Row splits** (a layer whose ``K*K*C_in`` weight rows exceed one crossbar): ``row_splits``
lists the row offsets where the weight matrix (rows in order ``ky, kx, c``) is cut, e.g.
``(256,)`` for 384 rows on 256-row arrays. Each piece ``t`` gives its own accumulator
``acc_t``, which the IMA's ADC quantises with ``partial_adc`` to a signed 8-bit partial
``p_t = clamp((acc_t * Mp + 2**(Sp-1)) >> Sp, -128, 127)``; the cores add the partials in 32 bits
and requantise the sum with the layer's ``adc``: ``y = clamp((sum_t p_t * M + 2**(S-1)) >> S, LO,
HI)``. This is what the hardware computes (an 8-bit ADC per array, partial sums combined in
software), so it is the golden model; the full-precision accumulator ``sum_t acc_t`` is what an
independent float reference (onnxruntime) must reproduce exactly.

**Shape-only layers** (``shape_only=True``, e.g. VGG-16's 138 M weights for a study that needs
only shapes and costs): a weight kind without its ``weights`` array; :attr:`Layer.weight_shape`,
:attr:`Layer.xbar_shape`, :attr:`Layer.n_params` and :attr:`Layer.macs` follow from the shapes,
the ``adc`` carries the output clamp ``(LO, HI)`` with placeholder ``(M, S) = (1, 0)``. The golden
run (and so the compiler and the ONNX export) refuses them with a ValueError naming the layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim_models import golden

__all__ = ["Layer", "Graph", "GoldenRun", "KINDS", "WEIGHT_KINDS", "XBAR_KINDS", "NO_ADC_KINDS", "INPUT",
           "layer_golden", "run_golden", "row_pieces"]

KINDS = ("conv", "pointwise", "depthwise", "fc", "add", "avgpool", "maxpool", "concat")
#: Kinds with a weight tensor.
WEIGHT_KINDS = ("conv", "pointwise", "depthwise", "fc")
#: Kinds that may run on the IMA's crossbars (a dense weight matrix).
XBAR_KINDS = ("conv", "pointwise", "fc")
#: Kinds without an ADC transfer (their integer result needs no requantisation).
NO_ADC_KINDS = ("add", "maxpool", "concat")
#: Name of the graph's input tensor.
INPUT = "input"
#: Signed 8-bit clamp of a row-split layer's partials (the ADC's signed output range).
PARTIAL_RANGE = (-128, 127)

Adc = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer; see the module docstring for the semantics of each ``kind``.

    ``inputs`` names the tensors it reads (one, two for ``add``, two or more for ``concat``).
    ``w_bits`` is the weight width the layer was quantised to: 4 (integers in ``[-7, 7]``, what
    the IMA's crossbar holds) or 8 (``[-128, 127]``, the depth-wise accelerator and the cores).
    ``shape_only`` marks a weight layer built without its weights (module docstring).
    """
    name: str
    kind: str
    inputs: tuple[str, ...]
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    weights: np.ndarray | None = None
    adc: Adc | None = None
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    w_bits: int = 4
    row_splits: tuple[int, ...] = ()
    partial_adc: Adc | None = None
    block: int = 0                       # bottleneck index (0 outside), for reports
    shape_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"layer {self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        n_in = len(self.inputs)
        if (n_in < 2) if self.kind == "concat" else n_in != (2 if self.kind == "add" else 1):
            want = "2 or more" if self.kind == "concat" else 2 if self.kind == "add" else 1
            raise ValueError(f"layer {self.name}: {self.kind} takes {want} input(s), not {self.inputs}")
        if self.shape_only and self.weights is not None:
            raise ValueError(f"layer {self.name}: a shape-only layer takes no weights array")
        if (self.weights is None and not self.shape_only) == (self.kind in WEIGHT_KINDS):
            raise ValueError(f"layer {self.name}: {self.kind} "
                             f"{'needs' if self.kind in WEIGHT_KINDS else 'takes no'} weights")
        if (self.adc is None) != (self.kind in NO_ADC_KINDS):
            raise ValueError(f"layer {self.name}: {self.kind} "
                             f"{'takes no' if self.kind in NO_ADC_KINDS else 'needs an'} ADC transfer")
        if self.w_bits not in (4, 8):
            raise ValueError(f"layer {self.name}: w_bits must be 4 or 8, not {self.w_bits}")
        if self.weights is not None:
            lim = 7 if self.w_bits == 4 else 127
            w = np.asarray(self.weights)
            if w.shape != self.weight_shape:
                raise ValueError(f"layer {self.name}: weights of shape {w.shape} do not fit in_shape "
                                 f"{self.in_shape} / out_shape {self.out_shape} (need {self.weight_shape})")
            if w.dtype != np.int8 or w.size and (w.min() < -lim - (self.w_bits == 8) or w.max() > lim):
                raise ValueError(f"layer {self.name}: weights must be int8 in "
                                 f"[{-lim - (self.w_bits == 8)}, {lim}] for w_bits={self.w_bits}")
        if self.kind == "maxpool":
            h, w_, c = self.in_shape
            k, s, p = self.kernel, self.stride, self.pad
            if not (k >= 1 and s >= 1 and 0 <= p <= k // 2 and h + 2 * p >= k and w_ + 2 * p >= k):
                raise ValueError(f"layer {self.name}: maxpool kernel {k}, stride {s}, pad {p} on "
                                 f"{h}x{w_} (needs pad <= kernel // 2 and a window inside the input)")
            want = ((h + 2 * p - k) // s + 1, (w_ + 2 * p - k) // s + 1, c)
            if tuple(self.out_shape) != want:
                raise ValueError(f"layer {self.name}: maxpool out_shape {self.out_shape}, not {want}")
        if self.row_splits:
            rows = self.xbar_shape[0] if self.xbar_shape else 0
            if self.kind not in XBAR_KINDS or list(self.row_splits) != sorted(set(self.row_splits)) \
                    or not 0 < self.row_splits[0] or self.row_splits[-1] >= rows:
                raise ValueError(f"layer {self.name}: row_splits {self.row_splits} must be "
                                 f"increasing offsets inside 1..{rows - 1} of a crossbar layer")
            if self.partial_adc is None or tuple(self.partial_adc[2:]) != PARTIAL_RANGE:
                raise ValueError(f"layer {self.name}: a row-split layer needs partial_adc "
                                 f"(M, S, {PARTIAL_RANGE[0]}, {PARTIAL_RANGE[1]})")
        elif self.partial_adc is not None:
            raise ValueError(f"layer {self.name}: partial_adc without row_splits")

    @property
    def weight_shape(self) -> tuple[int, ...] | None:
        """The shape the kind's weights have from the layer's shapes (None without weights):
        conv ``[C_out, K, K, C_in]``, pointwise ``[C_out, C_in]``, depth-wise ``[C, K, K]``, fc
        ``[C_out, H*W*C_in]``."""
        (h, w, cin), cout, k = self.in_shape, self.out_shape[2], self.kernel
        return {"conv": (cout, k, k, cin), "pointwise": (cout, cin), "depthwise": (cin, k, k),
                "fc": (cout, h * w * cin)}.get(self.kind)

    @property
    def xbar_shape(self) -> tuple[int, int] | None:
        """(rows, cols) of the weight matrix on a crossbar (rows ``ky, kx, c``); None when the
        kind has no dense weight matrix."""
        if self.kind not in XBAR_KINDS:
            return None
        ws = self.weight_shape
        return int(np.prod(ws[1:])), int(ws[0])

    @property
    def weight_matrix(self) -> np.ndarray:
        """The ``[rows, cols]`` int8 matrix a crossbar holds (rows ``ky, kx, c``; cols ``C_out``)."""
        if self.xbar_shape is None:
            raise ValueError(f"layer {self.name}: {self.kind} has no crossbar weight matrix")
        self.need_weights()
        w = self.weights                        # [C_out, K, K, C_in] or [C_out, C_in]
        return np.ascontiguousarray(w.reshape(w.shape[0], -1).T)

    def need_weights(self) -> None:
        """ValueError naming the layer when it is shape-only (no weights to compute with)."""
        if self.shape_only and self.kind in WEIGHT_KINDS:
            raise ValueError(f"layer {self.name}: shape-only (built with weights=False): no weights "
                             "to compute with; build the network with weights to run it")

    @property
    def n_params(self) -> int:
        """Weights of the layer (no biases: the graph has none)."""
        ws = self.weight_shape
        return 0 if ws is None else int(np.prod(ws))

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference (adds, pools and concatenations count 0)."""
        if self.kind == "fc":
            return self.n_params
        return int(self.out_shape[0] * self.out_shape[1] * self.n_params)   # all weights per pixel

    @property
    def out_lo(self) -> int:
        """Lower clamp of the output (0 for ``add``)."""
        return 0 if self.adc is None else int(self.adc[2])


@dataclass
class Graph:
    """A network: input shape, layers in execution order (each reads earlier tensors only)."""
    name: str
    input_shape: tuple[int, int, int]
    layers: list[Layer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> Graph:
        """ValueError naming the first layer that reads an unknown tensor or a wrong shape."""
        shapes = {INPUT: tuple(self.input_shape)}
        for layer in self.layers:
            if layer.name in shapes:
                raise ValueError(f"layer {layer.name}: name used twice")
            for t in layer.inputs:
                if t not in shapes:
                    raise ValueError(f"layer {layer.name}: input {t!r} is not an earlier tensor")
            if shapes[layer.inputs[0]] != tuple(layer.in_shape):
                raise ValueError(f"layer {layer.name}: in_shape {layer.in_shape} but tensor "
                                 f"{layer.inputs[0]!r} is {shapes[layer.inputs[0]]}")
            if layer.kind == "concat":
                ins = [shapes[t] for t in layer.inputs]
                want = (*layer.in_shape[:2], sum(s[2] for s in ins))
                if any(s[:2] != want[:2] for s in ins) or tuple(layer.out_shape) != want:
                    raise ValueError(f"layer {layer.name}: concat of {ins} gives {want}, not "
                                     f"{tuple(layer.out_shape)} (inputs need the same H and W)")
            shapes[layer.name] = tuple(layer.out_shape)
        return self

    @property
    def shape_only(self) -> bool:
        """True when some weight layer has no weights (built with ``weights=False``)."""
        return any(lay.shape_only and lay.kind in WEIGHT_KINDS for lay in self.layers)

    @property
    def output(self) -> str:
        return self.layers[-1].name

    def layer(self, name: str) -> Layer:
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise KeyError(name)

    @property
    def n_params(self) -> int:
        return sum(lay.n_params for lay in self.layers)

    @property
    def macs(self) -> int:
        return sum(lay.macs for lay in self.layers)


@dataclass
class GoldenRun:
    """Every tensor of one golden run, and the integer accumulators behind them.

    ``acc[name]`` is the full-precision accumulator of a weight or pool layer (int64, the output
    shape); ``partial_acc[name]`` the per-piece accumulators of a row-split layer and
    ``partials[name]`` its int8 partials after ``partial_adc``."""
    tensors: dict[str, np.ndarray]
    acc: dict[str, np.ndarray]
    partial_acc: dict[str, list[np.ndarray]]
    partials: dict[str, list[np.ndarray]]


def row_pieces(layer: Layer) -> list[tuple[int, int]]:
    """``[(row0, row1), ...]`` of a crossbar layer's weight rows after its ``row_splits``."""
    rows = layer.xbar_shape[0] if layer.xbar_shape else 0
    cuts = [0, *layer.row_splits, rows]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _xbar_inputs(layer: Layer, x: np.ndarray) -> np.ndarray:
    """What a crossbar layer's rows see: int64 ``[..., rows]`` (rows ``ky, kx, c``), the virtual
    im2col of :func:`sim_models.golden._patches` (fc: the flattened input)."""
    if layer.kind == "fc":
        return x.astype(np.int64).reshape(-1)
    ho, wo = layer.out_shape[:2]
    return golden._patches(golden.pad_hwc(x, layer.pad), layer.kernel, layer.stride).reshape(ho, wo, -1)


def layer_golden(layer: Layer, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None,
                                                                       list[np.ndarray], list[np.ndarray]]:
    """One layer on integer inputs: ``(output, acc, partial_accs, partials)``."""
    layer.need_weights()
    x = np.asarray(inputs[0])
    if layer.kind == "add":
        return golden.residual_add(x, inputs[1]), None, [], []
    if layer.kind in ("maxpool", "concat"):
        for t in inputs:
            if np.asarray(t).dtype != np.uint8:
                raise ValueError(f"layer {layer.name}: {layer.kind} reads uint8 tensors, not "
                                 f"{np.asarray(t).dtype}")
        if layer.kind == "concat":
            return np.concatenate([np.asarray(t) for t in inputs], axis=2), None, [], []
        return golden.maxpool(x, layer.kernel, layer.stride, layer.pad), None, [], []
    if layer.kind == "avgpool":
        k = layer.kernel
        ho, wo, c = layer.out_shape
        acc = x[:ho * k, :wo * k, :].astype(np.int64).reshape(ho, k, wo, k, c).sum(axis=(1, 3))
    elif layer.kind == "depthwise":
        acc = golden.depthwise_acc(golden.pad_hwc(x, layer.pad), layer.weights, layer.stride)
    else:                               # one accumulator per row piece; the layer's is their sum
        inp, wm = _xbar_inputs(layer, x), layer.weight_matrix.astype(np.int64)
        paccs = [golden.int_matmul(inp[..., r0:r1], wm[r0:r1]).reshape(layer.out_shape)
                 for r0, r1 in row_pieces(layer)]
        acc = np.sum(paccs, axis=0)
    lo = layer.adc[2]
    if not layer.row_splits:
        return golden.requant(acc, *layer.adc).astype(golden.out_dtype(lo)), acc, [], []
    parts = [golden.requant(a, *layer.partial_adc).astype(np.int8) for a in paccs]
    total = np.sum([p.astype(np.int64) for p in parts], axis=0)
    return golden.requant(total, *layer.adc).astype(golden.out_dtype(lo)), acc, paccs, parts


def run_golden(graph: Graph, x: npt.ArrayLike) -> GoldenRun:
    """Run the whole graph on the uint8 input ``x`` (shape ``graph.input_shape``)."""
    x = np.asarray(x)
    for layer in graph.layers:
        layer.need_weights()
    if x.shape != tuple(graph.input_shape) or x.dtype != np.uint8:
        raise ValueError(f"input must be uint8 {graph.input_shape}, not {x.dtype} {x.shape}")
    run = GoldenRun({INPUT: x}, {}, {}, {})
    for layer in graph.layers:
        y, acc, paccs, parts = layer_golden(layer, [run.tensors[t] for t in layer.inputs])
        run.tensors[layer.name] = y.reshape(layer.out_shape)
        if acc is not None:
            run.acc[layer.name] = acc.reshape(layer.out_shape)
        if paccs:
            run.partial_acc[layer.name], run.partials[layer.name] = paccs, parts
    return run
