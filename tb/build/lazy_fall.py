"""What the project's Verilator main (``tb/build/verilator_main.cpp``) needs to know about one
generated model to clock it itself and to skip the falling edges' evaluation (issue 15,
docs/speed-plan.md "Step 3e"): written as ``ima_model.h`` into the build directory between
Verilator's code generation and the C++ compile (:class:`tb.build.runner.ProjectVerilator`).

A falling edge of ``clk`` at which nothing else changed cannot change any state of a design that
has no ``negedge`` logic and no combinational logic reading the clock: its ``eval()`` only copies
``clk`` into the model's internal copies of it (the public ``<module>.clk`` of each level, kept by
Verilator for the VPI) and stores the trigger expressions' previous values
(``__Vtrigprevexpr___TOP__..._clk__0``), against which the next ``eval()`` detects the rising
edge. The main may then do exactly those stores instead of the ``eval()``.

:func:`analyse` proves that from the generated C++ (whitespace-free text of the model's fast
code, i.e. what ``eval()`` runs): the clock copies are the transitive closure of plain copy
statements from ``clk``; each is assigned by such a copy only; every use of them is a copy, a
rising-edge trigger term ``clk_copy & ~prev`` or the update ``prev = clk_copy``; every trigger's
previous value is over a clock copy. Anything else (a negedge trigger, a second clock, logic that
reads the clock, a change of Verilator's code generation) makes the model *unsupported*: the
header says why and the main refuses lazy falling edges at start (a clear error, never a wrong
skip). Run as a script: ``python lazy_fall.py <build_dir>`` (standard library only).
"""

import re
import sys
from pathlib import Path

__all__ = ["HEADER", "CLOCK", "analyse", "header_text", "write_header"]

#: The header's name in the build directory (included by tb/build/verilator_main.cpp).
HEADER = "ima_model.h"
#: The top-level clock input the main drives (every test top's clock port).
CLOCK = "clk"

_SELF = r"(?:vlSelfRef\.|vlSelf->)"
_COPY = re.compile(_SELF + r"(\w+)=" + _SELF + r"(\w+);")
_RISE = re.compile(r"\(IData\)\(" + _SELF + r"(\w+)\)&\(~\(IData\)\(" + _SELF
                   + r"(__Vtrigprevexpr\w+)\)\)")
_PREV = re.compile(r"__Vtrigprevexpr\w+")
# the width check of an input in ``_eval_debug_assertions`` (compiled only with VL_DEBUG)
_WIDTH = re.compile(r"\(\(" + _SELF + r"(\w+)&0xfeU\)\)")
_SKIP_FILES = ("__Slow", "__Syms", "__Trace", "__Dpi", "__ConstPool")


def _fast_code(bdir):
    """The model's fast code (what ``eval()`` runs), whitespace removed."""
    files = sorted(p for p in Path(bdir).glob("Vtop*.cpp")
                   if not any(s in p.name for s in _SKIP_FILES))
    return "".join(re.sub(r"\s+", "", p.read_text()) for p in files)


def analyse(bdir):
    """``(clock, lazy, why, copies, prevs)`` for the model generated in ``bdir``: ``clock`` whether
    the root class has the 1-bit input ``clk``; ``lazy`` whether a falling edge may be replaced by
    the stores ``copies`` (``(dst, src)`` in order) and ``prevs`` (``(prev, clock copy)``);
    ``why`` the reason when not."""
    root_h = Path(bdir) / "Vtop___024root.h"
    if not root_h.exists():
        return False, False, "no Vtop___024root.h (not a Verilator 5 build)", [], []
    header = root_h.read_text()
    if not re.search(r"VL_IN8\(" + CLOCK + r",0,0\)", header):
        return False, False, f"the model has no 1-bit input {CLOCK!r}", [], []
    code = _fast_code(bdir)
    pairs = [(d, s) for d, s in _COPY.findall(code) if not d.startswith("__Vtrigprevexpr")]
    clocks, copies = [CLOCK], []
    grew = True
    while grew:
        grew = False
        for dst, src in pairs:
            if src in clocks and dst not in clocks:
                clocks.append(dst)
                grew = True
    seen = set()
    for dst, src in pairs:
        if dst in clocks[1:] and (dst, src) not in seen:
            seen.add((dst, src))
            copies.append((dst, src))

    def fail(why):
        return True, False, why, [], []

    for dst, src in pairs:
        if dst in clocks and src not in clocks:
            return fail(f"clock copy {dst} is also assigned from {src}")
    rises = _RISE.findall(code)
    updates = [(d, s) for d, s in _COPY.findall(code) if d.startswith("__Vtrigprevexpr")]
    members = sorted(set(_PREV.findall(header)))
    if not members:
        return fail("no trigger on the clock found (__Vtrigprevexpr members)")
    rise_of = {}
    for var, prev in rises:
        rise_of.setdefault(prev, set()).add(var)
    upd_of = {}
    for prev, var in updates:
        upd_of.setdefault(prev, set()).add(var)
    prevs = []
    for prev in members:
        vars_ = rise_of.get(prev, set()) | upd_of.get(prev, set())
        if len(vars_) != 1 or not vars_ <= set(clocks) or prev not in rise_of or prev not in upd_of:
            return fail(f"trigger {prev} is not a rising edge of one copy of {CLOCK}")
        prevs.append((prev, vars_.pop()))
    for var in clocks:
        uses = len(re.findall(_SELF + re.escape(var) + r"(?!\w)", code))
        known = (sum((d == var) + (s == var) for d, s in pairs)
                 + sum(v == var for v, _ in rises) + sum(v == var for _, v in updates)
                 + sum(v == var for v in _WIDTH.findall(code)))
        if uses != known:
            return fail(f"{var} is read by logic other than copies and rising-edge triggers "
                        f"({uses} uses, {known} accounted for)")
    return True, True, "", copies, prevs


def header_text(bdir):
    """The text of :data:`HEADER` for the model in ``bdir`` (see the module docstring)."""
    clock, lazy, why, copies, prevs = analyse(bdir)
    lines = ["// Generated by tb/build/lazy_fall.py for this model: do not edit.",
             "#pragma once",
             '#include "Vtop___024root.h"' if clock else "// (no root class header: no clock)",
             f"#define IMA_CLOCK_OK {int(clock)}",
             f"#define IMA_LAZY_FALL_OK {int(lazy)}",
             f"#define IMA_LAZY_FALL_WHY {why!r}".replace("'", '"'),
             "static inline void ima_clk_set(Vtop___024root& r, unsigned v) {",
             f"    {'r.' + CLOCK + ' = v;' if clock else '(void)r; (void)v;'}",
             "}",
             "static inline unsigned ima_clk_get(const Vtop___024root& r) {",
             f"    {'return r.' + CLOCK + ';' if clock else '(void)r; return 0;'}",
             "}",
             "// The stores the eval() of a falling edge at which nothing else changed would do.",
             "static inline void ima_lazy_fall_apply(Vtop___024root& r) {",
             *(f"    r.{d} = r.{s};" for d, s in copies),
             *(f"    r.{p} = r.{v};" for p, v in prevs),
             "    (void)r;",
             "}"]
    return "\n".join(lines) + "\n"


def write_header(bdir):
    """Write :data:`HEADER` into ``bdir`` unless its text is unchanged (so make has nothing to
    redo); return its path. Nothing is read when the stamp of the last check (``<HEADER>.stamp``)
    is newer than every generated file and this script (a cached build: the check costs ~0.3 s of
    CPU on a cluster model)."""
    path = Path(bdir) / HEADER
    stamp = path.with_name(HEADER + ".stamp")
    if path.exists() and stamp.exists():
        inputs = [Path(__file__), *Path(bdir).glob("Vtop*.cpp"), *Path(bdir).glob("Vtop*.h")]
        if stamp.stat().st_mtime > max(p.stat().st_mtime for p in inputs):
            return path
    text = header_text(bdir)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    stamp.write_text("")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: lazy_fall.py BUILD_DIR")
    write_header(sys.argv[1])
