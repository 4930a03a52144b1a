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

Multi-array IMA (``ImaConfig.arrays``; Garofalo et al. 2022, Sec. VI). The paper replicates the
configuration registers per crossbar (separate address ranges). We do not, for two reasons:

* one array is active at a time and a layer (or a layer piece on one array) runs from one
  configuration, so a copy of the 37 job registers per array (up to 64 x 37 x 32 bits = 76 kbit
  of flip-flops) buys nothing over one job register naming the array: **J_ARRAY** (0xCC). A layer
  split across arrays is one configuration per array piece (``LayerJob.array``).
* weights are programmed once before inference (program-and-verify is 20-30x slower than an
  MVM, Sec. III-A), so the programming and readback windows need only a selector too. The
  HWPE layout leaves no free job-independent slot (0x20-0x3C hold ima_v1's programming and
  readback registers; job registers start at 0x40), so the array index rides in the upper half
  of the register whose write starts the operation: **P_START_Y.array** (bits 31:16; writing
  P_START_Y rewinds SUBMIT_PLOT onto that array) and **PR_ADDR_Y.array** (writing PR_ADDR_Y
  starts the readback of (row, column) of that array), so one write selects row and array.

An index >= ``arrays`` sets ERROR.ARRAY: from the ConfigChecker for J_ARRAY (the job never
starts, nothing is written), at SUBMIT_PLOT for P_START_Y.array (nothing is programmed), at the
PR_ADDR_Y write for PR_ADDR_Y.array (no readback starts; PR_VAL keeps its value). With
``arrays == 1`` these fields exist and must be 0; a single-array HAL never writes J_ARRAY (its reset
value is the only valid one), so configuring a layer costs the same bus writes as before.
"""

from hw.hwpe.ctrl import hwpe_registers
from hw.hwpe.regs import Access, Field, Register, RegisterMap
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

__all__ = ["IMA_MAP", "REGISTERS", "JOB_REGISTERS", "REG", "ERR", "STATUS", "INFO", "SUBMIT_PLOT",
           "PR_VAL", "CHECK_CAUSES", "CTRL_ADDR_WIDTH", "SPAN", "encode_layer", "decode_layer",
           "markdown", "c_header", "python_constants", "register", "WEIGHT", "pack_weights",
           "unpack_weights"]

R, RW, W, W1C = Access.R, Access.RW, Access.W, Access.W1C
word = Register.word


def _rw(name, offset, doc, *, reset=0, bits=32, signed=False, path=None, group="job"):
    return word(name, offset, "RW", doc, reset=reset, bits=bits, signed=signed, job_path=path,
                group=group)


def _walk(prefix, base, what):
    p = prefix.lower()
    return [
        _rw(f"{prefix}_LEN0", base + 0x00, f"{what}: contiguous bytes per run (level 0).",
            reset=1, bits=16, path=f"{p}.len0"),
        _rw(f"{prefix}_LEN1", base + 0x04, f"{what}: runs per level-1 loop.",
            reset=1, bits=16, path=f"{p}.len1"),
        _rw(f"{prefix}_STRIDE1", base + 0x08, f"{what}: level-1 stride in bytes.",
            signed=True, path=f"{p}.stride1"),
        _rw(f"{prefix}_LEN2", base + 0x0C, f"{what}: level-2 loop count.",
            reset=1, bits=16, path=f"{p}.len2"),
        _rw(f"{prefix}_STRIDE2", base + 0x10, f"{what}: level-2 stride in bytes.",
            signed=True, path=f"{p}.stride2"),
    ]


def _loop(name, base, index):
    kind = "innermost" if index == 0 else "outer"
    return [
        _rw(f"{name}_LENGTH", base + 0x00, f"Job loop {index} ({kind}): jobs.",
            reset=1, bits=16, path=f"loops[{index}].count"),
        _rw(f"{name}_IN_STRIDE", base + 0x04, f"Job loop {index}: source address step (bytes).",
            signed=True, path=f"loops[{index}].src_stride"),
        _rw(f"{name}_OUT_STRIDE", base + 0x08, f"Job loop {index}: destination address step (bytes).",
            signed=True, path=f"loops[{index}].dst_stride"),
        _rw(f"{name}_ROW_STRIDE", base + 0x0C, f"Job loop {index}: crossbar window row (Y) step "
            "(signed 16-bit, sign-extended to 32; else ERROR.WINDOW).",
            bits=16, signed=True, path=f"loops[{index}].row_stride"),
        _rw(f"{name}_COL_STRIDE", base + 0x10, f"Job loop {index}: crossbar window column (X) step "
            "(signed 16-bit, sign-extended to 32; else ERROR.WINDOW).",
            bits=16, signed=True, path=f"loops[{index}].col_stride"),
    ]


def _err(name, bit, doc):
    return Field(name, bit, 1, W1C, doc=doc)


#: ERROR causes (sticky; cleared by writing ones, by SOFT_CLEAR, or by the next successful
#: TRIGGER). WINDOW, LENGTH, ADDRESS, ADC and ARRAY come from the ConfigChecker (its ``chk_err``
#: bits, in the order of CHECK_CAUSES).
_ERROR_FIELDS = (
    _err("window", 0, "job windows (including job-loop row/col strides) leave the array, or "
         "exceed the DAC/ADC buffers, or a row/col stride register is not a sign-extended "
         "16-bit value"),
    _err("length", 1, "a zero length, or SRC/DST walk products differ from J_HEIGHT / J_WIDTH"),
    _err("address", 2, "a byte of the source or destination walk lies outside the TCDM"),
    _err("adc", 3, "ADC_MUL not a signed 16-bit value, ADC_SHIFT > 31, ADC_LOW/HIGH outside "
         "-128..255, or LOW > HIGH"),
    _err("no_acquire", 4, "TRIGGER written by a core that does not hold the ACQUIRE lock"),
    _err("weight", 5, "SUBMIT_PLOT word holding -8 (0b1000); weights are [-7, 7]"),
    _err("prog_window", 6, "programming window off the array, or SUBMIT_PLOT past the window's end"),
    _err("aborted", 7, "SOFT_CLEAR while a job was running"),
    _err("array", 8, "J_ARRAY (checker), P_START_Y.array (at SUBMIT_PLOT) or PR_ADDR_Y.array (at "
         "the PR_ADDR_Y write) names an array >= the IMA's arrays"),
)
#: The ConfigChecker's causes, in the order of its ``chk_err`` bits.
CHECK_CAUSES = ("window", "length", "address", "adc", "array")

_STATUS_FIELDS = (
    Field("rd_pending", 2, 1, R, doc="a conductance readback is in flight (PR_VAL not ready)"),
    Field("prog_pending", 3, 1, R, doc="a SUBMIT_PLOT word not yet taken by the analog core"),
)

_REGISTERS = [
    # -- HWPE mandatory block (hwpe-ctrl legacy regfile), ERROR in ima_v1's CHECK_STATE slot --
    *hwpe_registers(status=_STATUS_FIELDS, error=_ERROR_FIELDS),
    Register("INFO", 0x1C, (Field("ports", 0, 8, R, doc="streamer ports N (load = store)"),
                            Field("cores", 8, 8, R, doc="cores on the peripheral bus"),
                            Field("dac_depth", 16, 16, R, doc="DAC buffer depth (rows per job)")),
             "Design parameters.", group="hwpe"),
    # -- job-independent: PCM programming and readback (ima_v1 names) --
    _rw("P_START_X", 0x20, "Programming window: first column. Writing it rewinds SUBMIT_PLOT.",
        bits=16, group="global"),
    Register("P_START_Y", 0x24,
             (Field("row", 0, 16, RW, doc="first row of the window"),
              Field("array", 16, 16, RW, doc="array programmed (multi-array IMA; < arrays)")),
             "Programming window: first row and array. Writing it rewinds SUBMIT_PLOT.",
             group="global"),
    _rw("P_WIDTH", 0x28, "Programming window: columns.", bits=16, reset=1, group="global"),
    _rw("P_HEIGHT", 0x2C, "Programming window: rows (ima_v1: P_HIGHT).", bits=16, reset=1,
        group="global"),
    Register("SUBMIT_PLOT", 0x30,
             tuple(Field(f"w{k}", 4 * k, 4, W, signed=True, doc=f"weight of column {k} of the group")
                   for k in range(8)),
             "Write 8 signed 4-bit weights for the next 8 columns of the current window row; each "
             "row of the window takes ceil(P_WIDTH/8) words (the last one padded). Stalls while the "
             "analog core has not taken the previous word.", group="global", stall=True),
    _rw("PR_ADDR_X", 0x34, "Conductance readback: column.", bits=16, group="global"),
    Register("PR_ADDR_Y", 0x38,
             (Field("row", 0, 16, RW, doc="row read back"),
              Field("array", 16, 16, RW, doc="array read back (multi-array IMA; < arrays)")),
             "Conductance readback: row and array. Writing it starts the readback.",
             group="global"),
    Register("PR_VAL", 0x3C, (Field("g_pos", 0, 16, R, doc="G+ in nS"),
                              Field("g_neg", 16, 16, R, doc="G- in nS")),
             "Readback result. A read stalls until the readback started by PR_ADDR_Y has "
             "completed.", group="global", stall=True),
    # -- job registers --
    _rw("J_START_X", 0x40, "Job window: first column.", bits=16, path="col"),
    _rw("J_START_Y", 0x44, "Job window: first row.", bits=16, path="row"),
    _rw("J_WIDTH", 0x48, "Job window: columns = bytes stored per job.", bits=16, reset=1,
        path="width"),
    _rw("J_HEIGHT", 0x4C, "Job window: rows = bytes fetched per job (ima_v1: J_HIGHT).",
        bits=16, reset=1, path="height"),
    _rw("J_SRC_ADDR", 0x50, "Source base: TCDM byte offset of the first job's input.",
        path="src_addr"),
    _rw("J_DST_ADDR", 0x54, "Destination base: TCDM byte offset of the first job's output.",
        path="dst_addr"),
    *_walk("SRC", 0x58, "Source walk (STREAMIN)"),
    *_walk("DST", 0x6C, "Sink walk (STREAMOUT)"),
    _rw("ADC_LOW", 0x80, "ADC clamp low (-128..255).", bits=16, signed=True, path="adc_lo"),
    _rw("ADC_HIGH", 0x84, "ADC clamp high (-128..255).", bits=16, signed=True, reset=255,
        path="adc_hi"),
    _rw("ADC_MUL", 0x88, "ADC multiplier M (signed 16-bit, sign-extended to 32).", signed=True,
        reset=1, path="adc_m"),
    _rw("ADC_SHIFT", 0x8C, "ADC shift S (0..31): y = clamp((acc*M + 2^(S-1)) >> S, LOW, HIGH).",
        path="adc_s"),
    *_loop("ALPHA", 0x90, 0),
    *_loop("BETA", 0xA4, 1),
    *_loop("GAMMA", 0xB8, 2),
    _rw("J_ARRAY", 0xCC, "Job array: the crossbar every job of the layer runs on (multi-array "
        "IMA; < arrays, else ERROR.ARRAY).", bits=16, path="array"),
]

_PROGRAMMING_MODEL = "\n".join([
    "## Programming model", "",
    "1. Read ACQUIRE until it returns an id >= 0 (the controller is now locked to this core).",
    "2. Write the job registers (the `LayerJob` of one layer).",
    "3. Write TRIGGER. The IMA runs every job of the layer: STREAMIN -> COMPUTE -> STREAMOUT.",
    "4. Wait for this core's end-of-job event; read ERROR (0 = success).",
    "",
    "Multi-array IMA: program every array before inference (P_START_Y.array selects the array a "
    "SUBMIT_PLOT window goes to); each layer piece names its array in J_ARRAY. With one array "
    "these fields stay 0.",
    "",
    "A bad configuration sets ERROR, raises the event, writes nothing to the TCDM and leaves "
    "the IMA ready for the next job."])

IMA_MAP = RegisterMap(
    "IMA", _REGISTERS, title="IMA register map", source="hw/ima/regmap.py",
    intro="32-bit registers on the peripheral bus; offsets in bytes. Job registers (0x40 and up) "
          "follow `sim_models.jobconfig.LayerJob`; only the core holding the ACQUIRE lock may "
          "write them (other writes are ignored). Signed registers are two's complement. "
          "Access: RO read-only, WO write-only (reads 0; a write is a strobe), RW read/write "
          "(byte enables), W1C write one to clear; in the field tables R, RW, W1C and W (write "
          "strobe). Reset `-`: nothing stored (the block drives the value, or it reads 0).",
    sections=(_PROGRAMMING_MODEL,))

REGISTERS = list(IMA_MAP)
REG = IMA_MAP.offsets
#: Masks of the ERROR causes (``ERR.ABORTED``), the STATUS bits, INFO and PR_VAL fields.
ERR = IMA_MAP.masks("ERROR")
#: The field descriptions themselves (``STATUS.field("prog_pending").get(word)``).
STATUS, INFO = IMA_MAP["STATUS"], IMA_MAP["INFO"]
SUBMIT_PLOT, PR_VAL = IMA_MAP["SUBMIT_PLOT"], IMA_MAP["PR_VAL"]
JOB_REGISTERS = IMA_MAP.group("job")
SPAN = IMA_MAP.span
#: Byte-address bits of the control port (from the map's span).
CTRL_ADDR_WIDTH = IMA_MAP.addr_width


def register(name):
    return IMA_MAP[name]


#: One weight as SUBMIT_PLOT (and the twin's array rows) pack it: signed, weight k of a word in
#: bits [w*k + w - 1 : w*k] for w = WEIGHT.width.
WEIGHT = SUBMIT_PLOT.fields[0]


def pack_weights(weights):
    """Weights (ints) packed as SUBMIT_PLOT packs them, into a word of any length."""
    w = WEIGHT.width
    return sum(WEIGHT.put(v) << (w * k) for k, v in enumerate(weights))


def unpack_weights(word, count):
    """The first ``count`` signed weights of a word packed by :func:`pack_weights`."""
    w = WEIGHT.width
    return [WEIGHT.get(int(word) >> (w * k)) for k in range(count)]


def _check_table():
    for r in REGISTERS:
        if (r.group == "job") != (r.offset >= 0x40):
            raise AssertionError(f"{r.name}: job registers live at 0x40 and above")
        if (r.group == "job") != (r.job_path is not None):
            raise AssertionError(f"{r.name}: job registers (only) carry a LayerJob path")


_check_table()


def _get_path(obj, path):
    for part in path.replace("]", "").replace("[", ".").split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def encode_layer(layer: LayerJob):
    """The ``(offset, value)`` register writes that configure ``layer`` (values as uint32)."""
    return [(r.offset, _get_path(layer, r.job_path) & 0xFFFFFFFF) for r in JOB_REGISTERS]


def _as_signed(value, bits=32):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def decode_layer(values):
    """Inverse of :func:`encode_layer`: ``{offset: uint32}`` -> :class:`LayerJob`."""
    v = {r.job_path: (_as_signed(values[r.offset]) if r.signed else values[r.offset])
         for r in JOB_REGISTERS}

    def walk(p):
        return Walk3D(v[f"{p}.len0"], v[f"{p}.len1"], v[f"{p}.stride1"], v[f"{p}.len2"],
                      v[f"{p}.stride2"])

    loops = tuple(JobLoop(*(v[f"loops[{k}].{f}"] for f in
                            ("count", "src_stride", "dst_stride", "row_stride", "col_stride")))
                  for k in range(3))
    return LayerJob(src_addr=v["src_addr"], dst_addr=v["dst_addr"], src=walk("src"), dst=walk("dst"),
                    row=v["row"], col=v["col"], height=v["height"], width=v["width"],
                    adc_m=v["adc_m"], adc_s=v["adc_s"], adc_lo=v["adc_lo"], adc_hi=v["adc_hi"],
                    loops=loops, array=v["array"])


def markdown():
    """The register map as Markdown (docs/registers.md)."""
    return IMA_MAP.markdown()


def c_header():
    """The register map as a C header (offsets, field shifts and masks)."""
    return IMA_MAP.c_header()


def python_constants():
    """The register map as a Python module text (for software outside this package)."""
    return IMA_MAP.python_constants()
