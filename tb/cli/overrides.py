"""``--set NAME=VALUE``: override any single hardware parameter of a preset on the command line.

The named options (``--ports``, ``--overlap`` ...) cover the common parameters; ``--set`` reaches
every flat parameter of :class:`hw.config.ClusterConfig` (``banks``, ``clock_hz``, ``mvm_ns``,
``data_interface``, ``arrays``, ``sw_cost`` ...). A value takes the type of the preset's value
(int, float, bool as ``true``/``false``, or text); validation is the configuration's own, so a
bad value gets its ``ValueError`` naming the parameter.
"""

__all__ = ["add_set_option", "parse_sets", "name_option"]


def add_set_option(p):
    """Add the repeatable ``--set NAME=VALUE`` option to an argparse parser."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="set",
                   help="override one hardware parameter of the preset (repeatable), e.g. "
                        "--set banks=32 --set mvm_ns=130 --set data_interface=shared")


def _convert(name, text, like):
    if isinstance(like, bool):
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"--set {name}: expected true or false, not {text!r}")
    for kind in (int, float):
        if isinstance(like, kind):
            try:
                return kind(text)
            except ValueError:
                raise ValueError(f"--set {name}: expected {kind.__name__}, not {text!r}") from None
    return text


def parse_sets(items, base):
    """``["banks=32", ...]`` -> ``{"banks": 32, ...}`` typed like ``base.flat()`` (a
    :class:`hw.config.ClusterConfig`); ``ValueError`` names a malformed item or an unknown name."""
    flat = base.flat()
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ValueError(f"--set expects NAME=VALUE, not {item!r}")
        if name not in flat:
            raise ValueError(f"--set {name}: unknown parameter; known: {', '.join(sorted(flat))}")
        out[name] = _convert(name, text.strip(), flat[name])
    return out


def name_option(e, named, sets=()):
    """The message of a configuration ``ValueError`` (:meth:`hw.config.ClusterConfig.with_`; it
    starts with the parameter's name) naming the command-line option that set the parameter:
    ``named`` maps the parameters the named options gave to those options (``{"ports":
    "--ports"}``), ``sets`` holds the parameters ``--set`` gave (``--set banks must be ...``)."""
    msg = str(e)
    name = msg.split(" ", 1)[0]
    if name in named:
        return named[name] + msg[len(name):]
    if name in sets:
        return f"--set {msg}"
    return msg
