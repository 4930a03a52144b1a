"""The register description (hw/hwpe/regs.py): validation, derived widths, generators, and field
packing (hypothesis properties, derandomized so every run draws the same cases)."""

import shutil
import subprocess
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw.hwpe.regs import Access, Field, Register, RegisterMap
from hw.ima.regmap import CTRL_ADDR_WIDTH, IMA_MAP
from hw.signatures import PeriphSignature

R, RW, W, W1C = Access.R, Access.RW, Access.W, Access.W1C


def _map(*regs, name="DEV"):
    return RegisterMap(name, regs, source="tests")


def _small():
    return _map(Register.word("CTRL", 0x00, "RW", "control", reset=3),
                Register("STAT", 0x04, (Field("busy", 0, 1, R, doc="busy"),
                                        Field("count", 8, 8, R, doc="count")), "status"),
                Register("ERR", 0x08, (Field("a", 0, 1, W1C), Field("b", 5, 1, W1C)), "errors",
                         prefix="E"),
                Register("DATA", 0x0C, (Field("lo", 0, 16, RW, reset=7),
                                        Field("hi", 16, 16, RW, reset=-1, signed=True)), "data"))


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, match", [
    (dict(name="Bad"), "lower-case identifier"),
    (dict(name="w_stb"), "reserved"),
    (dict(lsb=-1), "lsb"),
    (dict(width=0), "do not fit"),
    (dict(lsb=30, width=4), "do not fit"),
    (dict(access="RW"), "access"),
    (dict(reset=16), "reset"),
    (dict(reset=-1), "reset"),
    (dict(signed=True, reset=8), "reset"),
    (dict(value_bits=5), "value_bits"),
])
def test_field_validation(kwargs, match):
    args = dict(name="f", lsb=0, width=4, access=RW) | kwargs
    with pytest.raises(ValueError, match=match):
        Field(**args)


@pytest.mark.parametrize("make, match", [
    (lambda: Register("x", 0, (Field("a", 0, 1, R),), "d"), "upper-case"),
    (lambda: Register("X", 2, (Field("a", 0, 1, R),), "d"), "word-aligned"),
    (lambda: Register("X", 0, (), "d"), "empty"),
    (lambda: Register("X", 0, (Field("a", 0, 4, R), Field("b", 3, 2, R)), "d"), "overlaps"),
    (lambda: Register("X", 0, (Field("a", 0, 1, R), Field("a", 1, 1, R)), "d"), "not unique"),
    (lambda: Register("X", 0, (Field("a", 0, 1, R),), "d", group="misc"), "group"),
    (lambda: _map(Register.word("A", 0, "R", "a"), Register.word("B", 0, "R", "b")),
     "share offset"),
    (lambda: _map(Register.word("A", 0, "R", "a"), Register.word("A", 4, "R", "b")), "not unique"),
    (lambda: _map(), "empty"),
    (lambda: _map(Register.word("A_B", 0, "R", "a"), Register("A", 4, (Field("b", 0, 1, R),), "b")),
     "constant A_B"),
])
def test_register_and_map_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_span_and_address_width_derive_from_the_last_offset():
    def one(off):
        return _map(Register.word("A", 0, "R", "a"), Register.word("B", off, "R", "b"))

    assert (one(0x04).span, one(0x04).addr_width) == (8, 3)
    assert (one(0xC8).span, one(0xC8).addr_width) == (0xCC, 8)
    assert (one(0xFC).span, one(0xFC).addr_width) == (0x100, 8)
    assert (one(0x100).span, one(0x100).addr_width) == (0x104, 9)
    assert one(0x100).bus_signature() == PeriphSignature(addr_width=9, id_width=4)
    assert one(0x100).bus_signature(id_width=3).id_width == 3


def test_ima_map_derives_the_control_port():
    assert CTRL_ADDR_WIDTH == IMA_MAP.addr_width == 8
    assert IMA_MAP.span == 0xD0              # J_ARRAY (0xCC) is the last register
    assert IMA_MAP.bus_signature() == PeriphSignature(addr_width=8, id_width=4)


def test_register_summaries():
    m = _small()
    assert [r.access for r in m] == ["RW", "RO", "W1C", "RW"]
    assert m["CTRL"].whole_word and not m["STAT"].whole_word
    assert m["CTRL"].reset == 3 and m["DATA"].reset == 0xFFFF0007
    assert m["STAT"].reset == 0                      # R fields hold nothing
    assert m.masks("STAT").COUNT == 0xFF00 and m["ERR"].mask == 0x21
    assert m.offsets.DATA == 0x0C
    mixed = Register("M", 0, (Field("a", 0, 1, R), Field("b", 1, 1, W1C)), "m")
    assert mixed.access == "mixed"
    with pytest.raises(ValueError, match="no field"):
        m["DATA"].pack(nope=1)


# ---------------------------------------------------------------- generators
def test_markdown_has_a_fields_table_per_register_with_fields():
    text = _small().markdown()
    assert "| 0x0C | DATA | RW | 0xFFFF0007 | fields | data |" in text
    assert "| 0x00 | CTRL | RW | 3 | u32 | control |" in text
    assert "## STAT fields (0x04)" in text and "| 15:8 | COUNT | R | - | u8 | count |" in text
    assert "## DATA fields (0x0C)" in text and "| 31:16 | HI | RW | -1 | s16 |  |" in text
    assert "## CTRL fields" not in text
    assert "4 registers, 16 bytes of address space (4 address bits)." in text


def test_python_constants_carry_offsets_masks_and_shifts():
    m, ns = _small(), {}
    exec(m.python_constants(), ns)
    assert ns["DATA"] == 0x0C and ns["SPAN"] == 16
    assert ns["STAT_COUNT"] == 0xFF00 and ns["STAT_COUNT_SHIFT"] == 8
    assert ns["E_B"] == 0x20 and ns["E_B_SHIFT"] == 5           # the register's prefix
    ns = {}
    exec(IMA_MAP.python_constants(), ns)
    for r in IMA_MAP:
        assert ns[r.name] == r.offset
        for f in ([] if r.whole_word else r.fields):
            assert ns[f"{r.prefix}_{f.name.upper()}"] == f.mask
            assert ns[f"{r.prefix}_{f.name.upper()}_SHIFT"] == f.shift


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_c_header_compiles_with_field_masks(tmp_path):
    (tmp_path / "dev_regs.h").write_text(_small().c_header())
    src = tmp_path / "t.c"
    src.write_text('#include "dev_regs.h"\n'
                   '_Static_assert(DEV_REG_DATA == 0x0C, "offset");\n'
                   '_Static_assert(DEV_STAT_COUNT == 0xFF00u, "mask");\n'
                   '_Static_assert(DEV_STAT_COUNT_SHIFT == 8, "shift");\n'
                   '_Static_assert(DEV_E_B == 0x20u, "prefix");\n'
                   '_Static_assert(DEV_REG_SPAN == 16, "span");\n'
                   "int main(void) { return DEV_REG_CTRL; }\n")
    subprocess.run(["gcc", "-Wall", "-Werror", "-c", str(src), "-o", str(tmp_path / "t.o")],
                   check=True, cwd=tmp_path)


# ---------------------------------------------------------------- packing (properties)
@st.composite
def fields_and_values(draw):
    width = draw(st.integers(1, 32))
    lsb = draw(st.integers(0, 32 - width))
    signed = draw(st.booleans())
    f = Field("f", lsb, width, RW, signed=signed)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    return f, draw(st.integers(lo, hi)), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(fields_and_values())
def test_field_put_get_roundtrip(case):
    f, value, noise = case
    word = f.put(value)
    assert word & ~f.mask == 0
    assert f.get(word) == value
    assert f.get(word | (noise & ~f.mask)) == value           # other bits do not leak in
    assert f.get(noise) == f.get(noise & f.mask)


@st.composite
def registers_and_values(draw):
    cuts = sorted(draw(st.sets(st.integers(1, 31), max_size=8)))
    bounds = [0, *cuts, 32]
    fields, values = [], {}
    for k, (lo, hi) in enumerate(pairwise(bounds)):
        if draw(st.booleans()):                                # leave some gaps
            continue
        signed = draw(st.booleans())
        w = hi - lo
        fields.append(Field(f"f{k}", lo, w, RW, signed=signed))
        values[f"f{k}"] = draw(st.integers(-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed
                               else st.integers(0, (1 << w) - 1))
    if not fields:
        fields, values = [Field("f", 0, 32, RW)], {"f": draw(st.integers(0, 2**32 - 1))}
    return Register("X", 0, tuple(fields), "x"), values


@settings(max_examples=300, derandomize=True, deadline=None)
@given(registers_and_values())
def test_register_pack_unpack_roundtrip(case):
    reg, values = case
    word = reg.pack(**values)
    assert 0 <= word < 2**32 and word & ~reg.mask == 0
    assert reg.unpack(word) == values


def test_ima_fields_match_the_documented_layout():
    """The IMA's fields, as docs/registers.md has always described them."""
    assert vars(IMA_MAP.masks("STATUS")) == {"RUNNING": 1, "LOCKED": 2, "RD_PENDING": 4,
                                             "PROG_PENDING": 8}
    assert vars(IMA_MAP.masks("INFO")) == {"PORTS": 0xFF, "CORES": 0xFF00, "DAC_DEPTH": 0xFFFF0000}
    assert vars(IMA_MAP.masks("ERROR")) == {
        "WINDOW": 1, "LENGTH": 2, "ADDRESS": 4, "ADC": 8, "NO_ACQUIRE": 16, "WEIGHT": 32,
        "PROG_WINDOW": 64, "ABORTED": 128, "ARRAY": 256}
    assert vars(IMA_MAP.masks("P_START_Y")) == vars(IMA_MAP.masks("PR_ADDR_Y")) == {
        "ROW": 0xFFFF, "ARRAY": 0xFFFF0000}
    assert vars(IMA_MAP.masks("PR_VAL")) == {"G_POS": 0xFFFF, "G_NEG": 0xFFFF0000}
    sp = IMA_MAP["SUBMIT_PLOT"]
    assert [(f.lsb, f.width, f.signed) for f in sp.fields] == [(4 * k, 4, True) for k in range(8)]
    assert sp.pack(w0=-7, w3=7, w7=-1) == 0xF0007009
