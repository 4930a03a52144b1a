"""Job-level execution of a compiled network (:class:`sim_models.compiler.NetProgram`).

The fast reference of a whole-network run: every phase of every step runs on a numpy byte image
of the TCDM, in order, with the addresses the program gives --

* ``ima``: :func:`sim_models.executor.execute` (every job's STREAMIN / MVM / STREAMOUT) on the
  crossbars, one :class:`sim_models.crossbar.Crossbar` per array, programmed from the program's
  placements (or crossbars the caller gives, e.g. non-ideal ones);
* ``dwa``: :func:`sim_models.dwa.execute`, the depth-wise accelerator's byte-image executor;
* the software phases: numpy versions of the kernels (below) that, like the RTL kernels, read
  their input buffers and write only their output bytes (the interior of a padded buffer).

Each step's output buffer is read right after its phases (later steps reuse the memory), so a
wrong address, a buffer reused too early or a padding ring left dirty shows up as a mismatch with
the golden tensor (:func:`check_program`). The RTL runner and issues 16 / 18 build on this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from sim_models import dwa, golden
from sim_models.compiler import NetProgram
from sim_models.crossbar import Crossbar
from sim_models.executor import execute
from sim_models.mapping import Buffer, target_for
from sim_models.workloads import Phase

__all__ = ["execute_program", "run_phase", "check_program", "program_crossbars", "SW_KERNELS"]


def _view(buf: Buffer, image: npt.NDArray[np.uint8]) -> np.ndarray:
    """A writable ``dtype`` view of ``buf``'s bytes (padded shape)."""
    return image[buf.addr:buf.addr + buf.nbytes].view(buf.dtype).reshape(buf.padded_shape)


def _write_interior(buf: Buffer, image: npt.NDArray[np.uint8], values: npt.ArrayLike) -> None:
    """Store ``values`` (logical shape) in ``buf``: the interior only, the ring untouched."""
    v = np.asarray(values).astype(buf.dtype).reshape(buf.shape)
    view = _view(buf, image)
    p = buf.pad
    if p:
        view[p:-p, p:-p, :] = v
    else:
        view[...] = v


def _requant_into(buf, image, acc, adc):
    _write_interior(buf, image, golden.requant(acc, *adc))


def sw_residual(image, x_buf, p_buf, y_buf):
    """``y = clamp(x + p, 0, 255)``."""
    _write_interior(y_buf, image, golden.residual_add(x_buf.read(image), p_buf.read(image)))


def sw_fc(image, src, w_buf, dst, adc):
    """``dst = requant(W @ src)``, ``W`` ``[C_out, C_in]`` int8 at ``w_buf``."""
    x = src.read(image).astype(np.int64).reshape(-1)
    w = image[w_buf.addr:w_buf.addr + w_buf.nbytes].view(np.int8).reshape(-1, x.size)
    _requant_into(dst, image, w.astype(np.int64) @ x, adc)


def sw_avgpool(image, src, dst, k, adc):
    """Per-channel sums of the ``k x k`` windows (stride ``k``), requantised."""
    ho, wo, c = dst.shape
    x = src.read(image).astype(np.int64)[:ho * k, :wo * k, :]
    _requant_into(dst, image, x.reshape(ho, k, wo, k, c).sum(axis=(1, 3)), adc)


def sw_maxpool(image, src, dst, k, stride, pad):
    """KxK max pool with ``stride`` and (zero = -inf for uint8) padding ``pad`` of the interior."""
    _write_interior(dst, image, golden.maxpool(src.read(image), k, stride, pad))


def sw_concat(image, srcs, dst):
    """Channel concatenation of the ``srcs`` buffers, in order."""
    _write_interior(dst, image, np.concatenate([b.read(image) for b in srcs], axis=2))


def sw_add_partials(image, parts, dst, adc):
    """``dst = requant(sum of the int8 partials)`` (32-bit sum on the cores)."""
    total = np.sum([p.read(image).astype(np.int64) for p in parts], axis=0)
    _requant_into(dst, image, total, adc)


def _weights(w_buf, image, shape):
    return image[w_buf.addr:w_buf.addr + w_buf.nbytes].view(np.int8).reshape(shape).astype(np.int64)


def sw_pointwise(image, src, w_buf, dst, adc):
    """1x1 convolution, stride 1: ``dst[p] = requant(W @ src[p])``, ``W`` ``[C_out, C_in]``."""
    x = src.read(image).astype(np.int64)
    w = _weights(w_buf, image, (dst.shape[2], x.shape[2]))
    _requant_into(dst, image, x @ w.T, adc)


def sw_conv(image, src, w_buf, dst, adc, k, stride):
    """KxK convolution of the padded ``src`` (its ring is the padding), ``W`` ``[C_out, K, K,
    C_in]``."""
    cin = src.shape[2]
    x = _view(src, image)
    w = _weights(w_buf, image, (dst.shape[2], k, k, cin))
    acc = golden.conv2d_acc(x, w, stride)[:dst.shape[0], :dst.shape[1]]
    _requant_into(dst, image, acc, adc)


def sw_hwc_to_chw(image, src, dst_addr):
    """The padded HWC buffer ``src`` (ring included) as CHW planes at ``dst_addr``."""
    x = _view(src, image)
    image[dst_addr:dst_addr + x.size] = np.ascontiguousarray(x.transpose(2, 0, 1)).reshape(-1)


def sw_depthwise_chw(image, chw_addr, padded_shape, w_buf, dst, adc, k=3, stride=1):
    """KxK depth-wise on the CHW planes at ``chw_addr``, ``W`` ``[C, K, K]``; HWC output."""
    hp, wp, c = padded_shape
    planes = image[chw_addr:chw_addr + c * hp * wp].reshape(c, hp, wp).transpose(1, 2, 0)
    acc = golden.depthwise_acc(planes, _weights(w_buf, image, (c, k, k)), stride)
    _requant_into(dst, image, acc[:dst.shape[0], :dst.shape[1]], adc)


def sw_zero_ring(image, buf):
    """Zero the padding ring of ``buf`` (its interior untouched)."""
    p = buf.pad
    if not p:
        return
    view = _view(buf, image)
    view[:p], view[-p:], view[:, :p], view[:, -p:] = 0, 0, 0, 0


#: The software phases by kind (numpy versions of :mod:`tb.bfm.kernels`).
SW_KERNELS: dict[str, Callable[..., None]] = {
    "sw_residual": sw_residual, "sw_fc": sw_fc, "sw_avgpool": sw_avgpool,
    "sw_maxpool": sw_maxpool, "sw_concat": sw_concat,
    "sw_add_partials": sw_add_partials, "sw_zero_ring": sw_zero_ring,
    "sw_pointwise": sw_pointwise, "sw_conv": sw_conv, "sw_hwc_to_chw": sw_hwc_to_chw,
    "sw_depthwise_chw": sw_depthwise_chw}


def run_phase(phase: Phase, image: npt.NDArray[np.uint8], xbars: Sequence[Crossbar]) -> None:
    """Run one phase on ``image`` in place (ValueError on an unknown kind)."""
    if phase.kind == "ima":
        execute(image, list(xbars), phase.args["layer"].jobs)
    elif phase.kind == "dwa":
        dwa.execute(phase.args["job"].validate(image.size), image)
    elif phase.kind in SW_KERNELS:
        SW_KERNELS[phase.kind](image, **phase.args)
    else:
        raise ValueError(f"phase {phase.name}: unknown kind {phase.kind!r}")


def program_crossbars(program: NetProgram, xbars: Sequence[Any] | None = None,
                      **xbar_kwargs: Any) -> list[Any]:
    """Program every placement of ``program`` into ``xbars`` (one per array), or into new
    ``Crossbar(program.rows, program.cols, **xbar_kwargs)``; returns the list."""
    n = program.arrays * getattr(program, "imas", 1)     # private IMAs: arrays of IMA k at k * arrays
    if xbars is None:
        xbars = [Crossbar(program.rows, program.cols, **xbar_kwargs) for _ in range(n)]
    xbars = list(xbars)
    if len(xbars) < n:
        raise ValueError(f"xbars: the program needs {n} crossbars, {len(xbars)} given")
    for p in program.placements:
        target_for(xbars, p.array).program(p.row, p.col, p.weights)
    return xbars


def execute_program(program: NetProgram, xbars: Sequence[Any] | None = None, *,
                    programmed: bool = False,
                    image: npt.NDArray[np.uint8] | None = None) -> dict[str, np.ndarray]:
    """Run every step of ``program``; returns ``{layer: output read right after its step}``.

    Parameters
    ----------
    xbars : list of Crossbar, optional
        One per array (e.g. non-ideal ones); new ideal ones by default. Programmed from the
        program's placements unless ``programmed``.
    image : np.uint8 array, optional
        The TCDM image to run on, in place (default: a copy of ``program.image``), e.g. one with
        stale data outside the preloaded bytes.
    """
    if xbars is None or not programmed:
        xbars = program_crossbars(program, xbars)
    image = program.image.copy() if image is None else image
    if image.shape != program.image.shape or image.dtype != np.uint8:
        raise ValueError(f"image must be a np.uint8 array of {program.image.size} bytes")
    out = {}
    per = program.arrays
    for step in program.steps:
        for ph in step.phases:
            if ph.kind == "ima" and "layers" in ph.args:        # private IMA k: its own crossbars
                for k, lm in ph.args["layers"].items():
                    execute(image, xbars[k * per:(k + 1) * per], lm.jobs)
                continue
            run_phase(ph, image, xbars)
        out[step.layer] = step.out.read(image)
    return out


def check_program(program: NetProgram, outputs: dict[str, np.ndarray] | None = None,
                  **kwargs: Any) -> list[tuple[str, bool, int]]:
    """``[(layer, passed, mismatches)]``: every step's output against ``step.expected``
    (``outputs`` from :func:`execute_program`, run with ``kwargs`` when None)."""
    outputs = execute_program(program, **kwargs) if outputs is None else outputs
    res = []
    for s in program.steps:
        got = outputs[s.layer]
        ok = got.shape == s.expected.shape and bool(np.array_equal(got, s.expected))
        res.append((s.layer, ok, int(np.count_nonzero(got != s.expected)) if got.shape == s.expected.shape
                    else int(s.expected.size)))
    return res
