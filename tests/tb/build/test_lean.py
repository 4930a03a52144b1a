"""Lean builds (issue 15): only the signals a testbench touches are public to the VPI, by default
for every top that names them (``tb.build.runner.build(public=...)``); the full-visibility build
on request (``debug`` / ``IMA_DEBUG_BUILD``). That a lean model behaves exactly as the full one is
the reference set's test (tests/tb/cli/test_refset.py: figures recorded on the full build, re-run
on the lean one). Here: the one decision, the build arguments and directories, the C++ level."""

import pytest
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import preset
from tb.build import runner
from tb.build.cluster import LEAN_PUBLIC, build_cluster


def test_public_config_text():
    text = runner.public_config(LEAN_PUBLIC)
    lines = text.splitlines()
    assert lines[0] == "`verilator_config"
    assert lines[1] == 'public_flat_rd -module "cluster" -var "*"'
    assert len(lines) == 1 + len(LEAN_PUBLIC)


def test_public_config_read_only_entries():
    text = runner.public_config([("m", "a"), ("m", "b", "rw"), ("m.x", "c*", "rd")])
    assert text.splitlines()[1:] == ['public_flat_rw -module "m" -var "a"',
                                     'public_flat_rw -module "m" -var "b"',
                                     'public_flat_rd -module "m.x" -var "c*"']


def test_cluster_monitor_ports_are_read_only_and_tied_to_their_module():
    """Only what the VPI writes is writable (a writable signal puts its readers on every eval);
    the accelerators' ports are public in the IMA / DWA module only, not in every module that
    forwards them (the streamers' ``tcdm__*``)."""
    for item in LEAN_PUBLIC:
        if any(v in item[1] for v in ("tcdm_load", "tcdm_store", "tcdm__", "core_tcdm")):
            assert item[2:] == ("rd",) and item[0] != "*", item


@pytest.mark.parametrize("imas, dwa", [(1, False), (3, False), (1, True)])
def test_every_monitored_port_is_public(imas, dwa):
    """Each (instance, port) the Python monitors watch (hw.verif.checker.checked_ports) is matched
    by a pattern of its own module, multi-IMA clusters included."""
    from fnmatch import fnmatchcase

    from hw.verif.checker import checked_ports
    cfg = preset("aicas2021").with_(imas=imas, dwa=dwa)
    for inst, port in checked_ports(cfg):
        assert any(fnmatchcase(f"cluster.cluster.{inst}", p[0]) and fnmatchcase(f"{port}__req", p[1])
                   for p in LEAN_PUBLIC), (inst, port)
    assert not any(fnmatchcase("cluster.cluster.ima.engine", p[0]) and "tcdm" in p[1]
                   for p in LEAN_PUBLIC)


@pytest.mark.parametrize("bad", [["bank*"], [("*",)], [("*", "")], [("*", 'a"b')], [("*", 3)],
                                 [("*", "x", "wr")], [("*", "x", "rd", "rw")]])
def test_public_config_rejects_bad_entries(bad):
    with pytest.raises(ValueError, match="public"):
        runner.public_config(bad)


def test_build_cluster_rejects_non_bool_debug():
    with pytest.raises(ValueError, match="debug"):
        build_cluster(preset(), debug="yes")


@pytest.mark.parametrize("env, debug, full", [("", False, False), ("0", False, False),
                                               ("", True, True), ("1", False, True)])
def test_debug_build_requested(env, debug, full, monkeypatch):
    monkeypatch.setenv("IMA_DEBUG_BUILD", env)
    assert runner.debug_build_requested(debug) is full


@pytest.mark.parametrize("fast, opt, level", [("1", None, "O0"), ("1", "O2", "O0"),
                                               ("0", None, runner.OPTIMISED_CXX_OPT),
                                               ("0", "Os", "Os"), ("", "O3", "O3")])
def test_cxx_opt(fast, opt, level, monkeypatch):
    monkeypatch.setenv("IMA_FAST_BUILD", fast)
    assert runner.cxx_opt(opt) == level


def test_cxx_opt_rejects_an_unknown_level():
    with pytest.raises(ValueError, match="opt must be one of"):
        runner.cxx_opt("O9")


class _Tiny(wiring.Component):
    a: In(1)
    y: Out(1)

    def elaborate(self, platform):
        from amaranth import Module
        m = Module()
        m.d.comb += self.y.eq(self.a)
        return m


class _FakeRunner:
    def __init__(self):
        self.calls = []

    def build(self, **kw):
        self.calls.append(kw)


@pytest.mark.parametrize("fast, env, debug, opt, suffix, lean", [
    ("1", "", False, None, "nowaves-O0-lean", True),        # the regression's default
    ("1", "", True, None, "nowaves-O0", False),             # today's -O0 directory, full
    ("1", "1", False, None, "nowaves-O0", False),           # IMA_DEBUG_BUILD=1
    ("0", "", False, None, "nowaves-lean", True),           # make sim / bench (-Os)
    ("0", "", False, "O2", "nowaves-O2-lean", True),        # another level: named
    ("0", "", True, "Os", "nowaves", False),                # today's optimised directory, full
])
def test_build_arguments_and_directory(fast, env, debug, opt, suffix, lean, monkeypatch, tmp_path):
    """Lean: ``--no-public-flat-rw`` and the configuration file after cocotb's flag, its own
    directory; the C++ level named in the directory (not verilated.mk's -Os: today's names)."""
    monkeypatch.setenv("IMA_FAST_BUILD", fast)
    monkeypatch.setenv("IMA_DEBUG_BUILD", env)
    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path)
    fake = _FakeRunner()
    monkeypatch.setattr(runner, "get_runner", lambda name: fake)
    runner.build("tiny", _Tiny, {}, public=(("tiny", "*"),), debug=debug, opt=opt)
    (kw,) = fake.calls
    assert kw["build_dir"] == tmp_path / "sim_build" / "tiny" / "default" / suffix
    args = kw["build_args"]
    assert ("--no-public-flat-rw" in args) is lean
    assert (kw["build_dir"] / "public.vlt").exists() is lean
    level = runner.cxx_opt(opt)
    cflags = [args[i + 1] for i, x in enumerate(args) if x == "-CFLAGS"]
    assert cflags == ([] if level == "Os" else [f"-{level}"])


def test_a_top_without_a_public_list_is_always_full(monkeypatch, tmp_path):
    monkeypatch.setenv("IMA_FAST_BUILD", "1")
    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path)
    fake = _FakeRunner()
    monkeypatch.setattr(runner, "get_runner", lambda name: fake)
    runner.build("tiny", _Tiny, {})
    assert "--no-public-flat-rw" not in fake.calls[0]["build_args"]
    assert fake.calls[0]["build_dir"].name == "nowaves-O0"



def _block_publics():
    """The lean public sets of the block test tops: (name, top module, patterns)."""
    from tb.build import dwa, ima, tcdm
    cfg = preset()
    ima_params, dwa_params = cfg.build_params(ima.KEY), cfg.build_params(dwa.KEY)
    return [("ima", ima.TOP, ima.lean_public(ima.TOP, ima_params)),
            ("twin-cores", ima.TWIN_TOP,
             ima.lean_public(ima.TWIN_TOP, ima_params | {"cores": True})),
            ("dwa", dwa.TOP, dwa.lean_public(dwa_params)),
            ("dwa-cores", dwa.TOP, dwa.lean_public(dwa_params | {"cores": True})),
            ("tcdm", tcdm.TOP, tcdm.lean_public(tcdm.geometry(cfg)))]


@pytest.mark.parametrize("name, top, public", _block_publics(), ids=[b[0] for b in _block_publics()])
def test_block_tops_name_their_ports_and_tie_patterns_to_modules(name, top, public):
    """The block test tops' lean builds (tb.build.ima / dwa / tcdm): the top's ports by name, never
    ``(top, "*")`` (that made its internal wires writable: the accelerator's and the banks') nor a
    pattern for every module; the accelerators' TCDM ports read only, in the accelerator's module;
    the twin's weights only in the twin's top."""
    from fnmatch import fnmatchcase
    assert runner.public_config(public)                    # well-formed
    assert all(item[0] != "*" and item[1] != "*" for item in public), public
    port = "masters__*" if name == "tcdm" else "tb__*"
    assert {(top, "clk"), (top, "rst"), (top, port)} <= set(public)
    for item in public:
        if item[0] == top or "bank" in item[1] or item[1] == "weights":
            assert item[2:] == (), item
        else:
            assert item[0] in (f"{top}.ima", f"{top}.dwa") and "tcdm" in item[1], item
            assert item[2:] == ("rd",), item
    assert [item[0] for item in public if "bank" in item[1]] == [f"{top}.tcdm" if name == "tcdm"
                                                                 else f"{top}.tcdm.tcdm"] * 2
    assert any(fnmatchcase("cores__3__req", item[1]) for item in public) == name.endswith("-cores")
    assert any(item[1] == "weights" for item in public) == name.startswith("twin")
