"""``ima-sim regs`` and ``ima-sim verilog`` (tb/cli/hw.py): the register maps of both blocks in
the three formats, the checked-in docs/dwa_registers.md up to date, and bad options refused with
one line on stderr, exit status 2 and nothing written.
"""

import shutil
import subprocess

import pytest

from hw.dwa.regmap import DWA_MAP
from hw.ima.regmap import IMA_MAP
from tb.build.runner import PROJECT_ROOT
from tb.cli.main import main

MAPS = {"ima": IMA_MAP, "dwa": DWA_MAP}


@pytest.mark.parametrize("fmt,method", [("md", "markdown"), ("c", "c_header"),
                                        ("py", "python_constants")])
@pytest.mark.parametrize("block", ["ima", "dwa"])
def test_regs_prints_the_blocks_map(capsys, block, fmt, method):
    assert main(["regs", "--block", block, "--format", fmt]) == 0
    assert capsys.readouterr().out == getattr(MAPS[block], method)() + "\n"


def test_regs_default_block_is_the_ima(capsys):
    assert main(["regs"]) == 0
    assert capsys.readouterr().out == IMA_MAP.markdown() + "\n"


def test_docs_dwa_registers_md_is_generated_from_the_table():
    text = (PROJECT_ROOT / "docs" / "dwa_registers.md").read_text()
    assert text.rstrip("\n") == DWA_MAP.markdown().rstrip("\n"), \
        "docs/dwa_registers.md is stale: run `ima-sim regs --block dwa -o docs/dwa_registers.md`"
    assert "`ima-sim regs --block dwa --format md`" in text


def test_regs_writes_a_file(tmp_path):
    out = tmp_path / "dwa_regs.h"
    assert main(["regs", "--block", "dwa", "--format", "c", "-o", str(out)]) == 0
    assert out.read_text() == DWA_MAP.c_header()


def test_regs_python_constants_match_the_table():
    ns = {}
    exec(DWA_MAP.python_constants(), ns)            # noqa: S102 (generated from our own table)
    assert {r.name: ns[r.name] for r in DWA_MAP} == {r.name: r.offset for r in DWA_MAP}
    assert ns["SPAN"] == DWA_MAP.span


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_dwa_c_header_compiles_next_to_the_imas(tmp_path):
    """Both headers in one translation unit: no clashing names, the offsets as in the tables."""
    (tmp_path / "ima_regs.h").write_text(IMA_MAP.c_header())
    (tmp_path / "dwa_regs.h").write_text(DWA_MAP.c_header())
    src = tmp_path / "t.c"
    src.write_text('#include "ima_regs.h"\n#include "dwa_regs.h"\n'
                   f"_Static_assert(DWA_REG_DW_STRIDE == {DWA_MAP['DW_STRIDE'].offset}, \"offset\");\n"
                   f"_Static_assert(DWA_REG_SPAN == {DWA_MAP.span}, \"span\");\n"
                   "int main(void) { return DWA_REG_TRIGGER + IMA_REG_TRIGGER; }\n")
    p = subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-o", str(tmp_path / "t"), str(src)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_regs_rejects_an_unknown_block(capsys):
    with pytest.raises(SystemExit) as e:
        main(["regs", "--block", "npu"])
    assert e.value.code == 2
    assert "--block" in capsys.readouterr().err


@pytest.mark.parametrize("args,name", [(["--dwa-arrangement", "both"], "--dwa-arrangement must"),
                                       (["--ports", "17"], "--ports must"),
                                       (["--tcdm-bytes", "1000"], "--tcdm-bytes must"),
                                       (["--set", "banks=3"], "--set banks"),
                                       (["--set", "clock=1"], "--set clock"),
                                       (["--set", "overlap=maybe"], "--set overlap")])
def test_verilog_rejects_a_bad_option(tmp_path, capsys, args, name):
    out = tmp_path / "v"
    with pytest.raises(SystemExit) as e:
        main(["verilog", "-o", str(out), *args])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ima-sim: error:") and name in err[0], err
    assert not out.exists()


def test_verilog_rejects_a_bad_preset(tmp_path, capsys):
    out = tmp_path / "v"
    with pytest.raises(SystemExit) as e:
        main(["verilog", "-o", str(out), "--preset", "nope"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ima-sim: error: --preset must be one of aicas2021, jetcas2022, not 'nope'"]
    assert not out.exists()


@pytest.mark.parametrize("argv,expect", [
    ([], ("aicas2021", {})),
    (["--preset", "jetcas2022"], ("jetcas2022", {})),
    (["--preset", "jetcas2022", "--ports", "2", "--dwa-arrangement", "separate"],
     ("jetcas2022", {"ports": 2, "dwa_arrangement": "separate"})),
])
def test_verilog_writes_the_presets_configuration(tmp_path, monkeypatch, argv, expect):
    """``generate`` gets the preset's configuration and only the parameters given on the line,
    so ``--preset jetcas2022`` writes 256x256 arrays, 32 banks, the overlapped engine."""
    import hw.flow.verilog
    from hw.config import preset
    seen = {}

    def fake(out, config=None, **kw):
        seen.update(kw, config=config)
        return {"tops": [{"file": "ima.v"}]}
    monkeypatch.setattr(hw.flow.verilog, "generate", fake)
    assert main(["verilog", "-o", str(tmp_path / "v"), *argv]) == 0
    name, flat = expect
    assert seen.pop("config") == preset(name)
    assert {k: v for k, v in seen.items() if k not in ("log", "analog", "latency")} == flat
    cfg = preset(name).with_(**flat)
    assert (cfg.banks, cfg.ima.rows) == ((32, 256) if name == "jetcas2022" else (16, 2048))
