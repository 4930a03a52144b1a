"""``ima-sim place`` (tb/cli/place.py): the MobileNetV2 placement report in text and JSON, the
JSON's placements consistent with sim_models.placement, and bad options refused with one line on
stderr, exit status 2 and nothing on stdout."""

import json

import pytest

from sim_models.nets.mobilenetv2 import mobilenetv2, xbar_matrices
from sim_models.placement import tile_and_pack
from tb.cli.main import main


def run_json(capsys, *args):
    assert main(["place", "--json", *args]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    return json.loads(out)


def test_text_report(capsys):
    assert main(["place", "--model", "mobilenetv2"]) == 0
    out = capsys.readouterr().out
    assert "arrays used: 34 (21 full" in out
    assert "paper (Garofalo et al. 2022, Sec. VI): 34 arrays, most full, the last under 84 %" in out
    assert " 0: 100.0" in out and "33:  14.6" in out
    assert "2.19 M without the fc (Garofalo et al.: 2.19 M)" in out
    assert "300.77 M in all" in out and "281.65 M" in out


def test_json_matches_the_library(capsys):
    r = run_json(capsys)
    fp = tile_and_pack(xbar_matrices(mobilenetv2()))
    assert r["arrays_used"] == fp.arrays_used == 34 and r["tiles"] == len(fp.placements)
    assert r["fill"] == [round(f, 6) for f in fp.fill()]
    assert [(p["layer"], tuple(p["tile"]), p["array"], p["row"], p["col"], p["height"], p["width"])
            for p in r["placements"]] == [
        (p.layer, p.tile, p.array, p.row, p.col, p.height, p.width) for p in fp.placements]
    assert r["paper"]["garofalo2022"]["arrays"] == 34
    assert r["params_without_fc"] == 2_189_760 and r["macs_total"] == 300_774_272
    assert run_json(capsys) == r                        # deterministic


def test_with_fc_and_rectangular_arrays(capsys):
    r = run_json(capsys, "--with-fc")
    assert r["placed_kinds"] == ["conv", "pointwise", "fc"] and r["weights"] == 3_405_536
    assert r["arrays_used"] >= 52                       # 3,405,536 weights / 65,536 cells
    r = run_json(capsys, "--array-rows", "512", "--array-cols", "128", "--arrays", "40")
    assert r["array_rows"] == 512 and r["arrays"] == 40 and len(r["fill"]) == r["arrays_used"] <= 40
    assert all(p["height"] <= 512 and p["width"] <= 128 for p in r["placements"])


@pytest.mark.parametrize("args,message", [
    (["--arrays", "33"], "layer 'b"),                   # too few arrays: names the layers
    (["--arrays", "0"], "--arrays must be a positive integer"),
    (["--array-rows", "0"], "--array-rows must be a positive integer"),
    (["--array-cols", "-4"], "--array-cols must be a positive integer"),
])
def test_bad_option_one_line_exit_2(capsys, args, message):
    with pytest.raises(SystemExit) as e:
        main(["place", *args])
    assert e.value.code == 2
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ima-sim: error:") and message in err[0], err
    assert cap.out == ""


def test_other_zoo_networks(capsys):
    """The other zoo networks place from their shape-only graphs: ResNet-18's 171 arrays are its
    11,166,912 conv weights / 65,536 cells rounded up (a perfect packing), SqueezeNet's 20."""
    r = run_json(capsys, "--model", "resnet18")
    assert r["arrays_used"] == 171 and r["weights"] == 11_678_912 - 512_000 and r["paper"] == {}
    assert r["weights_by_kind"]["fc"] == 512_000 and r["macs_total"] == 1_814_073_344
    assert run_json(capsys, "--model", "squeezenet1_1")["arrays_used"] == 20


@pytest.mark.parametrize("args", [["--model", "resnet"], ["--arrays", "many"]])
def test_argparse_refuses(capsys, args):
    with pytest.raises(SystemExit) as e:
        main(["place", *args])
    assert e.value.code == 2 and capsys.readouterr().out == ""
