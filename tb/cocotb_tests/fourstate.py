"""cocotb tests for four-state simulation (Icarus Verilog) on the IMA test top
(:class:`tb.build.tops.ImaTestTop`); the host side is ``tests/tb/check/test_fourstate.py``
(docs/four-state.md).

``conv_layer`` runs one conv layer (a small seeded shape) bit-exact against the golden model, with
every X/Z check of :class:`tb.env.ima.ImaEnv` on when the simulator is 4-state, and saves what the
host compares between Icarus and Verilator: the TCDM image after the run, the phase counters,
the layer time and the cycle the run ended. ``x_injection`` (4-state only) shows that the checks
bite: an X written into a job register through the control port comes back on ``ctrl__r_data``
and the output monitor reports it; a request whose address is left undriven (Z) for one cycle is
reported by the TCDM protocol monitor. ``backdoor_outside_read_only`` guards the fix of a
backdoor write lost under Icarus (see the test).
"""

import random

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.types import LogicArray
from cocotb.utils import get_sim_time

from hw.ima.regmap import REG
from sim_models.layer_cases import make_case
from tb.bfm.backdoor import writable
from tb.bfm.core import CLK_PERIOD_NS
from tb.bfm.sig import four_state
from tb.bfm.tcdm import TcdmProtocolError
from tb.check.monitor import OutputXzMonitor, TcdmProtocolMonitor

# Re-exported so the host can run it in this module's simulator start: the regression test of
# the analog core model's read-back race under Icarus (tests/tb/check/test_fourstate.py).
from tb.cocotb_tests.ima import (
    CORE,
    BusySpans,
    program_and_readback,  # noqa: F401
    run_case,
)
from tb.env import params
from tb.env.ima import ImaEnv

#: The conv layer's shape (small: Icarus runs this top at about 1k cycles/s).
CONV_SHAPE = dict(h=4, w=3, cin=8, cout=12)


def _cycle(env):
    """The current cycle since time 0 (ImaEnv's clock period is the cores' CLK_PERIOD_NS)."""
    return int(get_sim_time("ns") // CLK_PERIOD_NS)


@cocotb.test()
async def conv_layer(dut):
    """One conv layer, bit-exact (golden model, and the whole used TCDM against the executor)."""
    env = ImaEnv(dut)
    await env.start()
    rng = np.random.default_rng(random.getrandbits(32))
    case = make_case("conv", rng, env.p, **params.load().option("shape", CONV_SHAPE))
    spans = BusySpans(env).start()
    cycles = await run_case(env, case)
    image = np.frombuffer(env.dump(case.used), dtype=np.uint8)
    result = {"four_state": four_state(), "phases": cycles, "layer_time": spans.spans,
              "end_cycle": _cycle(env), "jobs": len(case.mapping.jobs)}
    if env.xz_monitor is not None:
        result["xz"] = {"outputs": env.xz_monitor.watched, "cycles": env.xz_monitor.cycle,
                        "tcdm_ports": len(env.monitors)}
    dut._log.info("conv %s: %s", CONV_SHAPE, result)
    params.save_result(result, {"image": image, "output": case.golden})


@cocotb.test()
async def backdoor_outside_read_only(dut):
    """A TCDM backdoor write in a ReadOnly phase raises under a 4-state simulator (Icarus would
    drop it: layers_bit_exact's second layer ran on a stale TCDM); after ``writable()`` it lands."""
    assert four_state(), "backdoor_outside_read_only needs a 4-state simulator (Icarus)"
    env = ImaEnv(dut, monitors=False)
    await env.start()
    data = bytes(range(1, 65))
    await ReadOnly()
    try:
        env.backdoor.load(0x100, data)
    except RuntimeError as e:
        assert "ReadOnly" in str(e), e
    else:
        raise AssertionError("a backdoor write in ReadOnly did not raise")
    await writable()
    env.backdoor.load(0x100, data)
    await RisingEdge(env.clk)
    assert env.backdoor.dump(0x100, len(data)) == data, "the backdoor write after writable() was lost"


@cocotb.test()
async def x_injection(dut):
    """Under a 4-state simulator, two injected unknowns are reported by the monitors."""
    assert four_state(), "x_injection needs a 4-state simulator (Icarus): Verilator reads X as 0"
    env = ImaEnv(dut, monitors=False, xz=False)
    await env.start()
    xz = OutputXzMonitor(dut, *env.xz_outputs(), raise_errors=False, start=False)
    tb0 = TcdmProtocolMonitor(dut, "tb__0", env.clk, start=False)
    tcdm_errors = []

    async def watch():                    # step both checkers every cycle, recording breaks
        while True:
            await RisingEdge(env.clk)
            await ReadOnly()
            xz.cycle = tb0.cycle = _cycle(env)
            xz.step()
            try:
                tb0.step()
            except TcdmProtocolError as e:
                tcdm_errors.append(str(e))
    watcher = cocotb.start_soon(watch())
    await env.periph.write(REG.J_SRC_ADDR, 0x40, core=CORE)          # before the lock: ignored
    assert await env.hal.acquire(CORE) == 0
    clean = list(xz.errors)

    # (1) An X written into J_SRC_ADDR through the control port (wdata driven X).
    h = {n: dut[f"ctrl__{n}"] for n in ("req", "addr", "we", "be", "wdata", "id")}
    await RisingEdge(env.clk)
    h["addr"].value, h["we"].value, h["be"].value, h["id"].value = REG.J_SRC_ADDR, 1, 0xF, CORE
    h["wdata"].value = LogicArray("X" * 32)
    h["req"].value = 1
    await ReadOnly()
    while not dut.ctrl__gnt.value.is_resolvable or not int(dut.ctrl__gnt.value):
        await RisingEdge(env.clk)
        await ReadOnly()
    await RisingEdge(env.clk)
    h["req"].value = 0
    h["wdata"].value = 0
    await RisingEdge(env.clk)
    read_cycle = _cycle(env)
    await env.periph.read(REG.J_SRC_ADDR, core=CORE)
    await RisingEdge(env.clk)
    after_read = list(xz.errors)
    await env.periph.write(REG.J_SRC_ADDR, 0x40, core=CORE)           # known again

    # (2) A read request on tb__0 whose address is left undriven (Z) for one cycle.
    await RisingEdge(env.clk)
    dut.tb__0__we.value, dut.tb__0__be.value, dut.tb__0__wdata.value = 0, 0xF, 0
    dut.tb__0__addr.value = LogicArray("Z" * len(dut.tb__0__addr))
    dut.tb__0__req.value = 1
    inject_cycle = _cycle(env)
    await RisingEdge(env.clk)
    dut.tb__0__req.value = 0
    dut.tb__0__addr.value = 0
    for _ in range(4):
        await RisingEdge(env.clk)
    watcher.cancel()
    result = {"clean_before": clean, "read_cycle": read_cycle, "periph": after_read,
              "tcdm": tcdm_errors, "inject_cycle": inject_cycle}
    dut._log.info("x_injection: %s", result)
    params.save_result(result)
    assert not clean, f"X/Z reported before any injection: {clean}"
    assert any("ctrl__r_data" in e and read_cycle <= int(e.split()[1].rstrip(":")) <= read_cycle + 4
               for e in after_read), f"the X in J_SRC_ADDR was not reported on ctrl__r_data: {after_read}"
    # the address decode makes the grant unknown in the same cycle: reported first, either way
    assert any(e.startswith(f"tb__0 cycle {inject_cycle}: X/Z on") for e in tcdm_errors), (
        f"the undriven address was not reported in cycle {inject_cycle}: {tcdm_errors}")
