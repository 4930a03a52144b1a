"""A small CNN trained on scikit-learn's digits, quantised to a :class:`sim_models.graph.Graph`.

The network (issue 18: a real trained network for the accuracy study under PCM non-idealities)
has one layer of each kind the cluster runs::

    input  8x8x1  uint8 (digit pixels 0..16 scaled to 0..255)
    conv   3x3, pad 1, 1 -> 16 channels, ReLU   -> 8x8x16   IMA, 4-bit weights
    dw     3x3, pad 1, stride 2, ReLU           -> 4x4x16   depth-wise accelerator, 8-bit weights
    pw     1x1, 16 -> 16, ReLU                  -> 4x4x16   IMA, 4-bit weights
    fc     256 -> 10 (int8 logits)              -> 1x1x10   IMA, 4-bit weights (256 rows: one array)

No biases (the graph's layers have none: the ADC transfer is ``y = clamp((acc*M + r) >> S)``).

**Library**: plain numpy, forward and backward written out here (im2col by strided slices, Adam).
The net has ~3 k weights and the data set 1,437 training images of 8x8, so numpy trains it in
seconds; it keeps CI free of a multi-gigabyte deep-learning install, and float64 numpy with a
fixed seed gives the same weights bit for bit on one machine (no threaded non-deterministic
kernels, no GPU).

**Data**: ``sklearn.datasets.load_digits`` (1,797 images shipped inside scikit-learn, no
download), split 80 / 20 stratified with ``random_state=0`` (1,437 train, 360 held-out test).

**Training**: cross-entropy, Adam (lr 0.01, halved every 10 epochs), batch 32, ``EPOCHS`` epochs,
then quantisation-aware fine-tuning: the last ``QAT_EPOCHS`` epochs run the forward pass on
weights rounded to their integer grid (per-layer symmetric scale ``max|W| / 7`` for 4-bit,
``/ 127`` for 8-bit) with a straight-through gradient, so the integer model keeps the float
model's accuracy.

**Quantisation** (:func:`quantise`): input scale 1/255; per layer the integer weights above and
an output scale from calibration on the *training* set (the ``CAL_PERCENTILE`` percentile of the
float activation of ReLU layers over 255, of ``|logit|`` over 127 for the int8 classifier);
the ADC's ``M / 2**S`` approximates ``s_w * s_in / s_out`` with the largest ``S`` keeping ``M``
a signed 16-bit value.

Reproduce the committed weights file (``digits_cnn.npz`` beside this module)::

    python -m sim_models.nets.digits --seed 0 -o sim_models/nets/digits_cnn.npz
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim_models.graph import Graph, Layer

__all__ = ["WEIGHTS_FILE", "EPOCHS", "QAT_EPOCHS", "DigitsData", "load_data", "init_params",
           "forward", "train", "quantise", "save", "load_params", "load_graph", "float_accuracy",
           "int_logits", "main"]

#: The committed trained weights (reproduced by ``main`` with seed 0).
WEIGHTS_FILE = Path(__file__).with_name("digits_cnn.npz")
EPOCHS = 30
QAT_EPOCHS = 10
BATCH = 32
LR = 0.01
CAL_PERCENTILE = 99.9
CHANNELS = 16
#: Layer names, kinds and weight widths, in order.
LAYERS = (("conv", 4), ("dw", 8), ("pw", 4), ("fc", 4))


@dataclass(frozen=True)
class DigitsData:
    """The digits split: uint8 HWC images ``(N, 8, 8, 1)`` and int labels."""
    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.int64]
    x_test: npt.NDArray[np.uint8]
    y_test: npt.NDArray[np.int64]


@functools.cache
def load_data() -> DigitsData:
    """scikit-learn's digits, pixels ``0..16`` scaled to ``round(p * 255 / 16)``, 80/20 split
    (cached: one load per process; do not modify the arrays)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = ((d.images.astype(np.int64) * 255 + 8) // 16).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    return DigitsData(xtr, ytr, xte, yte)


# ---------------------------------------------------------------------- float model
def init_params(seed: int) -> dict[str, np.ndarray]:
    """He-normal initial weights from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    c = CHANNELS

    def he(shape, fan_in):
        return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
    return {"conv": he((c, 3, 3, 1), 9), "dw": he((c, 3, 3), 9), "pw": he((c, c), c),
            "fc": he((10, 4 * 4 * c), 4 * 4 * c)}


def _fake_quant(w: np.ndarray, bits: int) -> np.ndarray:
    """``w`` rounded to its per-layer symmetric integer grid (values stay float)."""
    lim = 7 if bits == 4 else 127
    s = np.abs(w).max() / lim
    return np.clip(np.round(w / s), -lim, lim) * s


def _patches(xp: np.ndarray, k: int, stride: int, ho: int, wo: int) -> np.ndarray:
    """``(N, ho, wo, k*k, C)`` windows of a padded NHWC batch (order ky, kx)."""
    return np.stack([xp[:, ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride]
                     for ky in range(k) for kx in range(k)], axis=3)


def _unpatch(g: np.ndarray, shape: tuple[int, ...], k: int, stride: int) -> np.ndarray:
    """Adjoint of :func:`_patches`: sum the window gradients back into the padded input."""
    out = np.zeros(shape)
    ho, wo = g.shape[1:3]
    for i, (ky, kx) in enumerate((a, b) for a in range(k) for b in range(k)):
        out[:, ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride] += g[:, :, :, i]
    return out


def forward(params: dict[str, np.ndarray], x: np.ndarray, *, quant: bool = False,
            cache: list | None = None) -> np.ndarray:
    """Float logits ``(N, 10)`` of a uint8 batch ``(N, 8, 8, 1)``; ``quant`` rounds the weights
    to their integer grid (the integer model's weights, float activations)."""
    w = {n: _fake_quant(params[n], b) if quant else params[n] for n, b in LAYERS}
    a0 = np.asarray(x, dtype=np.float64) / 255.0
    n = a0.shape[0]
    p1 = _patches(np.pad(a0, ((0, 0), (1, 1), (1, 1), (0, 0))), 3, 1, 8, 8).reshape(n, 8, 8, 9)
    z1 = p1 @ w["conv"].reshape(CHANNELS, 9).T
    a1 = np.maximum(z1, 0)
    p2 = _patches(np.pad(a1, ((0, 0), (1, 1), (1, 1), (0, 0))), 3, 2, 4, 4)     # (n,4,4,9,C)
    z2 = np.einsum("nhwkc,ck->nhwc", p2, w["dw"].reshape(CHANNELS, 9))
    a2 = np.maximum(z2, 0)
    z3 = a2 @ w["pw"].T
    a3 = np.maximum(z3, 0)
    f = a3.reshape(n, -1)
    logits = f @ w["fc"].T
    if cache is not None:
        cache.extend([w, p1, z1, a1, p2, z2, a2, z3, a3, f])
    return logits


def _grads(params, x, y, quant):
    cache: list = []
    logits = forward(params, x, quant=quant, cache=cache)
    w, p1, z1, a1, p2, z2, a2, z3, a3, f = cache
    n = x.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(n), y] + 1e-300).mean()
    g = prob
    g[np.arange(n), y] -= 1.0
    g /= n
    gr = {"fc": g.T @ f}
    g3 = (g @ w["fc"]).reshape(a3.shape) * (z3 > 0)
    gr["pw"] = g3.reshape(-1, CHANNELS).T @ a2.reshape(-1, CHANNELS)
    g2 = (g3 @ w["pw"]) * (z2 > 0)
    gr["dw"] = np.einsum("nhwkc,nhwc->ck", p2, g2).reshape(CHANNELS, 3, 3)
    gp2 = np.einsum("nhwc,ck->nhwkc", g2, w["dw"].reshape(CHANNELS, 9))
    g1 = _unpatch(gp2, (n, 10, 10, CHANNELS), 3, 2)[:, 1:-1, 1:-1] * (z1 > 0)
    gr["conv"] = (g1.reshape(-1, CHANNELS).T @ p1.reshape(-1, 9)).reshape(CHANNELS, 3, 3, 1)
    return loss, gr


def train(seed: int = 0, epochs: int = EPOCHS, qat_epochs: int = QAT_EPOCHS,
          data: DigitsData | None = None, log=None) -> dict[str, np.ndarray]:
    """Train from ``seed`` (initial weights and batch order); deterministic given the seed.

    ``qat_epochs`` of the ``epochs`` (the last ones) run quantisation-aware.

    Raises
    ------
    ValueError
        If ``epochs`` < 1 or ``qat_epochs`` is not in ``0..epochs``.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, not {epochs!r}")
    if not isinstance(qat_epochs, int) or not 0 <= qat_epochs <= epochs:
        raise ValueError(f"qat_epochs must be in 0..epochs ({epochs}), not {qat_epochs!r}")
    data = load_data() if data is None else data
    params = init_params(seed)
    rng = np.random.default_rng(seed + 1)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    b1, b2, step = 0.9, 0.999, 0
    for ep in range(epochs):
        lr = LR * 0.5 ** (ep // 10)
        quant = ep >= epochs - qat_epochs
        order = rng.permutation(len(data.y_train))
        losses = []
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            loss, gr = _grads(params, data.x_train[idx], data.y_train[idx], quant)
            losses.append(loss)
            step += 1
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * gr[k]
                v[k] = b2 * v[k] + (1 - b2) * gr[k] ** 2
                mh, vh = m[k] / (1 - b1 ** step), v[k] / (1 - b2 ** step)
                params[k] = params[k] - lr * mh / (np.sqrt(vh) + 1e-8)
        if log:
            log(f"epoch {ep + 1}/{epochs}{' (QAT)' if quant else ''}: loss {np.mean(losses):.4f}")
    return params


def float_accuracy(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                   quant: bool = False) -> float:
    """Top-1 accuracy of the float model (``quant``: on the integer-grid weights)."""
    return float((forward(params, x, quant=quant).argmax(axis=1) == y).mean())


# ---------------------------------------------------------------------- quantisation
def _adc_ratio(r: float) -> tuple[int, int]:
    """``(M, S)`` with ``M / 2**S ~= r``: the largest ``S <= 31`` keeping ``|M| < 2**15``."""
    for s in range(31, -1, -1):
        m = int(round(r * (1 << s)))
        if m < (1 << 15):
            return max(m, 1), s
    raise ValueError(f"requantisation ratio {r} does not fit a 16-bit multiplier")


def quantise(params: dict[str, np.ndarray], x_cal: np.ndarray) -> Graph:
    """The integer :class:`Graph` of a trained net, ADC scales calibrated on ``x_cal``."""
    cache: list = []
    forward(params, x_cal, quant=True, cache=cache)
    _, _, _, a1, _, _, a2, _, a3, _ = cache
    logits = forward(params, x_cal, quant=True)
    out_scale = {"conv": np.percentile(a1, CAL_PERCENTILE) / 255,
                 "dw": np.percentile(a2, CAL_PERCENTILE) / 255,
                 "pw": np.percentile(a3, CAL_PERCENTILE) / 255,
                 "fc": np.abs(logits).max() / 127}
    c = CHANNELS
    shapes = {"conv": ((8, 8, 1), (8, 8, c)), "dw": ((8, 8, c), (4, 4, c)),
              "pw": ((4, 4, c), (4, 4, c)), "fc": ((4, 4, c), (1, 1, 10))}
    layers, s_in, prev = [], 1.0 / 255, "input"
    for name, bits in LAYERS:
        w = params[name]
        lim = 7 if bits == 4 else 127
        sw = np.abs(w).max() / lim
        q = np.clip(np.round(w / sw), -lim, lim).astype(np.int8)
        mm, ss = _adc_ratio(sw * s_in / out_scale[name])
        lo, hi = (-128, 127) if name == "fc" else (0, 255)
        kind = {"conv": "conv", "dw": "depthwise", "pw": "pointwise", "fc": "fc"}[name]
        layers.append(Layer(name, kind, (prev,), *shapes[name], weights=q, adc=(mm, ss, lo, hi),
                            kernel=1 if kind in ("pointwise", "fc") else 3,
                            stride=2 if kind == "depthwise" else 1,
                            pad=1 if kind in ("conv", "depthwise") else 0, w_bits=bits))
        s_in, prev = out_scale[name], name
    return Graph("digits_cnn", (8, 8, 1), layers)


def int_logits(graph: Graph, x: np.ndarray) -> np.ndarray:
    """int8 logits ``(N, 10)`` of the integer golden model (:func:`sim_models.graph.run_golden`)."""
    from sim_models.graph import run_golden
    return np.stack([run_golden(graph, xi).tensors[graph.output].reshape(-1) for xi in x])


# ---------------------------------------------------------------------- file
def _graph_arrays(graph: Graph) -> dict[str, np.ndarray]:
    out = {}
    for lay in graph.layers:
        out[f"q_{lay.name}"] = lay.weights
        out[f"adc_{lay.name}"] = np.asarray(lay.adc, dtype=np.int64)
    return out


def save(path: str | Path, params: dict[str, np.ndarray], graph: Graph, seed: int) -> str:
    """Write float weights, integer weights and ADC parameters; returns the file's sha256."""
    buf = io.BytesIO()
    np.savez(buf, seed=np.int64(seed), **{f"w_{k}": v for k, v in params.items()},
             **_graph_arrays(graph))
    data = buf.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def load_params(path: str | Path = WEIGHTS_FILE) -> dict[str, np.ndarray]:
    """The float weights of a saved file."""
    with np.load(path) as f:
        return {n: f[f"w_{n}"] for n, _ in LAYERS}


def load_graph(path: str | Path = WEIGHTS_FILE) -> Graph:
    """The integer graph of a saved file (integer weights and ADC parameters as stored)."""
    c = CHANNELS
    with np.load(path) as f:
        q = {n: f[f"q_{n}"] for n, _ in LAYERS}
        adc = {n: tuple(int(v) for v in f[f"adc_{n}"]) for n, _ in LAYERS}
    return Graph("digits_cnn", (8, 8, 1), [
        Layer("conv", "conv", ("input",), (8, 8, 1), (8, 8, c), q["conv"], adc["conv"], 3, 1, 1),
        Layer("dw", "depthwise", ("conv",), (8, 8, c), (4, 4, c), q["dw"], adc["dw"], 3, 2, 1,
              w_bits=8),
        Layer("pw", "pointwise", ("dw",), (4, 4, c), (4, 4, c), q["pw"], adc["pw"]),
        Layer("fc", "fc", ("pw",), (4, 4, c), (1, 1, 10), q["fc"], adc["fc"])])


def main(argv: list[str] | None = None) -> int:
    """Train, quantise, report accuracies and write the weights file."""
    ap = argparse.ArgumentParser(prog="python -m sim_models.nets.digits", description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--qat-epochs", type=int, default=QAT_EPOCHS)
    ap.add_argument("-o", "--out", default=str(WEIGHTS_FILE))
    args = ap.parse_args(argv)
    if not Path(args.out).resolve().parent.is_dir():
        ap.exit(2, f"error: -o {args.out}: no such directory {Path(args.out).parent}\n")
    t0 = time.perf_counter()
    data = load_data()
    try:
        params = train(args.seed, args.epochs, args.qat_epochs, data, log=print)
    except ValueError as e:
        ap.exit(2, f"error: {e}\n")
    t_train = time.perf_counter() - t0
    graph = quantise(params, data.x_train)
    digest = save(args.out, params, graph, args.seed)
    acc_f = float_accuracy(params, data.x_test, data.y_test)
    acc_fq = float_accuracy(params, data.x_test, data.y_test, quant=True)
    acc_i = float((int_logits(graph, data.x_test).argmax(axis=1) == data.y_test).mean())
    print(f"training {t_train:.1f} s; test accuracy: float {acc_f:.4f}, float on the integer "
          f"weight grid {acc_fq:.4f}, integer model {acc_i:.4f} ({len(data.y_test)} images)")
    print(f"wrote {args.out} sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
