"""Integer golden models of the layers the cluster runs, plus seeded data generators.

An independent reference: plain numpy ``einsum``/``matmul`` on int64 (or on float64 where every
partial sum is an integer below 2**53, so exactly the same: :func:`int_matmul`), no crossbar or
mapping code.
All activations are HWC (channels innermost). Every layer applies the ADC transfer of docs/spec.md
section 2::

    y = clamp((acc * M + 2**(S-1)) >> S, LO, HI)      (no rounding term when S == 0, floor shift)

Outputs are ``uint8`` when ``LO >= 0`` and ``int8`` otherwise. Weight layouts:
conv ``[cout, k, k, cin]``, pointwise / fully connected ``[cout, cin]``, depthwise ``[c, k, k]``,
integers in ``[-7, 7]``. Convolutions take a *pre-padded* input (see ``pad_hwc``), as the IMA
reads it from TCDM.
"""

import numpy as np
import numpy.typing as npt

__all__ = ["requant", "out_dtype", "pad_hwc", "conv2d_acc", "conv2d", "pointwise_acc", "pointwise",
           "depthwise_acc", "depthwise", "fc_acc", "fully_connected", "residual_add", "maxpool",
           "choose_adc", "int_matmul", "random_activations", "random_weights", "BottleneckData",
           "make_bottleneck", "bottleneck"]


def requant(acc: npt.ArrayLike, m: int, s: int, lo: int, hi: int) -> npt.NDArray[np.int64]:
    """The ADC transfer on int64; returns an int64 array in ``[lo, hi]``."""
    acc = np.asarray(acc, dtype=np.int64)
    rnd = np.int64(1 << (s - 1)) if s > 0 else np.int64(0)
    return np.clip((acc * np.int64(m) + rnd) >> np.int64(s), lo, hi)


def out_dtype(lo: int) -> type[np.uint8] | type[np.int8]:
    """``uint8`` for a non-negative clamp, ``int8`` otherwise."""
    return np.uint8 if lo >= 0 else np.int8


def _cast(y, lo):
    return y.astype(out_dtype(lo))


def pad_hwc(x: npt.ArrayLike, pad: int) -> np.ndarray:
    """Zero-pad the two spatial dimensions of an HWC array by ``pad`` on each side."""
    return np.pad(np.asarray(x), ((pad, pad), (pad, pad), (0, 0)))


def _out_size(n, k, stride):
    if n < k:
        raise ValueError(f"padded input size {n} is smaller than the kernel {k}")
    return (n - k) // stride + 1


def _patches(xp, k, stride):
    """``[Ho, Wo, k, k, C]`` int64 array of the KxK patches of a padded HWC input
    (``out[oy, ox, ky, kx, c] = xp[stride * oy + ky, stride * ox + kx, c]``), copied once from a
    strided window view."""
    hp, wp, _ = xp.shape
    ho, wo = _out_size(hp, k, stride), _out_size(wp, k, stride)
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(xp), (k, k), axis=(0, 1))
    win = win[::stride, ::stride][:ho, :wo]                        # [ho, wo, c, ky, kx]
    return np.ascontiguousarray(win.transpose(0, 1, 3, 4, 2), dtype=np.int64)


#: Integers up to this magnitude are exact in float64 (53-bit significand).
_FLOAT_EXACT = 1 << 53

_blas = None


def _one_blas_thread():
    """A context in which BLAS runs on one thread. The golden model's products are small: on a
    busy machine (``pytest -n 2`` on two cores) OpenBLAS's threads wait for a core and a 2 M-MAC
    product took 13-30 ms instead of 0.5 ms (measured 2026-11-29 at load 2.7)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController
        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def int_matmul(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``a @ b`` of integer arrays (``b`` 2-D), as int64, exactly. numpy's int64 matmul has no
    BLAS (about 20x slower than float64's); when ``max|a| * max|b| * K`` (``K`` the summed
    dimension) is below 2**53, every product and partial sum, in whatever order and with fused
    multiply-adds, is an integer float64 holds exactly, so the float64 product converted back is
    the int64 one. Otherwise the int64 product."""
    a, b = np.asarray(a), np.asarray(b)
    k = a.shape[-1]
    if a.size and b.size and k:
        bound = int(np.abs(a).max()) * int(np.abs(b).max()) * k
        if bound < _FLOAT_EXACT:
            # one 2-D product: a stacked one is a BLAS call per leading index, slow when small
            with _one_blas_thread():
                flat = a.reshape(-1, k).astype(np.float64) @ b.astype(np.float64)
            return flat.astype(np.int64).reshape(*a.shape[:-1], *b.shape[1:])
    return a.astype(np.int64) @ b.astype(np.int64)


def conv2d_acc(x_padded: np.ndarray, w: npt.ArrayLike, stride: int = 1) -> npt.NDArray[np.int64]:
    """Accumulators of a KxK conv: ``acc[oy, ox, co] = sum w[co,ky,kx,ci] * x[sy+ky, sx+kx, ci]``."""
    w = np.asarray(w, dtype=np.int64)
    return np.einsum("hwyxc,oyxc->hwo", _patches(x_padded, w.shape[1], stride), w)


def conv2d(x_padded: np.ndarray, w: npt.ArrayLike, m: int, s: int, lo: int = 0, hi: int = 255,
           stride: int = 1) -> np.ndarray:
    """KxK convolution on a pre-padded uint8 HWC input, requantised."""
    return _cast(requant(conv2d_acc(x_padded, w, stride), m, s, lo, hi), lo)


def pointwise_acc(x: npt.ArrayLike, w: npt.ArrayLike, stride: int = 1) -> npt.NDArray[np.int64]:
    """Accumulators of a 1x1 conv: ``acc[h, w, co] = sum_ci w[co, ci] * x[h, w, ci]``."""
    x = np.asarray(x, dtype=np.int64)[::stride, ::stride, :]
    return x @ np.asarray(w, dtype=np.int64).T


def pointwise(x: npt.ArrayLike, w: npt.ArrayLike, m: int, s: int, lo: int = 0, hi: int = 255,
              stride: int = 1) -> np.ndarray:
    """Pointwise (1x1) convolution, requantised."""
    return _cast(requant(pointwise_acc(x, w, stride), m, s, lo, hi), lo)


def depthwise_acc(x_padded: np.ndarray, w: npt.ArrayLike, stride: int = 1) -> npt.NDArray[np.int64]:
    """Accumulators of a KxK depthwise conv: ``acc[oy, ox, c] = sum w[c,ky,kx] * x[.., c]``."""
    w = np.asarray(w, dtype=np.int64)
    return np.einsum("hwyxc,cyx->hwc", _patches(x_padded, w.shape[1], stride), w)


def depthwise(x_padded: np.ndarray, w: npt.ArrayLike, m: int, s: int, lo: int = 0, hi: int = 255,
              stride: int = 1) -> np.ndarray:
    """KxK depthwise convolution on a pre-padded HWC input, requantised."""
    return _cast(requant(depthwise_acc(x_padded, w, stride), m, s, lo, hi), lo)


def fc_acc(x: npt.ArrayLike, w: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Accumulators of a fully connected layer on the flattened input."""
    return np.asarray(w, dtype=np.int64) @ np.asarray(x, dtype=np.int64).reshape(-1)


def fully_connected(x: npt.ArrayLike, w: npt.ArrayLike, m: int, s: int, lo: int = 0,
                    hi: int = 255) -> np.ndarray:
    """Fully connected layer on the flattened (HWC order) input, requantised; shape ``(cout,)``."""
    return _cast(requant(fc_acc(x, w), m, s, lo, hi), lo)


def residual_add(x: npt.ArrayLike, p: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """``clamp(x + p, 0, 255)`` as uint8 (x uint8, p int8): the next DAC input stays unsigned."""
    return np.clip(np.asarray(x, dtype=np.int64) + np.asarray(p, dtype=np.int64), 0, 255
                   ).astype(np.uint8)


def maxpool(x: npt.ArrayLike, k: int, stride: int, pad: int = 0) -> npt.NDArray[np.uint8]:
    """KxK max pool of a uint8 HWC input with zero padding ``pad`` (for unsigned inputs the same
    as the -inf padding of PyTorch / ONNX as long as ``pad <= k // 2``: every window holds an
    input value)."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise ValueError(f"maxpool reads uint8, not {x.dtype}")
    return _patches(pad_hwc(x, pad), k, stride).max(axis=(2, 3)).astype(np.uint8)


def choose_adc(acc: npt.ArrayLike, lo: int = 0, hi: int = 255, *, percentile: float = 99.0,
               max_m: int = (1 << 15) - 1, max_s: int = 24) -> tuple[int, int]:
    """Pick ``(M, S)`` so the outputs use the ``[lo, hi]`` range; deterministic given ``acc``.

    The reference value ``r`` is the ``percentile`` of the positive accumulators (``lo >= 0``:
    ReLU output) or of ``|acc|`` (signed output); ``M / 2**S ~= hi / r`` with the largest
    ``S <= max_s`` that keeps ``M <= max_m``.

    Returns
    -------
    (int, int)
        ``(M, S)``.
    """
    acc = np.asarray(acc, dtype=np.int64).reshape(-1)
    ref_vals = acc[acc > 0] if lo >= 0 else np.abs(acc)
    ref = float(np.percentile(ref_vals, percentile)) if ref_vals.size else 1.0
    scale = hi / max(ref, 1.0)
    for s in range(max_s, -1, -1):
        m = int(round(scale * (1 << s)))
        if m <= max_m:
            return max(m, 1), s
    return max_m, 0


def random_activations(rng: np.random.Generator, shape: int | tuple[int, ...]) -> npt.NDArray[np.uint8]:
    """Uniform uint8 activations in ``[0, 255]``."""
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def random_weights(rng: np.random.Generator, shape: int | tuple[int, ...]) -> npt.NDArray[np.int8]:
    """Uniform int8 weights in ``[-7, 7]``."""
    return rng.integers(-7, 8, size=shape, dtype=np.int8)


class BottleneckData:
    """Inputs, weights and per-layer ADC parameters of one MobileNetV2 bottleneck.

    Attributes
    ----------
    x : uint8 [H, W, C]
    w_exp : int8 [tC, C]; w_dw : int8 [tC, 3, 3]; w_proj : int8 [C, tC]
    adc_exp, adc_dw, adc_proj : (M, S, LO, HI)
    """

    def __init__(self, x: npt.NDArray[np.uint8], w_exp: npt.NDArray[np.int8], w_dw: npt.NDArray[np.int8],
                 w_proj: npt.NDArray[np.int8], adc_exp: tuple[int, int, int, int],
                 adc_dw: tuple[int, int, int, int], adc_proj: tuple[int, int, int, int]) -> None:
        self.x, self.w_exp, self.w_dw, self.w_proj = x, w_exp, w_dw, w_proj
        self.adc_exp, self.adc_dw, self.adc_proj = adc_exp, adc_dw, adc_proj

    @property
    def shape(self) -> tuple[int, ...]:
        return self.x.shape

    @property
    def t(self) -> int:
        return self.w_exp.shape[0] // self.x.shape[2]


def make_bottleneck(seed: int, h: int = 16, w: int = 16, c: int = 32, t: int = 6) -> BottleneckData:
    """Seeded bottleneck data; each layer's ``(M, S)`` is chosen from its own accumulators."""
    rng = np.random.default_rng(seed)
    x = random_activations(rng, (h, w, c))
    w_exp = random_weights(rng, (t * c, c))
    w_dw = random_weights(rng, (t * c, 3, 3))
    w_proj = random_weights(rng, (c, t * c))
    adc_exp = choose_adc(pointwise_acc(x, w_exp), 0, 255) + (0, 255)
    e = pointwise(x, w_exp, *adc_exp)
    adc_dw = choose_adc(depthwise_acc(pad_hwc(e, 1), w_dw), 0, 255) + (0, 255)
    d = depthwise(pad_hwc(e, 1), w_dw, *adc_dw)
    adc_proj = choose_adc(pointwise_acc(d, w_proj), -128, 127) + (-128, 127)
    return BottleneckData(x, w_exp, w_dw, w_proj, adc_exp, adc_dw, adc_proj)


def bottleneck(data: BottleneckData) -> dict[str, np.ndarray]:
    """Run the bottleneck; returns a dict with ``e`` (expand), ``d`` (depthwise), ``p`` (project,
    int8) and ``y`` (residual, uint8)."""
    e = pointwise(data.x, data.w_exp, *data.adc_exp)
    d = depthwise(pad_hwc(e, 1), data.w_dw, *data.adc_dw)
    p = pointwise(d, data.w_proj, *data.adc_proj)
    return {"e": e, "d": d, "p": p, "y": residual_add(data.x, p)}
