"""Job-level executor: runs ``LayerJob``s over a byte image of the TCDM exactly as the RTL does.

For every job of a ``LayerJob`` (``LayerJob.jobs()`` order): STREAMIN gathers ``height`` bytes
from ``src_base + src.offsets()`` into the DAC vector, COMPUTE is one ``Crossbar.mvm`` over the
job's window with the layer's ADC parameters, STREAMOUT stores the two's-complement low byte of
each of the ``width`` results at ``dst_base + dst.offsets()``. Jobs run strictly in order, so a job
sees the stores of the previous ones (as in the RTL, which finishes STREAMOUT before the next
STREAMIN).

A multi-array IMA (Garofalo et al. 2022, Sec. VI) is a list of crossbars, one per array index:
every job of a layer runs on ``xbars[layer.array]`` (:func:`sim_models.mapping.target_for`); a
single ``Crossbar`` is array 0.

This is the oracle the RTL tests reuse. ``build_layer`` / ``extract`` / ``run_layer`` wrap a
``sim_models.mapping.LayerMapping``; ``run_bottleneck`` runs a ``BottleneckMapping``, with the
steps the cores run (HYBRID depthwise, residual add) computed by the integer reference kernels and
the depth-wise accelerator's step (IMADW) by its byte-image executor, :func:`sim_models.dwa.execute`.
"""

from typing import Any

import numpy as np
import numpy.typing as npt

from . import dwa, golden
from .crossbar import Crossbar
from .jobconfig import LayerJob, Walk3D
from .mapping import TCDM_BYTES, BottleneckMapping, DwaLayer, LayerMapping, SwStep, target_for

__all__ = ["execute_job", "execute", "build_layer", "extract", "run_layer", "build_bottleneck",
           "run_sw_step", "run_bottleneck"]


def _offsets(walk: Walk3D) -> npt.NDArray[np.int64]:
    return np.asarray(walk.offsets(), dtype=np.int64)


def _check_image(image):
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 1:
        raise ValueError("the TCDM image must be a 1D np.uint8 array, not "
                         f"{getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}")


def execute_job(image: npt.NDArray[np.uint8], xbar: Crossbar, layer: LayerJob, src_base: int,
                dst_base: int, row0: int, col0: int, src_off: npt.NDArray[np.int64] | None = None,
                dst_off: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
    """Run one job of ``layer`` at the given bases and window; returns the ADC outputs (int64)."""
    src_off = _offsets(layer.src) if src_off is None else src_off
    dst_off = _offsets(layer.dst) if dst_off is None else dst_off
    x = image[src_base + src_off]
    y = xbar.mvm(x, row0, col0, layer.height, layer.width,
                 layer.adc_m, layer.adc_s, layer.adc_lo, layer.adc_hi)
    image[dst_base + dst_off] = (y & 0xFF).astype(np.uint8)
    return y


def execute(image: npt.NDArray[np.uint8], xbar: Crossbar | list[Crossbar] | tuple[Crossbar, ...],
            layers: LayerJob | list[LayerJob] | tuple[LayerJob, ...]) -> npt.NDArray[np.uint8]:
    """Run a list of ``LayerJob`` (or one) over ``image`` in place; returns ``image``.

    ``xbar`` is the crossbar, or a list of crossbars indexed by ``LayerJob.array``.

    Raises
    ------
    ValueError
        If the image is not a 1D uint8 array or a layer is invalid for this array / TCDM
        (``LayerJob.validate``), or names an array that is not given.
    """
    _check_image(image)
    layers = [layers] if not isinstance(layers, (list, tuple)) else layers
    arrays = len(xbar) if isinstance(xbar, (list, tuple)) else 1
    for layer in layers:
        x = target_for(xbar, layer.array) if layer.array < arrays else None
        layer.validate(rows=None if x is None else x.rows, cols=None if x is None else x.cols,
                       tcdm_bytes=image.size, arrays=arrays)
        src_off, dst_off = _offsets(layer.src), _offsets(layer.dst)
        for src_base, dst_base, row0, col0 in layer.jobs():
            execute_job(image, x, layer, src_base, dst_base, row0, col0, src_off, dst_off)
    return image


def build_layer(mapping: LayerMapping, x: npt.ArrayLike, xbar: Crossbar | None = None, *,
                image: npt.NDArray[np.uint8] | None = None, rows: int = 256, cols: int = 256,
                **xbar_kwargs: Any) -> tuple[npt.NDArray[np.uint8], Crossbar]:
    """TCDM image with the layer's input stored (pre-padded) and a crossbar holding its weights.

    Parameters
    ----------
    mapping : LayerMapping
    x : array
        Layer input, logical (unpadded) shape of ``mapping.src``.
    xbar : Crossbar, optional
        Programmed in place; a new ``Crossbar(rows, cols, **xbar_kwargs)`` otherwise.
    image : np.uint8 array, optional
        Existing TCDM image (512 KiB of zeros by default).

    Returns
    -------
    (np.ndarray, Crossbar)
    """
    image = np.zeros(TCDM_BYTES, dtype=np.uint8) if image is None else image
    _check_image(image)
    xbar = Crossbar(rows, cols, **xbar_kwargs) if xbar is None else xbar
    mapping.src.write(image, x)
    mapping.program(xbar)
    return image, xbar


def extract(mapping: LayerMapping, image: npt.NDArray[np.uint8]) -> np.ndarray:
    """The layer's output as stored in ``image`` (HWC, ``uint8`` or ``int8``)."""
    return mapping.dst.read(image)


def run_layer(mapping: LayerMapping, x: npt.ArrayLike, xbar: Crossbar | None = None,
              **kwargs: Any) -> np.ndarray:
    """``extract(execute(build_layer(mapping, x)))``: the layer's output from the executor."""
    image, xbar = build_layer(mapping, x, xbar, **kwargs)
    execute(image, xbar, mapping.jobs)
    return extract(mapping, image)


def build_bottleneck(bm: BottleneckMapping, x: npt.ArrayLike, xbar: Crossbar | None = None,
                     **xbar_kwargs: Any) -> tuple[npt.NDArray[np.uint8], Crossbar]:
    """TCDM image (input ``x`` stored, padded buffers zeroed, the depth-wise accelerator's
    weights stored) and programmed crossbar."""
    image = bm.alloc.image()
    xbar = Crossbar(bm.rows, bm.cols, **xbar_kwargs) if xbar is None else xbar
    bm.buffers["x"].write(image, x)
    for layer in bm.dwa_layers:
        layer.load(image)
    bm.program(xbar)
    return image, xbar


def run_sw_step(step: SwStep, image: npt.NDArray[np.uint8]) -> None:
    """Run a step the cores perform (integer kernels on the buffers in ``image``)."""
    if step.kind == "residual":
        a, b = (s.read(image) for s in step.srcs)
        out = golden.residual_add(a, b)
    elif step.kind == "depthwise":
        xp = step.srcs[0].read(image, padded=True)
        out = golden.depthwise(xp, step.weights, *step.adc, stride=step.params.get("stride", 1))
    else:
        raise ValueError(f"unknown core step kind {step.kind!r}")
    step.dst.write(image, out)


def run_bottleneck(bm: BottleneckMapping, x: npt.ArrayLike, xbar: Crossbar | None = None,
                   **xbar_kwargs: Any) -> tuple[dict[str, np.ndarray], npt.NDArray[np.uint8], Crossbar]:
    """Run a ``BottleneckMapping`` on input ``x``; returns ``({'e','d','p','y'}, image, xbar)``."""
    image, xbar = build_bottleneck(bm, x, xbar, **xbar_kwargs)
    for step in bm.steps:
        if isinstance(step, LayerMapping):
            execute(image, xbar, step.jobs)
        elif isinstance(step, DwaLayer):
            dwa.execute(step.job.validate(image.size), image)
        elif isinstance(step, SwStep):
            run_sw_step(step, image)
        else:
            raise ValueError(f"unknown step {step!r}")
    out = {k: bm.buffers[k].read(image) for k in ("e", "d", "p", "y")}
    return out, image, xbar
