"""Fixtures of the sim_models tests: a builder of small calibrated network graphs."""

from dataclasses import dataclass

import numpy as np
import pytest

from sim_models import golden
from sim_models.graph import INPUT, PARTIAL_RANGE, Graph, Layer, layer_golden


@dataclass(frozen=True)
class Hw:
    """HwLimits of a small IMA (square arrays, DAC / ADC buffers as deep as the array)."""
    rows: int = 32
    cols: int = 32
    dac_depth: int = 32
    adc_depth: int = 32
    tcdm_bytes: int = 1 << 19

    @classmethod
    def square(cls, n: int) -> "Hw":
        return cls(n, n, n, n)


class NetBuilder:
    """Appends layers with seeded random weights to a graph and calibrates every ADC transfer
    (``golden.choose_adc``) on the seeded input, in layer order, so activations use the 8-bit
    range (a saturated layer would make a weak test). Crossbar layers whose rows exceed ``rows``
    get ``row_splits`` at the multiples of ``rows`` and a calibrated ``partial_adc``."""

    def __init__(self, rng: np.random.Generator, input_shape, rows: int = 32):
        self.rng, self.rows = rng, rows
        self.input_shape = tuple(input_shape)
        self.x = rng.integers(0, 256, self.input_shape, dtype=np.uint8)
        self.tensors = {INPUT: self.x}
        self.layers: list[Layer] = []

    def add(self, name, kind, inputs, *, cout=None, kernel=1, stride=1, pad=0, signed=False,
            w_bits=None, out_hw=None):
        inputs = (inputs,) if isinstance(inputs, str) else tuple(inputs)
        h, w, c = self.tensors[inputs[0]].shape
        k = kernel
        rng = self.rng
        weights, lo = None, (-128 if signed else 0)
        if kind in ("conv", "depthwise"):
            ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        elif kind == "pointwise":
            ho, wo = (h - 1) // stride + 1, (w - 1) // stride + 1
        elif kind == "avgpool":
            ho, wo = out_hw or (1, 1)
            k = h // ho
        elif kind == "add":
            ho, wo = h, w
        else:
            ho, wo = 1, 1
        cout = c if kind in ("depthwise", "add", "avgpool") else cout
        if kind == "conv":
            weights = rng.integers(-7, 8, (cout, k, k, c))
        elif kind in ("pointwise", "fc"):
            weights = rng.integers(-7, 8, (cout, c if kind == "pointwise" else h * w * c))
        elif kind == "depthwise":
            weights = rng.integers(-128, 128, (c, k, k))
        if w_bits == 8 and kind == "fc":
            weights = rng.integers(-128, 128, weights.shape)
        w_bits = w_bits or (8 if kind == "depthwise" else 4)
        kw = dict(name=name, kind=kind, inputs=inputs, in_shape=(h, w, c), out_shape=(ho, wo, cout),
                  weights=None if weights is None else weights.astype(np.int8), kernel=k,
                  stride=stride, pad=pad, w_bits=w_bits)
        ins = [self.tensors[t] for t in inputs]
        if kind == "add":
            layer = Layer(**kw)
        else:
            probe = Layer(**kw, adc=(1, 0, lo, 255 if lo == 0 else 127))
            rows = probe.xbar_shape[0] if probe.xbar_shape else 0
            splits = tuple(range(self.rows, rows, self.rows)) if kind != "fc" or w_bits == 4 else ()
            if splits:
                probe = Layer(**kw, adc=probe.adc, row_splits=splits,
                              partial_adc=(1, 0, *PARTIAL_RANGE))
                _, _, paccs, _ = layer_golden(probe, ins)
                pm, ps = golden.choose_adc(np.concatenate([a.reshape(-1) for a in paccs]), *PARTIAL_RANGE)
                part = (pm, ps, *PARTIAL_RANGE)
                total = sum(golden.requant(a, *part) for a in paccs)
                adc = (*golden.choose_adc(total, lo, probe.adc[3]), lo, probe.adc[3])
                layer = Layer(**kw, adc=adc, row_splits=splits, partial_adc=part)
            else:
                _, acc, _, _ = layer_golden(probe, ins)
                adc = (*golden.choose_adc(acc, lo, probe.adc[3]), lo, probe.adc[3])
                layer = Layer(**kw, adc=adc)
        self.layers.append(layer)
        self.tensors[name] = layer_golden(layer, ins)[0].reshape(layer.out_shape)
        return self

    def graph(self, name="net") -> Graph:
        return Graph(name, self.input_shape, list(self.layers))


@pytest.fixture
def net_builder():
    """``net_builder(rng, input_shape, rows=32) -> NetBuilder``."""
    return NetBuilder


@pytest.fixture
def hw():
    """``hw(n) -> Hw`` with n x n arrays."""
    return Hw.square
