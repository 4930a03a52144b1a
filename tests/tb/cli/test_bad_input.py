"""Bad input at the ``ima-sim`` command line, tried as a new user would (issue 17, item 4).

A table gives, for every option of every subcommand, invalid values (type, range, unwritable or
missing paths, combinations that would be silently ignored). The option list is read from the
argparse parsers themselves, so a new option without a row fails :func:`test_every_option_has_a_row`
(flags that take no value are exempt, each named in :data:`FLAGS`). Each row must end in: exit
status 2, exactly one line on stderr naming the option, no traceback, nothing on stdout, nothing
written (the temporary folder, which is also the working directory, unchanged) and no build or
simulation started (every entry point of one is replaced by a function that fails the test).
The calls are in-process ``main([...])``.
"""

import argparse
import os

import pytest

from tb.cli.main import EXIT_INTERRUPTED, build_parser, main

#: Placeholders in the rows: {missing} a path in a folder that does not exist, {file} an existing
#: file with garbage bytes (where a folder or a model is expected), {dir} an existing folder
#: (where a file is expected), {out} a writable new file in the working directory.
_MISSING, _FILE, _DIR, _OUT = "{missing}", "{file}", "{dir}", "{out}"

#: (subcommand, option) -> rows; a row is the argv after the subcommand, or (argv, what the error
#: line must contain) when it names another option of the combination than the row's.
ROWS = {
    ("run", "--layer"): [["--layer", "pool"]],
    ("run", "--mapping"): [["--mapping", "FOO"], ["--layer", "conv", "--mapping", "HYBRID"],
                           ["--layer", "fc", "--mapping", "IMADW"]],
    ("run", "--preset"): [["--preset", "nope"]],
    ("run", "--ports"): [["--ports", "0"], ["--ports", "17"], ["--ports", "x"]],
    ("run", "--seed"): [["--seed", "-1"], ["--seed", "x"], ["--seed", "1.5"]],
    ("run", "--h"): [["--h", "0"], ["--h", "x"], ["--layer", "fc", "--h", "4"]],
    ("run", "--w"): [["--w", "0"], ["--layer", "fc", "--w", "4"]],
    ("run", "--cin"): [["--cin", "0"], ["--cin", "-4"]],
    ("run", "--cout"): [["--layer", "conv", "--cout", "0"],
                        ["--layer", "depthwise", "--cin", "8", "--cout", "16"],
                        ["--layer", "bottleneck", "--cout", "16"]],
    ("run", "--k"): [["--layer", "conv", "--k", "0"], ["--layer", "pointwise", "--k", "3"],
                     ["--layer", "depthwise", "--mapping", "IMADW", "--k", "5"]],
    ("run", "--stride"): [["--stride", "3"], ["--layer", "bottleneck", "--stride", "2"]],
    ("run", "--pad"): [["--layer", "conv", "--pad", "5"], ["--layer", "fc", "--pad", "1"],
                       ["--layer", "bottleneck", "--pad", "0"]],
    ("run", "--expand"): [["--expand", "0"], ["--layer", "conv", "--expand", "2"]],
    ("run", "--dwa"): [(["--mapping", "IMADW", "--no-dwa"], "--no-dwa")],
    ("run", "--dwa-arrangement"): [["--dwa-arrangement", "both"]],
    ("run", "--set"): [["--set", "bogus=1"], ["--set", "banks=3"], ["--set", "banks"],
                       ["--set", "overlap=maybe"], ["--set", "imas=9"], ["--set", "imas=0"]],
    ("run", "--program-weights"): [["--program-weights", "jtag"]],
    ("run", "--dump"): [["--dump", _MISSING], ["--dump", _DIR], ["--dump", ""],
                        ["--layer", "conv", "--dump", _MISSING]],
    ("run", "--profile"): [["--profile", _MISSING], ["--profile", _OUT, "--dump", _OUT + ".npz"],
                           ["--profile", _OUT, "--json"]],

    ("net", "--model"): [["--model", "resnet"], ["--model", "mobilenetv2", "--onnx", _FILE]],
    ("net", "--onnx"): [["--onnx", _MISSING], ["--onnx", _FILE], ["--onnx", _DIR]],
    ("net", "--input-size"): [["--input-size", "0"], ["--input-size", "x"]],
    ("net", "--width"): [["--width", "0"], ["--width", "inf"], ["--width", "nan"],
                         ["--onnx", _FILE, "--width", "0.5"]],
    ("net", "--classes"): [["--classes", "0"], ["--classes", "many"], ["--onnx", _FILE, "--classes", "10"]],
    ("net", "--calib"): [["--calib", "0", "--onnx", _FILE], ["--calib", "8"]],
    ("net", "--preset"): [["--preset", "nope"]],
    ("net", "--set"): [["--set", "bogus=1"], ["--set", "banks=x"], ["--set", "ports=17"]],
    ("net", "--seed"): [["--seed", "-1"]],
    ("net", "--fc-on"): [["--fc-on", "gpu"]],
    ("net", "--csv"): [["--csv", _MISSING], ["--csv", _DIR]],
    ("net", "--plot"): [["--plot", _MISSING], ["--plot", _OUT + ".txt"]],
    ("net", "--export-onnx"): [["--export-onnx", _MISSING], ["--export-onnx", _DIR],
                               ["--export-onnx", _OUT, "--csv", _OUT + ".csv"],
                               ["--export-onnx", _OUT, "--debug-build"]],

    ("regs", "--block"): [["--block", "npu"]],
    ("regs", "--format"): [["--format", "rtf"]],
    ("regs", "--output"): [["-o", _MISSING], ["-o", _DIR]],

    ("sweep", "--output"): [["-o", _FILE], ["--rerender", "-o", _MISSING]],
    ("sweep", "--jobs"): [["--jobs", "0"], ["--jobs", "x"],
                          ["--jobs", "999", "--scheduler", "tcp://127.0.0.1:8786"]],
    ("sweep", "--ports"): [["--ports", "0,4"], ["--ports", "x"], ["--ports", ","]],
    ("sweep", "--seed"): [["--seed", "-1"]],
    ("sweep", "--preset"): [["--preset", "nope"]],
    ("sweep", "--scheduler"): [["--scheduler", "nohost"], ["--scheduler", "udp://h:1"],
                               (["--rerender", "--scheduler", "tcp://h:1"], "--scheduler")],
    ("sweep", "--rerender"): [(["--rerender", "--quick"], "--quick"),
                              (["--rerender", "--seed", "3"], "--seed")],

    ("study", "--nets"): [["--nets", "alexnet"], ["--nets", ","], ["--nets", "resnet18,x"]],
    ("study", "--tiles"): [["--tiles", "-8"], ["--tiles", "x"], ["--tiles", ""]],
    ("study", "--coupling"): [["--coupling", "medium"]],
    ("study", "--balancing"): [["--balancing", "random"]],
    ("study", "--policy"): [["--policy", "best"]],
    ("study", "--granularity"): [["--granularity", "rows"]],
    ("study", "--images"): [["--images", "0"]],
    ("study", "--preset"): [["--preset", "nope"]],
    ("study", "--output"): [["-o", _FILE]],
    ("study", "--scheduler"): [["--scheduler", "nohost"], ["--scheduler", "tcp://h:x"],
                               ["--scheduler", "ftp://h:1"],
                               ["--scheduler", "tcp://127.0.0.1:8786", "--in-process"]],
    ("study", "--workers"): [["--workers", "0"], ["--workers", "2", "--in-process"],
                             (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers")],

    ("synth", "--out"): [["-o", _FILE]],
    ("synth", "--work"): [["--work", _FILE]],
    ("synth", "--ports-list"): [["--ports-list", "1,x"], ["--ports-list", "0"], ["--ports-list", ""]],

    ("place", "--model"): [["--model", "resnet"]],
    ("place", "--array-rows"): [["--array-rows", "0"], ["--array-rows", "x"]],
    ("place", "--array-cols"): [["--array-cols", "0"]],
    ("place", "--arrays"): [["--arrays", "0"]],

    ("accuracy", "--weights"): [["--weights", _MISSING], ["--weights", _FILE], ["--weights", _DIR]],
    ("accuracy", "--seeds"): [["--seeds", "0"], ["--seeds", "x"]],
    ("accuracy", "--images"): [["--images", "0"], ["--images", "100000"]],
    ("accuracy", "--array-rows"): [["--array-rows", "0"]],
    ("accuracy", "--array-cols"): [["--array-cols", "-1"]],
    ("accuracy", "--engine"): [["--engine", "gpu"]],
    ("accuracy", "--rtl"): [["--rtl", "0"], ["--rtl", "x"], ["--rtl", "100000"],
                            (["--rtl", "2", "--images", "5"], "--images"),
                            (["--rtl", "2", "--plot", _OUT + ".png"], "--plot")],
    ("accuracy", "--preset"): [(["--preset", "jetcas2022"], "--preset"),
                               ["--rtl", "2", "--preset", "nope"]],
    ("accuracy", "--set"): [(["--set", "banks=16"], "--set"), ["--rtl", "2", "--set", "bogus=1"]],
    ("accuracy", "--plot"): [["--plot", _MISSING + ".png"], ["--plot", _OUT + ".txt"],
                             ["--plot", _DIR]],

    ("fuzz", "--target"): [["--target", "npu"]],
    ("fuzz", "--configs"): [["--configs", "0"], ["-n", "x"]],
    ("fuzz", "--seed"): [["--seed", "-1"], ["--seed", "x"]],
    ("fuzz", "--workers"): [["--workers", "0"],
                            ["--workers", "4", "--replay", "3", "--seed", "1", "--target", "ima"]],
    ("fuzz", "--replay"): [["--replay", "-3", "--seed", "1", "--target", "ima"], ["--replay", "3"],
                           ["--replay", "3", "--seed", "1"]],
    ("fuzz", "--min-cause-hits"): [["--min-cause-hits", "-1"]],

    ("formal", "NAME"): [["no_such_proof"]],
    ("formal", "--out"): [["-o", _FILE]],
    ("formal", "--timeout"): [["--timeout", "0"], ["--timeout", "nan"], ["--timeout", "x"]],
    ("formal", "--report"): [["--report", _MISSING], ["--report", _DIR]],
}
#: ``verilog`` and ``lint`` share their options (tb/cli/hw.py ``_geometry``).
for _cmd in ("verilog", "lint"):
    ROWS.update({
        (_cmd, "--out"): [["-o", _FILE]],
        (_cmd, "--preset"): [["--preset", "nope"]],
        (_cmd, "--ports"): [["--ports", "17"], ["--ports", "x"]],
        (_cmd, "--rows"): [["--rows", "0"]],
        (_cmd, "--cols"): [["--cols", "0"]],
        (_cmd, "--dac-depth"): [["--dac-depth", "1"]],
        (_cmd, "--adc-depth"): [["--adc-depth", "0"]],
        (_cmd, "--arrays"): [["--arrays", "0"], ["--arrays", "65"]],
        (_cmd, "--banks"): [["--banks", "3"]],
        (_cmd, "--tcdm-bytes"): [["--tcdm-bytes", "1000"]],
        (_cmd, "--analog"): [["--analog", "spice"],
                             ["--analog", "twin", "--rows", "4096", "--cols", "4096", "--arrays", "8"]],
        (_cmd, "--latency"): [["--latency", "1", "--analog", "twin"], ["--latency", "20"]],
        (_cmd, "--set"): [["--set", "banks=3"], ["--set", "bogus=1"]],
        (_cmd, "--dwa-arrangement"): [["--dwa-arrangement", "both"]],
    })
#: ``estimate`` reads the options of ``run``, ``estimate-net`` those of ``net`` (tb/cli/estimate.py),
#: without the simulation-only ones; the same bad values fail the same way, before any model runs.
#: (The first row of each: the parsing and validation are the same code as run's / net's.)
ROWS.update({("estimate", opt): rows[:1] for (cmd, opt), rows in list(ROWS.items())
             if cmd == "run" and opt not in ("--dump", "--profile")})
ROWS.update({("estimate-net", opt): rows[:1] for (cmd, opt), rows in list(ROWS.items())
             if cmd == "net" and opt != "--export-onnx"})
ROWS[("estimate-net", "--csv")] = [["--csv", _DIR, "--json"]]
ROWS[("estimate-net", "--plot")] = [["--plot", _OUT + ".txt"]]
#: ``traffic`` and ``bench-tcdm`` share their geometry (tb/cli/tcdm.py).
for _cmd in ("traffic", "bench-tcdm"):
    ROWS.update({
        (_cmd, "--masters"): [["--masters", "0"]],
        (_cmd, "--banks"): [["--banks", "3"]],
        (_cmd, "--size"): [["--size", "1000"]],
        (_cmd, "--seed"): [["--seed", "-1"]],
        (_cmd, "--ops"): [["--ops", "0"]],
    })
ROWS[("traffic", "--load")] = [["--load", "0"], ["--load", "2"], ["--load", "nan"]]

#: Flags that take no value, so nothing about them alone can be invalid (their bad combinations,
#: if any, have rows above): the on/off switches of each subcommand.
FLAGS = {
    "run": {"--overlap", "--dwa", "--json", "--waves", "--debug-build"},
    "net": {"--json", "--no-sim", "--monitors", "--waves", "--debug-build"},
    "estimate": {"--overlap", "--dwa", "--json"},
    "estimate-net": {"--json"},
    "sweep": {"--quick", "--profile", "--no-dwa", "--no-garofalo", "--rerender"},
    "study": {"--in-process"},
    "verilog": set(), "lint": set(), "regs": set(),
    "synth": {"--no-ecp5"},
    "place": {"--with-fc", "--json"},
    "accuracy": {"--quick", "--json"},
    "traffic": {"--json"}, "bench-tcdm": {"--json"},
    "fuzz": {"--json"},
    "formal": {"--fast", "--list"},
}


def _options():
    """``{(subcommand, option)}``: every option of every subcommand as its parser defines it
    (the first long name; a positional by its metavar), and whether it takes a value."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    out = {}
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            longs = [s for s in action.option_strings if s.startswith("--")]
            key = longs[0] if longs else action.metavar or action.dest
            out[(name, key)] = action.nargs != 0
    return out


def _cases():
    for (cmd, option), rows in ROWS.items():
        for row in rows:
            argv, needle = row if isinstance(row, tuple) else (row, option)
            yield pytest.param(cmd, argv, needle, id=f"{cmd} {' '.join(argv)}")


def test_every_option_has_a_row():
    opts = _options()
    assert set(FLAGS) == {cmd for cmd, _ in opts}, "a subcommand without a FLAGS entry"
    missing = sorted(k for k, takes_value in opts.items() if takes_value and k not in ROWS)
    assert not missing, f"options without a row in ROWS: {missing}"
    for cmd, flags in FLAGS.items():
        for flag in flags:
            assert opts.get((cmd, flag)) is False, f"{cmd} {flag} in FLAGS is not a flag"
    unknown = sorted(k for k in ROWS if k not in opts)
    assert not unknown, f"rows for options that do not exist: {unknown}"
    print(f"{len(FLAGS)} subcommands, {sum(opts.values())} options with a value, "
          f"{sum(len(r) for r in ROWS.values())} bad rows")


#: Every entry point of a build, a simulation or a long computation the subcommands reach.
_HEAVY = (("tb.build.runner", "build"), ("tb.build.runner", "run"),
          ("tb.build.cluster", "build_cluster"), ("tb.build.tcdm", "build_tcdm"),
          ("hw.flow.verilog", "generate"), ("hw.flow.synth", "run"), ("hw.flow.lint", "lint"),
          ("hw.flow.formal", "run_all"), ("hw.flow.formal", "warm_up"),
          ("tb.bench.fuzz", "run"), ("tb.bench.fuzz", "run_shard"),
          ("tb.cli.sweep", "run_sweep"), ("tb.cli.sweep", "rerender"),
          ("tb.cli.study", "run_study"), ("tb.cli.dist", "task_pool"),
          ("tb.bench.profile", "profile_run"), ("sim_models.accuracy", "accuracy_table"),
          ("sim_models.compiler", "compile_graph"), ("sim_models.fastmodel", "estimate_workload"),
          ("sim_models.fastmodel", "estimate_program"))


@pytest.fixture
def nothing_heavy(monkeypatch):
    import importlib

    for module, name in _HEAVY:
        def refuse(*a, _what=f"{module}.{name}", **k):
            raise AssertionError(f"{_what} was called on bad input")
        monkeypatch.setattr(importlib.import_module(module), name, refuse)


def _tree(root):
    return sorted((os.path.relpath(os.path.join(d, f), root), os.stat(os.path.join(d, f)).st_mtime_ns)
                  for d, dirs, files in os.walk(root) for f in files + dirs)


@pytest.mark.parametrize("cmd, argv, needle", list(_cases()))
def test_bad_input(cmd, argv, needle, tmp_path, monkeypatch, capsys, nothing_heavy):
    inputs = tmp_path / "in"
    (inputs / "a_folder").mkdir(parents=True)
    (inputs / "garbage.bin").write_bytes(b"\x00not what was asked for\xff")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    subst = {_MISSING: str(tmp_path / "no" / "such" / "x.out"), _FILE: str(inputs / "garbage.bin"),
             _DIR: str(inputs / "a_folder"), _OUT: str(cwd / "out")}
    args = [a.replace(a[:a.index("}") + 1], subst[a[:a.index("}") + 1]]) if a.startswith("{") else a
            for a in argv]
    before = _tree(tmp_path)
    with pytest.raises(SystemExit) as e:
        main([cmd, *args])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert e.value.code == 2, (e.value.code, out, err)
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    assert lines[0].startswith("ima-sim"), err
    assert not out.strip(), out
    assert _tree(tmp_path) == before, "something was written"


@pytest.mark.parametrize("argv, needle", [([], "COMMAND"), (["simulate"], "COMMAND"),
                                          (["run", "--nope"], "--nope"), (["run", "extra"], "extra")])
def test_bad_command_line_is_one_line(argv, needle, capsys):
    """No subcommand, an unknown one, an unknown option, a stray argument: argparse's own errors,
    one line (no usage block) naming what was wrong, exit status 2."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert e.value.code == 2 and len(lines) == 1 and needle in lines[0] and not out, err


# ------------------------------------------------------------------ Ctrl-C
@pytest.mark.parametrize("where", ["tb.build.cluster.build_cluster", "tb.build.runner.run"])
def test_ctrl_c_is_one_line_and_130(where, monkeypatch, capsys, tmp_path):
    """Ctrl-C during the build or the run of ``ima-sim run``: one line, exit status 130."""
    import importlib

    module, name = where.rsplit(".", 1)

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(importlib.import_module(module), name, interrupted)
    if name == "run":                                       # get past the build
        monkeypatch.setattr(importlib.import_module("tb.build.cluster"), "build_cluster",
                            lambda *a, **k: None)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--layer", "fc", "--cin", "8", "--cout", "4"]) == EXIT_INTERRUPTED == 130
    out, err = capsys.readouterr()
    assert err.strip() == "ima-sim run: interrupted" and not out.strip(), (out, err)


# ------------------------------------------------------------------ what the fixes changed
def _spec(*argv):
    from tb.cli.run import _run_args, spec_from_args
    p = argparse.ArgumentParser()
    _run_args(p)
    return spec_from_args(p.parse_args(list(argv)))


def test_default_mapping_is_the_layers():
    """No ``--mapping``: the IMA for conv / pointwise / fc, IMA8 for depth-wise, HYBRID for the
    bottleneck (``make sim``'s job); each is a mapping the layer supports."""
    from sim_models.workloads import LAYERS
    want = {"conv": "IMA", "pointwise": "IMA", "fc": "IMA", "depthwise": "IMA8",
            "bottleneck": "HYBRID"}
    for layer in LAYERS:
        spec = _spec("--layer", layer)
        assert spec.mapping == want[layer]
        spec.validate()
    assert _spec().layer == "bottleneck" and _spec().mapping == "HYBRID"


def test_shape_options_the_layer_implies_are_accepted():
    """A value equal to what the layer uses anyway is not an error (depth-wise C_out = C_in,
    pointwise k = 1, the bottleneck's 3x3 pad 1); defaults are RunSpec's."""
    from sim_models.workloads import RunSpec
    assert _spec("--layer", "depthwise", "--cin", "8", "--cout", "8").cin == 8
    assert _spec("--layer", "pointwise", "--k", "1", "--pad", "0").layer == "pointwise"
    assert _spec("--layer", "bottleneck", "--k", "3", "--pad", "1").layer == "bottleneck"
    spec = _spec("--layer", "conv")
    assert (spec.h, spec.w, spec.cin, spec.cout, spec.k, spec.stride, spec.pad, spec.expand) == \
        (RunSpec.h, RunSpec.w, RunSpec.cin, RunSpec.cout, RunSpec.k, RunSpec.stride, RunSpec.pad,
         RunSpec.expand)


def test_ctrl_c_drops_the_queued_sweep_runs(tmp_path):
    """Ctrl-C in ``ima-sim sweep`` (tb/cli/sweep.py ``worker_pool``): the runs still queued are
    cancelled, not run to the end by the workers after the interrupt."""
    import time

    from tb.cli.sweep import worker_pool
    futs = []
    with pytest.raises(KeyboardInterrupt), worker_pool(1, str(tmp_path), initializer=print) as pool:
        futs = [pool.submit(time.sleep, 0.2) for _ in range(20)]
        raise KeyboardInterrupt
    deadline = time.monotonic() + 10
    while any(not (f.running() or f.done()) for f in futs) and time.monotonic() < deadline:
        time.sleep(0.05)                    # the pool's manager thread cancels asynchronously
    ran = sum(not f.cancelled() for f in futs)
    assert ran <= 4, f"{ran} of 20 queued runs ran after Ctrl-C"   # those already handed over
