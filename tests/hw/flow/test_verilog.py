"""Verilog generation (hw/flow/verilog.py, ``ima-sim verilog``): a parameter sweep that lints clean.

Each configuration is generated and linted with ``verilator --lint-only -Wall`` plus the waivers
in hw/flow/lint_waivers.vlt (no synthesis here: ``make lint`` / ``make synth`` run Yosys). The sweep
covers N = 1 and 16, the smallest array and buffers and the largest array, both analog
variants, the TCDM and the cluster top. Bad parameters fail with a ValueError naming them.
"""

import json

import pytest

from hw.flow.lint import verilator_lint
from hw.flow.verilog import generate

# (id, generate() keyword arguments, tops). Sizes keep the whole file under a minute.
SWEEP = [
    ("N1-smallest-twin", dict(ports=1, rows=4, cols=4, dac_depth=4, adc_depth=4, tcdm_bytes=64,
                              banks=1, analog="twin"), ("ima", "ima_with_analog", "tcdm_subsystem")),
    ("N16-largest-array-blackbox", dict(ports=16, rows=32768, cols=32768, dac_depth=32,
                                        adc_depth=16, tcdm_bytes=4096, analog="blackbox"),
     ("ima_with_analog",)),
    ("N4-cluster", dict(ports=4, rows=64, cols=32, dac_depth=16, adc_depth=8, tcdm_bytes=4096,
                        banks=16), ("cluster",)),
]


@pytest.mark.parametrize("kw,tops", [(k, t) for _, k, t in SWEEP], ids=[i for i, _, _ in SWEEP])
def test_generate_and_lint(tmp_path, kw, tops):
    man = generate(tmp_path, tops=tops, **kw)
    written = [t["top"] for t in man["tops"]]
    assert written == list(tops)
    disk = json.loads((tmp_path / "manifest.json").read_text())
    assert disk["parameters"]["ports"] == kw["ports"] and disk["parameters"]["analog"] == \
        kw.get("analog", "blackbox")
    for entry in man["tops"]:
        for src in entry["sources"]:
            assert (tmp_path / src).stat().st_size > 0
        ports = {p["name"]: p for p in entry["ports"]}
        assert ports["clk"]["dir"] == "input" and ports["rst"]["dir"] == "input"
        n = kw["ports"]
        if entry["top"] in ("ima", "ima_with_analog"):
            assert ports["ctrl__req"]["dir"] == "input" and ports["ctrl__r_data"]["width"] == 32
            assert ports["evt"]["width"] == 8
            for k in (0, n - 1):
                assert ports[f"tcdm_load__{k}__addr"] == {"name": f"tcdm_load__{k}__addr",
                                                          "dir": "output", "width": 32,
                                                          "signed": False}
                assert ports[f"tcdm_store__{k}__wdata"]["dir"] == "output"
            assert f"tcdm_load__{n}__req" not in ports
        stat = {"ima": "stat", "ima_with_analog": "stat", "cluster": "ima_stat"}.get(entry["top"])
        if stat:                            # hw.ima.stats.ImaStatsSignature
            assert ports[f"{stat}__busy"]["dir"] == "output" and ports[f"{stat}__busy"]["width"] == 1
            for k in ("streamin", "compute", "streamout", "jobs"):
                assert ports[f"{stat}__{k}"]["dir"] == "output" and ports[f"{stat}__{k}"]["width"] == 32
        if entry["top"] in ("ima", "cluster"):
            assert ports["ac__dac"]["width"] == 8 * kw["dac_depth"]
            assert ports["ac__adc"] == {"name": "ac__adc", "dir": "input",
                                        "width": 8 * kw["adc_depth"], "signed": False}
        if entry["top"] == "ima_with_analog":
            assert not any(name.startswith("ac__") for name in ports)
        ok, text, _ = verilator_lint(tmp_path, entry)
        assert ok, f"verilator -Wall on {entry['top']}:\n{text[:3000]}"
    if kw.get("analog", "blackbox") == "blackbox" and "ima_with_analog" in tops:
        stub = (tmp_path / "ima_analog_core.v").read_text()
        assert "(* blackbox *)" in stub and "module ima_analog_core" in stub
        assert f"output wire [{8 * kw['adc_depth'] - 1}:0] adc" in stub


@pytest.mark.parametrize("bad,name", [
    (dict(ports=0), "ports"), (dict(ports=17), "ports"), (dict(rows=0), "rows"),
    (dict(cols=40000), "cols"), (dict(dac_depth=4096, rows=64), "dac_depth"),
    (dict(adc_depth=2), "adc_depth"), (dict(tcdm_bytes=1000), "tcdm_bytes"),
    (dict(banks=3), "banks"), (dict(analog="spice"), "analog"),
    (dict(analog="twin", latency=1), "latency"),
    (dict(analog="twin", rows=4096, cols=4096), "rows \\* cols"),
])
def test_bad_parameters_name_the_parameter(tmp_path, bad, name):
    with pytest.raises(ValueError, match=name):
        generate(tmp_path, **bad)


def test_cli_rejects_bad_parameter(tmp_path, capsys):
    from tb.cli.main import main
    with pytest.raises(SystemExit) as e:
        main(["verilog", "-o", str(tmp_path), "--ports", "17"])
    assert e.value.code == 2
    assert "ports" in capsys.readouterr().err


# (id, generate() keyword arguments, tops) of the depth-wise accelerator's tops, one per
# arrangement (the plain cluster once, to compare the port lists).
DWA_SWEEP = [
    ("N2-separate", dict(ports=2, rows=64, cols=32, dac_depth=16, adc_depth=8, tcdm_bytes=4096,
                         banks=16, dwa_arrangement="separate"), ("cluster", "dwa", "cluster_dwa")),
    ("N1-shared", dict(ports=1, rows=64, cols=32, dac_depth=16, adc_depth=8, tcdm_bytes=4096,
                       banks=4, dwa_arrangement="shared"), ("dwa", "cluster_dwa")),
]


@pytest.mark.parametrize("kw,tops", [(k, t) for _, k, t in DWA_SWEEP], ids=[i for i, _, _ in DWA_SWEEP])
def test_dwa_tops_generate_and_lint(tmp_path, kw, tops):
    """``dwa.v`` (the accelerator alone) and ``cluster_dwa.v`` (the cluster with it) next to an
    unchanged ``cluster.v``: ports as documented, manifest parameters, lint clean."""
    from hw.cluster.periph import DWA_BASE
    from hw.config import preset
    man = generate(tmp_path, tops=tops, **kw)
    assert [t["top"] for t in man["tops"]] == list(tops)
    cfg = preset().with_(dwa=True, **{k: v for k, v in kw.items()})
    n, c = kw["ports"], cfg.n_cores
    par = man["parameters"]
    assert par["dwa_ports"] == n and par["dwa_arrangement"] == kw["dwa_arrangement"]
    assert par["dwa_base"] == DWA_BASE and par["cluster_dwa_tcdm_masters"] == cfg.masters
    assert par["tcdm_masters"] == cfg.with_(dwa=False).masters
    ports = {e["top"]: {p["name"]: p for p in e["ports"]} for e in man["tops"]}
    dwa = ports["dwa"]
    assert dwa["ctrl__addr"]["width"] == 7 and dwa["ctrl__addr"]["dir"] == "input"
    assert dwa["evt"] == {"name": "evt", "dir": "output", "width": c, "signed": False}
    assert f"tcdm__{n - 1}__req" in dwa and f"tcdm__{n}__req" not in dwa
    for k in ("busy", "cycles", "mac_cycles", "stalled", "jobs"):
        assert dwa[f"stat__{k}"]["dir"] == "output"
    full = ports["cluster_dwa"]
    assert full["core_periph__0__addr"]["width"] == 9 and full["dwa_evt"]["width"] == c
    assert full["dwa_stat__busy"]["width"] == 1 and full["dwa_stat__jobs"]["width"] == 32
    assert f"tcdm_stat__granted__{cfg.masters - 1}" in full
    assert f"tcdm_stat__granted__{cfg.masters}" not in full
    if "cluster" in ports:                 # the DWA adds exactly its own ports (and masters)
        plain = ports["cluster"]
        assert plain["core_periph__0__addr"]["width"] == 8 and "dwa_evt" not in plain
        assert set(full) - set(plain) == (
            {"dwa_evt"} | {f"dwa_stat__{k}" for k in ("busy", "cycles", "mac_cycles", "stalled", "jobs")}
            | {f"tcdm_stat__{s}__{m}" for s in ("granted", "stalled")
               for m in range(cfg.with_(dwa=False).masters, cfg.masters)})
    for entry in man["tops"]:
        ok, text, _ = verilator_lint(tmp_path, entry)
        assert ok, f"verilator -Wall on {entry['top']}:\n{text[:3000]}"


def test_bad_dwa_arrangement_names_it(tmp_path):
    with pytest.raises(ValueError, match="dwa_arrangement"):
        generate(tmp_path / "out", dwa_arrangement="both")
    assert not (tmp_path / "out").exists()


def test_multi_array_verilog_lints_and_lists_one_macro_per_array(tmp_path, capsys):
    """``ima-sim verilog --arrays 4``: ``ima`` and ``cluster`` carry the 2-bit array indices on
    the boundary, ``ima_with_analog`` instantiates four ``ima_analog_core`` macros behind the
    ArrayDemux (single-array port list each), the manifest lists them, verilator -Wall is clean."""
    from tb.cli.main import main
    out = tmp_path / "v"
    assert main(["verilog", "-o", str(out), "--arrays", "4", "--ports", "2", "--rows", "64",
                 "--cols", "32", "--dac-depth", "16", "--adc-depth", "8",
                 "--tcdm-bytes", "4096"]) == 0
    capsys.readouterr()
    man = json.loads((out / "manifest.json").read_text())
    assert man["parameters"]["arrays"] == 4
    assert man["analog_macros"] == [{"instance": f"analog_{k}", "module": "ima_analog_core",
                                     "array": k, "rows": 64, "cols": 32} for k in range(4)]
    text = (out / "ima_with_analog.v").read_text()
    for k in range(4):
        assert f"ima_analog_core analog_{k} (" in text
    assert "ima_analog_core analog (" not in text
    stub = (out / "ima_analog_core.v").read_text()
    assert "array" not in stub.split("module", 1)[1]         # the macro is single-array
    for entry in man["tops"]:
        ports = {p["name"]: p for p in entry["ports"]}
        if entry["top"] in ("ima", "cluster"):
            for n in ("array", "prog_array", "rd_array"):
                assert ports[f"ac__{n}"] == {"name": f"ac__{n}", "dir": "output", "width": 2,
                                             "signed": False}
        if entry["top"] in ("ima", "ima_with_analog", "cluster", "cluster_dwa"):
            ok, lint, _ = verilator_lint(out, entry)
            assert ok, f"verilator -Wall on {entry['top']}:\n{lint[:3000]}"


def test_single_array_boundary_keeps_its_ports(tmp_path):
    """arrays = 1 (every preset's default): no index ports, one macro named ``analog``."""
    man = generate(tmp_path, tops=("ima", "ima_with_analog"), ports=1, rows=16, cols=16,
                   dac_depth=4, adc_depth=4, tcdm_bytes=1024)
    ima = {p["name"] for p in man["tops"][0]["ports"]}
    assert not {"ac__array", "ac__prog_array", "ac__rd_array"} & ima
    assert [m["instance"] for m in man["analog_macros"]] == ["analog"]
    assert "ima_analog_core analog (" in (tmp_path / "ima_with_analog.v").read_text()
