"""The analog-core boundary: the interface between the IMA's digital logic and the PCM crossbar.

The crossbar is not RTL. The IMA exposes this signature (from the IMA's side) as its ``ac`` port;
in cocotb the Python crossbar (``sim_models.crossbar``) plays the other side
(``tb.bfm.analog_core.AnalogCoreModel``); for ASIC flows it is a black-box macro; for FPGA a
synthesizable digital twin may implement it.

Three independent channels:

MVM
    The IMA holds ``row, col, height, width``, the DAC vector and the ADC transfer parameters
    stable and pulses ``start`` for one cycle. The core drives crossbar rows
    ``row .. row+height-1`` with DAC bytes ``dac[8i+7:8i]`` (unsigned pulse lengths), computes
    ``acc_j = sum_i W[row+i][col+j] * dac_i`` for ``j < width``, applies
    ``y = clamp((acc*adc_m + 2**(adc_s-1)) >> adc_s, adc_lo, adc_hi)`` (no rounding term when
    ``adc_s == 0``), and pulses ``done`` for one cycle with ``adc[8j+7:8j] = y_j & 0xFF``. The
    latency (70 ns = 18 cycles at 250 MHz, AICAS 2021) is the core's business.

    Contract on timing (both engines honour it): the DAC vector, the window and the ADC
    parameters are stable from the ``start`` cycle up to and including the ``done`` cycle -- a
    core may sample them at ``start`` (the Python crossbar does) or read them during the MVM
    (the digital twin reads one DAC byte per row, and PWM DAC drivers need their input for the
    whole pulse). The ``adc`` vector is only valid in the ``done`` cycle; the IMA latches it.
    A new ``start`` comes at the earliest in the cycle after ``done``. The overlapped engine
    (``ImaConfig.overlap``) keeps this contract with a second DAC register bank (the hold copy
    taken at ``start``, while the Source refills its own buffer for the next job) and a second
    ADC buffer (a stage holding job i's result while the Sink still drains job i-1); see
    :mod:`hw.ima.overlapped`.
Programming
    ``prog_valid/prog_ready`` handshake (stream rules: payload held until accepted). Writes
    ``prog_count`` (1..8) signed 4-bit weights ``prog_weights[4k+3:4k]`` to row ``prog_row``,
    columns ``prog_col + k``, each as a differential pair (G+, G-).
Readback
    ``rd_start`` pulses with ``rd_row, rd_col``; the core answers with a one-cycle ``rd_done`` and
    ``rd_value`` = G+ in nS in [15:0] and G- in nS in [31:16].
Multi-array IMA (``arrays > 1``; Garofalo et al. 2022, Sec. VI)
    Each channel carries the index of the crossbar it addresses, ``ceil(log2(arrays))`` bits,
    with the same timing as the channel's other payload: ``array`` (MVM, stable from ``start`` to
    ``done``), ``prog_array`` (with ``prog_valid``), ``rd_array`` (with ``rd_start``). One core
    model may hold all arrays (the Python crossbar, the digital twin), or
    :class:`hw.ima.arrays.ArrayDemux` fans the boundary out to one single-array boundary per
    macro. With ``arrays == 1`` the three members are omitted, so the ports are today's.
"""

from amaranth import signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

__all__ = ["AnalogCoreSignature", "array_bits"]


def array_bits(arrays):
    """Width of the array index on the boundary: ``ceil(log2(arrays))``, 0 for one array."""
    return ceil_log2(arrays)


class AnalogCoreSignature(wiring.Signature):
    """Analog-core boundary seen from the IMA.

    Parameters
    ----------
    dac_depth : int
        Bytes of the DAC vector (most rows per job).
    adc_depth : int
        Bytes of the ADC vector (most columns per job).
    arrays : int
        Crossbars behind the boundary (default 1); above 1 the members ``array``,
        ``prog_array`` and ``rd_array`` (``ceil(log2(arrays))`` bits) select one per channel.
    """

    def __init__(self, *, dac_depth, adc_depth, arrays=1):
        for name, v in (("dac_depth", dac_depth), ("adc_depth", adc_depth), ("arrays", arrays)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        self.dac_depth, self.adc_depth, self.arrays = dac_depth, adc_depth, arrays
        index = {}
        if arrays > 1:
            bits = array_bits(arrays)
            index = {"array": Out(bits), "prog_array": Out(bits), "rd_array": Out(bits)}
        super().__init__({
            "start": Out(1),
            "row": Out(16), "col": Out(16), "height": Out(16), "width": Out(16),
            "dac": Out(8 * dac_depth),
            "adc_m": Out(signed(16)), "adc_s": Out(5),
            "adc_lo": Out(signed(10)), "adc_hi": Out(signed(10)),
            "done": In(1),
            "adc": In(8 * adc_depth),
            "prog_valid": Out(1), "prog_ready": In(1),
            "prog_row": Out(16), "prog_col": Out(16),
            "prog_weights": Out(32), "prog_count": Out(unsigned(4)),
            "rd_start": Out(1), "rd_row": Out(16), "rd_col": Out(16),
            "rd_done": In(1), "rd_value": In(32),
            **index,
        })

    @classmethod
    def for_ima(cls, cfg):
        """The boundary of the IMA configured by ``cfg`` (an :class:`hw.config.ImaConfig`)."""
        return cls(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth, arrays=cfg.arrays)

    def __eq__(self, other):
        return (type(other) is type(self) and other.dac_depth == self.dac_depth
                and other.adc_depth == self.adc_depth and other.arrays == self.arrays)

    def __repr__(self):
        return (f"AnalogCoreSignature(dac_depth={self.dac_depth}, adc_depth={self.adc_depth}"
                + (f", arrays={self.arrays})" if self.arrays > 1 else ")"))
