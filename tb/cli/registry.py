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

import argparse
import os
import sys
from pathlib import Path

__all__ = ["COMMANDS", "Command", "command", "die", "CliParser", "int_at_least", "output_file",
           "output_dir", "check_outputs", "refuse_unused"]


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


class CliParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (argparse prints its usage block first):
    ``ima-sim run: error: argument --seed: invalid int value: 'x' (ima-sim run -h: the options)``,
    exit status 2. Sub-parsers made by ``add_subparsers`` inherit the class."""

    def error(self, message):
        print(f"{self.prog}: error: {message} ({self.prog} -h: the options)", file=sys.stderr)
        raise SystemExit(2)


def int_at_least(lo):
    """An argparse ``type``: an integer >= ``lo``; argparse names the option in the error
    (``argument --seed: expected an integer >= 0, not '-1'``)."""
    what = {0: "a non-negative integer", 1: "a positive integer"}.get(lo, f"an integer >= {lo}")

    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
        return v
    parse.__name__ = f"int>={lo}"
    return parse


def _writable_dir(path):
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def output_file(option, path):
    """``ValueError`` naming ``option`` unless ``path`` can be written as a file (its folder exists
    and is writable; it is not a folder; if it exists, it is writable). Writes nothing."""
    p = Path(path)
    if str(path) == "":
        raise ValueError(f"{option}: a file name is needed, not ''")
    if p.is_dir():
        raise ValueError(f"{option} {path}: a file name is needed, not a folder")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise ValueError(f"{option} {path}: folder {parent} does not exist")
    if not _writable_dir(parent):
        raise ValueError(f"{option} {path}: folder {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{option} {path}: the file is not writable")
    return path


def output_dir(option, path):
    """``ValueError`` naming ``option`` unless ``path`` is a writable folder or can be made one
    (the nearest existing ancestor is a writable folder). Writes nothing."""
    p = Path(path).resolve()
    if str(path) == "":
        raise ValueError(f"{option}: a folder name is needed, not ''")
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ValueError(f"{option} {path}: " + ("" if probe == p else f"{probe} ")
                         + "is a file, not a folder")
    if not _writable_dir(probe):
        raise ValueError(f"{option} {path}: folder {probe} is not writable")
    return path


def check_outputs(args, files=(), dirs=()):
    """Check every output path given on the command line before any build or simulation:
    ``files`` / ``dirs`` are ``(option, dest)`` pairs of ``args``; a bad one: :func:`die`."""
    try:
        for option, dest in files:
            if getattr(args, dest) is not None:
                output_file(option, getattr(args, dest))
        for option, dest in dirs:
            if getattr(args, dest) is not None:
                output_dir(option, getattr(args, dest))
    except ValueError as e:
        die(str(e))


def refuse_unused(args, configure, options, because):
    """:func:`die` if one of ``options`` (``(option, dest)`` pairs) was given a value other than
    its default (the defaults of the parser ``configure`` sets up): in this combination it would
    do nothing. ``because`` says why (``"--rerender re-draws a finished sweep"``)."""
    p = argparse.ArgumentParser()
    configure(p)
    for option, dest in options:
        if getattr(args, dest) != p.get_default(dest):
            die(f"{option}: {because}; drop {option}")
