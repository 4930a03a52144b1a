"""The multi-array IMA's analog side: one boundary with an array index, fanned out to N macros.

A multi-array IMA (``ImaConfig.arrays > 1``; Garofalo et al. 2022, Sec. VI: N crossbars inside
one IMA share its control and data interface, one active at a time) drives one
:class:`hw.ima.analog.AnalogCoreSignature` whose three channels carry an array index (``array``
with the MVM, ``prog_array`` with programming, ``rd_array`` with readback). A model that holds
every array (the Python crossbar, the digital twin) takes that boundary as it is. An ASIC
integrator instead has one analog macro per crossbar, each with the single-array interface
(``ima_analog_core``, as for ``arrays == 1``); :class:`ArrayDemux` is the small wrapper that
connects them:

* requests go to the macro the index names: ``start``, ``prog_valid`` and ``rd_start`` of macro
  ``k`` are the boundary's gated with ``index == k``; every other payload (window, DAC vector,
  ADC parameters, programming row/column/weights, readback row/column) is broadcast -- a macro
  ignores it unless its own strobe is high;
* answers come back from that macro: ``done`` / ``adc`` from macro ``array``, ``prog_ready``
  from macro ``prog_array``, ``rd_done`` / ``rd_value`` from macro ``rd_array``. The boundary's
  contract keeps each index stable for as long as that (the MVM's ``array`` from ``start`` to
  ``done``; ``prog_array`` with ``prog_valid``; ``rd_array`` is a register of the controller
  held until the next readback), so the answer multiplexers are combinational, without state.

The wrapper is pure wiring plus N-to-1 multiplexers (``N * (8 * adc_depth + 34)`` mux inputs);
:class:`hw.ima.with_analog.ImaWithAnalog` instantiates it with N ``ima_analog_core`` macros
(instances ``analog_0 .. analog_{N-1}``), and ``ima-sim verilog`` lists them in the manifest.
"""

from amaranth import Array, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import ImaConfig
from hw.ima.analog import AnalogCoreSignature

__all__ = ["ArrayDemux", "MVM_PAYLOAD", "PROG_PAYLOAD", "RD_PAYLOAD"]

#: Members broadcast to every macro, per channel (the strobes are routed by the index).
MVM_PAYLOAD = ("row", "col", "height", "width", "dac", "adc_m", "adc_s", "adc_lo", "adc_hi")
PROG_PAYLOAD = ("prog_row", "prog_col", "prog_weights", "prog_count")
RD_PAYLOAD = ("rd_row", "rd_col")


class ArrayDemux(wiring.Component):
    """Fan a multi-array analog boundary out to one single-array boundary per crossbar.

    Parameters
    ----------
    cfg : ImaConfig
        ``arrays`` (>= 2) and the DAC / ADC widths.

    Interface attributes
    --------------------
    ac : In(AnalogCoreSignature.for_ima(cfg))
        The IMA's boundary, with the array indices.
    macro : Out(AnalogCoreSignature(dac_depth, adc_depth)).array(arrays)
        Boundary of macro ``k`` (the single-array interface of ``ima_analog_core``).

    Raises
    ------
    ValueError
        ``cfg.arrays < 2`` (one array needs no wrapper) or a bad configuration.
    """

    def __init__(self, cfg: ImaConfig):
        cfg = cfg.validate()
        if cfg.arrays < 2:
            raise ValueError(f"arrays must be >= 2 for an ArrayDemux, not {cfg.arrays}")
        self.cfg = cfg
        single = AnalogCoreSignature(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth)
        super().__init__({
            "ac": In(AnalogCoreSignature.for_ima(cfg)),
            "macro": Out(single).array(cfg.arrays),
        })

    def elaborate(self, platform):
        m = Module()
        ac, macros = self.ac, self.macro
        for k, mc in enumerate(macros):
            m.d.comb += [mc.start.eq(ac.start & (ac.array == k)),
                         mc.prog_valid.eq(ac.prog_valid & (ac.prog_array == k)),
                         mc.rd_start.eq(ac.rd_start & (ac.rd_array == k))]
            m.d.comb += [getattr(mc, n).eq(getattr(ac, n))
                         for n in MVM_PAYLOAD + PROG_PAYLOAD + RD_PAYLOAD]
        done, adc = Array(mc.done for mc in macros), Array(mc.adc for mc in macros)
        ready = Array(mc.prog_ready for mc in macros)
        rd_done, rd_value = Array(mc.rd_done for mc in macros), Array(mc.rd_value for mc in macros)
        m.d.comb += [ac.done.eq(done[ac.array]), ac.adc.eq(adc[ac.array]),
                     ac.prog_ready.eq(ready[ac.prog_array]),
                     ac.rd_done.eq(rd_done[ac.rd_array]), ac.rd_value.eq(rd_value[ac.rd_array])]
        return m
