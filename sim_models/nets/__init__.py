"""Networks as data: the zoo of quantised graphs and the published figures we check them against.

Six edge CNNs with different shapes of work (docs/networks.md, "The six networks"):

=================  =========================================================================
``mobilenetv2``    inverted residuals: 1x1 expand, 3x3 depth-wise, linear 1x1 projection
                   (:mod:`sim_models.nets.mobilenetv2`, Sandler et al. 2018)
``mobilenetv1``    depth-wise separable, no residuals (:mod:`~sim_models.nets.mobilenetv1`)
``resnet18``       3x3 convolutions with residual adds, 7x7 stem, max pool
                   (:mod:`~sim_models.nets.resnet`)
``resnet50``       bottlenecks, 1x1-heavy (:mod:`~sim_models.nets.resnet`)
``vgg16``          big 3x3 convolutions and three huge fully connected layers
                   (:mod:`~sim_models.nets.vgg`)
``squeezenet1_1``  fire modules: 1x1 squeeze, 1x1 and 3x3 expands concatenated
                   (:mod:`~sim_models.nets.squeezenet`)
=================  =========================================================================

:data:`ZOO` maps each name to its builder, called as ``builder(resolution=..., width=...,
classes=..., seed=..., rows=..., weights=...)``; ``weights=False`` gives a shape-only graph
(:mod:`sim_models.nets.builder`). :data:`PUBLISHED` holds each network's published parameter and
MAC counts at 224x224, 1000 classes, with their sources; :func:`count_check` compares ours.
EfficientNet-B0 is not in the zoo: its squeeze-and-excitation blocks multiply every channel by
a data-dependent sigmoid gate and its swish activations are not a clamp -- neither is an
operation of the IMA, the depth-wise accelerator or the requantising ADC (a clamped affine
transfer); they would be software kernels the cluster does not have.
"""

from dataclasses import dataclass

from sim_models.nets import mobilenetv1, mobilenetv2, resnet, squeezenet, vgg

__all__ = ["MODELS", "ZOO", "PUBLISHED", "Published", "count_check", "documented_extra",
           "mobilenetv2", "mobilenetv1", "resnet", "squeezenet", "vgg"]

#: ``--model`` name -> function returning the layer list (``ima-sim place``; MobileNetV2 only:
#: the other networks are graphs, their crossbar shapes are ``Layer.xbar_shape``).
MODELS = {"mobilenetv2": mobilenetv2.mobilenetv2}
#: ``--model`` name -> builder of the quantised :class:`sim_models.graph.Graph` (``ima-sim net``,
#: the study), called as ``builder(resolution=..., width=..., classes=..., seed=..., rows=...,
#: weights=...)``.
ZOO = {"mobilenetv2": mobilenetv2.mobilenetv2_graph,
       "mobilenetv1": mobilenetv1.mobilenetv1_graph,
       "resnet18": resnet.resnet18_graph,
       "resnet50": resnet.resnet50_graph,
       "vgg16": vgg.vgg16_graph,
       "squeezenet1_1": squeezenet.squeezenet1_1_graph}


@dataclass(frozen=True)
class Published:
    """A network's published counts at 224x224, 1000 classes.

    ``params`` counts what the source counts: our weights plus the ``extra`` the source includes
    and our graph does not have (:func:`documented_extra`): ``"bn+fc_bias"`` -- two trainable
    batch-norm parameters (scale, shift) per channel of every conv / depth-wise layer (folded into
    our ADC transfers) and the classifier's bias; ``"bias"`` -- one bias per output channel of
    every conv and fc layer (our IMA adds no bias). ``params_tol`` / ``macs_tol`` are half a unit
    of the published figure's last digit (0 for an exact count). ``macs`` are multiply-accumulates
    of the conv and fc layers; torchvision's "GFLOPS" column counts one per multiply-add (its
    figures match ours to the printed digits)."""
    params: float
    params_tol: float
    macs: float
    macs_tol: float
    extra: str
    source: str


PUBLISHED = {
    # torchvision MobileNet_V2_Weights.IMAGENET1K_V1: num_params 3504872, GFLOPS 0.30
    # (pytorch.org/vision/stable/models/generated/torchvision.models.mobilenet_v2.html); Sandler et
    # al. 2018 Table 3 print 3.4 M / 300 M.
    "mobilenetv2": Published(3_504_872, 0, 0.30e9, 0.005e9, "bn+fc_bias",
                             "torchvision MobileNet_V2_Weights.IMAGENET1K_V1"),
    # Howard et al. 2017, Table 8 (and Table 6, alpha 1.0, 224): 1.0 MobileNet-224, 569 million
    # mult-adds, 4.2 million parameters. (The Keras docstring's table prints 529 M for every
    # resolution, a misprint.)
    "mobilenetv1": Published(4.2e6, 0.05e6, 569e6, 0.5e6, "bn+fc_bias",
                             "Howard et al. 2017, Table 8"),
    # torchvision ResNet18_Weights.IMAGENET1K_V1: num_params 11689512, GFLOPS 1.81
    "resnet18": Published(11_689_512, 0, 1.81e9, 0.005e9, "bn+fc_bias",
                          "torchvision ResNet18_Weights.IMAGENET1K_V1"),
    # torchvision ResNet50_Weights.IMAGENET1K_V1 (V1.5, stride in the 3x3): num_params 25557032,
    # GFLOPS 4.09
    "resnet50": Published(25_557_032, 0, 4.09e9, 0.005e9, "bn+fc_bias",
                          "torchvision ResNet50_Weights.IMAGENET1K_V1"),
    # torchvision VGG16_Weights.IMAGENET1K_V1: num_params 138357544, GFLOPS 15.47
    "vgg16": Published(138_357_544, 0, 15.47e9, 0.005e9, "bias",
                       "torchvision VGG16_Weights.IMAGENET1K_V1"),
    # torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1: num_params 1235496, GFLOPS 0.35
    "squeezenet1_1": Published(1_235_496, 0, 0.35e9, 0.005e9, "bias",
                               "torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1"),
}


def documented_extra(graph, extra: str) -> int:
    """The parameters a published count includes beyond our weights (see :class:`Published`)."""
    weighted = [lay for lay in graph.layers if lay.weight_shape is not None]
    if extra == "bias":
        return sum(lay.out_shape[2] for lay in weighted)
    if extra == "bn+fc_bias":
        return sum(2 * lay.out_shape[2] for lay in weighted if lay.kind != "fc") + \
            sum(lay.out_shape[2] for lay in weighted if lay.kind == "fc")
    raise ValueError(f"extra must be 'bias' or 'bn+fc_bias', not {extra!r}")


def count_check(name: str, graph=None) -> dict:
    """Our counts of zoo network ``name`` at 224, width 1.0, 1000 classes (shape-only unless
    ``graph`` is given) next to :data:`PUBLISHED`: ``params`` (our weights), ``extra``,
    ``published_params``, ``macs``, ``published_macs``, and ``params_ok`` / ``macs_ok`` (within
    the published figure's rounding)."""
    pub = PUBLISHED[name]
    g = graph if graph is not None else ZOO[name](resolution=224, weights=False)
    extra = documented_extra(g, pub.extra)
    return {"name": name, "params": g.n_params, "extra": extra, "published_params": pub.params,
            "params_ok": abs(g.n_params + extra - pub.params) <= pub.params_tol,
            "macs": g.macs, "published_macs": pub.macs, "macs_ok": abs(g.macs - pub.macs) <= pub.macs_tol,
            "source": pub.source}
