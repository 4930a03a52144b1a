"""Behavioural model of the IMA's analog core: a PCM crossbar with a DAC/ADC periphery.

Weights are signed 4-bit integers in ``[-7, 7]`` stored as a *differential pair* of PCM devices
``(G+, G-)`` (two devices per weight, docs/spec.md section 2)::

    G+ = max(w, 0) * g_step        G- = max(-w, 0) * g_step        g_step = g_max / 7

so ``w = (G+ - G-) / g_step`` and the largest weight uses the full ``g_max`` (the mapping of IBM
aihwkit's ``SinglePairConductanceConverter``, which puts ``max|W|`` at ``g_max``).

Crossbar row ``r`` is a DAC input (word line), column ``c`` an ADC output (bit line). One MVM over
the window ``rows row..row+height-1`` x ``cols col..col+width-1`` computes::

    acc[c] = sum_r W[row + r, col + c] * x[r]                    (x: 8-bit DAC inputs)
    y[c]   = clamp((acc[c] * M + 2**(S-1)) >> S, LO, HI)         (no rounding term when S == 0)

In *ideal* mode this is exact integer arithmetic (int64) and bit-exact with
``sim_models.golden``. In *non-ideal* mode (seeded) the conductances carry the PCM
non-idealities of Nandakumar et al., ICECS 2019, with the equations and constants of IBM
aihwkit's ``PCMLikeNoiseModel`` (``src/aihwkit/inference/noise/pcm.py``):

* programming noise (applied once at ``program``), Gaussian with a polynomial std;
* conductance drift ``G(t) = G_prog * (t / t0) ** -nu`` with a per-device exponent ``nu``;
* accumulated 1/f read noise, resampled on every read;
* optional global drift compensation (aihwkit ``GlobalDriftCompensation``);
* an ADC offset and Gaussian ADC noise, in output LSBs.

By default every read (every MVM) draws fresh read noise. :meth:`Crossbar.freeze` instead reads
the array once at ``t_inference`` and keeps those conductances for every later MVM: what
aihwkit's ``drift_analog_weights(t_inference)`` does before it evaluates a test set, and what
lets one noisy state be replayed exactly (on the RTL's analog core and the job-level executor
alike). :meth:`Crossbar.mvm` also takes a batch of DAC vectors ``(n, height)``.

Pure numpy: no Amaranth, no cocotb.
"""

import math

import numpy as np
import numpy.typing as npt

__all__ = ["Crossbar", "latency_cycles", "adc_transfer", "W_MIN", "W_MAX",
           "PROG_COEFF", "G_MAX_US", "T0_S", "T_READ_S"]

#: Weight range: signed 4-bit with -8 excluded (docs/spec.md section 2).
W_MIN, W_MAX = -7, 7

#: Maximum device conductance in uS. aihwkit ``PCMLikeNoiseModel``: programming coefficients are
#: "defined in respect to 25.0 uS" (``prog_coeff_g_max_reference = 25.0``).
G_MAX_US = 25.0
#: Programming-noise polynomial ``sigma_prog(g) = c0 + c1*(g/g_max) + c2*(g/g_max)**2`` in uS.
#: aihwkit ``PCMLikeNoiseModel.prog_coeff = [0.26348, 1.9650, -1.1731]``, fitted in
#: Nandakumar et al., ICECS 2019 (Fig. / Eq. of programming-noise std vs target conductance).
PROG_COEFF = (0.26348, 1.9650, -1.1731)
#: Drift fit reference time (first read after programming), s. aihwkit ``t_0 = 20.0``.
T0_S = 20.0
#: 1/f read-noise fit parameter (read duration), s. aihwkit ``t_read = 250.0e-9``.
T_READ_S = 250e-9
#: Drift exponent mean ``mu_nu = clip(-0.0155*ln(g/g_max) + 0.0244, 0.049, 0.1)``
#: (aihwkit ``generate_drift_coefficients``; Nandakumar et al., ICECS 2019).
NU_MEAN_COEFF = (-0.0155, 0.0244, 0.049, 0.1)
#: Drift exponent std ``sigma_nu = clip(-0.0125*ln(g/g_max) - 0.0059, 0.008, 0.045)``
#: (aihwkit ``generate_drift_coefficients``; Nandakumar et al., ICECS 2019).
NU_STD_COEFF = (-0.0125, -0.0059, 0.008, 0.045)
#: 1/f read noise ``Q_s = min(0.0088 / max((g/g_max)**0.65, 1e-3), 0.2)`` and
#: ``sigma_read = |G(t)| * Q_s * sqrt(ln((t + t_read) / (2 t_read)))``
#: (aihwkit ``apply_drift_noise_to_conductance``; Nandakumar et al., ICECS 2019).
READ_Q = (0.0088, 0.65, 1e-3, 0.2)
#: Lower clip of ``g/g_max`` before taking its logarithm (aihwkit ``_ZERO_CLIP``).
ZERO_CLIP = 1e-7


def latency_cycles(clock_hz: float, mvm_ns: float) -> int:
    """Cycles of one analog MVM: ``ceil(mvm_ns * clock_hz)`` (18 at 70 ns, 250 MHz; docs/spec.md 1).

    The one formula of the project: :attr:`hw.config.ImaConfig.mvm_cycles` calls it, and the
    cycle model (:mod:`sim_models.perf`) receives its result from its caller. The product is
    rounded to 9 decimals first so that a float product like ``64.99999999999999`` gives 65.

    Parameters
    ----------
    clock_hz : float
        Cluster clock frequency in Hz.
    mvm_ns : float
        Analog MVM latency in ns.
    """
    if clock_hz <= 0 or mvm_ns <= 0:
        raise ValueError(f"clock_hz and mvm_ns must be positive, not {clock_hz!r}, {mvm_ns!r}")
    return math.ceil(round(mvm_ns * clock_hz / 1e9, 9))


def adc_transfer(acc: npt.ArrayLike, m: int, s: int, lo: int, hi: int) -> npt.NDArray[np.int64]:
    """``clamp((acc*m + 2**(s-1)) >> s, lo, hi)`` on int64, no rounding term when ``s == 0``."""
    acc = np.asarray(acc, dtype=np.int64)
    rnd = (1 << (s - 1)) if s > 0 else 0
    return np.clip((acc * np.int64(m) + np.int64(rnd)) >> np.int64(s), lo, hi)


def _check_adc(m, s, lo, hi):
    for name, v in (("m", m), ("s", s), ("lo", lo), ("hi", hi)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError(f"ADC parameter {name} must be an integer, not {v!r}")
    if not -(1 << 15) <= m < (1 << 15):
        raise ValueError(f"ADC multiplier m must be a signed 16-bit integer, not {m}")
    if not 0 <= s <= 31:
        raise ValueError(f"ADC shift s must be in 0..31, not {s}")
    if not -128 <= lo <= hi <= 255:
        raise ValueError(f"ADC clamp needs -128 <= lo <= hi <= 255, not lo={lo}, hi={hi}")


class Crossbar:
    """A ``rows`` x ``cols`` PCM crossbar of differential-pair weights.

    Parameters
    ----------
    rows, cols : int
        Array size (word lines x bit lines). 256 x 256 holds the default bottleneck's two
        pointwise layers (32 x 192 and 192 x 32) side by side.
    ideal : bool
        Exact integer MVM (bit-exact with the golden model) when True.
    seed : int or None
        Seed of the non-ideal mode's ``numpy.random.default_rng``.
    g_max : float
        Conductance of weight 7, in uS (aihwkit default 25 uS).
    t_inference : float
        Time since programming, s (aihwkit ``t_inference``; drift uses ``t = t_inference + t0``).
    t0, t_read : float
        Drift and 1/f-noise fit parameters, s (aihwkit ``t_0``, ``t_read``).
    prog_noise_scale, read_noise_scale, drift_scale : float
        Scales of the three PCM effects (aihwkit names); 0 disables one.
    drift_compensation : bool
        Global drift compensation: scale every MVM by ``mean|G+ - G-|`` right after programming
        over the same at ``t_inference`` (aihwkit ``GlobalDriftCompensation``, one-hot readout).
    adc_offset, adc_noise : float
        ADC offset and Gaussian noise std, in output LSBs.

    Raises
    ------
    ValueError
        On a non-positive size or a negative noise parameter.
    """

    def __init__(self, rows: int = 256, cols: int = 256, *, ideal: bool = True, seed: int | None = None,
                 g_max: float = G_MAX_US, t_inference: float = 0.0, t0: float = T0_S,
                 t_read: float = T_READ_S, prog_noise_scale: float = 1.0,
                 read_noise_scale: float = 1.0, drift_scale: float = 1.0,
                 drift_compensation: bool = False, adc_offset: float = 0.0,
                 adc_noise: float = 0.0) -> None:
        v: float
        for name, v in (("rows", rows), ("cols", cols)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        for name, v in (("g_max", g_max), ("t0", t0), ("t_read", t_read)):
            if not v > 0:
                raise ValueError(f"{name} must be positive, not {v!r}")
        for name, v in (("t_inference", t_inference), ("prog_noise_scale", prog_noise_scale),
                        ("read_noise_scale", read_noise_scale), ("drift_scale", drift_scale),
                        ("adc_noise", adc_noise)):
            if not v >= 0:
                raise ValueError(f"{name} must be >= 0, not {v!r}")
        self.rows, self.cols, self.ideal = rows, cols, bool(ideal)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.g_max, self.t0, self.t_read = float(g_max), float(t0), float(t_read)
        self.t_inference = float(t_inference)
        self.prog_noise_scale = float(prog_noise_scale)
        self.read_noise_scale = float(read_noise_scale)
        self.drift_scale = float(drift_scale)
        self.drift_compensation = bool(drift_compensation)
        self.adc_offset, self.adc_noise = float(adc_offset), float(adc_noise)
        self._w = np.zeros((rows, cols), dtype=np.int8)
        # Non-ideal state, per device: [0] = G+, [1] = G-.
        self._g_prog = np.zeros((2, rows, cols))
        self._nu = np.zeros((2, rows, cols))
        self._programmed = np.zeros((rows, cols), dtype=bool)
        self._frozen: np.ndarray | None = None      # (G+, G-) of one read, see freeze()
        self._frozen_alpha = 1.0

    # ----------------------------------------------------------------- properties
    @property
    def g_step(self) -> float:
        """Conductance of one weight step, uS (``g_max / 7``)."""
        return self.g_max / W_MAX

    @property
    def weights(self) -> npt.NDArray[np.int8]:
        """Copy of the ideal (target) integer weights, ``rows`` x ``cols`` int8."""
        return self._w.copy()

    @property
    def devices_programmed(self) -> int:
        """PCM devices holding a programmed weight (two per weight, zeros included)."""
        return 2 * int(self._programmed.sum())

    # ----------------------------------------------------------------- checks
    def _check_window(self, row, col, height, width):
        for name, v in (("row", row), ("col", col), ("height", height), ("width", width)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise ValueError(f"{name} must be an integer, not {v!r}")
        if height < 1 or width < 1:
            raise ValueError(f"window must be at least 1x1, not {height}x{width}")
        if row < 0 or col < 0 or row + height > self.rows or col + width > self.cols:
            raise ValueError(f"window rows {row}..{row + height - 1}, cols {col}..{col + width - 1} "
                             f"is off the {self.rows}x{self.cols} array")

    # ----------------------------------------------------------------- programming
    def target_conductance(self, weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``(G+, G-)`` targets in uS for integer weights (array of shape ``(2, ...)``)."""
        w = np.asarray(weights, dtype=np.float64)
        return np.stack([np.maximum(w, 0.0), np.maximum(-w, 0.0)]) * self.g_step

    def program(self, row: int, col: int, weights: npt.ArrayLike) -> None:
        """Program a 2D window of integer weights with its top-left corner at ``(row, col)``.

        Raises
        ------
        ValueError
            If ``weights`` is not a 2D integer array, holds a value outside ``[-7, 7]`` (-8 is
            named explicitly), or the window is off the array.
        """
        w = np.asarray(weights)
        if w.ndim != 2:
            raise ValueError(f"weights must be a 2D array, not shape {w.shape}")
        if not np.issubdtype(w.dtype, np.integer):
            raise ValueError(f"weights must have an integer dtype, not {w.dtype}")
        self._check_window(row, col, *w.shape)
        bad = np.argwhere((w < W_MIN) | (w > W_MAX))
        if bad.size:
            r, c = bad[0]
            v = int(w[r, c])
            why = "-8 is not representable by a differential pair" if v == -8 else "out of range"
            raise ValueError(f"weight {v} at window ({r}, {c}) (array ({row + r}, {col + c})) is "
                             f"outside [{W_MIN}, {W_MAX}]: {why}")
        h, wd = w.shape
        self.thaw()
        self._w[row:row + h, col:col + wd] = w
        self._programmed[row:row + h, col:col + wd] = True
        g_t = self.target_conductance(w)
        if self.ideal:
            self._g_prog[:, row:row + h, col:col + wd] = g_t
        else:
            self._g_prog[:, row:row + h, col:col + wd] = self._programming_noise(g_t)
            self._nu[:, row:row + h, col:col + wd] = self.drift_exponents(g_t)

    # ----------------------------------------------------------------- PCM model
    def programming_noise_std(self, g_target: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``sigma_prog(g)`` in uS (aihwkit ``apply_programming_noise_to_conductance``).

        ``(c0 + c1*(g/g_max) + c2*(g/g_max)**2) * g_max / 25 uS`` with ``PROG_COEFF``
        (Nandakumar et al., ICECS 2019).
        """
        gr = np.asarray(g_target, dtype=np.float64) / self.g_max
        c0, c1, c2 = PROG_COEFF
        return (c0 + c1 * gr + c2 * gr * gr) * (self.g_max / G_MAX_US)

    def _programming_noise(self, g_target):
        sig = self.programming_noise_std(g_target)
        g = g_target + self.prog_noise_scale * sig * self.rng.standard_normal(g_target.shape)
        return np.maximum(g, 0.0)  # aihwkit: "no negative conductances allowed"

    def drift_statistics(self, g_target: npt.ArrayLike
                         ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(mu_nu, sigma_nu)`` of the drift exponent for a target conductance (uS).

        aihwkit ``generate_drift_coefficients`` (Nandakumar et al., ICECS 2019)::

            mu_nu    = clip(-0.0155 * ln(g/g_max) + 0.0244, 0.049, 0.1)
            sigma_nu = clip(-0.0125 * ln(g/g_max) - 0.0059, 0.008, 0.045)
        """
        lg = np.log(np.maximum(np.abs(np.asarray(g_target, dtype=np.float64)) / self.g_max,
                               ZERO_CLIP))
        a, b, lo, hi = NU_MEAN_COEFF
        mu = np.clip(a * lg + b, lo, hi)
        a, b, lo, hi = NU_STD_COEFF
        sig = np.clip(a * lg + b, lo, hi)
        return mu, sig

    def drift_exponents(self, g_target: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Sample ``nu = |mu_nu + sigma_nu * N(0, 1)| * drift_scale`` per device (aihwkit)."""
        mu, sig = self.drift_statistics(g_target)
        return np.abs(mu + sig * self.rng.standard_normal(np.shape(mu))) * self.drift_scale

    def read_noise_q(self, g: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """1/f noise ``Q_s = min(0.0088 / max((|g|/g_max)**0.65, 1e-3), 0.2)`` (aihwkit)."""
        q, ex, floor, cap = READ_Q
        gr = np.abs(np.asarray(g, dtype=np.float64)) / self.g_max
        return np.minimum(q / np.maximum(gr ** ex, floor), cap)

    def _drifted(self, sl):
        g = self._g_prog[sl]
        t = self.t_inference + self.t0
        if t > self.t0:
            return g * (t / self.t0) ** (-self._nu[sl])
        return g.copy()

    def _read(self, sl):
        """Conductances (uS) of ``self._g_prog[sl]`` at ``t_inference``, with fresh read noise
        (or those of the frozen read, see :meth:`freeze`)."""
        if self._frozen is not None:
            return self._frozen[sl].copy()
        g_prog = self._g_prog[sl]
        g = self._drifted(sl)
        t = self.t_inference + self.t0
        sig = self.read_noise_q(g_prog) * math.sqrt(math.log((t + self.t_read) / (2 * self.t_read)))
        g = g + np.abs(g) * self.read_noise_scale * sig * self.rng.standard_normal(g.shape)
        return np.maximum(g, 0.0)

    # ----------------------------------------------------------------- frozen read
    def freeze(self) -> None:
        """Read every device once at the current ``t_inference`` (drift and one draw of read
        noise) and use these conductances, and the compensation factor of this time, for every
        later MVM and read until :meth:`thaw` or the next :meth:`program`.

        aihwkit evaluates a network at one ``t_inference`` in the same way: its
        ``drift_analog_weights(t_inference)`` applies drift and read noise to the programmed
        weights once, and the whole test set sees that state. A later change of ``t_inference``
        takes effect at the next ``freeze``; ``drift_compensation`` may be switched on a frozen
        array (the same read, with or without the scale). No effect in ideal mode.
        """
        self._frozen = None
        if self.ideal:
            return
        self._frozen_alpha = self._alpha() if self._programmed.any() else 1.0
        self._frozen = self._read((slice(None), slice(None), slice(None)))

    def thaw(self) -> None:
        """Back to a fresh read-noise draw on every read (the default)."""
        self._frozen = None

    @property
    def frozen(self) -> bool:
        """True between :meth:`freeze` and :meth:`thaw` / :meth:`program`."""
        return self._frozen is not None

    def compensation_factor(self) -> float:
        """Global drift compensation ``alpha = mean|G+ - G-|(t0) / mean|G+ - G-|(t)`` (1 if off).

        aihwkit ``GlobalDriftCompensation`` reads out the mean absolute output for one-hot inputs,
        which is the mean absolute weight; it is taken over the programmed devices, without read
        noise (a simplification: the chip averages many reads).
        """
        if self.ideal or not self.drift_compensation or not self._programmed.any():
            return 1.0
        if self._frozen is not None:
            return self._frozen_alpha
        return self._alpha()

    def _alpha(self) -> float:
        m = self._programmed
        ref = np.abs(self._g_prog[0][m] - self._g_prog[1][m]).mean()
        g = self._drifted((slice(None), m))
        now = np.abs(g[0] - g[1]).mean()
        return float(max(ref, 1e-4) / max(now, 1e-4))

    def read_conductance(self, row: int, col: int, which: str = "+") -> float:
        """Conductance of one device in uS: ``which`` = '+' (G+) or '-' (G-).

        Ideal mode returns the target; non-ideal mode the drifted conductance at ``t_inference``
        with one fresh read-noise sample.
        """
        if which not in ("+", "-"):
            raise ValueError(f"which must be '+' or '-', not {which!r}")
        self._check_window(row, col, 1, 1)
        k = 0 if which == "+" else 1
        if self.ideal:
            return float(self._g_prog[k, row, col])
        return float(self._read((k, slice(row, row + 1), slice(col, col + 1)))[0, 0])

    def conductance_map(self, which: str = "+", *, read_noise: bool = True) -> npt.NDArray[np.float64]:
        """All ``rows`` x ``cols`` conductances (uS) of one device side at ``t_inference``.

        ``read_noise=False`` gives the drifted conductance without the 1/f term (ideal: target).
        """
        if which not in ("+", "-"):
            raise ValueError(f"which must be '+' or '-', not {which!r}")
        k = 0 if which == "+" else 1
        if self.ideal:
            return self._g_prog[k].copy()
        sl = (k, slice(None), slice(None))
        return self._read(sl) if read_noise else self._drifted(sl)

    def drift_exponent_map(self, which: str = "+") -> npt.NDArray[np.float64]:
        """The sampled drift exponents ``nu`` of one device side (zeros in ideal mode)."""
        if which not in ("+", "-"):
            raise ValueError(f"which must be '+' or '-', not {which!r}")
        return self._nu[0 if which == "+" else 1].copy()

    def effective_weights(self, row: int, col: int, height: int, width: int
                          ) -> npt.NDArray[np.int64] | npt.NDArray[np.float64]:
        """Weights seen by one MVM: ``(G+ - G-) / g_step`` (times the compensation factor)."""
        self._check_window(row, col, height, width)
        if self.ideal:
            return self._w[row:row + height, col:col + width].astype(np.int64)
        g = self._read((slice(None), slice(row, row + height), slice(col, col + width)))
        return (g[0] - g[1]) / self.g_step * self.compensation_factor()

    # ----------------------------------------------------------------- MVM
    def mvm(self, x: npt.ArrayLike, row: int, col: int, height: int, width: int, m: int = 1, s: int = 0,
            lo: int = 0, hi: int = 255) -> npt.NDArray[np.int64]:
        """One analog MVM over a window; returns ``width`` ADC outputs (int64 in ``[lo, hi]``).

        A batch ``x`` of shape ``(n, height)`` gives ``(n, width)``, the same as ``n`` calls in a
        row with the same random draws: in non-ideal mode without :meth:`freeze` it is those
        ``n`` calls; frozen, one matrix product (whose float sums may differ from ``n`` vector
        products in the last bit, which changes an output only if an accumulator lies within
        ~1e-12 of a rounding boundary).

        Parameters
        ----------
        x : array of uint8, shape (height,) or (n, height)
            DAC inputs of rows ``row .. row+height-1``.
        row, col, height, width : int
            The job window on the array.
        m, s, lo, hi : int
            ADC transfer ``clamp((acc*m + 2**(s-1)) >> s, lo, hi)``.

        Raises
        ------
        ValueError
            If ``x`` is not a uint8 vector of length ``height``, the window is off the array or
            an ADC parameter is out of range.
        """
        x = np.asarray(x)
        if x.dtype != np.uint8:
            raise ValueError(f"x must be a uint8 array (8-bit DAC inputs), not {x.dtype}")
        if x.shape[-1:] != (height,) or x.ndim not in (1, 2):
            raise ValueError(f"x must have shape ({height},) or (n, {height}) to match the window "
                             f"height, not {x.shape}")
        _check_adc(m, s, lo, hi)
        if x.ndim == 2 and not self.ideal and self._frozen is None:
            out = [self.mvm(v, row, col, height, width, m, s, lo, hi) for v in x]
            return np.stack(out) if out else np.zeros((0, width), dtype=np.int64)
        w = self.effective_weights(row, col, height, width)
        if self.ideal:
            return adc_transfer(x.astype(np.int64) @ w, m, s, lo, hi)
        acc = np.rint(x.astype(np.float64) @ w).astype(np.int64)
        y = adc_transfer(acc, m, s, -(1 << 40), 1 << 40)
        err = self.adc_offset + self.adc_noise * self.rng.standard_normal(y.shape)
        return np.clip(y + np.rint(err).astype(np.int64), lo, hi)
