"""The Verilator main's clock with lazy falling edges against the same clock evaluating every edge
and against cocotb's GPI clock, on a small design (issue 15, docs/speed-plan.md "Step 3e");
pytest entry point ``tests/tb/build/test_verilator_main.py``.

:class:`LazyFallTop`: an accumulator and a counter (flops), a combinational sum of a flop and an
input, and a combinational read of a memory at the counter. Per cycle the test records the outputs
after the rising and after the falling edge (ReadOnly) while it changes the input at falling edges
(from the FallingEdge wake, and from a timer ending at a falling edge's time) and writes the memory
with ``vpi_put_value_array`` after a rising edge's evaluation (ReadWrite): the one write the VPI does
not flag, so a lazy falling edge must learn of it from the array wrapper (option ``notify``,
default on) or the falling edge's read shows the old word. The host compares every record with its
own model of the design.
"""

import random

import cocotb
import numpy as np
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from cocotb.triggers import FallingEdge, ReadOnly, ReadWrite, RisingEdge, Timer

from tb.bfm.backdoor import open_memories
from tb.bfm.clock import main_clock_stats, start_clock
from tb.env import params

__all__ = ["LazyFallTop", "DEPTH", "PERIOD_NS"]

#: Words of the test memory (8 bits each).
DEPTH = 16
#: The clock period of the test, ns.
PERIOD_NS = 4


class LazyFallTop(wiring.Component):
    """``acc += a`` and ``cnt += 1`` every cycle; ``sum = acc + a`` and ``rd = mem[cnt]``
    combinational; a write port from inputs keeps the memory a memory."""
    a: In(8)
    we: In(1)
    waddr: In(4)
    wdata: In(8)
    acc: Out(8)
    cnt: Out(4)
    sum: Out(8)
    rd: Out(8)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=8, depth=DEPTH, init=[])
        rp = mem.read_port(domain="comb")
        wp = mem.write_port()
        m.d.comb += [rp.addr.eq(self.cnt), self.rd.eq(rp.data), self.sum.eq(self.acc + self.a),
                     wp.addr.eq(self.waddr), wp.data.eq(self.wdata), wp.en.eq(self.we)]
        m.d.sync += [self.acc.eq(self.acc + self.a), self.cnt.eq(self.cnt + 1)]
        return m


def _outputs(dut):
    return [int(dut.acc.value), int(dut.cnt.value), int(dut.sum.value), int(dut.rd.value)]


@cocotb.test()
async def lazy_fall_trace(dut):
    """Options: ``variants`` (list of ``[impl, notify]``), ``cycles``, ``seed``. Saves per variant
    the initial state (acc, cnt, a, memory), the actions and the records, and the main's counters."""
    p = params.load()
    cycles = int(p.option("cycles", 40))
    rng = random.Random(int(p.option("seed", 1)))
    dut.we.value = 0
    dut.waddr.value = 0
    dut.wdata.value = 0
    dut.a.value = 0
    await Timer(PERIOD_NS, "ns")                   # past the initial evaluation
    (mem,), method = open_memories([dut.mem], DEPTH)
    assert method == "vpi_array", "vpi_put_value_array is not available on this build"
    notify = mem._a._eval_needed
    out = []
    for impl, notify_on in p.option("variants"):
        mem._a._eval_needed = notify if notify_on else None
        before = main_clock_stats()
        clock = start_clock(dut.clk, PERIOD_NS, impl=impl)
        await RisingEdge(dut.clk)
        await ReadOnly()
        init = {"acc": int(dut.acc.value), "cnt": int(dut.cnt.value), "a": int(dut.a.value),
                "mem": mem.get(0, DEPTH).tolist()}
        await FallingEdge(dut.clk)
        actions, records = [], []
        for c in range(cycles):
            await RisingEdge(dut.clk)
            act = {"put": None, "a": None}
            if c % 3 == 0:                         # after the rising edge's evaluation
                await ReadWrite()
                idx, word = int(dut.cnt.value), rng.randrange(256)
                mem.put(idx, np.array([word], dtype=np.uint32))
                act["put"] = [idx, word]
            await ReadOnly()
            records.append(_outputs(dut))
            if c % 4 == 2:                         # a timer ending at the falling edge's time
                await Timer(PERIOD_NS // 2, "ns")
                act["a"] = rng.randrange(256)
                dut.a.value = act["a"]
            else:
                await FallingEdge(dut.clk)
                if c % 4 == 1:                     # from the FallingEdge wake
                    act["a"] = rng.randrange(256)
                    dut.a.value = act["a"]
            await ReadOnly()
            records.append(_outputs(dut))
            actions.append(act)
        clock.cancel()
        await Timer(PERIOD_NS, "ns")               # no edge while stopped
        after = main_clock_stats()
        stats = None if before is None else {k: after[k] - before[k] for k in after}
        out.append({"impl": impl, "notify": notify_on, "init": init, "actions": actions,
                    "records": records, "stats": stats})
    params.save_result({"variants": out})
