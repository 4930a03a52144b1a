"""The depth-wise accelerator's register map: one declarative table for the RTL, docs, header, HAL.

Layout (32-bit registers on the peripheral bus, byte offsets, in the DWA's own address region):

* 0x00-0x1C: the HWPE mandatory block (pulp-platform/hwpe-ctrl legacy ``hwpe_ctrl_regfile.sv``,
  :func:`hw.hwpe.ctrl.hwpe_registers`), ERROR at 0x18 and INFO at 0x1C as in the IMA's map.
* 0x40-0x70: job registers, one 3x3 depth-wise layer = one configuration; their meaning is
  :class:`sim_models.dwa.DwJob`'s (the field of the same lower-case name).
"""

from hw.hwpe.ctrl import hwpe_registers
from hw.hwpe.regs import Access, Field, Register, RegisterMap
from sim_models.dwa import DwJob

__all__ = ["DWA_MAP", "REG", "ERR", "STATUS", "INFO", "JOB_REGISTERS", "CHECK_CAUSES",
           "CTRL_ADDR_WIDTH", "encode_job", "decode_job"]

R, W1C = Access.R, Access.W1C


def _job(name, offset, doc, *, path=None, bits=32, signed=False, reset=0):
    path = path or name.lower().removeprefix("dw_")
    return Register.word(name, offset, "RW", doc, reset=reset, bits=bits, signed=signed,
                         job_path=path, group="job")


def _err(name, bit, doc):
    return Field(name, bit, 1, W1C, doc=doc)


#: ERROR causes; the first three come from the DWA's configuration checker (its ``chk_err`` bits).
_ERROR_FIELDS = (
    _err("length", 0, "DW_CHANNELS, DW_OUT_H or DW_OUT_W is zero or above 65535"),
    _err("stride", 1, "DW_STRIDE is not 1 or 2"),
    _err("address", 2, "a byte of the input window, the weights or the output lies outside "
         "the TCDM"),
    _err("adc", 3, "ADC_MUL not a signed 16-bit value, ADC_SHIFT > 31, ADC_LOW/HIGH outside "
         "-128..255, or LOW > HIGH"),
    _err("no_acquire", 4, "TRIGGER written by a core that does not hold the ACQUIRE lock"),
    _err("aborted", 7, "SOFT_CLEAR while a job was running"),
)
#: The configuration checker's causes, in the order of its ``chk_err`` bits.
CHECK_CAUSES = ("length", "stride", "address", "adc")

_REGISTERS = [
    *hwpe_registers(error=_ERROR_FIELDS),
    Register("INFO", 0x1C, (Field("ports", 0, 8, R, doc="32-bit TCDM data ports N (4 = 128 bit)"),
                            Field("cores", 8, 8, R, doc="cores on the peripheral bus"),
                            Field("group", 16, 8, R, doc="channels per pass (16)")),
             "Design parameters.", group="hwpe"),
    _job("DW_IN_ADDR", 0x40, "Input: TCDM byte address of padded pixel (0, 0), channel 0."),
    _job("DW_IN_ROW_STRIDE", 0x44, "Input: bytes between padded rows (W_padded * C when dense)."),
    _job("DW_OUT_ADDR", 0x48, "Output: TCDM byte address of output pixel (0, 0), channel 0."),
    _job("DW_OUT_ROW_STRIDE", 0x4C, "Output: bytes between output rows (W_out * C when dense)."),
    _job("DW_W_ADDR", 0x50, "Weights: TCDM byte address of the [3][3][C] signed 8-bit weights."),
    _job("DW_CHANNELS", 0x54, "Channels C (1..65535); also the pixel stride in bytes of the "
         "input and the output.", reset=1),
    _job("DW_OUT_H", 0x58, "Output rows (1..65535); the job reads (OUT_H-1)*STRIDE+3 padded "
         "input rows.", reset=1),
    _job("DW_OUT_W", 0x5C, "Output columns (1..65535); the job reads (OUT_W-1)*STRIDE+3 padded "
         "input columns.", reset=1),
    _job("DW_STRIDE", 0x60, "Convolution stride: 1 or 2.", reset=1),
    _job("ADC_LOW", 0x64, "Output clamp low (-128..255).", signed=True, path="adc_lo"),
    _job("ADC_HIGH", 0x68, "Output clamp high (-128..255).", signed=True, reset=255,
         path="adc_hi"),
    _job("ADC_MUL", 0x6C, "Multiplier M (signed 16-bit, sign-extended to 32).", signed=True, reset=1,
         path="adc_m"),
    _job("ADC_SHIFT", 0x70, "Shift S (0..31): y = clamp((acc*M + 2^(S-1)) >> S, LOW, HIGH), as "
         "the IMA's ADC.", path="adc_s"),
]

_PROGRAMMING_MODEL = "\n".join([
    "## Programming model", "",
    "1. Read ACQUIRE until it returns an id >= 0 (the accelerator is now locked to this core).",
    "2. Write the job registers (a `sim_models.dwa.DwJob`).",
    "3. Write TRIGGER. The accelerator runs the whole layer: for each 16-channel group it loads",
    "   the 3x3x16 weights once, then for each output column the 3x3 window, then slides down",
    "   the column one output row per inner-loop iteration (load / MAC / store pipelined).",
    "4. Wait for this core's end-of-job event on the DWA's event line; read ERROR (0 = success).",
    "",
    "A bad configuration sets ERROR, raises the event, writes nothing to the TCDM and leaves "
    "the accelerator ready for the next job. The input buffer is pre-padded (zero ring in "
    "memory); the accelerator does no padding of its own."])

DWA_MAP = RegisterMap(
    "DWA", _REGISTERS, title="Depth-wise accelerator register map", source="hw/dwa/regmap.py",
    intro="32-bit registers on the peripheral bus, in the DWA's address region; offsets in "
          "bytes. Job registers (0x40 and up) follow `sim_models.dwa.DwJob`; only the core "
          "holding the ACQUIRE lock may write them. Signed registers are two's complement. "
          "Access: RO read-only, WO write-only (a write is a strobe), RW read/write, W1C write "
          "one to clear.",
    sections=(_PROGRAMMING_MODEL,))

REG = DWA_MAP.offsets
ERR = DWA_MAP.masks("ERROR")
STATUS, INFO = DWA_MAP["STATUS"], DWA_MAP["INFO"]
JOB_REGISTERS = DWA_MAP.group("job")
#: Byte-address bits of the control port (from the map's span).
CTRL_ADDR_WIDTH = DWA_MAP.addr_width


def encode_job(job: DwJob):
    """The ``(offset, value)`` register writes that configure ``job`` (values as uint32)."""
    return [(r.offset, getattr(job, r.job_path) & 0xFFFFFFFF) for r in JOB_REGISTERS]


def decode_job(values) -> DwJob:
    """Inverse of :func:`encode_job`: ``{offset: uint32}`` -> :class:`DwJob`."""
    def val(r):
        v = values[r.offset] & 0xFFFFFFFF
        return v - (1 << 32) if r.signed and v >> 31 else v
    return DwJob(**{r.job_path: val(r) for r in JOB_REGISTERS})
