"""Seeded single-layer test cases: data, weights, ADC parameters, mapping, TCDM image, references.

Pure numpy (no cocotb): the IMA testbench and the CLI build a case, preload ``case.image``, program
the crossbar from ``case.mapping``, run ``case.mapping.jobs`` and compare the TCDM with
``case.expected_image`` (the job-level executor's result) and the output with ``case.golden``
(the independent golden model).
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim_models import golden
from sim_models.crossbar import Crossbar
from sim_models.executor import execute
from sim_models.mapping import (
    ColumnTile,
    LayerMapping,
    TcdmAllocator,
    map_conv,
    map_depthwise,
    map_fc,
    map_pointwise,
)
from sim_models.workloads import HwLimits

__all__ = ["LayerCase", "make_case", "KINDS"]

KINDS = ("conv", "pointwise", "depthwise", "fc")


@dataclass
class LayerCase:
    kind: str
    x: np.ndarray
    w: np.ndarray
    adc: tuple[int, int, int, int]
    mapping: LayerMapping
    image: np.ndarray           # TCDM before the layer
    expected_image: np.ndarray  # TCDM after the layer, per the job-level executor
    golden: np.ndarray          # HWC output of the golden model
    used: int                   # bytes of TCDM the case occupies (from 0)

    @property
    def output(self) -> np.ndarray:
        return self.mapping.dst.read(self.expected_image)

    def read_output(self, image: npt.NDArray[np.uint8]) -> np.ndarray:
        return self.mapping.dst.read(image)


def make_case(kind: str, rng: np.random.Generator, hw: HwLimits, *, h: int = 4, w: int = 4, cin: int = 8,
              cout: int = 8, k: int = 3, stride: int = 1, pad: int | None = None, c_job: int = 8,
              misalign: bool = False, row: int = 0, col: int = 0, array: int = 0,
              tiles: list[ColumnTile] | None = None) -> LayerCase:
    """Build one layer case for the hardware ``hw`` (its array, TCDM; e.g. an ImaConfig);
    ``misalign`` puts source and destination at odd byte addresses. ``array`` places the layer
    on that crossbar of a multi-array IMA (``hw.arrays``, 1 if absent); ``tiles`` (conv and
    pointwise) splits its output columns across arrays (:class:`sim_models.mapping.ColumnTile`)."""
    rows, cols, tcdm_bytes = hw.rows, hw.cols, hw.tcdm_bytes
    arrays = getattr(hw, "arrays", 1)
    if tiles is not None and kind not in ("conv", "pointwise"):
        raise ValueError(f"tiles apply to conv and pointwise layers, not {kind!r}")
    where = {"row": row, "col": col, "array": array}
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    alloc = TcdmAllocator(tcdm_bytes, align=1 if misalign else 4,
                          base=int(rng.integers(1, 4)) if misalign else 0)
    lo, hi = 0, 255
    if kind == "conv":
        pad = k // 2 if pad is None else pad
        x = golden.random_activations(rng, (h, w, cin))
        wt = golden.random_weights(rng, (cout, k, k, cin))
        xp = golden.pad_hwc(x, pad)
        m, s = golden.choose_adc(golden.conv2d_acc(xp, wt, stride), lo, hi)
        ref = golden.conv2d(xp, wt, m, s, lo, hi, stride)
        if misalign:
            alloc.alloc("gap", (int(rng.integers(1, 4)),))
        mapping = map_conv((h, w, cin), wt, (m, s, lo, hi), stride=stride, pad=pad, alloc=alloc,
                           tiles=tiles, **where)
    elif kind == "pointwise":
        x = golden.random_activations(rng, (h, w, cin))
        wt = golden.random_weights(rng, (cout, cin))
        m, s = golden.choose_adc(golden.pointwise_acc(x, wt, stride), lo, hi)
        ref = golden.pointwise(x, wt, m, s, lo, hi, stride)
        mapping = map_pointwise((h, w, cin), wt, (m, s, lo, hi), stride=stride, alloc=alloc,
                                tiles=tiles, **where)
    elif kind == "depthwise":
        pad = k // 2 if pad is None else pad
        x = golden.random_activations(rng, (h, w, cin))
        wt = golden.random_weights(rng, (cin, k, k))
        xp = golden.pad_hwc(x, pad)
        m, s = golden.choose_adc(golden.depthwise_acc(xp, wt, stride), lo, hi)
        ref = golden.depthwise(xp, wt, m, s, lo, hi, stride)
        mapping = map_depthwise((h, w, cin), wt, (m, s, lo, hi), c_job=c_job, stride=stride,
                                pad=pad, alloc=alloc, **where)
    else:  # fc
        x = golden.random_activations(rng, (cin,))
        wt = golden.random_weights(rng, (cout, cin))
        m, s = golden.choose_adc(golden.fc_acc(x, wt), lo, hi)
        ref = golden.fully_connected(x, wt, m, s, lo, hi)
        mapping = map_fc((cin,), wt, (m, s, lo, hi), alloc=alloc, **where)
    mapping.validate(rows, cols, tcdm_bytes, arrays)
    image = alloc.image()
    # Fill the whole used area (padding excluded) with noise first, so stray writes and reads of
    # the wrong bytes cannot hide behind zeros; then the real buffers.
    image[:alloc.used] = rng.integers(0, 256, alloc.used, dtype=np.uint8)
    mapping.src.write(image, x)          # zeros in the padding ring
    xbars = [Crossbar(rows, cols) for _ in range(arrays)]
    mapping.program(xbars)
    expected = execute(image.copy(), xbars, mapping.jobs)
    return LayerCase(kind, x, wt, (m, s, lo, hi), mapping, image, expected, ref, alloc.used)

