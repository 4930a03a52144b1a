"""The registered reset of the simulation test tops (tb/build/reset.py, issue 15 step 3c): the
domain leaves reset one cycle after the ``rst`` input falls, and in the Verilog no logic but the
reset flop reads that input (so Verilator's input region holds no next-state logic for it).
Checked on a small top in Amaranth's simulator and on its Verilog, and on the cluster test
top's elaborated design (no conversion: seconds)."""

import re

import pytest
from amaranth import Module, Signal
from amaranth.hdl import Fragment
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hw.config import preset
from hw.flow.verilog import convert
from tb.build.cluster import lean_public
from tb.build.cluster_top import ClusterTestTop
from tb.build.reset import RESET_FLOP, input_port_names, registered_reset


class _Counter(wiring.Component):
    """A counter in ``sync`` with the registered reset: the smallest design it applies to."""
    clk: In(1)
    rst: In(1)
    en: In(1)
    count: Out(8)

    def elaborate(self, platform):
        m = Module()
        registered_reset(m, self.clk, self.rst)
        with m.If(self.en):
            m.d.sync += self.count.eq(self.count + 1)
        return m


def test_domain_leaves_reset_one_cycle_after_the_input():
    dut = _Counter()
    seen = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for rst in (1, 1, 0, 0, 0, 0):
            ctx.set(dut.rst, rst)
            ctx.set(dut.clk, 0)
            await ctx.delay(1e-9)
            ctx.set(dut.clk, 1)
            await ctx.delay(1e-9)
            seen.append(ctx.get(dut.count))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    # rst sampled 0 at the third edge: the counter is still held there, counts from the fourth
    assert seen == [0, 0, 0, 1, 2, 3]


def test_only_the_flop_reads_the_rst_input_in_the_verilog():
    text = convert(_Counter(), "counter")
    body = text.split(");", 1)[1]
    readers = [line.strip() for line in body.splitlines()
               if re.search(r"(?<![\\\w$])rst(?![\w$])", line)
               and not re.match(r"\s*(input|wire)\s+rst\s*;", line)]
    match = re.fullmatch(r"(\\\S+|\w+)\s+<= rst;", readers[0]) if len(readers) == 1 else None
    assert match, readers
    flop = re.escape(match.group(1))
    assert re.search(rf"reg {flop}\s+= 1'h1;", body)         # the flop starts in reset
    assert re.search(rf"if \({flop}\s*\) begin", body)      # and the next state reads it


@pytest.mark.parametrize("bad", [dict(domain=""), dict(domain=3)])
def test_bad_domain(bad):
    with pytest.raises(ValueError, match="domain"):
        registered_reset(Module(), Signal(), Signal(), **bad)


@pytest.mark.parametrize("which", ["clk", "rst"])
def test_bad_signals(which):
    args = {"clk": Signal(), "rst": Signal()}
    args[which] = Signal(2)
    with pytest.raises(ValueError, match=which):
        registered_reset(Module(), args["clk"], args["rst"])


def test_input_port_names_rejects_a_non_component():
    with pytest.raises(ValueError, match="component"):
        input_port_names(object())


def test_cluster_top_resets_through_the_flop():
    """The cluster test top defines ``sync`` itself (no implicit ``clk`` / ``rst`` domain ports)
    with the flop driving its reset; its lean public set keeps the top's internal signals (the
    flop among them) read only and only its inputs writable."""
    cfg = preset().with_(ports=2)
    top = ClusterTestTop(cfg)
    frag = Fragment.get(top, None)
    sync = frag.domains["sync"]
    flop_drivers = [s for s in frag.statements.get("sync", []) if getattr(s.lhs, "name", "") == RESET_FLOP]
    assert len(flop_drivers) == 1 and flop_drivers[0].rhs is top.rst
    comb = [s for s in frag.statements.get("comb", []) if s.lhs is sync.rst]
    assert len(comb) == 1 and comb[0].rhs is flop_drivers[0].lhs
    public = lean_public(cfg)
    writable_top = {p[1] for p in public if p[0] == "cluster" and p[2:] != ("rd",)}
    assert writable_top == set(input_port_names(top))
    assert {"clk", "rst", "eng_sel", "core_periph__0__req"} <= writable_top
    assert RESET_FLOP not in writable_top and "*" not in writable_top
