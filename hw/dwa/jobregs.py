"""The DWA's job registers as one struct (one 32-bit field per job register of
:mod:`hw.dwa.regmap`, named after the :class:`sim_models.dwa.DwJob` field it holds), so the
controller hands the whole configuration to the engine and the checker as one port."""

from amaranth import unsigned
from amaranth.lib import data

from hw.dwa.regmap import JOB_REGISTERS

__all__ = ["DwJobLayout"]

#: ``in_addr``, ``in_row_stride``, ``out_addr``, ``out_row_stride``, ``w_addr``, ``channels``,
#: ``out_h``, ``out_w``, ``stride``, ``adc_lo``, ``adc_hi``, ``adc_m``, ``adc_s`` (raw register
#: words; signed ones are two's complement).
DwJobLayout = data.StructLayout({r.job_path: unsigned(32) for r in JOB_REGISTERS})
