"""The IMA register map: one declarative table for the RTL, the docs, the C header and the HAL.

Layout (32-bit registers on the peripheral bus, byte offsets):

* 0x00-0x1C: the HWPE mandatory block (pulp-platform/hwpe-ctrl, legacy ``hwpe_ctrl_regfile.sv``),
  kept exactly: TRIGGER, ACQUIRE, FINISHED, STATUS, RUNNING_JOB, SOFT_CLEAR; plus ERROR (0x18,
  ima_v1's CHECK_STATE slot) and INFO (0x1C).
* 0x20-0x3C: job-independent registers: PCM programming window and conductance readback, named
  after the PULP SDK's ``archi/ima/ima_v1.h`` (P_START_X/Y, P_WIDTH, P_HEIGHT, SUBMIT_PLOT,
  PR_ADDR_X/Y, PR_VAL). ima_v1 places them from 0x20 and 0x80; we keep the HWPE rule that job
  registers start at 0x40.
* 0x40-0xC8: job registers (one layer = one configuration): the crossbar window (ima_v1's
  J_START_X/Y, J_WIDTH, J_HEIGHT), source/destination addresses, 3D source and sink walks
  (ima_v1's FETCH_LENGTH/STORE_LENGTH generalised to three levels), the ADC transfer (ima_v1's
  ADC_LOW/HIGH plus our MUL/SHIFT), and three job loops ALPHA/BETA/GAMMA (ima_v1 has ALPHA and
  BETA with in/out strides; ours also move the crossbar window, which the depthwise block-diagonal
  mapping needs). X is the column (output) axis, Y the row (input) axis, as in ima_v1.

The semantics of the job registers are those of :class:`sim_models.jobconfig.LayerJob`.
"""

from dataclasses import dataclass
from types import SimpleNamespace

from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

__all__ = ["Register", "REGISTERS", "REG", "ERR", "encode_layer", "decode_layer",
           "markdown", "c_header", "python_constants", "register"]


@dataclass(frozen=True)
class Register:
    """One 32-bit register.

    ``access``: ``RW`` read/write, ``RO`` read-only, ``WO`` write-only (reads 0), ``W1C`` write
    one to clear. ``field`` is the :class:`LayerJob` attribute path a job register holds.
    ``signed`` registers are sign-extended two's complement of ``bits`` bits.
    """
    name: str
    offset: int
    access: str
    doc: str
    reset: int = 0
    bits: int = 32
    signed: bool = False
    field: str = None
    group: str = "job"


def _walk(prefix, base, what):
    return [
        Register(f"{prefix}_LEN0", base + 0x00, "RW", f"{what}: contiguous bytes per run (level 0).",
                 reset=1, bits=16, field=f"{prefix.lower()}.len0"),
        Register(f"{prefix}_LEN1", base + 0x04, "RW", f"{what}: runs per level-1 loop.",
                 reset=1, bits=16, field=f"{prefix.lower()}.len1"),
        Register(f"{prefix}_STRIDE1", base + 0x08, "RW", f"{what}: level-1 stride in bytes.",
                 signed=True, field=f"{prefix.lower()}.stride1"),
        Register(f"{prefix}_LEN2", base + 0x0C, "RW", f"{what}: level-2 loop count.",
                 reset=1, bits=16, field=f"{prefix.lower()}.len2"),
        Register(f"{prefix}_STRIDE2", base + 0x10, "RW", f"{what}: level-2 stride in bytes.",
                 signed=True, field=f"{prefix.lower()}.stride2"),
    ]


def _loop(name, base, index):
    return [
        Register(f"{name}_LENGTH", base + 0x00, "RW", f"Job loop {index} ({'innermost' if index == 0 else 'outer'}): jobs.",
                 reset=1, bits=16, field=f"loops[{index}].count"),
        Register(f"{name}_IN_STRIDE", base + 0x04, "RW", f"Job loop {index}: source address step (bytes).",
                 signed=True, field=f"loops[{index}].src_stride"),
        Register(f"{name}_OUT_STRIDE", base + 0x08, "RW", f"Job loop {index}: destination address step (bytes).",
                 signed=True, field=f"loops[{index}].dst_stride"),
        Register(f"{name}_ROW_STRIDE", base + 0x0C, "RW", f"Job loop {index}: crossbar window row (Y) step.",
                 bits=16, signed=True, field=f"loops[{index}].row_stride"),
        Register(f"{name}_COL_STRIDE", base + 0x10, "RW", f"Job loop {index}: crossbar window column (X) step.",
                 bits=16, signed=True, field=f"loops[{index}].col_stride"),
    ]


#: Bits of the ERROR register (0x18). Sticky; cleared by writing ones, by SOFT_CLEAR, or by the
#: next successful TRIGGER.
ERR = SimpleNamespace(
    WINDOW=1 << 0,      # job windows (with job-loop row/col strides) leave the array, or buffers
    LENGTH=1 << 1,      # a zero length, or walk products != J_HEIGHT / J_WIDTH
    ADDRESS=1 << 2,     # a byte of the source or destination walk lies outside the TCDM
    ADC=1 << 3,         # ADC_MUL not a signed 16-bit value, ADC_SHIFT > 31, LO/HI out of range or LO > HI
    NO_ACQUIRE=1 << 4,  # TRIGGER by a core that does not hold the ACQUIRE lock
    WEIGHT=1 << 5,      # SUBMIT_PLOT with a -8 weight (0b1000): not representable as a G+/G- pair
    PROG_WINDOW=1 << 6, # programming window off the array, or SUBMIT_PLOT past its end
    ABORTED=1 << 7,     # SOFT_CLEAR while a job was running
)

ERR_DOC = {
    "WINDOW": "job windows (including job-loop row/col strides) leave the array, or exceed the DAC/ADC buffers",
    "LENGTH": "a zero length, or SRC/DST walk products differ from J_HEIGHT / J_WIDTH",
    "ADDRESS": "a byte of the source or destination walk lies outside the TCDM",
    "ADC": "ADC_MUL not a signed 16-bit value, ADC_SHIFT > 31, ADC_LOW/HIGH outside -128..255, or LOW > HIGH",
    "NO_ACQUIRE": "TRIGGER written by a core that does not hold the ACQUIRE lock",
    "WEIGHT": "SUBMIT_PLOT word holding -8 (0b1000); weights are [-7, 7]",
    "PROG_WINDOW": "programming window off the array, or SUBMIT_PLOT past the window's end",
    "ABORTED": "SOFT_CLEAR while a job was running",
}

REGISTERS = [
    # -- HWPE mandatory block (hwpe-ctrl legacy regfile) --
    Register("TRIGGER", 0x00, "WO", "Any write commits the job configured by the core holding the "
             "ACQUIRE lock and starts it. A write by another core sets ERROR.NO_ACQUIRE and raises "
             "that core's event.", group="hwpe"),
    Register("ACQUIRE", 0x04, "RO", "Read: job id >= 0 and the controller locks to the reading core "
             "until its TRIGGER; -1 while a job is running (busy); -2 while another core holds the lock.",
             group="hwpe"),
    Register("FINISHED", 0x08, "RO", "Number of jobs finished (with or without error) since reset.",
             group="hwpe"),
    Register("STATUS", 0x0C, "RO", "Non-zero while a job is pending or running: bit 0 running, "
             "bit 1 locked (acquired, not yet triggered), bit 2 readback pending, bit 3 a SUBMIT_PLOT word not yet taken by the analog core.", group="hwpe"),
    Register("RUNNING_JOB", 0x10, "RO", "Id of the running (or last) job.", group="hwpe"),
    Register("SOFT_CLEAR", 0x14, "WO", "Any write aborts a running job (no further TCDM requests), "
             "releases the lock and returns the engine to idle.", group="hwpe"),
    Register("ERROR", 0x18, "W1C", "Error causes of the last job (sticky; write ones to clear; "
             "cleared by a successful TRIGGER and by SOFT_CLEAR). See the ERROR bits table.",
             group="hwpe"),
    Register("INFO", 0x1C, "RO", "Design parameters: [7:0] ports N, [15:8] cores, [31:16] DAC "
             "buffer depth (rows per job).", group="hwpe"),
    # -- job-independent: PCM programming and readback (ima_v1 names) --
    Register("P_START_X", 0x20, "RW", "Programming window: first column. Writing it rewinds SUBMIT_PLOT.",
             bits=16, group="global"),
    Register("P_START_Y", 0x24, "RW", "Programming window: first row. Writing it rewinds SUBMIT_PLOT.",
             bits=16, group="global"),
    Register("P_WIDTH", 0x28, "RW", "Programming window: columns.", bits=16, reset=1, group="global"),
    Register("P_HEIGHT", 0x2C, "RW", "Programming window: rows (ima_v1: P_HIGHT).", bits=16, reset=1,
             group="global"),
    Register("SUBMIT_PLOT", 0x30, "WO", "Write 8 signed 4-bit weights (weight k in bits [4k+3:4k]) "
             "for the next 8 columns of the current window row; each row of the window takes "
             "ceil(P_WIDTH/8) words (the last one padded). Stalls while the analog core is busy.",
             group="global"),
    Register("PR_ADDR_X", 0x34, "RW", "Conductance readback: column.", bits=16, group="global"),
    Register("PR_ADDR_Y", 0x38, "RW", "Conductance readback: row. Writing it starts the readback.",
             bits=16, group="global"),
    Register("PR_VAL", 0x3C, "RO", "Readback result: [15:0] G+ and [31:16] G- in nS. A read stalls "
             "until the readback started by PR_ADDR_Y has completed.", group="global"),
    # -- job registers --
    Register("J_START_X", 0x40, "RW", "Job window: first column.", bits=16, field="col"),
    Register("J_START_Y", 0x44, "RW", "Job window: first row.", bits=16, field="row"),
    Register("J_WIDTH", 0x48, "RW", "Job window: columns = bytes stored per job.", bits=16, reset=1,
             field="width"),
    Register("J_HEIGHT", 0x4C, "RW", "Job window: rows = bytes fetched per job (ima_v1: J_HIGHT).",
             bits=16, reset=1, field="height"),
    Register("J_SRC_ADDR", 0x50, "RW", "Source base: TCDM byte offset of the first job's input.",
             field="src_addr"),
    Register("J_DST_ADDR", 0x54, "RW", "Destination base: TCDM byte offset of the first job's output.",
             field="dst_addr"),
    *_walk("SRC", 0x58, "Source walk (STREAMIN)"),
    *_walk("DST", 0x6C, "Sink walk (STREAMOUT)"),
    Register("ADC_LOW", 0x80, "RW", "ADC clamp low (-128..255).", bits=16, signed=True, field="adc_lo"),
    Register("ADC_HIGH", 0x84, "RW", "ADC clamp high (-128..255).", bits=16, signed=True, reset=255,
             field="adc_hi"),
    Register("ADC_MUL", 0x88, "RW", "ADC multiplier M (signed 16-bit, sign-extended to 32).", signed=True,
             reset=1, field="adc_m"),
    Register("ADC_SHIFT", 0x8C, "RW", "ADC shift S (0..31): y = clamp((acc*M + 2^(S-1)) >> S, LOW, HIGH).",
             field="adc_s"),
    *_loop("ALPHA", 0x90, 0),
    *_loop("BETA", 0xA4, 1),
    *_loop("GAMMA", 0xB8, 2),
]

REG = SimpleNamespace(**{r.name: r.offset for r in REGISTERS})
_BY_NAME = {r.name: r for r in REGISTERS}


def register(name):
    return _BY_NAME[name]


def _check_table():
    offsets = [r.offset for r in REGISTERS]
    if len(set(offsets)) != len(offsets) or any(o % 4 for o in offsets):
        raise AssertionError("register offsets must be unique and word aligned")
    for r in REGISTERS:
        if (r.group == "job") != (r.offset >= 0x40):
            raise AssertionError(f"{r.name}: job registers live at 0x40 and above")


_check_table()
JOB_REGISTERS = [r for r in REGISTERS if r.group == "job"]
SPAN = max(r.offset for r in REGISTERS) + 4


def _get_path(obj, path):
    for part in path.replace("]", "").replace("[", ".").split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def encode_layer(layer: LayerJob):
    """The ``(offset, value)`` register writes that configure ``layer`` (values as uint32)."""
    return [(r.offset, _get_path(layer, r.field) & 0xFFFFFFFF) for r in JOB_REGISTERS]


def _as_signed(value, bits=32):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def decode_layer(values):
    """Inverse of :func:`encode_layer`: ``{offset: uint32}`` -> :class:`LayerJob`."""
    v = {r.field: (_as_signed(values[r.offset]) if r.signed else values[r.offset])
         for r in JOB_REGISTERS}
    walk = lambda p: Walk3D(v[f"{p}.len0"], v[f"{p}.len1"], v[f"{p}.stride1"], v[f"{p}.len2"],
                            v[f"{p}.stride2"])
    loops = tuple(JobLoop(*(v[f"loops[{k}].{f}"] for f in
                            ("count", "src_stride", "dst_stride", "row_stride", "col_stride")))
                  for k in range(3))
    return LayerJob(src_addr=v["src_addr"], dst_addr=v["dst_addr"], src=walk("src"), dst=walk("dst"),
                    row=v["row"], col=v["col"], height=v["height"], width=v["width"],
                    adc_m=v["adc_m"], adc_s=v["adc_s"], adc_lo=v["adc_lo"], adc_hi=v["adc_hi"],
                    loops=loops)


def markdown():
    """The register map as Markdown (docs/registers.md)."""
    lines = ["# IMA register map", "",
             "Generated by `ima-sim regs --format md` from `hw/ima/regmap.py`; do not edit.", "",
             "32-bit registers on the peripheral bus; offsets in bytes. Job registers (0x40 and up) "
             "follow `sim_models.jobconfig.LayerJob`; only the core holding the ACQUIRE lock may write "
             "them (other writes are ignored). Signed registers are two's complement.", "",
             "| offset | name | access | reset | type | description |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in REGISTERS:
        kind = f"{'s' if r.signed else 'u'}{r.bits}"
        lines.append(f"| 0x{r.offset:02X} | {r.name} | {r.access} | {r.reset} | {kind} | {r.doc} |")
    lines += ["", f"{len(REGISTERS)} registers, {SPAN} bytes of address space.", "",
              "## ERROR bits", "", "| bit | name | cause |", "| --- | --- | --- |"]
    for name, mask in vars(ERR).items():
        lines.append(f"| {mask.bit_length() - 1} | {name} | {ERR_DOC[name]} |")
    lines += ["", "## Programming model", "",
              "1. Read ACQUIRE until it returns an id >= 0 (the controller is now locked to this core).",
              "2. Write the job registers (the `LayerJob` of one layer).",
              "3. Write TRIGGER. The IMA runs every job of the layer: STREAMIN -> COMPUTE -> STREAMOUT.",
              "4. Wait for this core's end-of-job event; read ERROR (0 = success).",
              "",
              "A bad configuration sets ERROR, raises the event, writes nothing to the TCDM and leaves "
              "the IMA ready for the next job.", ""]
    return "\n".join(lines)


def c_header():
    """The register map as a C header (offsets, ERROR bits)."""
    out = ["/* IMA register map. Generated from hw/ima/regmap.py by `ima-sim regs --format c`. */",
           "#ifndef IMA_REGS_H", "#define IMA_REGS_H", ""]
    for r in REGISTERS:
        out.append(f"#define IMA_REG_{r.name:<20} 0x{r.offset:02X}  /* {r.access} */")
    out.append("")
    for name, mask in vars(ERR).items():
        out.append(f"#define IMA_ERR_{name:<20} 0x{mask:02X}")
    out += ["", f"#define IMA_REG_SPAN {SPAN}", "", "#endif /* IMA_REGS_H */", ""]
    return "\n".join(out)


def python_constants():
    """The register map as a Python module text (for software outside this package)."""
    out = ['"""IMA register offsets. Generated from hw/ima/regmap.py; do not edit."""', ""]
    out += [f"{r.name} = 0x{r.offset:02X}" for r in REGISTERS]
    out += [""] + [f"ERR_{name} = 0x{mask:02X}" for name, mask in vars(ERR).items()] + [""]
    return "\n".join(out)
