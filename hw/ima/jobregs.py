"""The job registers as one struct, and the checker that validates a configuration in hardware.

``JobRegsLayout`` has one 32-bit field per job register of :mod:`hw.ima.regmap` (lower-case
names), so the controller hands the whole configuration to the engine and the checker as one
port. :class:`ConfigChecker` computes, combinationally, the ERROR bits a configuration earns
(the hardware twin of :meth:`sim_models.jobconfig.LayerJob.validate`); the controller samples it
one cycle after TRIGGER so a bad configuration never reaches the streamer.
"""

from amaranth import Module, Mux, Signal, signed, unsigned
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
    """Combinational validation of a layer configuration against the design parameters.

    Interface attributes
    --------------------
    job : In(JobRegsLayout)
        The configuration.
    err_window, err_length, err_address, err_adc : Out(1)
        Causes, as the ERROR bits of the same names (see ``docs/registers.md``).
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "job": In(JobRegsLayout),
            "err_window": Out(1), "err_length": Out(1), "err_address": Out(1), "err_adc": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, j = self._cfg, self.job

        # -- lengths: 16-bit, non-zero, and the walks must move exactly J_HEIGHT / J_WIDTH bytes --
        length_regs = ["j_width", "j_height", "src_len0", "src_len1", "src_len2",
                       "dst_len0", "dst_len1", "dst_len2",
                       "alpha_length", "beta_length", "gamma_length"]
        bad_len = Signal()
        m.d.comb += bad_len.eq(0)
        for name in length_regs:
            v = getattr(j, name)
            with m.If((v == 0) | (v[16:] != 0)):
                m.d.comb += bad_len.eq(1)
        src_total = Signal(48)
        dst_total = Signal(48)
        m.d.comb += [
            src_total.eq(u16(j.src_len0) * u16(j.src_len1) * u16(j.src_len2)),
            dst_total.eq(u16(j.dst_len0) * u16(j.dst_len1) * u16(j.dst_len2)),
        ]
        m.d.comb += self.err_length.eq(bad_len | (src_total != u16(j.j_height))
                                       | (dst_total != u16(j.j_width)))

        # -- window: every job's window on the array, and within the DAC/ADC buffers --
        loops = ("alpha", "beta", "gamma")

        def extent(start, size, stride_field, limit):
            lo = Signal(signed(40), name=f"{stride_field}_lo")
            hi = Signal(signed(40), name=f"{stride_field}_hi")
            lo_expr, hi_expr = start, start + size
            for lp in loops:
                step = s16(getattr(j, f"{lp}_{stride_field}")) * (u16(getattr(j, f"{lp}_length")) - 1)
                lo_expr = lo_expr + Mux(step < 0, step, 0)
                hi_expr = hi_expr + Mux(step > 0, step, 0)
            m.d.comb += [lo.eq(lo_expr), hi.eq(hi_expr)]
            return (lo < 0) | (hi > limit)

        bad_rows = extent(j.j_start_y[:16], u16(j.j_height), "row_stride", cfg.rows)
        bad_cols = extent(j.j_start_x[:16], u16(j.j_width), "col_stride", cfg.cols)
        m.d.comb += self.err_window.eq(
            bad_rows | bad_cols | (j.j_start_x[16:] != 0) | (j.j_start_y[16:] != 0)
            | (u16(j.j_height) > cfg.dac_depth) | (u16(j.j_width) > cfg.adc_depth))

        # -- addresses: the bounding box of every byte read and written lies in the TCDM --
        def out_of_tcdm(prefix, base, job_stride):
            lo = Signal(signed(56), name=f"{prefix}_byte_lo")
            hi = Signal(signed(56), name=f"{prefix}_byte_hi")
            terms = [(getattr(j, f"{prefix}_stride1").as_signed(), u16(getattr(j, f"{prefix}_len1"))),
                     (getattr(j, f"{prefix}_stride2").as_signed(), u16(getattr(j, f"{prefix}_len2")))]
            terms += [(getattr(j, f"{lp}_{job_stride}").as_signed(), u16(getattr(j, f"{lp}_length")))
                      for lp in loops]
            lo_expr, hi_expr = base, base + u16(getattr(j, f"{prefix}_len0"))
            for stride, count in terms:
                step = stride * (count - 1)
                lo_expr = lo_expr + Mux(step < 0, step, 0)
                hi_expr = hi_expr + Mux(step > 0, step, 0)
            m.d.comb += [lo.eq(lo_expr), hi.eq(hi_expr)]
            return (lo < 0) | (hi > cfg.tcdm_bytes)

        m.d.comb += self.err_address.eq(out_of_tcdm("src", j.j_src_addr, "in_stride")
                                        | out_of_tcdm("dst", j.j_dst_addr, "out_stride"))

        # -- ADC transfer parameters --
        mul, lo, hi = j.adc_mul.as_signed(), j.adc_low.as_signed(), j.adc_high.as_signed()
        m.d.comb += self.err_adc.eq((mul < -(1 << 15)) | (mul >= (1 << 15)) | (j.adc_shift > 31)
                                    | (lo < -128) | (lo > 255) | (hi < -128) | (hi > 255) | (lo > hi))
        return m
