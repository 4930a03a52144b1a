"""One home for building a zoo network as a quantised :class:`~sim_models.graph.Graph`.

A network module describes its layers with a :class:`NetSpec` (shapes follow from the calls:
``conv``, ``pointwise``, ``depthwise``, ``fc``, ``add``, ``avgpool``, ``maxpool``, ``concat``)
and :meth:`NetSpec.graph` turns the description into a graph, the same way for every network:

* **weights** (``weights=True``): seeded random integers drawn from
  ``numpy.random.default_rng(seed)`` in layer order -- conv, pointwise and fc 4-bit ``[-7, 7]``
  (the IMA's crossbars, :func:`sim_models.golden.random_weights`), depth-wise 8-bit
  ``[-128, 127]`` (the depth-wise accelerator);
* **output clamps** from each layer's consumers (:func:`sim_models.quantise.output_ranges`: a
  linear layer that only feeds residual adds as their second operand is int8, anything read by
  a crossbar, the depth-wise accelerator or a pool is uint8);
* **ADC transfers and row splits** from :func:`sim_models.quantise.calibrate` on the seeded
  calibration image ``calibration_input(resolution, seed)``, crossbar layers with more than
  ``rows`` rows cut at its multiples (``rows=None``: no cuts).

``weights=False`` gives a **shape-only** graph (layers with ``shape_only=True``): no weight draw
and no calibration, so a 138 M-weight VGG-16 costs nothing; the row splits are those ``rows``
would give, with placeholder ``(M, S) = (1, 0)`` transfers. Its counts (parameters, MACs,
crossbar shapes, row pieces) are those of the graph with weights.

The width multiplier (:func:`scaled`) and the resolution check (:func:`check_args`) are shared
by the zoo's builders.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim_models import golden
from sim_models.graph import INPUT, NO_ADC_KINDS, PARTIAL_RANGE, Graph, Layer
from sim_models.quantise import calibrate, output_ranges, split_rows

__all__ = ["NetSpec", "LayerShape", "calibration_input", "make_divisible", "scaled", "check_args",
           "out_size"]


def make_divisible(v: float, divisor: int = 8) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``divisor``), one step up when
    rounding down would lose more than 10 %: the channel rounding of the width multiplier in the
    reference implementations (TensorFlow's ``_make_divisible``, kept by torchvision's
    ``mobilenetv2.py``), so a width-scaled network has the channel counts of the published models."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def scaled(channels: int, width: float) -> int:
    """``channels`` times the width multiplier, rounded by :func:`make_divisible` (width 1.0: the
    published count unchanged, whatever it is)."""
    return channels if width == 1 else make_divisible(channels * width)


def check_args(resolution, classes, width, *, multiple: int = 32, stages: str = "five stride-2 stages"):
    """ValueError naming the first bad builder argument (``resolution`` must be a positive multiple
    of ``multiple``, ``classes`` a positive integer, ``width`` a number in (0, 4])."""
    for name, v in (("resolution", resolution), ("classes", classes)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer, not {v!r}")
    if resolution % multiple:
        raise ValueError(f"resolution must be a multiple of {multiple} ({stages}), not {resolution}")
    if isinstance(width, bool) or not isinstance(width, int | float) or not 0 < width <= 4:
        raise ValueError(f"width must be a number in (0, 4], not {width!r}")


def calibration_input(resolution: int = 224, seed: int = 0) -> np.ndarray:
    """The seeded uint8 ``(resolution, resolution, 3)`` image the zoo calibrates its ADC transfers
    on (uniform codes; a stream of its own, independent of the weights')."""
    return golden.random_activations(np.random.default_rng([seed, 1]), (resolution, resolution, 3))


def out_size(h: int, k: int, stride: int, pad: int) -> int:
    """Output height (or width) of a ``k``-kernel window sliding by ``stride`` over ``h`` rows
    padded by ``pad`` on each side."""
    return (h + 2 * pad - k) // stride + 1


@dataclass(frozen=True)
class LayerShape:
    """A layer's name, kind, shapes (H, W, C) in and out, kernel, stride, padding and block index
    (0 outside blocks): the record :class:`NetSpec` keeps per layer and the base of
    :class:`sim_models.nets.mobilenetv2.NetLayer`."""
    name: str
    kind: str
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    block: int = 0


@dataclass(frozen=True)
class _Spec(LayerShape):
    """A :class:`NetSpec` layer: its shape, the layers it reads (``inputs``) and whether a ReLU
    follows it (``linear=False``)."""
    inputs: tuple[str, ...] = ()
    linear: bool = False


class NetSpec:
    """A network's layers in execution order, shapes derived as they are added.

    Every method appends one layer named ``name`` reading ``src`` (default: the last layer's
    output, or the input for the first) and returns its name. ``linear=True`` marks a layer with
    no ReLU after it (a projection, a classifier)."""

    def __init__(self, name: str, input_shape: tuple[int, int, int]):
        self.name, self.input_shape = name, tuple(input_shape)
        self.specs: list[_Spec] = []
        self.shapes: dict[str, tuple[int, int, int]] = {INPUT: self.input_shape}
        self.last = INPUT

    def _add(self, name, kind, srcs, out_shape, **kw) -> str:
        if name in self.shapes:
            raise ValueError(f"layer {name}: name used twice")
        srcs = tuple(srcs)
        self.specs.append(_Spec(name, kind, self.shapes[srcs[0]], tuple(out_shape), inputs=srcs, **kw))
        self.shapes[name] = tuple(out_shape)
        self.last = name
        return name

    def shape(self, t: str | None = None) -> tuple[int, int, int]:
        return self.shapes[t or self.last]

    def conv(self, name, cout, k, stride=1, pad=0, src=None, *, linear=False, block=0) -> str:
        """KxK convolution (``k == 1`` with no padding is a ``pointwise`` layer)."""
        h, w, _ = self.shape(src)
        kind = "pointwise" if k == 1 and pad == 0 else "conv"
        return self._add(name, kind, (src or self.last,),
                         (out_size(h, k, stride, pad), out_size(w, k, stride, pad), cout),
                         kernel=k, stride=stride, pad=pad, linear=linear, block=block)

    def depthwise(self, name, k=3, stride=1, pad=1, src=None, *, block=0) -> str:
        h, w, c = self.shape(src)
        return self._add(name, "depthwise", (src or self.last,),
                         (out_size(h, k, stride, pad), out_size(w, k, stride, pad), c),
                         kernel=k, stride=stride, pad=pad, block=block)

    def fc(self, name, cout, src=None, *, linear=False) -> str:
        return self._add(name, "fc", (src or self.last,), (1, 1, cout), linear=linear)

    def add(self, name, a, b, *, block=0) -> str:
        """Residual add ``clamp(a + b, 0, 255)``; ``b`` may be int8 (a linear projection)."""
        return self._add(name, "add", (a, b), self.shape(a), block=block)

    def avgpool(self, name, k=None, src=None) -> str:
        """Average pool, kernel = stride ``k`` (None: global)."""
        h, w, c = self.shape(src)
        k = k or h
        return self._add(name, "avgpool", (src or self.last,), (h // k, w // k, c), kernel=k)

    def maxpool(self, name, k, stride, pad=0, src=None) -> str:
        h, w, c = self.shape(src)
        return self._add(name, "maxpool", (src or self.last,),
                         (out_size(h, k, stride, pad), out_size(w, k, stride, pad), c),
                         kernel=k, stride=stride, pad=pad)

    def concat(self, name, srcs, *, block=0) -> str:
        shapes = [self.shape(t) for t in srcs]
        return self._add(name, "concat", srcs, (*shapes[0][:2], sum(s[2] for s in shapes)), block=block)

    def graph(self, *, seed: int = 0, rows: int | None = 256, weights: bool = True,
              name: str | None = None) -> Graph:
        """The quantised graph (module docstring); ``weights=False``: shape-only."""
        if not isinstance(weights, bool):
            raise ValueError(f"weights must be True or False, not {weights!r}")
        rng = np.random.default_rng(seed) if weights else None
        ranges = output_ranges((s.name, s.kind, s.inputs, s.linear) for s in self.specs)
        layers = []
        for s in self.specs:
            kw = dict(name=s.name, kind=s.kind, inputs=s.inputs, in_shape=s.in_shape,
                      out_shape=s.out_shape, kernel=s.kernel, stride=s.stride, pad=s.pad, block=s.block,
                      adc=None if s.kind in NO_ADC_KINDS else (1, 0, *ranges[s.name]))
            if s.kind == "depthwise":
                kw["w_bits"] = 8
            if s.kind in ("conv", "pointwise", "fc", "depthwise"):
                if not weights:
                    kw["shape_only"] = True
                else:
                    probe = Layer(**kw, shape_only=True)
                    if s.kind == "depthwise":
                        kw["weights"] = rng.integers(-128, 128, probe.weight_shape, dtype=np.int8)
                    else:
                        kw["weights"] = golden.random_weights(rng, probe.weight_shape)
            layers.append(Layer(**kw))
        graph = Graph(name or self.name, self.input_shape, layers)
        if weights:
            return calibrate(graph, calibration_input(self.input_shape[0], seed), rows)
        cut = []
        for lay in layers:
            splits = split_rows(lay, rows)
            cut.append(dataclasses.replace(lay, row_splits=splits,
                                           partial_adc=(1, 0, *PARTIAL_RANGE) if splits else None))
        return Graph(graph.name, self.input_shape, cut)
