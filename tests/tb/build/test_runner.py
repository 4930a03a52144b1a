"""``tb.build.runner``: the build cache's fingerprint follows every file the Verilog depends on
(no simulation). It used to hash ``hw/**.py`` and ``tb/tops.py`` only, so a test top defined
elsewhere was reused stale after an edit."""

import importlib.util

from tb.build import runner


def _load(path):
    spec = importlib.util.spec_from_file_location("my_top", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_top


def test_fingerprint_follows_the_file_defining_the_top(tmp_path):
    src = tmp_path / "my_top.py"
    src.write_text("def make_top(**params):\n    return None  # version 1\n")
    first = runner._fingerprint("t", _load(src), {"a": 1})
    assert runner._fingerprint("t", _load(src), {"a": 1}) == first       # stable when unchanged
    src.write_text("def make_top(**params):\n    return None  # version 2\n")
    assert runner._fingerprint("t", _load(src), {"a": 1}) != first       # an edit rebuilds


def test_fingerprint_follows_parameters_and_name(tmp_path):
    src = tmp_path / "my_top.py"
    src.write_text("def make_top(**params):\n    return None\n")
    make_top = _load(src)
    base = runner._fingerprint("t", make_top, {"a": 1})
    assert runner._fingerprint("t", make_top, {"a": 2}) != base
    assert runner._fingerprint("u", make_top, {"a": 1}) != base


def test_bad_simulator_and_public_with_icarus_raise():
    import pytest
    with pytest.raises(ValueError, match="simulator must be one of verilator, icarus, not 'xcelium'"):
        runner.build("t", lambda: None, {}, simulator="xcelium")
    with pytest.raises(ValueError, match="public applies to Verilator builds only"):
        runner.build("t", lambda: None, {}, simulator="icarus", public=[("t", "*")])


def test_sibling_verilog_reused_only_for_the_same_fingerprint(tmp_path):
    """An Icarus build reuses the Verilog a Verilator build of the same configuration wrote (and
    the reverse) instead of elaborating again -- never a sibling's of another fingerprint."""
    other, mine = tmp_path / "nowaves-O0", tmp_path / "icarus"
    other.mkdir()
    mine.mkdir()
    (other / "top.v").write_text("module top; endmodule\n")
    (other / "fingerprint").write_text("abc")
    assert runner._sibling_verilog(mine, "top", "abc") == "module top; endmodule\n"
    assert runner._sibling_verilog(mine, "top", "abd") is None
    assert runner._sibling_verilog(other, "top", "abc") is None        # never itself


def test_fingerprint_follows_the_top_helpers(tmp_path, monkeypatch):
    """A test top's RTL helper outside ``hw/`` (the registered reset, tb/build/reset.py) is
    hashed too: an edit of it regenerates the Verilog."""
    src = tmp_path / "my_top.py"
    src.write_text("def make_top(**params):\n    return None\n")
    assert runner.PROJECT_ROOT / "tb" / "build" / "reset.py" in runner.TOP_HELPERS
    helper = tmp_path / "helper.py"
    helper.write_text("# version 1\n")
    monkeypatch.setattr(runner, "TOP_HELPERS", (helper,))
    first = runner._fingerprint("t", _load(src), {})
    helper.write_text("# version 2\n")
    assert runner._fingerprint("t", _load(src), {}) != first
