"""Quantisation of a network graph: weights to the crossbar's integers, ADC transfers from data.

One home for what the zoo (:mod:`sim_models.nets.mobilenetv2`) and the ONNX import
(:mod:`sim_models.onnx_io`) share:

- :func:`quantise_weights` -- float weights to ``w_bits`` integers with **one scale per layer**
  (symmetric, zero point 0). Per layer, not per channel: the IMA's ADC applies one multiplier
  ``M`` to every column of a job (BRIEF.md section 2), so a per-channel weight scale could not be
  undone at the output. Weights that already are integers in range are kept as they are (scale
  1), so an integer graph exported to ONNX comes back unchanged.
- :func:`output_range` -- the ``(LO, HI)`` clamp of a layer's output from what consumes it: the
  crossbar's DAC takes unsigned 8-bit inputs, so every tensor read by a conv / pointwise /
  depth-wise / fc / avgpool layer is uint8 ``(0, 255)``; a linear output that only feeds residual
  adds (as their second operand) or nothing is int8 ``(-128, 127)``.
- :func:`calibrate` -- cut crossbar layers whose rows exceed one array into ``row_splits`` and
  choose every ``(M, S)`` with :func:`sim_models.golden.choose_adc` on calibration inputs, layer by
  layer in execution order (each layer sees the outputs of the already calibrated layers before
  it), so activations use the 8-bit range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from sim_models import golden
from sim_models.graph import INPUT, NO_ADC_KINDS, PARTIAL_RANGE, XBAR_KINDS, Graph, Layer, layer_golden

__all__ = ["quantise_weights", "output_range", "output_ranges", "split_rows", "calibrate", "calib_batch",
           "UINT8", "INT8"]

#: Output clamps: uint8 (ReLU folded in) and int8 (linear).
UINT8, INT8 = (0, 255), (-128, 127)


def quantise_weights(w: npt.ArrayLike, bits: int) -> tuple[np.ndarray, float]:
    """``(w_int8, scale)`` with ``w ~= w_int8 * scale``: symmetric, one scale for the whole layer.

    ``bits`` 4 gives integers in ``[-7, 7]`` (the crossbar's differential PCM pair, no -8),
    8 gives ``[-127, 127]``. Integer-valued weights already inside that range (or ``[-128, 127]``
    for 8 bits) are returned unchanged with scale 1."""
    if bits not in (4, 8):
        raise ValueError(f"bits must be 4 or 8, not {bits!r}")
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    qmax = (1 << (bits - 1)) - 1
    lo = -128 if bits == 8 else -qmax
    if w.size == 0 or (np.array_equal(w, np.round(w)) and w.min() >= lo and w.max() <= qmax):
        return w.astype(np.int8), 1.0
    scale = float(np.abs(w).max()) / qmax
    return np.clip(np.round(w / scale), -qmax, qmax).astype(np.int8), scale


def output_range(linear: bool, consumers: Iterable[tuple[str, int]]) -> tuple[int, int]:
    """``(LO, HI)`` of a layer's output.

    ``linear`` is False when a ReLU follows the layer (then uint8). ``consumers`` are the
    ``(kind, input position)`` of the layers that read the output. A linear output stays signed
    (int8) only when every consumer is an ``add`` reading it as its second operand (or there is no
    consumer: a network output, e.g. logits); anything else reads unsigned DAC codes, so the
    output is clamped at 0 -- a ReLU the float network may not have (MobileNetV2's linear
    projections that feed the next block's expansion)."""
    consumers = list(consumers)
    if linear and all(kind == "add" and pos == 1 for kind, pos in consumers):
        return INT8
    return UINT8


def output_ranges(layers: Iterable[tuple[str, str, tuple[str, ...], bool]]) -> dict[str, tuple[int, int]]:
    """``{name: (LO, HI)}`` for ``(name, kind, inputs, linear)`` in execution order, by
    :func:`output_range` on each layer's consumers; ``add`` layers are always uint8 (the residual
    add of :func:`sim_models.golden.residual_add` clamps to ``[0, 255]``), and so are ``maxpool``
    and ``concat`` (they pass uint8 codes through)."""
    layers = list(layers)
    consumers: dict[str, list[tuple[str, int]]] = {name: [] for name, *_ in layers}
    for _name, kind, inputs, _linear in layers:
        for pos, t in enumerate(inputs):
            if t in consumers:
                consumers[t].append((kind, pos))
    return {name: UINT8 if kind in NO_ADC_KINDS else output_range(linear, consumers[name])
            for name, kind, _inputs, linear in layers}


def split_rows(layer: Layer, rows: int | None) -> tuple[int, ...]:
    """Row offsets that cut a crossbar layer into pieces of at most ``rows`` rows (``()`` when it
    fits, is not a crossbar layer, or ``rows`` is None)."""
    if rows is None or layer.kind not in XBAR_KINDS:
        return ()
    if not isinstance(rows, int) or rows < 1:
        raise ValueError(f"rows must be a positive integer or None, not {rows!r}")
    return tuple(range(rows, layer.xbar_shape[0], rows))


def calib_batch(calib: npt.ArrayLike, input_shape: tuple[int, int, int]) -> np.ndarray:
    """The calibration inputs as a uint8 ``(N, H, W, C)`` batch (one ``(H, W, C)`` image allowed)."""
    x = np.asarray(calib)
    if x.ndim == 3:
        x = x[None]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != tuple(input_shape) or not len(x):
        raise ValueError(f"calib must be uint8 (N, {', '.join(map(str, input_shape))}) or one image, "
                         f"not {x.dtype} {x.shape}")
    return x


def calibrate(graph: Graph, calib: npt.ArrayLike, rows: int | None = 256, *,
              percentile: float = 99.0) -> Graph:
    """A copy of ``graph`` with row splits and every ADC transfer chosen on ``calib``.

    ``graph`` carries the structure, the integer weights and each layer's ``(LO, HI)`` (its
    ``adc`` M and S are placeholders, as are any ``row_splits`` / ``partial_adc``). For each layer in
    order, on all calibration images at once: crossbar layers with more than ``rows`` rows get
    ``row_splits`` at multiples of ``rows``; their ``partial_adc`` is chosen on the accumulators of
    all pieces (signed 8-bit range) and the final ``adc`` on the sum of the resulting partials;
    other layers' ``adc`` on their full accumulators (:func:`sim_models.golden.choose_adc` with
    ``percentile``). ``rows=None`` leaves every layer whole."""
    xs = calib_batch(calib, graph.input_shape)
    tensors: dict[str, list[np.ndarray]] = {INPUT: list(xs)}
    layers: list[Layer] = []
    for lay in graph.layers:
        ins = [tensors[t] for t in lay.inputs]
        if lay.adc is not None:
            lo, hi = int(lay.adc[2]), int(lay.adc[3])
            splits = split_rows(lay, rows)
            trial = dataclasses.replace(lay, adc=(1, 0, lo, hi), row_splits=splits,
                                        partial_adc=(1, 0, *PARTIAL_RANGE) if splits else None)
            runs = [layer_golden(trial, [t[i] for t in ins]) for i in range(len(xs))]
            if splits:
                pm, ps = golden.choose_adc(np.concatenate([p.reshape(-1) for r in runs for p in r[2]]),
                                           *PARTIAL_RANGE, percentile=percentile)
                pad = (pm, ps, *PARTIAL_RANGE)
                sums = [np.sum([golden.requant(p, *pad) for p in r[2]], axis=0) for r in runs]
                m, s = golden.choose_adc(np.concatenate([x.reshape(-1) for x in sums]), lo, hi,
                                         percentile=percentile)
                lay = dataclasses.replace(trial, adc=(m, s, lo, hi), partial_adc=pad)
            else:
                m, s = golden.choose_adc(np.concatenate([r[1].reshape(-1) for r in runs]), lo, hi,
                                         percentile=percentile)
                lay = dataclasses.replace(trial, adc=(m, s, lo, hi))
        layers.append(lay)
        tensors[lay.name] = [layer_golden(lay, [t[i] for t in ins])[0].reshape(lay.out_shape)
                             for i in range(len(xs))]
    return Graph(graph.name, tuple(graph.input_shape), layers)
