"""The DWA's configuration checker: the hardware twin of :meth:`sim_models.dwa.DwJob.validate`.

A few cycles after TRIGGER it tells the HWPE block (:class:`hw.hwpe.ctrl.HwpeCtrl`) which ERROR
causes a job earns, so a bad configuration never starts the engine and nothing is written.
Mirrors the IMA's :class:`hw.ima.jobregs.ConfigChecker`: one shared sequential multiplier steps
through the products of the byte ranges instead of one combinational multiplier per product
(a check that runs once per layer does not deserve four wide multipliers).
"""

from amaranth import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.dwa.jobregs import DwJobLayout
from sim_models.dwa import KERNEL

__all__ = ["DwaConfigChecker", "CHECK_STEPS"]

#: Products of the address check, one per cycle (see :meth:`DwaConfigChecker._terms`).
CHECK_STEPS = 4
_LEN_BITS = 16            # channels, out_h, out_w: 1..0xFFFF


class DwaConfigChecker(wiring.Component):
    """Sequential validation of a depth-wise job (``done`` ``CHECK_STEPS + 1`` cycles after
    ``start``).

    Causes (the ERROR bits of the same names, :data:`hw.dwa.regmap.ERR`):

    * ``err_length``: ``channels``, ``out_h`` or ``out_w`` is 0 or above 0xFFFF.
    * ``err_stride``: ``stride`` is not 1 or 2.
    * ``err_address``: a byte of the input window ``[in_addr, in_addr + (in_h-1)*in_row_stride
      + in_w*C)``, of the weights ``[w_addr, w_addr + 9C)`` or of the output ``[out_addr,
      out_addr + (out_h-1)*out_row_stride + out_w*C)`` is at or above ``tcdm_bytes``
      (:meth:`DwJob.regions`; ``in_h = (out_h-1)*stride + 3``, ``in_w`` likewise). Computed
      with 51-bit sums of 49-bit products, so nothing wraps for any 32-bit address or row
      stride. Evaluated only for a job whose lengths and stride are valid (otherwise its regions
      are not defined and LENGTH / STRIDE already reject it).
    * ``err_adc``: ``adc_m`` not a sign-extended 16-bit value, ``adc_s`` > 31, ``adc_lo`` or
      ``adc_hi`` outside -128..255, or ``adc_lo > adc_hi``.

    The job is valid (no cause) exactly when ``DwJob.validate(tcdm_bytes)`` accepts it.

    Parameters
    ----------
    tcdm_bytes : int
        Size of the TCDM in bytes.

    Interface attributes
    --------------------
    job : In(DwJobLayout)
        The configuration, stable from ``start`` to ``done``.
    start : In(1)
        Pulse: check ``job``.
    done : Out(1)
        One-cycle pulse ``CHECK_STEPS + 1`` cycles after ``start``; the ``err_*`` outputs are
        valid with it and hold until the next ``start``.
    err_length, err_stride, err_address, err_adc : Out(1)

    Raises
    ------
    ValueError
        If ``tcdm_bytes`` is not a positive integer below 2**32.
    """

    def __init__(self, *, tcdm_bytes):
        if not isinstance(tcdm_bytes, int) or isinstance(tcdm_bytes, bool) \
                or not 0 < tcdm_bytes <= 1 << 32:
            raise ValueError(f"tcdm_bytes must be an integer in 1..2**32, not {tcdm_bytes!r}")
        self.tcdm_bytes = tcdm_bytes
        super().__init__({
            "job": In(DwJobLayout), "start": In(1), "done": Out(1),
            "err_length": Out(1), "err_stride": Out(1), "err_address": Out(1), "err_adc": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        j = self.job
        chans, out_h, out_w = j.channels[:_LEN_BITS], j.out_h[:_LEN_BITS], j.out_w[:_LEN_BITS]
        two = j.stride[:2] == 2                    # only meaningful when err_stride is clear

        # Small factors (<= 17 bits): padded extents minus what the products need.
        in_w = Signal(_LEN_BITS + 2)               # (out_w-1)*stride + 3
        in_h_m1 = Signal(_LEN_BITS + 2)            # (out_h-1)*stride + 2
        m.d.comb += [in_w.eq(((out_w - 1)[:_LEN_BITS] << two) + KERNEL),
                     in_h_m1.eq(((out_h - 1)[:_LEN_BITS] << two) + KERNEL - 1)]
        # (a: 18-bit factor, b: 32-bit factor, region accumulated into), one per cycle.
        terms = [(in_w, chans, "in"), (in_h_m1, j.in_row_stride, "in"),
                 ((out_h - 1)[:_LEN_BITS], j.out_row_stride, "out"), (out_w, chans, "out")]
        assert len(terms) == CHECK_STEPS

        step = Signal(range(CHECK_STEPS + 1))
        active = Signal()
        a = Signal(unsigned(_LEN_BITS + 2))
        b = Signal(unsigned(32))
        product = Signal(unsigned(50))
        m.d.comb += product.eq(a * b)
        with m.Switch(step):
            for k, (ta, tb, _) in enumerate(terms):
                with m.Case(k):
                    m.d.comb += [a.eq(ta), b.eq(tb)]
            with m.Default():
                m.d.comb += [a.eq(0), b.eq(0)]

        # Region ends (exclusive); the starts are unsigned, so only the ends can leave the TCDM.
        hi = {"in": Signal(52, name="in_hi"), "out": Signal(52, name="out_hi")}
        w_hi = Signal(36)
        m.d.comb += w_hi.eq(j.w_addr + chans * (KERNEL * KERNEL))

        m.d.sync += self.done.eq(0)
        with m.If(self.start):
            m.d.sync += [active.eq(1), step.eq(0), hi["in"].eq(j.in_addr), hi["out"].eq(j.out_addr)]
        with m.Elif(active):
            with m.Switch(step):
                for k, (_, _, dest) in enumerate(terms):
                    with m.Case(k):
                        m.d.sync += hi[dest].eq(hi[dest] + product)
            m.d.sync += step.eq(step + 1)
            with m.If(step == CHECK_STEPS - 1):
                m.d.sync += [active.eq(0), self.done.eq(1)]

        def bad_len(v):
            return (v == 0) | (v[_LEN_BITS:] != 0)

        m.d.comb += [
            self.err_length.eq(bad_len(j.channels) | bad_len(j.out_h) | bad_len(j.out_w)),
            self.err_stride.eq((j.stride != 1) & (j.stride != 2)),
        ]
        limit = self.tcdm_bytes
        m.d.comb += self.err_address.eq(~self.err_length & ~self.err_stride
                                        & ((hi["in"] > limit) | (hi["out"] > limit) | (w_hi > limit)))
        mul, lo, hi_ = j.adc_m.as_signed(), j.adc_lo.as_signed(), j.adc_hi.as_signed()
        m.d.comb += self.err_adc.eq((mul < -(1 << 15)) | (mul >= (1 << 15)) | (j.adc_s > 31)
                                    | (lo < -128) | (lo > 255) | (hi_ < -128) | (hi_ > 255)
                                    | (lo > hi_))
        return m
