"""The DWA's arithmetic: the 3x3x4 MAC array with its reduction tree, and the requantiser.

Both are combinational; the :class:`~hw.dwa.engine.DwaEngine` puts a register between them
(``MAC -> acc register -> requantiser -> output buffer``).

* :class:`MacArray` -- 36 multipliers (uint8 activation x int8 weight, Garofalo et al. 2022,
  Sec. IV-C: 3x3 taps x 4 channels per cycle) and, per channel, a balanced adder tree over the 9
  taps. One cycle of the array gives the *complete* accumulator of 4 channels (the 9 taps of a
  3x3 depth-wise window are all there is), so no accumulation over cycles is needed. The sum
  needs 20 bits: ``9 * 255 * 128 = 293760 < 2**19`` (the paper's accumulators are 32-bit; the
  extra bits would never be used).
* :class:`Requant` -- the IMA ADC's transfer ``clamp((acc*M + 2**(S-1)) >> S, LO, HI)`` (no
  rounding term for ``S = 0``, arithmetic shift), the golden :func:`sim_models.golden.requant`;
  the output byte is the low 8 bits (two's complement for a negative clamp range).
"""

from amaranth.hdl import Const, Module, Mux, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from sim_models.dwa import KERNEL, LANES

__all__ = ["MacArray", "Requant", "TAPS", "LANES", "ACC_BITS"]

#: Taps of the 3x3 window.
TAPS = KERNEL * KERNEL
#: Accumulator width: |sum of 9 uint8 x int8 products| <= 293760 < 2**19, signed.
ACC_BITS = 20


def _check_lanes(lanes):
    if not isinstance(lanes, int) or isinstance(lanes, bool) or not 1 <= lanes <= 16:
        raise ValueError(f"lanes must be an integer in 1..16, not {lanes!r}")


class _Lanes(wiring.Component):
    """Base of :class:`MacArray` and :class:`Requant`: a combinational block on ``lanes``
    channels. ``lanes`` is checked (an integer in 1..16, else :class:`ValueError`) before a member
    is built from it and kept as the read-only :attr:`lanes`; a subclass gives its members by
    ``_members()`` (a dict of ``In``/``Out`` built from ``self.lanes``)."""

    def __init__(self, lanes=LANES):
        _check_lanes(lanes)
        self._lanes = lanes
        super().__init__(self._members())

    @property
    def lanes(self):
        return self._lanes


def _tree(values):
    """Balanced adder tree (depth ceil(log2(len))), widths grown by Amaranth's rules."""
    values = list(values)
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


class MacArray(_Lanes):
    """``acc[c] = sum_t x[t][c] * w[t][c]`` for ``lanes`` channels at once (combinational).

    Parameters
    ----------
    lanes : int
        Channels per cycle (4 in the DWA: 36 multipliers), 1..16 (else :class:`ValueError`).

    Interface attributes
    --------------------
    x : In(ArrayLayout(ArrayLayout(unsigned(8), lanes), 9))
        Window activations ``x[t][c]``, tap ``t = ky*3 + kx``.
    w : In(ArrayLayout(ArrayLayout(signed(8), lanes), 9))
        Weights ``w[t][c]``.
    acc : Out(ArrayLayout(signed(20), lanes))
        The 9-tap sums.
    """

    def _members(self):
        lanes = self.lanes
        return {
            "x": In(data.ArrayLayout(data.ArrayLayout(unsigned(8), lanes), TAPS)),
            "w": In(data.ArrayLayout(data.ArrayLayout(signed(8), lanes), TAPS)),
            "acc": Out(data.ArrayLayout(signed(ACC_BITS), lanes)),
        }

    def elaborate(self, platform):
        m = Module()
        for c in range(self.lanes):
            prods = [self.x[t][c] * self.w[t][c] for t in range(TAPS)]   # signed 17 bits
            m.d.comb += self.acc[c].eq(_tree(prods))
        return m


class Requant(_Lanes):
    """The ADC transfer on ``lanes`` accumulators (combinational).

    ``y[c] = clamp((acc[c]*m + (2**(s-1) if s else 0)) >> s, lo, hi) & 0xFF``.

    Parameters
    ----------
    lanes : int
        Accumulators converted per cycle, 1..16 (else :class:`ValueError`).

    Interface attributes
    --------------------
    acc : In(ArrayLayout(signed(20), lanes))
    m : In(signed(16))
        ADC_MUL.
    s : In(5)
        ADC_SHIFT (0..31).
    lo, hi : In(signed(10))
        ADC_LOW / ADC_HIGH (-128..255).
    y : Out(ArrayLayout(unsigned(8), lanes))
        Low bytes of the clamped results.
    """

    def _members(self):
        lanes = self.lanes
        return {
            "acc": In(data.ArrayLayout(signed(ACC_BITS), lanes)),
            "m": In(signed(16)),
            "s": In(5),
            "lo": In(signed(10)),
            "hi": In(signed(10)),
            "y": Out(data.ArrayLayout(unsigned(8), lanes)),
        }

    def elaborate(self, platform):
        m = Module()
        rnd = (Const(1, 32) << self.s)[0:32] >> 1       # 2**(s-1), 0 for s == 0
        for c in range(self.lanes):
            prod = self.acc[c] * self.m                  # signed 36 bits
            v = (prod + rnd) >> self.s                   # arithmetic shift (signed)
            clamped = Mux(v < self.lo, self.lo, Mux(v > self.hi, self.hi, v))
            m.d.comb += self.y[c].eq(clamped[0:8])
        return m
