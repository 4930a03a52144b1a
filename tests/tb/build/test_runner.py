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
