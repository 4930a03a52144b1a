"""The one registry of ``ima-sim`` subcommands, and the CLI's error exit.

A subcommand module registers each command with :func:`command`: decorate the function that adds
the options to its sub-parser, then the function that runs it with ``@<that function>.runner``::

    @command("regs", "print the register map")
    def _regs_args(p):
        p.add_argument("--format", choices=["md", "c", "py"], default="md")

    @_regs_args.runner
    def _regs(args):
        ...
        return 0

:mod:`tb.cli.main` imports every subcommand module explicitly, so this module imports none of
them (no import cycle).
"""

import sys

__all__ = ["COMMANDS", "Command", "command", "die"]


class Command:
    """One subcommand: its name, help line, option set-up and run function."""

    def __init__(self, name, help, configure):
        self.name, self.help, self.configure = name, help, configure
        self.run = None

    def runner(self, func):
        self.run = func
        return func


COMMANDS = {}


def command(name, help):
    """Register subcommand ``name`` (see the module docstring)."""
    def deco(configure):
        if name in COMMANDS:
            raise ValueError(f"subcommand {name!r} registered twice")
        cmd = COMMANDS[name] = Command(name, help, configure)
        configure.runner = cmd.runner
        return configure
    return deco


def die(msg):
    """A bad option or file: one line on stderr naming the problem, exit status 2."""
    print(f"ima-sim: error: {msg}", file=sys.stderr)
    raise SystemExit(2)
