"""Accuracy of a quantised network on PCM crossbars, ideal and under non-idealities (issue 18).

The network is compiled for the cluster by :func:`sim_models.compiler.compile_graph` (conv,
pointwise and fc on the IMA, placed on ``rows`` x ``cols`` arrays by Tile&Pack, Garofalo et al.,
JETCAS 2022, Sec. VI; depth-wise on the digital accelerator) and its crossbars are programmed
from the program's placements (:func:`sim_models.netexec.program_crossbars`), one
:class:`sim_models.crossbar.Crossbar` per array. Two engines run it on those crossbars:

``jobs``     the job-level executor, :func:`sim_models.netexec.execute_program`, one image at a
             time: every IMA job's STREAMIN / MVM / STREAMOUT on a TCDM byte image, the DWA's and
             the cores' phases -- what the RTL cluster runs (the reference);
``batched``  the same MVMs for all pixels of all images at once: each tile of a crossbar layer
             is one :meth:`Crossbar.mvm` on the ``(n * pixels, rows)`` DAC vectors of the
             virtual im2col, with the layer's ADC transfer (row pieces: ``partial_adc``, summed
             and requantised as the cores do); the digital layers (depthwise, add, avgpool) by
             :func:`sim_models.graph.layer_golden` with the batch folded into the channel axis.

On the same (frozen) crossbars the two give the same outputs bit for bit, and in ideal mode both
equal :func:`sim_models.graph.run_golden` (tested); ``batched`` runs the 360 digits test images
in a fraction of a second per noise point, ``jobs`` in about a second.

**Noise points** (:class:`NoisePoint`), after aihwkit's inference examples (IBM aihwkit,
``examples/``: accuracy vs time after programming with ``PCMLikeNoiseModel``):

``ideal``            exact integer crossbar;
``prog``             programming noise only;
``prog+read``        plus 1/f read noise;
``prog+read+drift``  plus conductance drift, at ``t_s`` after programming
                     (:data:`DRIFT_TIMES`: 1 s, 1 h, 1 day, 1 month = 30 days, 1 year = 365 days),
                     each without and with global drift compensation (one scale per array from a
                     calibration read, aihwkit ``GlobalDriftCompensation``).

The equations and constants are those of :mod:`sim_models.crossbar` (Nandakumar et al., ICECS
2019, via aihwkit ``PCMLikeNoiseModel``). For one evaluation the crossbars are read once at
``t_s`` (:meth:`Crossbar.freeze`) and every test image sees that state, as aihwkit's
``drift_analog_weights(t)`` does. Programming seed ``k`` gives the array ``a`` crossbar seed
``k * SEED_STRIDE + a``; the three noise kinds of one seed share its programming-noise draw
(common random numbers: the differences between points are the effects, not the seeds).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from sim_models import golden
from sim_models.compiler import NetProgram, compile_graph
from sim_models.crossbar import Crossbar
from sim_models.graph import INPUT, Graph, Layer, layer_golden, run_golden
from sim_models.netexec import execute_program, program_crossbars
from sim_models.placement import Floorplan

__all__ = ["NOISE_KINDS", "DRIFT_TIMES", "SEED_STRIDE", "ENGINES", "NoisePoint", "default_points",
           "ArrayLimits", "AnalogNet", "accuracy_table"]

#: How :class:`AnalogNet` runs the network (module docstring).
ENGINES = ("batched", "jobs")

NOISE_KINDS = ("ideal", "prog", "prog+read", "prog+read+drift")
DAY = 86400.0
#: Times after programming of the drift points, s: 1 s, 1 h, 1 day, 1 month (30 d), 1 year (365 d).
DRIFT_TIMES = (1.0, 3600.0, DAY, 30 * DAY, 365 * DAY)
#: Crossbar seed of array ``a`` for programming seed ``k``: ``k * SEED_STRIDE + a``.
SEED_STRIDE = 1009


@dataclass(frozen=True)
class NoisePoint:
    """One non-ideality setting: ``noise`` (one of :data:`NOISE_KINDS`), time after programming
    ``t_s`` (0 unless drift is on) and global drift compensation."""
    noise: str
    t_s: float = 0.0
    compensated: bool = False

    def __post_init__(self) -> None:
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}, not {self.noise!r}")
        if not (isinstance(self.t_s, (int, float)) and math.isfinite(self.t_s) and self.t_s >= 0):
            raise ValueError(f"t_s must be a finite time >= 0, not {self.t_s!r}")
        if self.noise != "prog+read+drift" and (self.t_s or self.compensated):
            raise ValueError(f"noise {self.noise!r} has no drift: t_s must be 0 and compensated "
                             "False")

    def crossbar_kwargs(self) -> dict:
        """The :class:`Crossbar` arguments of this point (non-ideal modes)."""
        if self.noise == "ideal":
            return {"ideal": True}
        return {"ideal": False, "prog_noise_scale": 1.0,
                "read_noise_scale": 1.0 if "read" in self.noise else 0.0,
                "drift_scale": 1.0 if "drift" in self.noise else 0.0,
                "t_inference": float(self.t_s), "drift_compensation": self.compensated}


def default_points(times: Sequence[float] = DRIFT_TIMES) -> list[NoisePoint]:
    """``prog``, ``prog+read``, then drift at each time without and with compensation."""
    pts = [NoisePoint("prog"), NoisePoint("prog+read")]
    pts += [NoisePoint("prog+read+drift", float(t), c) for t in times for c in (False, True)]
    return pts


def _positive_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a positive integer, not {v!r}")
    return int(v)


def _fold(x: np.ndarray) -> np.ndarray:
    """A batch ``(n, H, W, C)`` as one image ``(H, W, n*C)`` (image-major channels)."""
    n, h, w, c = x.shape
    return x.transpose(1, 2, 0, 3).reshape(h, w, n * c)


def _digital_layer(layer: Layer, ins: list[np.ndarray]) -> np.ndarray:
    """A depthwise / avgpool / add layer on a batch, by :func:`layer_golden` itself: these kinds
    treat every channel alone, so the batch folds into the channel axis (weights tiled) and
    one call computes all images."""
    if layer.kind not in ("depthwise", "add", "avgpool"):
        raise ValueError(f"layer {layer.name}: the batched engine runs {layer.kind} layers on the "
                         "crossbars only (use engine='jobs')")
    n = ins[0].shape[0]
    (h, w, c), (ho, wo, co) = layer.in_shape, layer.out_shape
    wts = None if layer.weights is None else np.tile(layer.weights, (n,) + (1,) * (layer.weights.ndim - 1))
    big = replace(layer, weights=wts, in_shape=(h, w, n * c), out_shape=(ho, wo, n * co))
    y = layer_golden(big, [_fold(a) for a in ins])[0]
    return y.reshape(ho, wo, n, co).transpose(2, 0, 1, 3)


@dataclass(frozen=True)
class ArrayLimits:
    """The hardware limits :func:`compile_graph` needs (a :class:`sim_models.workloads.HwLimits`):
    one ``rows`` x ``cols`` array with DAC / ADC buffers as deep as the array (any job window
    fits); the TCDM is sized to the program."""
    rows: int = 256
    cols: int = 256

    @property
    def dac_depth(self) -> int:
        return self.rows

    @property
    def adc_depth(self) -> int:
        return self.cols

    @property
    def tcdm_bytes(self) -> int:
        return 1 << 30


class AnalogNet:
    """A :class:`Graph` compiled for the IMA cluster and run on crossbars (module docstring).

    Parameters
    ----------
    graph : Graph
    rows, cols : int
        Size of one crossbar array (256 x 256: Garofalo et al. 2022, Sec. VI).
    arrays : int, optional
        Arrays available (``None``: as many as Tile&Pack opens).

    Raises
    ------
    ValueError
        A bad size, or what :func:`compile_graph` refuses (named there): layers that do not fit
        ``arrays``, row splits off the array's row multiples, ...
    """

    def __init__(self, graph: Graph, rows: int = 256, cols: int = 256, arrays: int | None = None):
        self.graph = graph
        self.rows, self.cols = _positive_int("rows", rows), _positive_int("cols", cols)
        x0 = np.zeros(graph.input_shape, dtype=np.uint8)
        self.program: NetProgram = compile_graph(graph, x0, ArrayLimits(self.rows, self.cols),
                                                 arrays=arrays, fc_unit="ima")
        self.floorplan: Floorplan | None = self.program.floorplan
        self.arrays = self.program.arrays
        self._units = {st.layer: st.unit for st in self.program.steps}

    def crossbars(self, seed: int | None = None, **kwargs) -> list[Crossbar]:
        """One :class:`Crossbar` per array (array ``a`` seeded ``seed * SEED_STRIDE + a``),
        programmed from the program's placements."""
        xbars = [Crossbar(self.rows, self.cols, seed=None if seed is None else seed * SEED_STRIDE + a,
                          **kwargs) for a in range(self.arrays)]
        return program_crossbars(self.program, xbars)

    # ------------------------------------------------------------------ execution
    def _dac_vectors(self, layer: Layer, x: np.ndarray) -> np.ndarray:
        """``(n * pixels, K*K*C_in)`` uint8 DAC vectors of a batch ``(n, H, W, C)`` (rows ky, kx,
        c: the virtual im2col of the IMA's streamer, one vector per job)."""
        n = x.shape[0]
        if layer.kind == "fc":
            return x.reshape(n, -1)
        k, s, p = layer.kernel, layer.stride, layer.pad
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        ho, wo = layer.out_shape[:2]
        cols = np.stack([xp[:, ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s, :]
                         for ky in range(k) for kx in range(k)], axis=3)   # [n, ho, wo, k*k, C]
        return cols.reshape(n * ho * wo, -1)

    def _xbar_layer(self, layer: Layer, x: np.ndarray, xbars: Sequence[Crossbar]) -> np.ndarray:
        if x.dtype != np.uint8:
            raise ValueError(f"layer {layer.name}: crossbar inputs must be uint8, not {x.dtype}")
        v = self._dac_vectors(layer, x)
        cout = layer.xbar_shape[1]
        split = bool(layer.row_splits)
        adc = layer.partial_adc if split else layer.adc
        out = np.zeros((v.shape[0], cout), dtype=np.int64)
        for p in self.floorplan.of_layer(layer.name):
            r0, c0 = self.floorplan.source(p)
            out[:, c0:c0 + p.width] += xbars[p.array].mvm(v[:, r0:r0 + p.height], p.row, p.col,
                                                          p.height, p.width, *adc)
        if split:
            out = golden.requant(out, *layer.adc)
        return out.astype(golden.out_dtype(layer.adc[2])).reshape((x.shape[0], *layer.out_shape))

    def _check(self, x, xbars):
        x = np.asarray(x)
        if x.dtype != np.uint8 or x.shape[1:] != tuple(self.graph.input_shape):
            raise ValueError(f"x must be a uint8 batch (n, {', '.join(map(str, self.graph.input_shape))}),"
                             f" not {x.dtype} {x.shape}")
        if len(xbars) != self.arrays:
            raise ValueError(f"xbars must hold {self.arrays} crossbar(s), not {len(xbars)}")
        return x

    def run_jobs(self, x: npt.ArrayLike, xbars: Sequence[Crossbar]) -> dict[str, np.ndarray]:
        """Every layer's output for a batch ``x`` by the job-level executor, image by image
        (:func:`execute_program` on the program's TCDM image with ``x[i]`` stored as input)."""
        x = self._check(x, xbars)
        outs: dict[str, list[np.ndarray]] = {lay.name: [] for lay in self.graph.layers}
        for xi in x:
            image = self.program.image.copy()
            self.program.buffers[INPUT].write(image, xi)
            for name, y in execute_program(self.program, list(xbars), programmed=True,
                                           image=image).items():
                outs[name].append(y)
        return {name: np.stack(v) if v else np.zeros((0, *self.graph.layer(name).out_shape))
                for name, v in outs.items()}

    def run(self, x: npt.ArrayLike, xbars: Sequence[Crossbar]) -> dict[str, np.ndarray]:
        """Every tensor of the graph for a batch ``x`` of uint8 images ``(n, *input_shape)``
        (the ``batched`` engine)."""
        x = self._check(x, xbars)
        t = {"input": x}
        for lay in self.graph.layers:
            ins = [t[i] for i in lay.inputs]
            if self._units[lay.name] == "ima":
                t[lay.name] = self._xbar_layer(lay, ins[0], xbars)
            else:
                t[lay.name] = _digital_layer(lay, ins)
        return t

    def logits(self, x: npt.ArrayLike, xbars: Sequence[Crossbar], engine: str = "batched") -> np.ndarray:
        """The graph's output, flattened per image: ``(n, C_out)``, by ``engine`` (:data:`ENGINES`)."""
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        y = (self.run if engine == "batched" else self.run_jobs)(x, xbars)[self.graph.output]
        return y.reshape(y.shape[0], -1)

    def golden_logits(self, x: npt.ArrayLike) -> np.ndarray:
        """The integer model's output per image (:func:`run_golden`, one image at a time)."""
        return np.stack([run_golden(self.graph, xi).tensors[self.graph.output].reshape(-1)
                         for xi in np.asarray(x)])

    def accuracy(self, x: npt.ArrayLike, labels: npt.ArrayLike, xbars: Sequence[Crossbar],
                 engine: str = "batched") -> float:
        """Top-1 accuracy (argmax of the output; ties go to the lowest class)."""
        return float((self.logits(x, xbars, engine).argmax(axis=1) == np.asarray(labels)).mean())

    # ------------------------------------------------------------------ sweeps
    def sweep(self, points: Sequence[NoisePoint], x: npt.ArrayLike, labels: npt.ArrayLike,
              seeds: Sequence[int], progress: Callable[[int], None] | None = None,
              engine: str = "batched") -> dict[NoisePoint, list[float]]:
        """Accuracy per point and programming seed (``progress(1)`` after each evaluation).

        Per seed and noise kind the arrays are programmed once; the drift times of a kind re-read
        the same programmed state (:meth:`Crossbar.freeze` at each ``t_s``), and the points with
        and without compensation at one time share that read (they differ by the scale only)."""
        if not seeds:
            raise ValueError("seeds must name at least one programming seed")
        res: dict[NoisePoint, list[float]] = {p: [] for p in points}
        for seed in seeds:
            for kind in NOISE_KINDS:
                pts = [p for p in points if p.noise == kind]
                if not pts:
                    continue
                xbars = self.crossbars(seed, **pts[0].crossbar_kwargs())
                for t in dict.fromkeys(p.t_s for p in pts):
                    for xb in xbars:
                        xb.t_inference = float(t)
                        xb.freeze()
                    for p in (q for q in pts if q.t_s == t):
                        for xb in xbars:
                            xb.drift_compensation = p.compensated
                        res[p].append(self.accuracy(x, labels, xbars, engine))
                        if progress:
                            progress(1)
        return res


def accuracy_table(net: AnalogNet, x: npt.ArrayLike, labels: npt.ArrayLike, seeds: Sequence[int],
                   points: Sequence[NoisePoint] | None = None,
                   progress: Callable[[int], None] | None = None, engine: str = "batched") -> list[dict]:
    """``[{noise, t_s, compensated, mean, std, seeds, acc}, ...]``: ``seeds`` is their number,
    ``acc`` the accuracy per seed, ``std`` over the seeds (ddof 0)."""
    points = default_points() if points is None else list(points)
    res = net.sweep(points, x, labels, seeds, progress, engine)
    return [{"noise": p.noise, "t_s": p.t_s, "compensated": p.compensated,
             "mean": float(np.mean(res[p])), "std": float(np.std(res[p])), "seeds": len(res[p]),
             "acc": [float(a) for a in res[p]]} for p in points]
