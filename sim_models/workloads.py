"""Workloads for the cluster: a run specification -> data, TCDM image, crossbar placements, the
program phases the cores execute, and the golden references to check against.

Pure numpy (no cocotb): the CLI builds and validates a :class:`RunSpec` before any simulation
(a bad option fails fast with one clear line), and the cocotb side (``tb.cocotb_tests.cluster``)
executes the phases on the RTL. A RunSpec holds workload options only; the hardware it runs on
(array size, buffer depths, TCDM size) comes from the caller as any object with the attributes
of :class:`HwLimits` (e.g. :class:`hw.config.ImaConfig`).

Phases are data: ``Phase(name, kind, args)`` where ``kind`` is ``"ima"`` (core 0 offloads the
LayerJobs of ``args["layer"]``, the other cores sleep at the barrier), ``"dwa"`` (core 0 offloads
the :class:`sim_models.dwa.DwJob` ``args["job"]`` to the depth-wise accelerator, the other cores
sleep at the barrier; mapping ``IMADW``) or a software kernel of :mod:`tb.bfm.kernels` run on all
cores; every phase ends with a barrier.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from sim_models import golden
from sim_models.mapping import (
    Buffer,
    TcdmAllocator,
    conv_out_size,
    map_bottleneck,
    map_conv,
    map_depthwise,
    map_depthwise_dwa,
    map_fc,
    map_pointwise,
)

__all__ = ["RunSpec", "HwLimits", "Phase", "Workload", "prepare", "LAYERS", "MAPPINGS",
           "DWA_MAPPINGS", "LAYER_MAPPINGS", "default_mapping"]

LAYERS = ("conv", "pointwise", "depthwise", "fc", "bottleneck")
MAPPINGS = ("SW", "IMA", "IMA8", "IMA16", "HYBRID", "IMADW")
#: Mappings that need the depth-wise accelerator in the cluster (``ClusterConfig.dwa``).
DWA_MAPPINGS = ("IMADW",)
#: The mappings each layer supports; the first is its default (:func:`default_mapping`).
LAYER_MAPPINGS = {
    "conv": ("IMA", "SW"),
    "pointwise": ("IMA", "SW"),
    "fc": ("IMA", "SW"),
    "depthwise": ("IMA8", "SW", "IMA", "IMA16", "IMADW"),    # IMA: C_job 8, like IMA8
    "bottleneck": ("HYBRID", "SW", "IMA8", "IMA16", "IMADW"),
}


def default_mapping(layer):
    """The mapping ``ima-sim run --layer <layer>`` uses without ``--mapping``: the IMA for a
    single conv / pointwise / fc layer, IMA8 for a depth-wise one, HYBRID for the bottleneck (the
    paper's fastest, ``make sim``'s job). ``ValueError`` on an unknown layer."""
    if layer not in LAYER_MAPPINGS:
        raise ValueError(f"--layer must be one of {', '.join(LAYERS)}, not {layer!r}")
    return LAYER_MAPPINGS[layer][0]


class HwLimits(Protocol):
    """What a workload needs to know of the hardware (duck-typed; :class:`hw.config.ImaConfig`
    has these attributes): the crossbar, the IMA's DAC / ADC buffers, the TCDM. Read-only
    properties, so that a frozen dataclass matches."""

    @property
    def rows(self) -> int: ...

    @property
    def cols(self) -> int: ...

    @property
    def dac_depth(self) -> int: ...

    @property
    def adc_depth(self) -> int: ...

    @property
    def tcdm_bytes(self) -> int: ...


@dataclass(frozen=True)
class RunSpec:
    """The workload ``ima-sim run`` simulates (options of the workload only; the hardware is a
    separate :class:`HwLimits`). ``validate()`` raises ValueError naming the option."""
    layer: str = "bottleneck"
    mapping: str = "HYBRID"
    seed: int = 0
    h: int = 16
    w: int = 16
    cin: int = 32
    cout: int = 64
    k: int = 3
    stride: int = 1
    pad: int | None = None
    expand: int = 6
    program_weights: str = "backdoor"    # or "registers" (SUBMIT_PLOT through the HAL)

    def validate(self) -> Self:
        if self.layer not in LAYERS:
            raise ValueError(f"--layer must be one of {', '.join(LAYERS)}, not {self.layer!r}")
        if self.mapping not in MAPPINGS:
            raise ValueError(f"--mapping must be one of {', '.join(MAPPINGS)}, not {self.mapping!r}")
        allowed = sorted(LAYER_MAPPINGS[self.layer], key=MAPPINGS.index)
        if self.mapping not in allowed:
            raise ValueError(f"--mapping {self.mapping} does not apply to --layer {self.layer} "
                             f"(use one of {', '.join(allowed)})")
        for name in ("h", "w", "cin", "cout", "k", "expand"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be >= 1, not {getattr(self, name)}")
        if self.stride not in (1, 2):
            raise ValueError(f"--stride must be 1 or 2, not {self.stride}")
        if self.layer == "bottleneck" and self.stride != 1:
            raise ValueError("--stride must be 1 for the bottleneck (the residual needs it)")
        if self.pad is not None and not 0 <= self.pad < self.k:
            raise ValueError(f"--pad must be in 0..k-1, not {self.pad}")
        if self.mapping in DWA_MAPPINGS and self.k != 3:
            raise ValueError(f"--k must be 3 for --mapping {self.mapping} (the depth-wise "
                             f"accelerator is 3x3 only), not {self.k}")
        if self.program_weights not in ("backdoor", "registers"):
            raise ValueError(f"--program-weights must be backdoor or registers, not {self.program_weights!r}")
        return self

    @property
    def padding(self) -> int:
        return self.k // 2 if self.pad is None else self.pad


@dataclass
class Phase:
    name: str
    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Workload:
    spec: RunSpec
    hw: HwLimits
    image: np.ndarray
    used: int
    phases: list[Phase]
    placements: list[tuple[int, int, np.ndarray]]   # crossbar windows (row, col, weights) to program
    checks: list[tuple[str, Buffer, np.ndarray]]    # (name, Buffer, expected array): every output checked
    macs: int
    pcm_devices: int
    arrays: dict[str, Any]                          # what --dump saves

    def check(self, image: npt.NDArray[np.uint8]) -> list[tuple[str, bool, int]]:
        """[(name, passed, n_mismatch)] for every checked buffer of a TCDM image."""
        out = []
        for name, buf, expected in self.checks:
            got = buf.read(image)
            out.append((name, bool(np.array_equal(got, expected)),
                        int(np.count_nonzero(got != expected))))
        return out


def _ima_variant(mapping):
    return mapping in ("IMA", "IMA8", "IMA16", "HYBRID")


def prepare(spec: RunSpec, hw: HwLimits) -> Workload:
    """Build data, buffers, phases and references for ``spec`` on the hardware ``hw``;
    ValueError if it does not fit the TCDM, the array or the IMA's buffers."""
    spec.validate()
    rng = np.random.default_rng(spec.seed)
    if spec.layer == "bottleneck":
        return _bottleneck(spec, hw)
    return _single_layer(spec, hw, rng)


def _validate_ima_layer(lm, hw):
    """The layer fits the array, the TCDM and the IMA's DAC/ADC buffers (ValueError if not)."""
    lm.validate(hw.rows, hw.cols, hw.tcdm_bytes)
    for job in lm.jobs:
        job.validate(dac_depth=hw.dac_depth, adc_depth=hw.adc_depth)


def _single_layer(spec, hw, rng):
    alloc = TcdmAllocator(hw.tcdm_bytes)
    h, w, cin, cout, k, s, pad = spec.h, spec.w, spec.cin, spec.cout, spec.k, spec.stride, spec.padding
    lo, hi = 0, 255
    sw = spec.mapping == "SW"
    kind = spec.layer
    if kind in ("pointwise", "fc"):
        k, pad = 1, 0
    if kind == "depthwise":
        cout = cin
    x = golden.random_activations(rng, (cin,) if kind == "fc" else (h, w, cin))
    wshape = {"conv": (cout, k, k, cin), "pointwise": (cout, cin), "fc": (cout, cin),
              "depthwise": (cin, k, k)}[kind]
    wt = golden.random_weights(rng, wshape)
    if kind == "conv":
        acc = golden.conv2d_acc(golden.pad_hwc(x, pad), wt, s)
    elif kind == "pointwise":
        acc = golden.pointwise_acc(x, wt, s)
    elif kind == "fc":
        acc = golden.fc_acc(x, wt)
    else:
        acc = golden.depthwise_acc(golden.pad_hwc(x, pad), wt, s)
    m, sh = golden.choose_adc(acc, lo, hi)
    adc = (m, sh, lo, hi)
    ref = golden.requant(acc, *adc).astype(np.uint8)
    arrays = {"x": x, "w": wt, "m": m, "s": sh, "lo": lo, "hi": hi, "stride": s, "pad": pad}
    phases, placements, devices = [], [], 0
    w_bytes = wt.reshape(-1)                        # what a weight buffer in TCDM holds
    if spec.mapping in DWA_MAPPINGS:               # 3x3 depthwise on the accelerator, HWC in place
        dl = map_depthwise_dwa((h, w, cin), wt, adc, stride=s, pad=pad, alloc=alloc)
        dl.validate(hw.tcdm_bytes)
        src, dst, w_buf, w_bytes = dl.src, dl.dst, dl.w_buf, dl.weights.reshape(-1)
        phases.append(Phase(kind, "dwa", dict(job=dl.job)))
    elif sw:
        if kind == "fc":
            src = alloc.alloc("x", x.shape)
            dst = alloc.alloc("y", (cout,))
        else:
            src = alloc.alloc("x", (h, w, cin), pad=pad)
            ho, wo = conv_out_size(h, k, s, pad), conv_out_size(w, k, s, pad)
            dst = alloc.alloc("y", (ho, wo, cout))
        w_buf = alloc.alloc("w", (int(np.prod(wshape)),), "int8")
        if kind == "conv":
            phases.append(Phase("conv", "sw_conv",
                                dict(src=src, w_buf=w_buf, dst=dst, adc=adc, k=k, stride=s)))
        elif kind == "pointwise":
            if s != 1:
                raise ValueError("--stride 2 pointwise runs on the IMA only")
            phases.append(Phase("pointwise", "sw_pointwise", dict(src=src, w_buf=w_buf, dst=dst, adc=adc)))
        elif kind == "fc":
            phases.append(Phase("fc", "sw_fc", dict(src=src, w_buf=w_buf, dst=dst, adc=adc)))
        else:
            chw = alloc.alloc("chw", src.padded_shape)
            phases.append(Phase("hwc2chw", "sw_hwc_to_chw", dict(src=src, dst_addr=chw.addr)))
            phases.append(Phase("depthwise", "sw_depthwise_chw", dict(
                chw_addr=chw.addr, padded_shape=src.padded_shape, w_buf=w_buf, dst=dst, adc=adc,
                k=k, stride=s)))
    else:
        if kind == "conv":
            lm = map_conv((h, w, cin), wt, adc, stride=s, pad=pad, alloc=alloc)
        elif kind == "pointwise":
            lm = map_pointwise((h, w, cin), wt, adc, stride=s, alloc=alloc)
        elif kind == "fc":
            lm = map_fc((cin,), wt, adc, alloc=alloc)
        else:
            c_job = 16 if spec.mapping == "IMA16" else 8
            lm = map_depthwise((h, w, cin), wt, adc, c_job=c_job, stride=s, pad=pad, alloc=alloc,
                               layout="packed")
        _validate_ima_layer(lm, hw)
        src, dst = lm.src, lm.dst
        w_buf = None
        phases.append(Phase(kind, "ima", dict(layer=lm)))
        placements = [(p.row, p.col, p.weights) for p in lm.placements]
        devices = lm.devices
    image = alloc.image()
    src.write(image, x)
    if w_buf is not None:
        image[w_buf.addr:w_buf.addr + w_buf.nbytes] = w_bytes.view(np.uint8)
    out_ref = ref.reshape(dst.shape)
    macs_per_output = {"conv": k * k * cin, "pointwise": cin, "fc": cin, "depthwise": k * k}[kind]
    return Workload(spec, hw, image, alloc.used, phases, placements, [("y", dst, out_ref)],
                    int(acc.size) * macs_per_output, devices, arrays)


def _bottleneck(spec, hw):
    h, w, c, t = spec.h, spec.w, spec.cin, spec.expand
    data = golden.make_bottleneck(spec.seed, h, w, c, t)
    ref = golden.bottleneck(data)
    alloc = TcdmAllocator(hw.tcdm_bytes)
    bm_mapping = "HYBRID" if spec.mapping == "SW" else spec.mapping
    bm = map_bottleneck(data.x.shape, data.w_exp, data.w_dw, data.w_proj, data.adc_exp,
                        data.adc_dw, data.adc_proj, mapping=bm_mapping, rows=hw.rows,
                        cols=hw.cols, alloc=alloc)
    b = bm.buffers
    expand, dw_step, project, _ = bm.steps
    phases, placements = [], []
    weights = {}

    def weights_buf(name, arr):
        buf = alloc.alloc(name, (arr.size,), "int8")
        weights[name] = (buf, arr)
        return buf

    if spec.mapping == "SW":
        phases.append(Phase("pointwise1", "sw_pointwise", dict(
            src=b["x"], w_buf=weights_buf("w_expand", data.w_exp), dst=b["e"], adc=data.adc_exp)))
    else:
        phases.append(Phase("pointwise1", "ima", dict(layer=expand)))
    if spec.mapping in ("SW", "HYBRID"):
        chw = alloc.alloc("e_chw", b["e"].padded_shape)
        phases.append(Phase("hwc2chw", "sw_hwc_to_chw", dict(src=b["e"], dst_addr=chw.addr)))
        phases.append(Phase("depthwise", "sw_depthwise_chw", dict(
            chw_addr=chw.addr, padded_shape=b["e"].padded_shape,
            w_buf=weights_buf("w_dw", data.w_dw), dst=b["d"], adc=data.adc_dw, k=3, stride=1)))
    elif spec.mapping in DWA_MAPPINGS:             # no HWC->CHW: the accelerator reads HWC
        dw_step.validate(hw.tcdm_bytes)
        phases.append(Phase("depthwise", "dwa", dict(job=dw_step.job)))
    else:
        phases.append(Phase("depthwise", "ima", dict(layer=dw_step)))
    if spec.mapping == "SW":
        phases.append(Phase("pointwise2", "sw_pointwise", dict(
            src=b["d"], w_buf=weights_buf("w_project", data.w_proj), dst=b["p"], adc=data.adc_proj)))
    else:
        phases.append(Phase("pointwise2", "ima", dict(layer=project)))
    phases.append(Phase("residual", "sw_residual", dict(x_buf=b["x"], p_buf=b["p"], y_buf=b["y"])))

    image = alloc.image()
    b["x"].write(image, data.x)
    b["e"].write(image, np.zeros(b["e"].shape, np.uint8))     # zero ring for the depthwise pad
    for buf, arr in weights.values():
        image[buf.addr:buf.addr + buf.nbytes] = arr.reshape(-1).view(np.uint8)
    for dl in bm.dwa_layers:
        dl.load(image)
    for lm in bm.ima_layers if spec.mapping != "SW" else []:
        _validate_ima_layer(lm, hw)
    if spec.mapping != "SW":
        placements = [(p.row, p.col, p.weights) for m in bm.ima_layers for p in m.placements]
    checks = [("e", b["e"], ref["e"]), ("d", b["d"], ref["d"]), ("p", b["p"], ref["p"]),
              ("y", b["y"], ref["y"])]
    macs = h * w * (c * t * c + t * c * 9 + t * c * c)
    arrays = {"x": data.x, "w_expand": data.w_exp, "w_dw": data.w_dw, "w_project": data.w_proj,
              "m_expand": data.adc_exp[0], "s_expand": data.adc_exp[1],
              "m_dw": data.adc_dw[0], "s_dw": data.adc_dw[1],
              "m_project": data.adc_proj[0], "s_project": data.adc_proj[1]}
    devices = 0 if spec.mapping == "SW" else bm.devices
    return Workload(spec, hw, image, alloc.used, phases, placements, checks, macs, devices, arrays)
