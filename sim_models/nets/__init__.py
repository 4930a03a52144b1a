"""Networks as data: layer lists with their shapes, weight counts, MACs and crossbar footprints.

:mod:`sim_models.nets.mobilenetv2` -- MobileNetV2 (Sandler et al., CVPR 2018, Table 2), the network
Garofalo et al. (JETCAS 2022, Sec. VI) run end to end on a multi-array IMA. Pure Python: the
network issue grows these layer lists into full graphs.
"""

from sim_models.nets import mobilenetv2

__all__ = ["MODELS", "mobilenetv2"]

#: ``--model`` name -> function returning the layer list (``ima-sim place``).
MODELS = {"mobilenetv2": mobilenetv2.mobilenetv2}
