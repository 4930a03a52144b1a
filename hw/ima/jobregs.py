"""The job registers as one struct, and the checker that validates a configuration in hardware.

``JobRegsLayout`` has one 32-bit field per job register of :mod:`hw.ima.regmap` (lower-case
names), so the controller hands the whole configuration to the engine and the checker as one
port. :class:`ConfigChecker` computes the ERROR bits a configuration earns (the hardware twin of
:meth:`sim_models.jobconfig.LayerJob.validate`) in a few cycles after TRIGGER, so a bad
configuration never reaches the streamer.
"""

from amaranth import Cat, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.config import ImaConfig
from hw.ima.regmap import JOB_REGISTERS

__all__ = ["JobRegsLayout", "ConfigChecker", "s16", "u16"]

JobRegsLayout = data.StructLayout({r.name.lower(): unsigned(32) for r in JOB_REGISTERS})


def u16(value):
    """A 16-bit length/coordinate register's value (upper bits are checked to be zero)."""
    return value[:16]


def s16(value):
    """A signed 16-bit register (row/column strides), sign-extended by software."""
    return value[:16].as_signed()


class ConfigChecker(wiring.Component):
    """Sequential validation of a layer configuration against the design parameters.

    One shared signed 33 x 17-bit multiplier steps through a table of 20 products (walk and
    job-loop extents, walk byte counts), one per cycle, accumulating the bounding boxes of the
    job windows and of the bytes read and written; ``done`` pulses 21 cycles after ``start``
    with the ERROR causes. A combinational version needs 18 multipliers, which dominate the
    IMA's area and synthesis time, for a check that runs once per layer.

    Interface attributes
    --------------------
    job : In(JobRegsLayout)
        The configuration, stable from ``start`` to ``done``.
    start : In(1)
        Pulse: check ``job``.
    done : Out(1)
        One-cycle pulse; the ``err_*`` outputs are valid with it and hold until the next start.
    err_window, err_length, err_address, err_adc, err_array : Out(1)
        Causes, as the ERROR bits of the same names (see ``docs/registers.md``); ``err_array``:
        J_ARRAY names an array >= ``cfg.arrays``.
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "job": In(JobRegsLayout), "start": In(1), "done": Out(1),
            "err_window": Out(1), "err_length": Out(1), "err_address": Out(1), "err_adc": Out(1),
            "err_array": Out(1),
        })

    def _terms(self):
        """(multiplicand (signed), multiplier (unsigned 17-bit), accumulator) per step."""
        j = self.job
        loops = ("alpha", "beta", "gamma")
        cnt = lambda v: u16(v) - 1                         # noqa: E731  (count - 1 >= -1)
        terms = [(j.src_stride1.as_signed(), cnt(j.src_len1), "src"),
                 (j.src_stride2.as_signed(), cnt(j.src_len2), "src")]
        terms += [(getattr(j, f"{lp}_in_stride").as_signed(), cnt(getattr(j, f"{lp}_length")), "src")
                  for lp in loops]
        terms += [(j.dst_stride1.as_signed(), cnt(j.dst_len1), "dst"),
                  (j.dst_stride2.as_signed(), cnt(j.dst_len2), "dst")]
        terms += [(getattr(j, f"{lp}_out_stride").as_signed(), cnt(getattr(j, f"{lp}_length")), "dst")
                  for lp in loops]
        terms += [(s16(getattr(j, f"{lp}_row_stride")), cnt(getattr(j, f"{lp}_length")), "row")
                  for lp in loops]
        terms += [(s16(getattr(j, f"{lp}_col_stride")), cnt(getattr(j, f"{lp}_length")), "col")
                  for lp in loops]
        terms += [(u16(j.src_len0), u16(j.src_len1), "tmp"), (None, u16(j.src_len2), "src_total"),
                  (u16(j.dst_len0), u16(j.dst_len1), "tmp"), (None, u16(j.dst_len2), "dst_total")]
        return terms

    def elaborate(self, platform):
        m = Module()
        cfg, j = self._cfg, self.job
        terms = self._terms()
        n = len(terms)

        step = Signal(range(n + 1))
        active = Signal()
        a = Signal(signed(34))
        b = Signal(signed(18))
        product = Signal(signed(52))
        tmp = Signal(unsigned(33))
        m.d.comb += product.eq(a * b)
        with m.Switch(step):
            for k, (ta, tb, _) in enumerate(terms):
                with m.Case(k):
                    m.d.comb += [a.eq(tmp if ta is None else ta), b.eq(tb)]
            with m.Default():
                m.d.comb += [a.eq(0), b.eq(0)]

        # Bounding boxes [lo, hi) of rows, columns, source and destination bytes.
        acc = {name: (Signal(signed(56), name=f"{name}_lo"), Signal(signed(56), name=f"{name}_hi"))
               for name in ("src", "dst", "row", "col")}
        src_total = Signal(52)
        dst_total = Signal(52)
        init = {"src": (j.j_src_addr, j.j_src_addr + u16(j.src_len0)),
                "dst": (j.j_dst_addr, j.j_dst_addr + u16(j.dst_len0)),
                "row": (u16(j.j_start_y), u16(j.j_start_y) + u16(j.j_height)),
                "col": (u16(j.j_start_x), u16(j.j_start_x) + u16(j.j_width))}

        m.d.sync += self.done.eq(0)
        with m.If(self.start):
            m.d.sync += [active.eq(1), step.eq(0)]
            for name, (lo, hi) in acc.items():
                m.d.sync += [lo.eq(init[name][0]), hi.eq(init[name][1])]
        with m.Elif(active):
            with m.Switch(step):
                for k, (_, _, dest) in enumerate(terms):
                    with m.Case(k):
                        if dest in acc:
                            lo, hi = acc[dest]
                            with m.If(product < 0):
                                m.d.sync += lo.eq(lo + product)
                            with m.Else():
                                m.d.sync += hi.eq(hi + product)
                        elif dest == "tmp":
                            m.d.sync += tmp.eq(product)
                        else:
                            m.d.sync += (src_total if dest == "src_total" else dst_total).eq(product)
            m.d.sync += step.eq(step + 1)
            with m.If(step == n - 1):
                m.d.sync += [active.eq(0), self.done.eq(1)]

        # -- causes, from the accumulated boxes (registered inputs: cheap comparisons) --
        length_regs = ["j_width", "j_height", "src_len0", "src_len1", "src_len2",
                       "dst_len0", "dst_len1", "dst_len2",
                       "alpha_length", "beta_length", "gamma_length"]
        bad_len = Signal()
        m.d.comb += bad_len.eq(Cat(*[(getattr(j, r) == 0) | (getattr(j, r)[16:] != 0)
                                     for r in length_regs]).any())
        m.d.comb += self.err_length.eq(bad_len | (src_total != u16(j.j_height))
                                       | (dst_total != u16(j.j_width)))
        row_lo, row_hi = acc["row"]
        col_lo, col_hi = acc["col"]
        # A row / column stride register must hold a sign-extended 16-bit value (a stride
        # beyond 16 bits would silently wrap in the window datapath): WINDOW otherwise.
        wide_stride = Cat(*[(getattr(j, f"{lp}_{rc}_stride").as_signed() < -(1 << 15))
                            | (getattr(j, f"{lp}_{rc}_stride").as_signed() >= (1 << 15))
                            for lp in ("alpha", "beta", "gamma") for rc in ("row", "col")]).any()
        m.d.comb += self.err_window.eq(
            wide_stride | (row_lo < 0) | (row_hi > cfg.rows) | (col_lo < 0) | (col_hi > cfg.cols)
            | (j.j_start_x[16:] != 0) | (j.j_start_y[16:] != 0)
            | (u16(j.j_height) > cfg.dac_depth) | (u16(j.j_width) > cfg.adc_depth))
        m.d.comb += self.err_address.eq(Cat(*[(acc[k][0] < 0) | (acc[k][1] > cfg.tcdm_bytes)
                                              for k in ("src", "dst")]).any())
        mul, lo, hi = j.adc_mul.as_signed(), j.adc_low.as_signed(), j.adc_high.as_signed()
        m.d.comb += self.err_adc.eq((mul < -(1 << 15)) | (mul >= (1 << 15)) | (j.adc_shift > 31)
                                    | (lo < -128) | (lo > 255) | (hi < -128) | (hi > 255) | (lo > hi))
        m.d.comb += self.err_array.eq(j.j_array >= cfg.arrays)
        return m
