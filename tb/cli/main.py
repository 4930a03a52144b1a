"""``ima-sim``: the one command-line entry of the project.

Every subcommand lives in a module of this package and registers itself in
:data:`tb.cli.registry.COMMANDS`; this module imports those modules explicitly (a failing import
fails loudly) and builds the parser from the registry.

=====================  ==========================================================
module                 subcommands
=====================  ==========================================================
:mod:`tb.cli.run`      ``run`` (a layer or the bottleneck on the RTL)
:mod:`tb.cli.net`      ``net`` (a whole network on the RTL, layer by layer)
:mod:`tb.cli.estimate` ``estimate``, ``estimate-net`` (the same, from the fast model)
:mod:`tb.cli.hw`       ``regs``, ``verilog``, ``lint``, ``synth``
:mod:`tb.cli.sweep`    ``sweep`` (the papers' design-space figures on the RTL)
:mod:`tb.cli.study`    ``study`` (TPDS 2024: coverage x coupling x balancing x CNNs, fast model)
:mod:`tb.cli.tcdm`     ``traffic``, ``bench-tcdm`` (TCDM interconnect demo, speed)
:mod:`tb.cli.place`    ``place`` (Tile&Pack placement of a network on many arrays)
:mod:`tb.cli.accuracy` ``accuracy`` (a trained network under PCM non-idealities)
:mod:`tb.cli.fuzz`     ``fuzz`` (random register configurations of the IMA and the DWA)
:mod:`tb.cli.formal`   ``formal`` (formal proofs with SymbiYosys)
=====================  ==========================================================
"""

import sys

from tb.cli import accuracy, estimate, formal, fuzz, hw, net, place, run, study, sweep, tcdm  # noqa: F401  (imported to register their subcommands)
from tb.cli.registry import COMMANDS, CliParser

__all__ = ["main", "build_parser"]

#: The order ``ima-sim --help`` lists the subcommands in (the main job first).
HELP_ORDER = ("run", "net", "estimate", "estimate-net", "regs", "sweep", "study", "verilog", "lint",
              "synth", "place", "accuracy", "traffic", "bench-tcdm", "fuzz", "formal")


def build_parser():
    parser = CliParser(
        prog="ima-sim", description="RTL simulation of a RISC-V cluster with an analog IMA")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    rank = {name: i for i, name in enumerate(HELP_ORDER)}
    for name, cmd in sorted(COMMANDS.items(), key=lambda kv: rank.get(kv[0], len(rank))):
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
    return parser


#: Exit status after Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


def main(argv=None):
    """Parse ``argv`` and run the subcommand; its exit status. A bad option: one line on stderr,
    exit status 2 (:class:`~tb.cli.registry.CliParser`, :func:`~tb.cli.registry.die`). Ctrl-C:
    one line and :data:`EXIT_INTERRUPTED`, no traceback (the next run resumes an interrupted
    Verilator build: :func:`tb.build.runner.build` leaves that to Verilator's make)."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args) or 0
    except KeyboardInterrupt:
        print(f"ima-sim {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
