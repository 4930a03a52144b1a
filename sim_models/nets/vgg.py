"""VGG-16 as data (Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015, Table 1 configuration D; torchvision's ``vgg16``, no batch norm).

Thirteen 3x3 convolutions (pad 1, ReLU) in five groups of 64, 64 | 128, 128 | 256 x 3 | 512 x 3
| 512 x 3 channels, each group followed by a 2x2 / 2 max pool, then three fully connected layers
4096 (ReLU), 4096 (ReLU), ``classes`` (linear). Dropout does nothing at inference and is left
out. torchvision puts an adaptive average pool to 7x7 before the classifier; at 224 the features
already are 7x7 (the pool is the identity), so it is left out and ``fc1`` reads the flattened
``(resolution/32)^2 x 512`` features: at other resolutions fc1's weights scale with the input
(the paper's fully convolutional reading of the classifier would slide it instead).

The heaviest network of the zoo: 138 M weights, 124 M of them in the three fc layers (fc1 alone
102.8 M), and 15.5 GMAC, almost all in the 3x3 convolutions. Build it shape-only
(``weights=False``) for counts and costs.

Names: ``conv<g>_<i>`` (group g = 1..5, i = 1..3), ``pool<g>``, ``fc1``, ``fc2``, ``fc3``.
"""

from __future__ import annotations

from sim_models.graph import Graph
from sim_models.nets.builder import NetSpec, check_args, scaled

__all__ = ["vgg16_graph", "CONFIG_D", "FC_HIDDEN"]

#: Simonyan and Zisserman 2015, Table 1, configuration D: output channels of each group's convs.
CONFIG_D = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
#: Width of the two hidden fully connected layers (Table 1: FC-4096, FC-4096).
FC_HIDDEN = 4096


def vgg16_graph(resolution: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                rows: int | None = 256, weights: bool = True) -> Graph:
    """VGG-16 as a quantised graph (module docstring). ``width`` multiplies every conv's and the
    hidden fc layers' channels (not a published variant; 1.0 is the paper's network)."""
    check_args(resolution, classes, width)
    net = NetSpec(f"vgg16_{resolution}_w{width:g}", (resolution, resolution, 3))
    for g, group in enumerate(CONFIG_D, start=1):
        for i, c in enumerate(group, start=1):
            net.conv(f"conv{g}_{i}", scaled(c, width), 3, 1, 1)
        net.maxpool(f"pool{g}", 2, 2)
    net.fc("fc1", scaled(FC_HIDDEN, width))
    net.fc("fc2", scaled(FC_HIDDEN, width))
    net.fc("fc3", classes, linear=True)
    return net.graph(seed=seed, rows=rows, weights=weights)
