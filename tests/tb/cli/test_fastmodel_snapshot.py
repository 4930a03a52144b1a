"""tb.cli.fastmodel_snapshot: a snapshot equals itself on a second run, and ``compare`` names a
changed result and exits 1 (0 when nothing differs, 2 on a bad file)."""

import pickle

import pytest

from tb.cli import fastmodel_snapshot as snap

SMALL = [["--input-size", "32", "--width", "0.35", "--classes", "10"]]


def test_snapshot_is_reproducible_and_compare_finds_a_change(tmp_path, capsys):
    a = snap.snapshot(SMALL, layers=12)
    b = snap.snapshot(SMALL, layers=12)
    assert a == b and snap.differences(a, b) == []
    assert len(a["layer_cost"]) > 12
    name = " ".join(SMALL[0])
    layers, total, steps = b[name]
    b[name] = (layers, [(k, ("int", "1")) if k == "cycles" else (k, v) for k, v in total], steps)
    assert snap.differences(a, b) == [name]
    pa, pb = tmp_path / "a.pkl", tmp_path / "b.pkl"
    pa.write_bytes(pickle.dumps(a))
    pb.write_bytes(pickle.dumps(b))
    assert snap.main(["compare", str(pa), str(pa)]) == 0
    assert snap.main(["compare", str(pa), str(pb)]) == 1
    assert f"differs: {name}" in capsys.readouterr().out


def test_compare_names_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.pkl"
    bad.write_text("not a pickle")
    with pytest.raises(SystemExit) as e:
        snap.main(["compare", str(bad), str(bad)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and str(bad) in err and len(err.strip().splitlines()) == 1
