"""TCDM protocol checker in RTL for simulation test tops (issue 15): the per-cycle rules of the
Python monitor :class:`tb.check.monitor.TcdmProtocolMonitor`, evaluated by the simulator, with
sticky error bits and grant / stall counters read once at the end of a run.

Rules (``hw.signatures.TcdmSignature``; our interconnect answers writes with ``r_valid`` too):

* ``ERR_GNT_WITHOUT_REQ`` -- ``gnt`` without ``req``;
* ``ERR_UNEXPECTED_RVALID`` -- ``r_valid`` without a grant in the cycle before;
* ``ERR_MISSING_RVALID`` -- no ``r_valid`` one cycle after a grant;
* ``ERR_CHANGED_WHILE_STALLED`` -- ``addr``, ``we``, ``be`` or (writes) ``wdata`` changed while
  ``req & ~gnt`` persisted.

(The Python monitor's X/Z rule has no RTL form; Verilator is 2-state anyway.) Counters use the
definitions of the TCDM's statistics (:class:`hw.signatures.TcdmStatsSignature`): ``granted`` =
cycles with ``req & gnt``, ``stalled`` = cycles with ``req & ~gnt``, so the testbench can check
them against the interconnect's own counters of the same master. ``first_cycle`` holds the
``cycle`` count at the first rule break (0: none) for the error message.
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.cluster.cluster import ima_name
from hw.signatures import TcdmSignature

__all__ = ["TcdmChecker", "checked_ports", "CheckerSignature", "ERR_GNT_WITHOUT_REQ", "ERR_UNEXPECTED_RVALID",
           "ERR_MISSING_RVALID", "ERR_CHANGED_WHILE_STALLED", "ERROR_NAMES"]

ERR_GNT_WITHOUT_REQ = 1 << 0
ERR_UNEXPECTED_RVALID = 1 << 1
ERR_MISSING_RVALID = 1 << 2
ERR_CHANGED_WHILE_STALLED = 1 << 3
#: Error bit -> the rule it flags (the Python monitor's wording).
ERROR_NAMES = {ERR_GNT_WITHOUT_REQ: "gnt without req",
               ERR_UNEXPECTED_RVALID: "r_valid without a granted access one cycle before",
               ERR_MISSING_RVALID: "missing r_valid one cycle after a grant",
               ERR_CHANGED_WHILE_STALLED: "request changed while stalled"}


class CheckerSignature(wiring.Signature):
    """What a checker reports (seen from the checker): ``err`` (4 sticky bits), ``granted``,
    ``stalled`` (32-bit counters), ``first_cycle`` (32 bits)."""

    def __init__(self):
        super().__init__({"err": Out(4), "granted": Out(32), "stalled": Out(32),
                          "first_cycle": Out(32)})


class TcdmChecker(wiring.Component):
    """Watches one TCDM port (every member an input: it only observes).

    Interface attributes
    --------------------
    port : In(TcdmSignature()) flipped to all-inputs (``port.req``, ``port.gnt``, ...)
    report : Out(CheckerSignature())
    """

    def __init__(self):
        port = TcdmSignature()
        super().__init__({
            "port": In(wiring.Signature({n: In(m.shape) for n, m in port.members.items()})),
            "report": Out(CheckerSignature()),
        })

    def elaborate(self, platform):
        m = Module()
        p, r = self.port, self.report
        cycle = Signal(32)
        m.d.sync += cycle.eq(cycle + 1)
        pending = Signal()              # granted last cycle: r_valid due now
        stalled = Signal()              # req & ~gnt last cycle
        held = [Signal.like(s, name=f"held_{n}") for n, s in
                (("addr", p.addr), ("we", p.we), ("be", p.be), ("wdata", p.wdata))]
        m.d.sync += [pending.eq(p.req & p.gnt), stalled.eq(p.req & ~p.gnt)]
        with m.If(p.req & ~p.gnt):
            m.d.sync += [h.eq(s) for h, s in zip(held, (p.addr, p.we, p.be, p.wdata), strict=True)]
        h_addr, h_we, h_be, h_wdata = held
        changed = (p.addr != h_addr) | (p.we != h_we) | (p.be != h_be) | (h_we & (p.wdata != h_wdata))
        errs = Signal(4)
        m.d.comb += errs.eq(
            (p.gnt & ~p.req)
            | (p.r_valid & ~pending) << 1
            | (pending & ~p.r_valid) << 2
            | (stalled & p.req & changed) << 3)
        m.d.sync += r.err.eq(r.err | errs)
        with m.If((errs != 0) & (r.err == 0)):
            m.d.sync += r.first_cycle.eq(cycle)
        with m.If(p.req & p.gnt):
            m.d.sync += r.granted.eq(r.granted + 1)
        with m.If(p.req & ~p.gnt):
            m.d.sync += r.stalled.eq(r.stalled + 1)
        return m


def checked_ports(cfg):
    """The accelerator ports of cluster ``cfg`` (a :class:`hw.config.ClusterConfig`) that the
    RTL checkers of its test top (tb/build/cluster_top.py) watch, in ``chk`` order, as
    ``(instance, port)``: the IMAs' load ports, their store ports (none with the shared data
    interface), the DWA's ports (with ``cfg.dwa``) -- the ports the Python monitors of
    :class:`tb.env.cluster.ClusterEnv` watch. With ``cfg.imas`` = K > 1 the IMA ports follow
    the TCDM master order (:meth:`hw.config.ClusterConfig.master_ranges`): every IMA's loads
    (instances ``ima``, ``ima1``, ...), then every IMA's stores; so IMA port ``i`` of the list
    is TCDM master ``cfg.n_cores + i``."""
    insts = [ima_name("ima", q) for q in range(cfg.imas)]
    ports = [(inst, f"tcdm_load__{k}") for inst in insts for k in range(cfg.ima.ports)]
    ports += [(inst, f"tcdm_store__{k}") for inst in insts for k in range(cfg.ima.store_ports)]
    if cfg.dwa:
        ports += [("dwa", f"tcdm__{k}") for k in range(cfg.dwa_ports)]
    return ports
