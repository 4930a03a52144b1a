"""Registers as data: fields with an access behaviour, registers, a validated map, and generators.

An accelerator describes its control registers once, as a :class:`RegisterMap` of
:class:`Register` s, each made of :class:`Field` s (in the spirit of amaranth-soc's
``csr.Register`` / ``Field(action, shape)``). The same description gives

* the register file (:class:`hw.hwpe.regfile.RegisterFile`): storage, read mux, W1C, strobes;
* the control-port signature (:meth:`RegisterMap.bus_signature`, address width from the span);
* ``docs/registers.md`` (:meth:`RegisterMap.markdown`), a C header (:meth:`RegisterMap.c_header`)
  and Python constants (:meth:`RegisterMap.python_constants`) with offsets, field shifts and masks;
* software-side packing (:meth:`Field.get`, :meth:`Field.put`) and mask namespaces
  (:meth:`RegisterMap.masks`) for the HAL and the tests.

Access behaviours (:class:`Access`), as the register file implements them:

* ``R``   -- read-only; the block drives the value; writes are ignored.
* ``RW``  -- storage in the register file, written under byte enables, read back.
* ``W1C`` -- storage set by the block; a bus write clears the bits written as one (byte enables
  are ignored, as the HWPE ERROR register always did); reads return the value.
* ``W``   -- write strobe: nothing is stored; the written bits go to the block with the
  register's write pulse; reads return 0.
"""

import enum
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from types import SimpleNamespace

from amaranth.utils import ceil_log2

from hw.signatures import PERIPH_ID_WIDTH, PeriphSignature

__all__ = ["Access", "Field", "Register", "RegisterMap", "WORD_BITS", "RESERVED_FIELD_NAMES"]

WORD_BITS = 32
#: Member names the register file adds beside the fields of a register (see hw.hwpe.regfile).
RESERVED_FIELD_NAMES = frozenset({"w_stb", "r_stb", "stall", "set", "clr", "signature"})
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_REG_IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Access(enum.Enum):
    """What the bus can do with a field (see the module docstring)."""
    R = "R"
    RW = "RW"
    W1C = "W1C"
    W = "W"

    @property
    def readable(self):
        return self is not Access.W

    @property
    def writable(self):
        return self is not Access.R


@dataclass(frozen=True)
class Field:
    """A bit range of a register with one access behaviour.

    Parameters
    ----------
    name : str
        Lower-case identifier (a port name of the register file); unique in its register.
    lsb, width : int
        Bits ``[lsb + width - 1 : lsb]`` of the 32-bit word.
    access : Access
    reset : int
        Value after reset (storage fields); may be negative for signed fields.
    signed : bool
        Two's complement: :meth:`get` sign-extends.
    doc : str
    value_bits : int or None
        Bits a valid value uses (default ``width``): a 32-bit field of type u16 stores all 32 bits
        so that the block can flag a value that does not fit.

    Raises
    ------
    ValueError
        On a bad name, range, reset value or ``value_bits`` (the message names it).
    """
    name: str
    lsb: int
    width: int
    access: Access
    reset: int = 0
    signed: bool = False
    doc: str = ""
    value_bits: int = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not _IDENT.match(self.name):
            raise ValueError(f"field name must be a lower-case identifier, not {self.name!r}")
        if self.name in RESERVED_FIELD_NAMES:
            raise ValueError(f"field name {self.name!r} is reserved (register file members)")
        for what in ("lsb", "width"):
            v = getattr(self, what)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"field {self.name}: {what} must be a non-negative integer, not {v!r}")
        if self.width == 0 or self.lsb + self.width > WORD_BITS:
            raise ValueError(f"field {self.name}: bits [{self.lsb + self.width - 1}:{self.lsb}] "
                             f"do not fit a {WORD_BITS}-bit word")
        if not isinstance(self.access, Access):
            raise ValueError(f"field {self.name}: access must be an Access, not {self.access!r}")
        vb = self.width if self.value_bits is None else self.value_bits
        if not isinstance(vb, int) or not 1 <= vb <= self.width:
            raise ValueError(f"field {self.name}: value_bits must be in 1..{self.width}, not {vb!r}")
        object.__setattr__(self, "value_bits", vb)
        lo, hi = (-(1 << (self.width - 1)), 1 << (self.width - 1)) if self.signed else (0, 1 << self.width)
        if not isinstance(self.reset, int) or not lo <= self.reset < hi:
            raise ValueError(f"field {self.name}: reset {self.reset!r} does not fit "
                             f"{'s' if self.signed else 'u'}{self.width}")

    @property
    def msb(self):
        return self.lsb + self.width - 1

    @property
    def shift(self):
        return self.lsb

    @property
    def mask(self):
        """The field's bits in the register word."""
        return ((1 << self.width) - 1) << self.lsb

    @property
    def type(self):
        """``u16``, ``s32``, ...: the value type software writes."""
        return f"{'s' if self.signed else 'u'}{self.value_bits}"

    def put(self, value):
        """``value`` (int, signed or not) placed at the field's bits of a word (other bits 0)."""
        return (int(value) & ((1 << self.width) - 1)) << self.lsb

    def get(self, word):
        """The field's value in ``word`` (an int); sign-extended for signed fields."""
        v = (int(word) >> self.lsb) & ((1 << self.width) - 1)
        if self.signed and v >> (self.width - 1):
            v -= 1 << self.width
        return v

    def slice(self, value):
        """The field's bits of an Amaranth value holding the register word."""
        return value[self.lsb:self.lsb + self.width]


@dataclass(frozen=True)
class Register:
    """One 32-bit register: a name, a byte offset and its fields.

    Parameters
    ----------
    name : str
        Upper-case identifier.
    offset : int
        Byte offset (word aligned).
    fields : tuple of Field
        Non-overlapping, inside 32 bits. A whole-word register is one field named ``value``
        (see :meth:`word`).
    doc : str
    group : str
        ``hwpe`` (the mandatory block), ``global`` (job-independent) or ``job``: writes to job
        registers take effect only for the core holding the lock.
    job_path : str or None
        For job registers: the :class:`sim_models.jobconfig.LayerJob` attribute path it holds.
    stall : bool
        The block may withhold ``gnt`` for accesses to it (reads if it has readable fields,
        writes if it has writable fields).
    prefix : str or None
        Prefix of its field constants in the generated headers (default: the name).
    """
    name: str
    offset: int
    fields: tuple
    doc: str
    group: str = "job"
    job_path: str = None
    stall: bool = False
    prefix: str = None

    GROUPS = ("hwpe", "global", "job")

    def __post_init__(self):
        if not isinstance(self.name, str) or not _REG_IDENT.match(self.name):
            raise ValueError(f"register name must be an upper-case identifier, not {self.name!r}")
        if not isinstance(self.offset, int) or self.offset < 0 or self.offset % 4:
            raise ValueError(f"register {self.name}: offset must be a word-aligned byte offset, "
                             f"not {self.offset!r}")
        if self.group not in self.GROUPS:
            raise ValueError(f"register {self.name}: group must be one of {self.GROUPS}, "
                             f"not {self.group!r}")
        object.__setattr__(self, "fields", tuple(self.fields))
        if not self.fields:
            raise ValueError(f"register {self.name}: fields must not be empty")
        names, used = set(), 0
        for f in self.fields:
            if not isinstance(f, Field):
                raise ValueError(f"register {self.name}: fields must be Field objects, not {f!r}")
            if f.name in names:
                raise ValueError(f"register {self.name}: field name {f.name!r} is not unique")
            if used & f.mask:
                raise ValueError(f"register {self.name}: field {f.name} overlaps another field")
            names.add(f.name)
            used |= f.mask
        if self.prefix is None:
            object.__setattr__(self, "prefix", self.name)

    @classmethod
    def word(cls, name, offset, access, doc, *, reset=0, bits=32, signed=False, **kw):
        """A whole-word register: one 32-bit field ``value`` of type ``{s,u}{bits}``."""
        return cls(name, offset, (Field("value", 0, WORD_BITS, Access(access), reset=reset,
                                        signed=signed, value_bits=bits),), doc, **kw)

    @property
    def whole_word(self):
        return len(self.fields) == 1 and self.fields[0].width == WORD_BITS

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name!r}")

    @property
    def access(self):
        """Summary for the docs: ``RO``, ``WO``, ``RW``, ``W1C``, or ``mixed``."""
        kinds = {f.access for f in self.fields}
        if len(kinds) > 1:
            return "mixed"
        return {Access.R: "RO", Access.W: "WO", Access.RW: "RW", Access.W1C: "W1C"}[kinds.pop()]

    @property
    def reset(self):
        """The register word after reset (unsigned 32-bit)."""
        return sum(f.put(f.reset) for f in self.fields if f.access in (Access.RW, Access.W1C))

    @property
    def signed(self):
        return self.whole_word and self.fields[0].signed

    @property
    def bits(self):
        return self.fields[0].value_bits if self.whole_word else WORD_BITS

    @property
    def readable(self):
        return any(f.access.readable for f in self.fields)

    @property
    def writable(self):
        return any(f.access.writable for f in self.fields)

    @property
    def mask(self):
        """Every field's bits (e.g. the word that clears every W1C cause)."""
        return sum(f.mask for f in self.fields)

    def masks(self):
        """``{FIELD: mask}`` (upper-case field names), for software."""
        return SimpleNamespace(**{f.name.upper(): f.mask for f in self.fields})

    def pack(self, **values):
        """A register word from field values by name (missing fields are 0)."""
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise ValueError(f"register {self.name} has no field(s) {sorted(unknown)}")
        return sum(self.field(n).put(v) for n, v in values.items())

    def unpack(self, word):
        """``{field: value}`` of a register word."""
        return {f.name: f.get(word) for f in self.fields}


@dataclass(frozen=True)
class RegisterMap:
    """A validated table of registers.

    Parameters
    ----------
    name : str
        The block's name (C prefix, upper case, e.g. ``IMA``).
    registers : tuple of Register
        Unique names and unique word-aligned offsets.
    title, intro : str
        Heading and lead paragraph of the Markdown page.
    sections : tuple of str
        Extra Markdown after the tables (e.g. the programming model).
    source : str
        The module the map lives in (named in the generated files).

    Raises
    ------
    ValueError
        On duplicate names or offsets (the message names them).
    """
    name: str
    registers: tuple
    title: str = ""
    intro: str = ""
    sections: tuple = ()
    source: str = ""
    _by_name: dict = dc_field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not _REG_IDENT.match(self.name):
            raise ValueError(f"map name must be an upper-case identifier, not {self.name!r}")
        object.__setattr__(self, "registers", tuple(self.registers))
        if not self.registers:
            raise ValueError("registers must not be empty")
        by_name, by_offset = {}, {}
        for r in self.registers:
            if not isinstance(r, Register):
                raise ValueError(f"registers must be Register objects, not {r!r}")
            if r.name in by_name:
                raise ValueError(f"register name {r.name} is not unique")
            if r.offset in by_offset:
                raise ValueError(f"registers {by_offset[r.offset]} and {r.name} share offset "
                                 f"0x{r.offset:02X}")
            by_name[r.name], by_offset[r.offset] = r, r.name
        object.__setattr__(self, "_by_name", by_name)
        constants = [r.name for r in self.registers] + ["SPAN"]
        for r in self.registers:
            if not r.whole_word:
                constants += [f"{r.prefix}_{f.name.upper()}{s}" for f in r.fields for s in ("", "_SHIFT")]
        seen = set()
        for c in constants:
            if c in seen:
                raise ValueError(f"generated constant {c} is not unique (rename a register, field "
                                 "or prefix)")
            seen.add(c)

    def __getitem__(self, name):
        return self._by_name[name]

    def __iter__(self):
        return iter(self.registers)

    def __len__(self):
        return len(self.registers)

    @property
    def regs_command(self):
        """The command that prints this map: ``ima-sim regs`` (the IMA, its default block) or
        ``ima-sim regs --block <name>`` (:mod:`tb.cli.hw`)."""
        return "ima-sim regs" + ("" if self.name == "IMA" else f" --block {self.name.lower()}")

    @property
    def span(self):
        """Bytes of address space: up to the end of the last register."""
        return max(r.offset for r in self.registers) + 4

    @property
    def addr_width(self):
        """Byte-address bits that decode the map (the smallest power-of-two window)."""
        return max(2, ceil_log2(self.span))

    def bus_signature(self, *, id_width=PERIPH_ID_WIDTH):
        """The control-port signature for this map (initiator side): the one place it is built."""
        return PeriphSignature(addr_width=self.addr_width, id_width=id_width)

    @property
    def offsets(self):
        """``REG.<NAME>`` -> byte offset."""
        return SimpleNamespace(**{r.name: r.offset for r in self.registers})

    def group(self, group):
        return [r for r in self.registers if r.group == group]

    def masks(self, name):
        """Field masks of register ``name`` (``masks("ERROR").ABORTED``)."""
        return self[name].masks()

    # ------------------------------------------------------------------ generators
    def markdown(self):
        """The map as Markdown: one table of registers, then a field table per register with
        fields, then ``sections``."""
        lines = [f"# {self.title or self.name + ' register map'}", "",
                 f"Generated by `{self.regs_command} --format md` from `{self.source}`; do not edit.",
                 ""]
        if self.intro:
            lines += [self.intro, ""]
        lines += ["| offset | name | access | reset | type | description |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in self.registers:
            kind = r.fields[0].type if r.whole_word else "fields"
            stored = any(f.access in (Access.RW, Access.W1C) for f in r.fields)
            reset = ("-" if not stored else r.fields[0].reset if r.whole_word else f"0x{r.reset:X}")
            lines.append(f"| 0x{r.offset:02X} | {r.name} | {r.access} | {reset} | {kind} | {r.doc} |")
        lines += ["", f"{len(self.registers)} registers, {self.span} bytes of address space "
                      f"({self.addr_width} address bits).", ""]
        for r in self.registers:
            if r.whole_word:
                continue
            lines += [f"## {r.name} fields (0x{r.offset:02X})", "",
                      "| bits | name | access | reset | type | description |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for f in sorted(r.fields, key=lambda f: f.lsb):
                bits = f"{f.msb}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
                reset = f.reset if f.access in (Access.RW, Access.W1C) else "-"
                lines.append(f"| {bits} | {f.name.upper()} | {f.access.value} | {reset} | "
                             f"{f.type} | {f.doc} |")
            lines.append("")
        for s in self.sections:
            lines += [s, ""]
        return "\n".join(lines)

    def c_header(self):
        """The map as a C header: offsets, and shift / mask of every field of a register with
        fields."""
        p, guard = self.name, f"{self.name}_REGS_H"
        out = [f"/* {p} register map. Generated from {self.source} by `{self.regs_command} --format c`. */",
               f"#ifndef {guard}", f"#define {guard}", ""]
        for r in self.registers:
            out.append(f"#define {p}_REG_{r.name:<20} 0x{r.offset:02X}  /* {r.access} */")
        for group in self._field_groups():
            out.append("")
            for stem, f in group:
                stem = f"{p}_{stem}"
                out += [f"#define {stem:<32} 0x{f.mask:08X}u",
                        f"#define {stem + '_SHIFT':<32} {f.shift}"]
        out += ["", f"#define {p}_REG_SPAN {self.span}", "", f"#endif /* {guard} */", ""]
        return "\n".join(out)

    def _field_groups(self):
        """Per register with fields (whole-word registers have none to name): the
        ``(PREFIX_FIELD, Field)`` pairs the C header and the Python constants both emit."""
        return [[(f"{r.prefix}_{f.name.upper()}", f) for f in r.fields]
                for r in self.registers if not r.whole_word]

    def python_constants(self):
        """The map as a Python module text: offsets, field masks and shifts."""
        out = [f'"""{self.name} register offsets and fields. Generated from {self.source}; '
               'do not edit."""', ""]
        out += [f"{r.name} = 0x{r.offset:02X}" for r in self.registers]
        for group in self._field_groups():
            out.append("")
            for stem, f in group:
                out += [f"{stem} = 0x{f.mask:08X}", f"{stem}_SHIFT = {f.shift}"]
        out += ["", f"SPAN = {self.span}", ""]
        return "\n".join(out)
