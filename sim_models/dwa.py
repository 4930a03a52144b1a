"""The digital depth-wise accelerator's job: one 3x3 depth-wise layer as plain data.

The contract between the mapping (``sim_models.mapping`` builds it), the register map
(``hw.dwa.regmap`` encodes it), the RTL (``hw.dwa``) and the cycle model. Pure Python + numpy.

The accelerator is the one of A. Garofalo et al., "A Heterogeneous In-Memory Computing Cluster
For Flexible End-to-End Inference of Real-World Deep Neural Networks", IEEE JETCAS 2022,
Sec. IV-C (``papers/garofalo2022-notes.md``): 3x3 depth-wise only, HWC data, 16 channels per pass,
weight-stationary, 36 multipliers, 32-bit accumulators, then the output transfer.

Data in the TCDM (all byte addresses relative to the TCDM start):

* input: HWC uint8, **pre-padded** (the zero ring is in memory, as for the IMA; docs/spec.md
  section 3): the padded pixel ``(y, x)`` channel ``c`` is at
  ``in_addr + y*in_row_stride + x*channels + c``. The job reads padded rows
  ``0 .. in_h-1`` and columns ``0 .. in_w-1`` with ``in_h = (out_h-1)*stride + 3`` (same for
  ``in_w``): zero padding 1 on every side when the buffer holds ``H+2 x W+2`` pixels.
* weights: signed 8-bit, tap-major HWC like the data: ``w_addr + (ky*3 + kx)*channels + c``
  (:func:`weights_to_tcdm` turns the golden model's ``[C, 3, 3]`` into this layout).
* output: HWC, ``out_addr + oy*out_row_stride + ox*channels + c``, one byte per result (the
  two's complement low byte, as the IMA's ADC output).

Result ``(oy, ox, c) = clamp((acc*adc_m + 2**(adc_s-1)) >> adc_s, adc_lo, adc_hi)`` with
``acc = sum_{ky,kx} x[oy*stride+ky, ox*stride+kx, c] * w[ky, kx, c]`` -- the IMA's ADC transfer
(docs/spec.md section 2), so :mod:`sim_models.golden` serves both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self

import numpy as np
import numpy.typing as npt

from sim_models import golden

__all__ = ["DwJob", "KERNEL", "GROUP", "LANES", "MULTIPLIERS", "weights_to_tcdm", "reference", "execute"]

#: Kernel size (the accelerator does 3x3 only; Garofalo et al. 2022, Sec. IV-C).
KERNEL = 3
#: Channels per pass (weight buffer 3x3x16, window buffer 4x3x16; Garofalo et al. 2022, Sec. IV-C).
GROUP = 16
#: Channels the MAC array handles per cycle (3x3x4 per cycle; Garofalo et al. 2022, Sec. IV-C).
LANES = 4
#: Multipliers of the MAC array = its peak MAC/cycle (36).
MULTIPLIERS = KERNEL * KERNEL * LANES


@dataclass(frozen=True)
class DwJob:
    """One 3x3 depth-wise layer on the accelerator (see the module docstring for the layout)."""
    in_addr: int
    in_row_stride: int
    out_addr: int
    out_row_stride: int
    w_addr: int
    channels: int
    out_h: int
    out_w: int
    stride: int = 1
    adc_m: int = 1
    adc_s: int = 0
    adc_lo: int = 0
    adc_hi: int = 255

    @property
    def in_h(self) -> int:
        """Padded input rows the job reads."""
        return (self.out_h - 1) * self.stride + KERNEL

    @property
    def in_w(self) -> int:
        """Padded input columns the job reads."""
        return (self.out_w - 1) * self.stride + KERNEL

    @property
    def groups(self) -> int:
        """Channel groups (passes), the last one partial when ``channels % 16``."""
        return -(-self.channels // GROUP)

    @property
    def macs(self) -> int:
        """Useful multiply-accumulates of the job."""
        return self.out_h * self.out_w * self.channels * KERNEL * KERNEL

    def regions(self) -> dict[str, tuple[int, int]]:
        """Byte ranges ``[start, end)`` the job reads (``input``, ``weights``) and writes (``output``)."""
        c = self.channels
        return {
            "input": (self.in_addr, self.in_addr + (self.in_h - 1) * self.in_row_stride + self.in_w * c),
            "weights": (self.w_addr, self.w_addr + KERNEL * KERNEL * c),
            "output": (self.out_addr,
                       self.out_addr + (self.out_h - 1) * self.out_row_stride + self.out_w * c),
        }

    def validate(self, tcdm_bytes: int | None = None) -> Self:
        """``ValueError`` naming the first bad field (the first of :meth:`problems`); with
        ``tcdm_bytes``, every byte the job touches must lie in ``[0, tcdm_bytes)`` (the
        hardware's ERROR.ADDRESS)."""
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool):
                raise ValueError(f"{f.name} must be an integer, not {v!r}")
        found = self.problems(tcdm_bytes)
        if found:
            raise ValueError(found[0][1])
        return self

    def causes(self, tcdm_bytes: int | None = None) -> frozenset[str]:
        """The ERROR causes of the DWA's configuration checker this job earns (empty: valid);
        the reference its ERROR bits are checked against (``tb/check/regfuzz.py``)."""
        return frozenset(cause for cause, _ in self.problems(tcdm_bytes))

    def problems(self, tcdm_bytes: int | None = None) -> list[tuple[str, str]]:
        """Every rule the job breaks, as ``(cause, message)`` in a fixed order (the first is
        :meth:`validate`'s message); ``cause`` is the DWA's ERROR field
        (``hw/dwa/regmap.py``): ``address`` for a base or row stride outside 32 bits or a
        byte outside the TCDM, ``length`` for channels / out_h / out_w outside 1..0xFFFF,
        ``stride`` for a stride other than 1 or 2, ``adc`` for the ADC fields (as the IMA's).
        The TCDM rule is judged only when lengths and stride are valid (the regions are not
        defined otherwise), as the hardware checker does (``hw/dwa/checker.py``)."""
        out: list[tuple[str, str]] = []

        def rng(cause, name, lo, hi):
            value = getattr(self, name)
            if not lo <= value <= hi:
                out.append((cause, f"{name} must be in {lo}..{hi}, not {value}"))

        for f in ("in_addr", "out_addr", "w_addr", "in_row_stride", "out_row_stride"):
            rng("address", f, 0, (1 << 32) - 1)
        for f in ("channels", "out_h", "out_w"):
            rng("length", f, 1, 0xFFFF)
        shape_ok = not out or all(c == "address" for c, _ in out)
        if self.stride not in (1, 2):
            out.append(("stride", f"stride must be 1 or 2, not {self.stride!r}"))
            shape_ok = False
        rng("adc", "adc_m", -(1 << 15), (1 << 15) - 1)
        rng("adc", "adc_s", 0, 31)
        rng("adc", "adc_lo", -128, 255)
        rng("adc", "adc_hi", -128, 255)
        if self.adc_lo > self.adc_hi:
            out.append(("adc", f"adc_lo ({self.adc_lo}) must not exceed adc_hi ({self.adc_hi})"))
        if tcdm_bytes is not None and shape_ok:
            for name, (lo, hi) in self.regions().items():
                if hi > tcdm_bytes:
                    out.append(("address", f"the {name} bytes [{lo:#x}, {hi:#x}) leave the TCDM "
                                           f"({tcdm_bytes:#x} bytes)"))
        return out

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def weights_to_tcdm(w: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """Golden-model weights ``[C, 3, 3]`` -> the accelerator's ``[3, 3, C]`` (tap-major) bytes."""
    w = np.asarray(w)
    if w.ndim != 3 or w.shape[1:] != (KERNEL, KERNEL):
        raise ValueError(f"depth-wise weights must have shape [C, 3, 3], not {w.shape}")
    if w.min(initial=0) < -128 or w.max(initial=0) > 127:
        raise ValueError("depth-wise weights must be signed 8-bit")
    return np.ascontiguousarray(np.transpose(w, (1, 2, 0))).astype(np.int8)


def reference(x_padded: npt.ArrayLike, w: npt.ArrayLike, job: DwJob) -> np.ndarray:
    """Golden output ``[out_h, out_w, C]`` of ``job`` for a padded input and ``[C, 3, 3]``
    weights (the shared golden model, :func:`sim_models.golden.depthwise`)."""
    return golden.depthwise(np.asarray(x_padded), w, job.adc_m, job.adc_s, job.adc_lo, job.adc_hi,
                            job.stride)


def execute(job: DwJob, image: npt.NDArray[np.uint8]) -> None:
    """Run ``job`` on a TCDM byte image in place (what the RTL must do, byte for byte):
    reads the input and weights where the job says, writes only its output bytes.

    When output rows overlap (``out_row_stride < out_w * channels``) the last store to a byte
    wins, so the stores go in the accelerator's order: per 16-channel group, per output
    column, per output row (``hw/dwa/regmap.py``, programming model). The register fuzzer
    found the RTL and a row-by-row reference disagreeing on such a job. Inputs overlapping the
    output are not modelled (the result then depends on the load / store interleaving)."""
    c = job.channels
    xp = np.empty((job.in_h, job.in_w, c), np.uint8)
    for y in range(job.in_h):
        a = job.in_addr + y * job.in_row_stride
        xp[y] = image[a:a + job.in_w * c].reshape(job.in_w, c)
    wt = image[job.w_addr:job.w_addr + KERNEL * KERNEL * c].view(np.int8).reshape(KERNEL, KERNEL, c)
    y = reference(xp, np.transpose(wt, (2, 0, 1)), job)
    out = y.astype(np.int64).astype(np.uint8)          # two's complement low byte
    if job.out_h == 1 or job.out_row_stride >= job.out_w * c:      # disjoint rows
        for oy in range(job.out_h):
            a = job.out_addr + oy * job.out_row_stride
            image[a:a + job.out_w * c] = out[oy].reshape(-1)
        return
    for g in range(job.groups):
        c0, c1 = g * GROUP, min(c, (g + 1) * GROUP)
        for ox in range(job.out_w):
            for oy in range(job.out_h):
                a = job.out_addr + oy * job.out_row_stride + ox * c + c0
                image[a:a + c1 - c0] = out[oy, ox, c0:c1]
