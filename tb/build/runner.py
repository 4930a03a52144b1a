"""Build an Amaranth top into a Verilator model once per parameter set, and run cocotb tests on it.

Every configuration gets its own build directory ``sim_build/<top>/<k=v_...>/``. The Verilog is
regenerated on each call (cheap) but only written when its text changed, so Verilator's own
make-based build is a no-op (about 0.1 s) when nothing changed, across pytest runs and processes.

Usage::

    runner = build("tcdm", make_top, {"banks": 16, "masters": 11})
    result = run(runner, "tcdm", "tb.cocotb_tests.interconnect", seed=1234,
                 config={"banks": 16, "masters": 11}, options={"ops": 100})

Parameters reach the cocotb side in one way: :mod:`tb.env.params` (a JSON file in the run
directory, named by one environment variable); the test's result comes back the same way.
"""

import fcntl
import hashlib
import inspect
import json
import os
import random
import shutil
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import cocotb_tools.config
from cocotb_tools.check_results import get_results
from cocotb_tools.runner import Verilator as _CocotbVerilator
from cocotb_tools.runner import get_runner

from hw.flow.toolenv import project_root, tool_env
from hw.flow.verilog import convert
from tb.env import params as tb_params

__all__ = ["PROJECT_ROOT", "SIMULATORS", "VERILATOR_MAIN", "MAIN_EXPORTS", "ProjectVerilator",
           "ICARUS_TIMESCALE", "CXX_OPT_LEVELS", "OPTIMISED_CXX_OPT",
           "PUBLIC_ACCESS", "public_config",
           "build_dir", "build", "run", "pick_seed", "tool_env", "have_icarus", "cxx_opt",
           "debug_build_requested", "SimulationFailed"]

PROJECT_ROOT = project_root()


def _config_key(params):
    if not params:
        return "default"
    key = "_".join(f"{k}={params[k]}" for k in sorted(params))
    if len(key) > 100:
        key = key[:60] + "_" + hashlib.sha1(key.encode()).hexdigest()[:12]
    return key


def build_dir(top_name, params):
    return PROJECT_ROOT / "sim_build" / top_name / _config_key(params)


#: RTL helpers of the test tops outside ``hw/`` (the fingerprint follows them too): the
#: registered reset of :mod:`tb.build.reset`.
TOP_HELPERS = (PROJECT_ROOT / "tb" / "build" / "reset.py",)

#: The project's Verilator main, used instead of cocotb's for every Verilator build
#: (:class:`ProjectVerilator`): cocotb's loop plus a clock it owns and lazy falling edges
#: (docs/speed-plan.md, "Step 3e"; tb/bfm/clock.py starts it).
VERILATOR_MAIN = PROJECT_ROOT / "tb" / "build" / "verilator_main.cpp"
#: Writes the model-specific header the main includes, between Verilator and the C++ compile.
MODEL_HEADER_SCRIPT = PROJECT_ROOT / "tb" / "build" / "lazy_fall.py"
#: The functions the main exports to Python (``ctypes.CDLL(None)``; tb/bfm/clock.py).
MAIN_EXPORTS = ("ima_clock_start", "ima_clock_stop", "ima_clock_eval_needed", "ima_clock_why",
                "ima_clock_stats")
#: Build files outside ``hw/`` a model depends on: hashed into the fingerprint too, so a change
#: of either rebuilds cached models.
BUILD_HELPERS = (VERILATOR_MAIN, MODEL_HEADER_SCRIPT)


class ProjectVerilator(_CocotbVerilator):
    """cocotb's Verilator runner with :data:`VERILATOR_MAIN` in place of cocotb's
    ``verilator.cpp`` (appended unconditionally by its ``_build_command``), the main's
    :data:`MAIN_EXPORTS` exported to the dynamic symbol table, and ``tb/build/lazy_fall.py`` run
    on the generated code before the C++ compile (it writes the header ``ima_model.h``)."""

    def _build_command(self):
        cmds = super()._build_command()
        verilate, rest = list(cmds[0]), cmds[1:]
        cocotb_main = str(cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp")
        if cocotb_main not in verilate:
            raise RuntimeError(f"cocotb's Verilator build command no longer names {cocotb_main}: "
                               f"tb/build/runner.py ProjectVerilator needs updating")
        i = verilate.index(cocotb_main)
        exports = " ".join(f"-Wl,--export-dynamic-symbol={name}" for name in MAIN_EXPORTS)
        verilate[i:i + 1] = ["-LDFLAGS", exports, str(VERILATOR_MAIN)]
        return [verilate, [sys.executable, str(MODEL_HEADER_SCRIPT), str(self.build_dir)], *rest]


def _runner(simulator):
    """cocotb's runner for ``simulator``, the Verilator one replaced by :class:`ProjectVerilator`."""
    runner = get_runner(simulator)
    if type(runner) is _CocotbVerilator:
        runner = ProjectVerilator()
    return runner


def _fingerprint(top_name, make_top, params):
    """Hash of everything the Verilog depends on: the RTL sources (``hw/**.py``), the file that
    defines ``make_top`` (a test top may live outside ``hw/``) and :data:`TOP_HELPERS`, the top's
    name and parameters; and :data:`BUILD_HELPERS` (the main and its header's generator).

    Elaborating and converting a large top costs tens of seconds; with an unchanged fingerprint
    the Verilog on disk is reused and Verilator's make finds nothing to do.
    """
    h = hashlib.sha1()
    h.update(f"{top_name}|{getattr(make_top, '__module__', '')}.{getattr(make_top, '__qualname__', make_top)}"
             f"|{json.dumps(params, sort_keys=True, default=str)}".encode())
    sources = set((PROJECT_ROOT / "hw").rglob("*.py")) | set(TOP_HELPERS) | set(BUILD_HELPERS)
    top_file = inspect.getsourcefile(make_top)
    if top_file:
        sources.add(Path(top_file).resolve())
    for path in sorted(sources):
        name = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        h.update(name.as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fast_build_requested():
    """True when ``IMA_FAST_BUILD=1`` (set by tests/conftest.py): compile the model's C++ at -O0.

    Short regression simulations are dominated by the C++ compile (minutes at the default -Os for
    a cluster top, seconds at -O0); long runs (``make sim``, ``make bench``) want the optimised
    model. The two kinds live in different build directories, so neither evicts the other.
    """
    return os.environ.get("IMA_FAST_BUILD", "") not in ("", "0")


#: C++ optimisation levels a build may be compiled at (``-CFLAGS -O<level>``, after verilated.mk's
#: own ``OPT_FAST``, so it wins).
CXX_OPT_LEVELS = ("O0", "O1", "O2", "O3", "Os")
#: verilated.mk's own level (``OPT_FAST = -Os``): a build at this level passes no flag and keeps
#: today's directory name.
VERILATOR_CXX_OPT = "Os"
#: The level of the optimised builds (``make sim``, ``make bench``, ``ima-sim run`` outside the
#: regression): verilated.mk's -Os. -O2 measured against it on the lean 4/4 cluster (docs/bench.md,
#: "Simulator speed"): the bare model at most 1.06x faster, the HYBRID run no faster (the Python
#: side dominates), the cold build 1.45x longer -- not worth it.
OPTIMISED_CXX_OPT = "Os"


def cxx_opt(opt=None):
    """The C++ optimisation level a build is compiled at: ``O0`` whenever the regression asks for
    fast builds (:func:`fast_build_requested`), else ``opt`` (one of :data:`CXX_OPT_LEVELS`),
    else :data:`OPTIMISED_CXX_OPT`. Part of the build directory's name (:func:`build`)."""
    if opt is not None and opt not in CXX_OPT_LEVELS:
        raise ValueError(f"opt must be one of {', '.join(CXX_OPT_LEVELS)}, not {opt!r}")
    if fast_build_requested():
        return "O0"
    return opt or OPTIMISED_CXX_OPT


def debug_build_requested(debug=False):
    """Whether a build keeps every signal visible to the VPI (the *full* build) instead of only the
    signals its testbench reaches (the *lean* build): the one place that decides it.

    Full when ``debug`` (``ima-sim run/net --debug-build``: a session that pokes at internal
    signals from cocotb) or when ``IMA_DEBUG_BUILD=1`` (the same for any test or command, which
    cannot all take an option). Waveforms do not need it: Verilator's tracer dumps every signal
    of a lean model too (docs/bench.md, "Simulator speed"). Everything else is lean: the same
    cycles, stalls, energy events and outputs (tests/tb/bench/test_refset.py), a 1.7-4x faster
    model and shorter builds (docs/speed-plan.md).
    """
    if not isinstance(debug, bool):
        raise ValueError(f"debug must be a bool, not {debug!r}")
    return debug or os.environ.get("IMA_DEBUG_BUILD", "") not in ("", "0")


#: How a lean build's public signal may be reached through the VPI: ``"rw"`` (read and write:
#: Verilator's ``public_flat_rw``) or ``"rd"`` (read only: ``public_flat_rd``). A writable signal
#: is one the VPI may change at any time, so Verilator evaluates the logic that reads it in its
#: input region -- on every ``eval()``, both clock edges -- and cannot optimise through it; a
#: read-only one costs nothing of the kind (docs/speed-plan.md, "Step 3").
PUBLIC_ACCESS = ("rw", "rd")


def public_config(public):
    """The Verilator configuration text that keeps only ``public`` visible to the VPI: a sequence
    of ``(module, var)`` name patterns (Verilator's ``*``/``?`` wildcards; readable and writable)
    or ``(module, var, access)`` with ``access`` one of :data:`PUBLIC_ACCESS`."""
    lines = ["`verilator_config"]
    for item in public:
        if (not isinstance(item, tuple) or len(item) not in (2, 3)
                or not all(isinstance(x, str) and x and '"' not in x for x in item[:2])
                or (len(item) == 3 and item[2] not in PUBLIC_ACCESS)):
            raise ValueError(f"public: each entry must be a (module, var) pair of patterns or a "
                             f"(module, var, access) triple with access one of "
                             f"{', '.join(PUBLIC_ACCESS)}, not {item!r}")
        access = item[2] if len(item) == 3 else "rw"
        lines.append(f'public_flat_{access} -module "{item[0]}" -var "{item[1]}"')
    return "\n".join(lines) + "\n"


#: The simulators :func:`build` drives: Verilator (2-state, the regression's) and Icarus Verilog
#: (4-state: an undriven input reads Z, an unknown X, which the monitors' X/Z checks catch;
#: docs/four-state.md).
SIMULATORS = ("verilator", "icarus")
#: Icarus needs a time unit for the Verilog (the Amaranth-generated modules carry none, and
#: without one cocotb's 4 ns clock cannot be represented): given once, through cocotb's command
#: file (``+timescale+``), so the Verilog text stays the Verilator build's.
ICARUS_TIMESCALE = ("1ns", "1ps")


def _sibling_verilog(bdir, top_name, fingerprint):
    """The Verilog text another build of the same configuration (a sibling directory: waves,
    -O0, lean, icarus) already wrote for this very ``fingerprint``, else ``None``: elaborating a
    cluster costs tens of seconds, copying its text nothing."""
    for other in sorted(bdir.parent.glob("*/fingerprint")):
        vother = other.parent / f"{top_name}.v"
        if other.parent != bdir and vother.exists():
            try:
                if other.read_text() == fingerprint:
                    return vother.read_text()
            except OSError:             # a sibling being rewritten: elaborate instead
                pass
    return None


def _write_verilog(bdir, top_name, make_top, params):
    """Write ``<bdir>/<top>.v`` for ``make_top(**params)`` unless its fingerprint is unchanged;
    return its path. The text is only rewritten when it changed, so a make-based build is a
    no-op."""
    vfile = bdir / f"{top_name}.v"
    stamp = bdir / "fingerprint"
    fingerprint = _fingerprint(top_name, make_top, params)
    if not vfile.exists() or not stamp.exists() or stamp.read_text() != fingerprint:
        text = _sibling_verilog(bdir, top_name, fingerprint)
        if text is None:
            text = convert(make_top(**params), top_name)
        if not vfile.exists() or vfile.read_text() != text:
            vfile.write_text(text)
        stamp.write_text(fingerprint)
    (bdir / "params.json").write_text(json.dumps(params, sort_keys=True, default=str) + "\n")
    return vfile


def build(top_name, make_top, params, *, waves=False, extra_sources=(), build_args=(), public=None,
          debug=False, opt=None, simulator="verilator"):
    """Elaborate ``make_top(**params)``, write Verilog, build it with the simulator; return the
    runner.

    ``make_top`` returns a ``wiring.Component``; its ports become the Verilog top's ports.
    A lock file serialises concurrent builds of the same configuration (pytest-xdist workers).

    ``public``: what the top's testbench reaches through the VPI, a sequence of ``(module, var)``
    patterns (:func:`public_config`; the top's ports need ``(top, "*")``), or ``None`` for a top
    whose testbench may reach anything. With a list the build is *lean* unless
    :func:`debug_build_requested` (``debug``) says otherwise: ``--no-public-flat-rw`` after
    cocotb's flag plus a configuration file keeping only those signals public, so Verilator may
    inline and drop the rest (measured on the cluster: 2.5x the bare model's cycles/s,
    docs/speed-plan.md); its own directory (suffix ``-lean``). Otherwise every signal stays
    visible (cocotb's ``--public-flat-rw``).

    ``opt``: the C++ optimisation level (:func:`cxx_opt`: -O0 in the regression, else ``opt`` or
    :data:`OPTIMISED_CXX_OPT`); named in the directory unless it is verilated.mk's own -Os.

    ``simulator``: ``"verilator"`` (default) or ``"icarus"`` (:data:`SIMULATORS`): Icarus Verilog
    compiles the same Verilog, with :data:`ICARUS_TIMESCALE`, into its own directory
    (``.../icarus``; ``build_args`` go to ``iverilog``; ``public`` does not apply: every
    signal is visible, pass ``None``). Raises ``ValueError`` naming a bad ``simulator`` or
    ``public`` with Icarus.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    if simulator == "icarus":
        if public is not None:
            raise ValueError("public applies to Verilator builds only, not to simulator='icarus'")
        return _build_icarus(top_name, make_top, params, waves=waves, extra_sources=extra_sources,
                             build_args=build_args)
    tool_env()
    level = cxx_opt(opt)
    vlt = public_config(public) if public is not None and not debug_build_requested(debug) else None
    bdir = build_dir(top_name, params) / (("waves" if waves else "nowaves")
                                          + ("" if level == VERILATOR_CXX_OPT else f"-{level}")
                                          + ("-lean" if vlt is not None else ""))
    config_files = {}
    if vlt is not None:
        config_files["public.vlt"] = vlt
        build_args = ["--no-public-flat-rw", str(bdir / "public.vlt"), *build_args]
    return _locked_build("verilator", bdir, top_name, make_top, params, waves=waves,
                         extra_sources=extra_sources, config_files=config_files,
                         build_args=["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O2",
                                     "--x-assign", "0", "--x-initial", "0",
                                     *([] if level == VERILATOR_CXX_OPT else ["-CFLAGS", f"-{level}"]),
                                     *build_args])


def have_icarus():
    """True when Icarus Verilog (``iverilog`` and ``vvp``) is on PATH."""
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


def _build_icarus(top_name, make_top, params, *, waves, extra_sources, build_args):
    """The Icarus half of :func:`build`: ``sim_build/<top>/<key>/icarus[-waves]/``, recompiled
    (``iverilog``, a few seconds) only when the Verilog is newer than the compiled model."""
    if not have_icarus():
        raise RuntimeError("Icarus Verilog (iverilog) is not installed: `make icarus` installs it "
                           "(apt-get install iverilog)")
    tool_env()
    bdir = build_dir(top_name, params) / ("icarus-waves" if waves else "icarus")
    return _locked_build("icarus", bdir, top_name, make_top, params, waves=waves,
                         extra_sources=extra_sources, build_args=build_args,
                         timescale=ICARUS_TIMESCALE)


def _locked_build(simulator, bdir, top_name, make_top, params, *, waves, extra_sources, build_args,
                  config_files=None, **runner_options):
    """The build sequence both simulators share: ``bdir``, the lock that serialises concurrent
    builds of one configuration (pytest-xdist workers), the Verilog, each of ``config_files``
    (name -> text, rewritten only when it changed, so an unchanged build stays up to date), then
    cocotb's ``runner.build`` (which rebuilds only what is out of date); returns the runner."""
    bdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        vfile = _write_verilog(bdir, top_name, make_top, params)
        for name, text in (config_files or {}).items():
            path = bdir / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
        runner = _runner(simulator)
        runner.build(sources=[vfile, *extra_sources], hdl_toplevel=top_name, build_dir=bdir,
                     always=False, waves=waves, build_args=list(build_args),
                     log_file=bdir / "build.log", **runner_options)
    return runner


def pick_seed(seed=None, *, env="IMA_SEED"):
    """The seed of a randomised test: the argument, else the environment variable ``env``
    (``$IMA_SEED``; the DWA's unit tests use ``$DWA_SEED``), else a fresh random one; printed
    with the variable that replays it."""
    if seed is None:
        seed = os.environ.get(env)
    seed = int(seed) if seed is not None else random.randrange(1 << 31)
    print(f"seed = {seed}  (replay with {env}={seed})")
    return seed


class SimulationFailed(AssertionError):
    """A cocotb test failed; ``result`` is what it wrote before failing (or ``None``)."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result



_STDOUT_LOCK = threading.Lock()
_stdout_redirect = {"depth": 0, "saved": None}


@contextmanager
def _simulator_stdout_to_stderr():
    """Send what the simulator process prints (cocotb's GPI start-up lines, Verilator's
    ``$finish`` line) to our standard error: the simulator inherits file descriptor 1, and a
    command's standard output is its report (``ima-sim run --json | jq`` must see JSON only).
    Reference-counted under a lock, so simulations started from several threads (a Dask worker
    with more than one thread) restore the descriptor once, after the last."""
    with _STDOUT_LOCK:
        if _stdout_redirect["depth"] == 0:
            sys.stdout.flush()
            _stdout_redirect["saved"] = os.dup(1)
            os.dup2(2, 1)
        _stdout_redirect["depth"] += 1
    try:
        yield
    finally:
        with _STDOUT_LOCK:
            _stdout_redirect["depth"] -= 1
            if _stdout_redirect["depth"] == 0:
                sys.stderr.flush()
                os.dup2(_stdout_redirect["saved"], 1)
                os.close(_stdout_redirect["saved"])


def run(runner, top_name, test_module, *, seed, testcase=None, config=None, options=None,
        log_level=None, waves=False, test_dir=None):
    """Run cocotb ``test_module`` (dotted name) on a built model; return the test's result.

    ``testcase``: one test name, a sequence of names run in this order in one simulator start,
    or ``None`` (every test of the module).

    ``config`` (a :class:`hw.config.ClusterConfig` or a mapping of build parameters) and
    ``options`` (a JSON-ready mapping) reach the cocotb side through :mod:`tb.env.params`; the
    return value is the result the test saved with :func:`tb.env.params.save_result` (a dict,
    arrays under ``"arrays"``), or ``None``. The seed goes through cocotb's own
    ``COCOTB_RANDOM_SEED`` so ``random`` in the test is seeded; ``log_level`` sets
    ``COCOTB_LOG_LEVEL``. Raises :class:`SimulationFailed` (an ``AssertionError``, carrying the
    result) if a test failed. Each call uses its own run directory so parallel runs never share
    files.
    """
    tool_env()
    if testcase is not None and not isinstance(testcase, str):
        testcase = list(testcase)
    key = json.dumps({"config": tb_params.config_dict(config), "options": options or {}},
                     sort_keys=True, default=str)
    tag = hashlib.sha1(f"{test_module}:{testcase}:{seed}:{key}".encode()).hexdigest()[:10]
    tdir = Path(test_dir) if test_dir else Path(runner.build_dir) / f"run_{tag}_{os.getpid()}"
    tdir.mkdir(parents=True, exist_ok=True)
    env = {tb_params.ENV_VAR: str(tb_params.write(tdir, config, options))}
    if log_level:
        env["COCOTB_LOG_LEVEL"] = log_level
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])
    results_xml = tdir / "results.xml"
    try:
        with _simulator_stdout_to_stderr():
            runner.test(hdl_toplevel=top_name, test_module=test_module, testcase=testcase,
                        seed=seed, extra_env=env, waves=waves, test_dir=tdir,
                        results_xml=str(results_xml))
        # Outside pytest runner.test() does not raise on a failed cocotb test: check ourselves.
        n_tests, n_failed = get_results(results_xml)
        result = tb_params.read_result(tdir)
        if n_failed or not n_tests:
            raise SimulationFailed(f"{test_module}{'.' + str(testcase) if testcase else ''}: "
                                   f"{n_failed} of {n_tests} cocotb tests failed (seed {seed})",
                                   result)
    finally:
        if not waves:
            shutil.rmtree(tdir, ignore_errors=True)
    return result
