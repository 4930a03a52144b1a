"""The register table: invariants, LayerJob encode/decode, generated docs up to date, C header
compiles, and the RTL's reset values / decode agree with the table (Amaranth simulator)."""

import shutil
import subprocess

import pytest
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from hw.config import ImaConfig
from hw.ima import regmap
from hw.ima.controller import Controller
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D
from tb.build.runner import PROJECT_ROOT


def test_table_invariants():
    offsets = [r.offset for r in regmap.REGISTERS]
    assert len(offsets) == len(set(offsets))
    assert [r.name for r in regmap.REGISTERS[:6]] == ["TRIGGER", "ACQUIRE", "FINISHED", "STATUS",
                                                      "RUNNING_JOB", "SOFT_CLEAR"]
    assert offsets[:6] == [0x00, 0x04, 0x08, 0x0C, 0x10, 0x14]      # the HWPE block, exactly
    assert all(r.offset >= 0x40 for r in regmap.REGISTERS if r.group == "job")
    assert all(0x20 <= r.offset < 0x40 for r in regmap.REGISTERS if r.group == "global")


ints = st.integers
walks = st.builds(Walk3D, ints(1, 0xFFFF), ints(1, 0xFFFF), ints(-2**31, 2**31 - 1),
                  ints(1, 0xFFFF), ints(-2**31, 2**31 - 1))
loops = st.builds(JobLoop, ints(1, 0xFFFF), ints(-2**31, 2**31 - 1), ints(-2**31, 2**31 - 1),
                  ints(-2**15, 2**15 - 1), ints(-2**15, 2**15 - 1))


@settings(max_examples=200, deadline=None)
@given(walks, walks, ints(0, 2**31), ints(0, 2**31), ints(0, 0xFFFF), ints(0, 0xFFFF),
       ints(1, 0xFFFF), ints(1, 0xFFFF), ints(-2**15, 2**15 - 1), ints(0, 31), ints(-128, 255),
       ints(-128, 255), st.tuples(loops, loops, loops), ints(0, 0xFFFF))
def test_encode_decode_roundtrip(src, dst, sa, da, row, col, h, w, m, s, lo, hi, lps, array):
    layer = LayerJob(sa, da, src, dst, row, col, h, w, m, s, lo, hi, lps, array)
    values = dict(regmap.encode_layer(layer))
    assert all(0 <= v < 2**32 for v in values.values())
    assert regmap.decode_layer(values) == layer
    assert values[regmap.REG.J_ARRAY] == array


def test_docs_registers_md_is_generated_from_the_table():
    text = (PROJECT_ROOT / "docs" / "registers.md").read_text()
    assert text.rstrip("\n") == regmap.markdown().rstrip("\n"), \
        "docs/registers.md is stale: run `ima-sim regs --format md -o docs/registers.md`"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_c_header_compiles(tmp_path):
    (tmp_path / "ima_regs.h").write_text(regmap.c_header())
    src = tmp_path / "t.c"
    src.write_text('#include "ima_regs.h"\n'
                   f"_Static_assert(IMA_REG_J_START_X == {regmap.REG.J_START_X}, \"offset\");\n"
                   f"_Static_assert(IMA_ERR_ABORTED == {regmap.ERR.ABORTED}, \"bit\");\n"
                   "int main(void) { return IMA_REG_TRIGGER; }\n")
    subprocess.run(["gcc", "-Wall", "-Werror", "-c", str(src), "-o", str(tmp_path / "t.o")],
                   check=True, cwd=tmp_path)


def test_python_constants_module():
    ns = {}
    exec(regmap.python_constants(), ns)
    assert all(ns[r.name] == r.offset for r in regmap.REGISTERS)


def test_rtl_reset_values_match_the_table():
    """Read every RW register through the controller's bus after reset (Amaranth simulator)."""
    cfg = ImaConfig(ports=1)
    dut = Controller(cfg)
    seen = {}

    async def tb(ctx):
        for r in regmap.REGISTERS:
            ctx.set(dut.ctrl.req, 1)
            ctx.set(dut.ctrl.addr, r.offset)
            ctx.set(dut.ctrl.we, 0)
            assert ctx.get(dut.ctrl.gnt)
            await ctx.tick()
            ctx.set(dut.ctrl.req, 0)
            assert ctx.get(dut.ctrl.r_valid)
            seen[r.name] = ctx.get(dut.ctrl.r_data)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    for r in regmap.REGISTERS:
        if r.access == "RW":
            assert seen[r.name] == r.reset, r.name
    # Reading ACQUIRE (0x04, before STATUS) took the lock: job id 0, then STATUS shows "locked".
    assert seen["ACQUIRE"] == 0 and seen["STATUS"] == regmap.STATUS.pack(locked=1)
    assert seen["ERROR"] == 0
    assert regmap.INFO.unpack(seen["INFO"]) == {"ports": 1, "cores": cfg.n_cores,
                                               "dac_depth": cfg.dac_depth}
