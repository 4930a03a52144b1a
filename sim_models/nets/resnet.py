"""ResNet-18 and ResNet-50 as data (He et al., "Deep Residual Learning for Image Recognition",
CVPR 2016, Table 1; the torchvision implementation, ``torchvision/models/resnet.py``).

Layout (input 224x224x3): ``conv1`` 7x7 / 2 (pad 3, 64 channels, ReLU) -> ``maxpool`` 3x3 / 2
(pad 1) -> four stages of residual blocks with 64, 128, 256, 512 "planes" (stride 1, 2, 2, 2 in
the first block of each stage) -> global ``avgpool`` -> ``fc`` (linear).

* ResNet-18: two **basic blocks** per stage: 3x3 conv (stride, ReLU) -> 3x3 conv (linear), added
  to the block's input (ReLU after the add).
* ResNet-50: 3, 4, 6, 3 **bottlenecks**: 1x1 conv (ReLU) -> 3x3 conv (stride, ReLU) -> 1x1 conv
  to 4x the planes (linear), added to the block's input. The stride sits in the 3x3 conv, as in
  torchvision ("ResNet V1.5"; the paper puts it in the first 1x1 conv: same parameters, 4.09 vs
  3.8 GMAC).
* A block whose stride is 2 or whose channels change adds a **projection shortcut** ``_down``
  (1x1 conv with the block's stride, linear; He et al. option B).

Names: ``conv1``, ``maxpool``, ``s<stage>b<i>_conv1`` / ``_conv2`` (/ ``_conv3``), ``_down``,
``_add``, ``avgpool``, ``fc``; ``block`` counts the residual blocks from 1.

Quantised graph (:class:`sim_models.nets.builder.NetSpec`): batch norm is folded into each
layer's ADC transfer and the graph has no biases. The residual add is
``clamp(a + b, 0, 255)`` with ``a`` the uint8 block input (or the projection shortcut) and ``b``
the block's last conv (int8: linear, it only feeds the add). The projection shortcut is linear in
the float network but, as the add's first (unsigned) operand, is clamped at 0 here -- the one
place where the integer graph differs from the float one in more than rounding.
"""

from __future__ import annotations

from sim_models.graph import Graph
from sim_models.nets.builder import NetSpec, check_args, scaled

__all__ = ["resnet18_graph", "resnet50_graph", "resnet_graph", "STAGES", "PLANES"]

#: Blocks per stage (He et al. 2016, Table 1).
STAGES = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3)}
#: Planes of the four stages and of conv1 (He et al. 2016, Table 1).
PLANES, STEM = (64, 128, 256, 512), 64


def resnet_graph(depth: int, resolution: int = 224, width: float = 1.0, classes: int = 1000,
                 seed: int = 0, rows: int | None = 256, weights: bool = True) -> Graph:
    """ResNet-``depth`` (18: basic blocks, 50: bottlenecks) as a quantised graph.

    ``width`` multiplies every channel count (rounded by
    :func:`sim_models.nets.builder.make_divisible`; not a published ResNet variant: 1.0 is the
    paper's network, smaller widths give cheap test networks)."""
    if depth not in STAGES:
        raise ValueError(f"depth must be one of {tuple(STAGES)}, not {depth!r}")
    check_args(resolution, classes, width)
    bottleneck = depth == 50
    expansion = 4 if bottleneck else 1
    net = NetSpec(f"resnet{depth}_{resolution}_w{width:g}", (resolution, resolution, 3))
    net.conv("conv1", scaled(STEM, width), 7, 2, 3)
    net.maxpool("maxpool", 3, 2, 1)
    block = 0
    for stage, (n, planes) in enumerate(zip(STAGES[depth], PLANES, strict=True), start=1):
        p = scaled(planes, width)
        for i in range(n):
            block += 1
            stride = 2 if stage > 1 and i == 0 else 1
            x, pre = net.last, f"s{stage}b{i + 1}"
            cin = net.shape(x)[2]
            if bottleneck:
                net.conv(f"{pre}_conv1", p, 1, block=block)
                net.conv(f"{pre}_conv2", p, 3, stride, 1, block=block)
                last = net.conv(f"{pre}_conv3", p * expansion, 1, linear=True, block=block)
            else:
                net.conv(f"{pre}_conv1", p, 3, stride, 1, block=block)
                last = net.conv(f"{pre}_conv2", p, 3, 1, 1, linear=True, block=block)
            if stride != 1 or cin != p * expansion:
                x = net.conv(f"{pre}_down", p * expansion, 1, stride, src=x, linear=True, block=block)
            net.add(f"{pre}_add", x, last, block=block)
    net.avgpool("avgpool")
    net.fc("fc", classes, linear=True)
    return net.graph(seed=seed, rows=rows, weights=weights)


def resnet18_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                   rows: int | None = 256, weights: bool = True) -> Graph:
    """ResNet-18 (:func:`resnet_graph` with basic blocks 2, 2, 2, 2)."""
    return resnet_graph(18, resolution, width, classes, seed, rows, weights)


def resnet50_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                   rows: int | None = 256, weights: bool = True) -> Graph:
    """ResNet-50 (:func:`resnet_graph` with bottlenecks 3, 4, 6, 3)."""
    return resnet_graph(50, resolution, width, classes, seed, rows, weights)
