"""Networks as data: layer lists with their shapes, weight counts, MACs and crossbar footprints,
and the quantised graphs built from them.

:mod:`sim_models.nets.mobilenetv2` -- MobileNetV2 (Sandler et al., CVPR 2018, Table 2), the network
Garofalo et al. (JETCAS 2022, Sec. VI) run end to end on a multi-array IMA. Pure Python / numpy.
"""

from sim_models.nets import mobilenetv2

__all__ = ["MODELS", "ZOO", "mobilenetv2"]

#: ``--model`` name -> function returning the layer list (``ima-sim place``).
MODELS = {"mobilenetv2": mobilenetv2.mobilenetv2}
#: ``--model`` name -> builder of the quantised :class:`sim_models.graph.Graph` (``ima-sim net``),
#: called as ``builder(resolution=..., width=..., classes=..., seed=..., rows=...)``.
ZOO = {"mobilenetv2": mobilenetv2.mobilenetv2_graph}
