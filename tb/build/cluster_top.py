"""The cluster's simulation test top: :class:`hw.cluster.cluster.Cluster` (instance ``cluster``)
plus one :class:`hw.verif.engine.RequestEngine` per core (instances ``engine<i>``), issue 15.

Every port of the cluster comes out unchanged under its own name (``core_tcdm__<i>__*``,
``core_periph__<i>__*``, ``evt``, ``ac__*``, ``tcdm_stat__*``, ``ima_stat__*``, ...), so the
testbench drives the same wires as on a bare ``Cluster``. Added ports:

* ``eng_sel`` (one bit per core): core ``i``'s TCDM port is driven by its engine when bit ``i``
  is 1, by the ``core_tcdm__<i>__*`` inputs (the per-access Python BFM) when 0. The responses
  (``gnt``, ``r_valid``, ``r_data``) reach both; the engine sees them only while selected.
* ``eng__<i>__*``: engine ``i``'s control side (:class:`hw.verif.engine.EngineControlSignature`).
* ``chk__<j>__{err,granted,stalled,first_cycle}``: a :class:`hw.verif.checker.TcdmChecker` on
  each accelerator TCDM port of :func:`hw.verif.checker.checked_ports` (the rules the Python
  monitors check per cycle, evaluated by the simulator; read once at the end of a run).

* ``clk`` and ``rst``: the same names as a bare ``Cluster``'s implicit ``sync`` ports, but the
  domain is defined here (:func:`tb.build.reset.registered_reset`): the design's reset is a flop
  that samples ``rst``, so no next-state logic depends on a top-level input and Verilator keeps
  it out of the input-combinational region it evaluates on every ``eval()`` (docs/speed-plan.md,
  "Step 3c"). The design leaves reset one cycle after ``rst`` falls.

The cluster itself and its Verilog (``ima-sim verilog``) do not change; its internals are one
level down (``dut.cluster.ima``, ``dut.cluster.tcdm.tcdm.bank0``, ...).
"""

from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.cluster import Cluster
from hw.config import ClusterConfig, preset
from hw.verif.checker import CheckerSignature, TcdmChecker, checked_ports
from hw.verif.engine import DEFAULT_DEPTH, EngineControlSignature, RequestEngine
from tb.build.reset import input_port_names, registered_reset

__all__ = ["ClusterTestTop", "ENGINE_PUBLIC", "input_ports"]

#: Verilator patterns (module, var) the engines add to a lean build's public signals: their
#: memories, filled and read back through the VPI (the control side is top-level ports).
ENGINE_PUBLIC = (("*", "req_addr"), ("*", "req_ctl"), ("*", "req_wdata"), ("*", "rsp_data"))

_TCDM_REQUEST = ("req", "addr", "we", "be", "wdata")
_TCDM_RESPONSE = ("gnt", "r_valid", "r_data")


class ClusterTestTop(wiring.Component):
    """``Cluster(cfg, **overrides)`` with a request engine per core.

    Parameters
    ----------
    cfg : ClusterConfig, optional
        Default: the default preset of :mod:`hw.config`.
    engine_depth : int
        Ring slots per engine, a power of two >= 4 (default
        :data:`hw.verif.engine.DEFAULT_DEPTH`).

    Raises
    ------
    ValueError
        On a bad ``engine_depth`` (or a bad cluster parameter, as ``Cluster`` raises it).
    **overrides
        Flat parameter changes, as :class:`~hw.cluster.cluster.Cluster` takes them.
    """

    def __init__(self, cfg: ClusterConfig = None, *, engine_depth=DEFAULT_DEPTH, **overrides):
        if (not isinstance(engine_depth, int) or isinstance(engine_depth, bool) or engine_depth < 4
                or engine_depth & (engine_depth - 1)):
            raise ValueError(f"engine_depth must be a power of two >= 4, not {engine_depth!r}")
        self._cluster = Cluster(cfg or preset(), **overrides)
        self.cfg = self._cluster.cfg
        self.engine_depth = engine_depth
        n = self.cfg.n_cores
        members = {"clk": In(1), "rst": In(1), **self._cluster.signature.members}
        members["eng_sel"] = In(n)
        members["eng"] = In(EngineControlSignature(engine_depth)).array(n)
        members["chk"] = Out(CheckerSignature()).array(len(checked_ports(self.cfg)))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        registered_reset(m, self.clk, self.rst)
        cl = self._cluster
        # elaborated here (same module, same Verilog) so the checkers can watch its accelerators
        inner = cl.elaborate(platform)
        cl._MustUse__used = True        # what Fragment.get would mark (no UnusedElaboratable)
        m.submodules.cluster = inner
        for j, (inst, name) in enumerate(checked_ports(self.cfg)):
            block = getattr(inner.submodules, inst)
            kind, k = name.rsplit("__", 1)
            watched = getattr(block, kind)[int(k)]
            m.submodules[f"chk{j}"] = chk = TcdmChecker()
            for f in chk.port.signature.members:
                m.d.comb += getattr(chk.port, f).eq(getattr(watched, f))
            connect(m, chk.report, flipped(self.chk[j]))
        for name, member in cl.signature.members.items():
            if name != "core_tcdm":
                _forward(m, member, getattr(self, name), getattr(cl, name))
        for i in range(self.cfg.n_cores):
            m.submodules[f"engine{i}"] = eng = RequestEngine(self.engine_depth)
            connect(m, flipped(self.eng[i]), eng.ctl)
            tb, port, sel = self.core_tcdm[i], cl.core_tcdm[i], self.eng_sel[i]
            for f in _TCDM_REQUEST:
                m.d.comb += getattr(port, f).eq(Mux(sel, getattr(eng.bus, f), getattr(tb, f)))
            for f in _TCDM_RESPONSE:
                m.d.comb += getattr(tb, f).eq(getattr(port, f))
            m.d.comb += [eng.bus.gnt.eq(port.gnt & sel), eng.bus.r_valid.eq(port.r_valid & sel),
                         eng.bus.r_data.eq(port.r_data)]
        return m


def input_ports(cfg: ClusterConfig, *, engine_depth=DEFAULT_DEPTH):
    """The Verilog names of the input ports of ``ClusterTestTop(cfg, engine_depth=...)``
    (:func:`tb.build.reset.input_port_names`), from its signature alone: the top is not
    elaborated (and marked used, so Amaranth does not warn about it)."""
    top = ClusterTestTop(cfg, engine_depth=engine_depth)
    top._MustUse__used = top._cluster._MustUse__used = True
    return input_port_names(top)


def _forward(m, member, outer, inner):
    """Wire the top's port ``outer`` to the cluster's same-named port ``inner``."""
    if isinstance(outer, list):
        for o, i in zip(outer, inner, strict=True):
            _forward(m, member, o, i)
    elif member.is_port:
        m.d.comb += (outer.eq(inner) if member.flow == Out else inner.eq(outer))
    else:
        connect(m, flipped(outer), inner)
