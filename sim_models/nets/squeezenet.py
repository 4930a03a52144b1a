"""SqueezeNet 1.1 as data (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer
parameters and <0.5MB model size", arXiv:1602.07360; version 1.1 from the authors' repository,
github.com/forresti/SqueezeNet, as torchvision's ``squeezenet1_1`` builds it).

``conv1`` 3x3 / 2 (no padding, 64 channels, ReLU) -> ``pool1`` 3x3 / 2 -> fire2, fire3 ->
``pool3`` -> fire4, fire5 -> ``pool5`` -> fire6 .. fire9 -> ``conv10`` 1x1 to ``classes``
(ReLU) -> global ``avgpool`` (the network's output: uint8 class scores). Dropout is left out.

A **fire module** ``fire<i>(s, e1, e3)``: ``squeeze`` 1x1 to s channels (ReLU), then two
expands reading it -- ``expand1x1`` 1x1 to e1 and ``expand3x3`` 3x3 (pad 1) to e3 (both ReLU) --
**concatenated** along the channels (``fire<i>_concat``, e1 + e3 channels).

torchvision's pools use ``ceil_mode=True``; at every resolution that is a multiple of 32 the
windows fit exactly (111 -> 55 -> 27 -> 13 at 224), so the floor-mode pools here give the same
shapes.
"""

from __future__ import annotations

from sim_models.graph import Graph
from sim_models.nets.builder import NetSpec, check_args, scaled

__all__ = ["squeezenet1_1_graph", "FIRES", "STEM"]

#: Fire modules of SqueezeNet 1.1 (squeeze, expand 1x1, expand 3x3) and the pool after a fire
#: (torchvision's ``squeezenet1_1`` features).
FIRES = ((2, 16, 64, 64, False), (3, 16, 64, 64, True), (4, 32, 128, 128, False),
         (5, 32, 128, 128, True), (6, 48, 192, 192, False), (7, 48, 192, 192, False),
         (8, 64, 256, 256, False), (9, 64, 256, 256, False))
#: conv1's channels.
STEM = 64


def squeezenet1_1_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                        rows: int | None = 256, weights: bool = True) -> Graph:
    """SqueezeNet 1.1 as a quantised graph (module docstring). ``width`` multiplies every channel
    count except the classes (not a published variant; 1.0 is the published network)."""
    check_args(resolution, classes, width)
    net = NetSpec(f"squeezenet1_1_{resolution}_w{width:g}", (resolution, resolution, 3))
    net.conv("conv1", scaled(STEM, width), 3, 2, 0)
    net.maxpool("pool1", 3, 2)
    for i, s, e1, e3, pool in FIRES:
        sq = net.conv(f"fire{i}_squeeze", scaled(s, width), 1, block=i)
        a = net.conv(f"fire{i}_expand1x1", scaled(e1, width), 1, src=sq, block=i)
        b = net.conv(f"fire{i}_expand3x3", scaled(e3, width), 3, 1, 1, src=sq, block=i)
        net.concat(f"fire{i}_concat", (a, b), block=i)
        if pool:
            net.maxpool(f"pool{i}", 3, 2)
    net.conv("conv10", classes, 1)
    net.avgpool("avgpool")
    return net.graph(seed=seed, rows=rows, weights=weights)
