"""MobileNetV2 as data: every layer's shapes, weights, MACs and crossbar footprint.

The architecture is Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018, Table 2 (input 224x224x3, width multiplier 1.0):

=========  ==========  ====  ====  ==  ==
input      operator    t     c     n   s
=========  ==========  ====  ====  ==  ==
224^2x3    conv2d 3x3  --    32    1   2
112^2x32   bottleneck  1     16    1   1
112^2x16   bottleneck  6     24    2   2
56^2x24    bottleneck  6     32    3   2
28^2x32    bottleneck  6     64    4   2
14^2x64    bottleneck  6     96    3   1
14^2x96    bottleneck  6     160   3   2
7^2x160    bottleneck  6     320   1   1
7^2x320    conv2d 1x1  --    1280  1   1
7^2x1280   avgpool 7x7 --    --    1   --
1x1x1280   conv2d 1x1  --    k     --  --
=========  ==========  ====  ====  ==  ==

A bottleneck (their Table 1) is a pointwise expansion C -> t*C (omitted when t = 1, as in the
authors' and torchvision's implementations: an expansion 32 -> 32 adds nothing the depth-wise
cannot), a 3x3 depth-wise with the block's stride (padding 1), a linear pointwise projection
t*C -> c, and a residual add when the stride is 1 and C == c. Only the first block of each row
of the table has stride s; the rest have stride 1. The last 1x1 conv to k = 1000 classes is the
fully connected classifier (``kind="fc"``).

Counts here are **weights only** (no biases, no batch-norm parameters: the quantised network
folds batch norm into the ADC scale / shift). The crossbar footprint follows BRIEF.md section 3:
rows = K*K*C_in (order ky, kx, c), columns = C_out; depth-wise layers go to the digital depth-wise
accelerator in Garofalo et al.'s mapping (Sec. VI) and have no crossbar footprint here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim_models.graph import Graph
from sim_models.nets.builder import (
    LayerShape,
    NetSpec,
    calibration_input,
    check_args,
    make_divisible,
    out_size,
)

__all__ = ["NetLayer", "mobilenetv2", "mobilenetv2_graph", "calibration_input", "make_divisible",
           "KINDS", "XBAR_KINDS", "TABLE2", "weight_counts",
           "mac_counts", "xbar_matrices", "GAROFALO2022", "SANDLER2018"]

#: Layer kinds. ``conv`` (standard KxK), ``pointwise`` (1x1), ``depthwise`` (KxK, one filter per
#: channel), ``avgpool`` (global average pool, no weights), ``fc`` (fully connected).
KINDS = ("conv", "pointwise", "depthwise", "avgpool", "fc")
#: Kinds mapped on the IMA's crossbars (Garofalo et al. Sec. VI): everything with a dense weight
#: matrix; depth-wise goes to the DW accelerator, avgpool and residual adds to the cores.
XBAR_KINDS = ("conv", "pointwise", "fc")

#: Sandler et al. 2018, Table 2: the bottleneck rows (t, c, n, s).
TABLE2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
          (6, 160, 3, 2), (6, 320, 1, 1))
#: Sandler et al. 2018, Table 2: the first conv's output channels and the last 1x1 conv's.
FIRST_CHANNELS, LAST_CHANNELS = 32, 1280


@dataclass(frozen=True)
class NetLayer(LayerShape):
    """One layer: shapes (H, W, C) in and out, kernel, stride, padding, and where it sits
    (:class:`~sim_models.nets.builder.LayerShape`).

    ``block`` is the bottleneck index 1..17 (0 outside the bottlenecks); ``residual`` marks the
    projection whose output the cores add to the block's input (stride 1, C_in == C_out).
    """
    residual: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def weights(self) -> int:
        """Weights (no bias): K*K*C_in*C_out (conv, pointwise, fc), K*K*C (depthwise), 0 (pool)."""
        cin, cout, k = self.in_shape[2], self.out_shape[2], self.kernel
        if self.kind == "depthwise":
            return k * k * cin
        if self.kind == "avgpool":
            return 0
        if self.kind == "fc":
            return self.in_shape[0] * self.in_shape[1] * cin * cout
        return k * k * cin * cout

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference: output pixels x weights per pixel (the avgpool's
        additions are not MACs and count 0)."""
        if self.kind == "fc":
            return self.weights
        return self.out_shape[0] * self.out_shape[1] * self.weights

    @property
    def xbar_shape(self) -> tuple[int, int] | None:
        """(rows, cols) of the layer's weight matrix on a crossbar: (K*K*C_in, C_out) for conv,
        pointwise and fc; ``None`` for layers that are not on the IMA (depthwise, avgpool)."""
        if self.kind not in XBAR_KINDS:
            return None
        return self.weights // self.out_shape[2], self.out_shape[2]


def mobilenetv2(resolution: int = 224, classes: int = 1000, width: float = 1.0) -> tuple[NetLayer, ...]:
    """The layers of MobileNetV2 in execution order (Sandler et al. 2018, Table 2). Names:
    ``conv1``, ``b<i>_expand`` / ``b<i>_dw`` / ``b<i>_project`` for the bottlenecks i = 1..17,
    ``conv_last``, ``avgpool``, ``fc``.

    ``width`` is the width multiplier (Sandler et al. Sec. 6.1): every channel count of Table 2
    times ``width``, rounded by :func:`make_divisible`; the last conv's 1280 channels only grow
    (``width > 1``), never shrink (Sandler et al. Sec. 6.1 keep the last convolution whole for
    multipliers below one; torchvision: ``1280 * max(1.0, width_mult)``). Width 1.0 is Table 2."""
    check_args(resolution, classes, width)
    layers: list[NetLayer] = []
    h = out_size(resolution, 3, 2, 1)
    first = make_divisible(FIRST_CHANNELS * width)
    layers.append(NetLayer("conv1", "conv", (resolution, resolution, 3), (h, h, first),
                           kernel=3, stride=2, pad=1))
    c, block = first, 0
    for t, c_row, n, s in TABLE2:
        c_out = make_divisible(c_row * width)
        for i in range(n):
            block += 1
            stride = s if i == 0 else 1
            x = (h, h, c)
            if t != 1:
                layers.append(NetLayer(f"b{block}_expand", "pointwise", x, (h, h, t * c), block=block))
            ho = out_size(h, 3, stride, 1)
            layers.append(NetLayer(f"b{block}_dw", "depthwise", (h, h, t * c), (ho, ho, t * c),
                                   kernel=3, stride=stride, pad=1, block=block))
            layers.append(NetLayer(f"b{block}_project", "pointwise", (ho, ho, t * c), (ho, ho, c_out),
                                   block=block, residual=stride == 1 and c == c_out))
            h, c = ho, c_out
    last = make_divisible(LAST_CHANNELS * max(1.0, width))
    layers.append(NetLayer("conv_last", "pointwise", (h, h, c), (h, h, last)))
    layers.append(NetLayer("avgpool", "avgpool", (h, h, last), (1, 1, last), kernel=h))
    layers.append(NetLayer("fc", "fc", (1, 1, last), (1, 1, classes)))
    return tuple(layers)


def weight_counts(layers) -> dict[str, int]:
    """Weights by kind, plus ``total`` and ``xbar`` (the kinds placed on crossbars)."""
    out = {k: sum(x.weights for x in layers if x.kind == k) for k in KINDS}
    out["total"] = sum(out[k] for k in KINDS)
    out["xbar"] = sum(out[k] for k in XBAR_KINDS)
    return out


def mac_counts(layers) -> dict[str, int]:
    """MACs of one inference by kind, plus ``total``."""
    out = {k: sum(x.macs for x in layers if x.kind == k) for k in KINDS}
    out["total"] = sum(out[k] for k in KINDS)
    return out


def xbar_matrices(layers, *, fc: bool = False) -> list[tuple[str, int, int]]:
    """``(name, rows, cols)`` of the layers on the IMA's crossbars, in order, for
    :func:`sim_models.placement.tile_and_pack`: conv and pointwise, and the fully connected
    classifier only with ``fc=True``.

    Why the FC is left out by default: the paper's "2.19 M parameters" equals our weight count
    without the FC (2,189,760, depth-wise included), and its 34 arrays of 256 x 256 (2.23 M cells)
    could not hold the FC's 1.28 M weights next to the 2.13 M conv / pointwise ones.
    """
    kinds = XBAR_KINDS if fc else tuple(k for k in XBAR_KINDS if k != "fc")
    return [(x.name, *x.xbar_shape) for x in layers if x.kind in kinds]


#: Garofalo et al. 2022 (JETCAS, Sec. VI; papers/garofalo2022-notes.md) on MobileNetV2: crossbars
#: used by Tile&Pack (256 x 256), the last one's fill is "below 84 %", parameters and MMAC "as the
#: paper counts them".
GAROFALO2022 = {"arrays": 34, "last_fill_below": 0.84, "params": 2.19e6, "macs": 281.65e6}
#: Sandler et al. 2018, Table 3 (MobileNetV2 1.0, 224): 3.4 M parameters, 300 M multiply-adds.
SANDLER2018 = {"params": 3.4e6, "macs": 300e6}


def mobilenetv2_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                      rows: int | None = 256, weights: bool = True) -> Graph:
    """MobileNetV2 (:func:`mobilenetv2`'s layers) as a quantised :class:`~sim_models.graph.Graph`
    built by :meth:`sim_models.nets.builder.NetSpec.graph` (seeded weights in layer order,
    calibrated ADC transfers, row splits at ``rows``; ``weights=False``: shape-only).

    Every residual block gets an ``add`` layer ``b<i>_add`` reading (the block's input, its
    projection). ReLU after conv1, the expansions, the depth-wise layers and conv_last; the
    projections and the fc are linear, so by :func:`sim_models.quantise.output_range` a projection
    that only feeds its block's add is int8, one that feeds the next block is uint8 (the DAC reads
    unsigned codes), the fc's logits are int8; the global average pool is uint8."""
    net = NetSpec(f"mobilenetv2_{resolution}_w{width:g}", (resolution, resolution, 3))
    block_in: dict[int, str] = {}
    for nl in mobilenetv2(resolution, classes, width):
        if nl.block and nl.block not in block_in:
            block_in[nl.block] = net.last
        linear = nl.name.endswith("_project") or nl.kind == "fc"
        if nl.kind in ("conv", "pointwise"):
            net.conv(nl.name, nl.out_shape[2], nl.kernel, nl.stride, nl.pad, linear=linear, block=nl.block)
        elif nl.kind == "depthwise":
            net.depthwise(nl.name, nl.kernel, nl.stride, nl.pad, block=nl.block)
        elif nl.kind == "avgpool":
            net.avgpool(nl.name, nl.kernel)
        else:
            net.fc(nl.name, nl.out_shape[2], linear=True)
        if nl.residual:
            net.add(f"b{nl.block}_add", block_in[nl.block], nl.name, block=nl.block)
    return net.graph(seed=seed, rows=rows, weights=weights)
