"""MobileNetV1 as data (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", arXiv:1704.04861, 2017, Table 1).

``conv1`` 3x3 / 2 (32 channels) followed by 13 depth-wise separable layers -- a 3x3 depth-wise
``dw<i>`` (stride s, pad 1) and a 1x1 pointwise ``pw<i>`` to c channels, every one with ReLU, no
residuals -- with (s, c) = (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), 5 x (1,
512), (2, 1024), (1, 1024); then a global ``avgpool`` and the ``fc`` classifier (linear). Table 1
prints the last depth-wise as "s2" on a 7x7 input giving 7x7: that is stride 1 (as in TF-slim's
and Keras' implementations).

``width`` is the paper's width multiplier alpha (Sec. 3.3) applied to every channel count; we
round with :func:`sim_models.nets.builder.make_divisible` (TF-slim / Keras truncate
``int(c * alpha)``: the counts differ for widths other than 1.0, which are not compared to
published figures).
"""

from __future__ import annotations

from sim_models.graph import Graph
from sim_models.nets.builder import NetSpec, check_args, scaled

__all__ = ["mobilenetv1_graph", "TABLE1", "STEM"]

#: Howard et al. 2017, Table 1: (stride of the depth-wise, channels of the pointwise).
TABLE1 = ((1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512), (1, 512), (1, 512),
          (1, 512), (1, 512), (2, 1024), (1, 1024))
#: conv1's channels.
STEM = 32


def mobilenetv1_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                      rows: int | None = 256, weights: bool = True) -> Graph:
    """MobileNetV1 as a quantised graph (module docstring)."""
    check_args(resolution, classes, width)
    net = NetSpec(f"mobilenetv1_{resolution}_w{width:g}", (resolution, resolution, 3))
    net.conv("conv1", scaled(STEM, width), 3, 2, 1)
    for i, (s, c) in enumerate(TABLE1, start=1):
        net.depthwise(f"dw{i}", 3, s, 1, block=i)
        net.conv(f"pw{i}", scaled(c, width), 1, block=i)
    net.avgpool("avgpool")
    net.fc("fc", classes, linear=True)
    return net.graph(seed=seed, rows=rows, weights=weights)
