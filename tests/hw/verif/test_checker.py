"""The RTL TCDM protocol checker (hw/verif/checker.py) in Amaranth's simulator: clean random
traffic leaves no error bit and counts grants / stall cycles as the RTL statistics define them;
every rule break, injected on its own, sets exactly its sticky bit and the first cycle."""

import random

import pytest
from amaranth.sim import Simulator

from hw.config import preset
from hw.verif.checker import (
    ERR_CHANGED_WHILE_STALLED,
    ERR_GNT_WITHOUT_REQ,
    ERR_MISSING_RVALID,
    ERR_UNEXPECTED_RVALID,
    TcdmChecker,
    checked_ports,
)
from tb.build.runner import pick_seed


def _legal_cycles(rng, n):
    """``n`` cycles of legal traffic: (req, gnt, addr, we, be, wdata, r_valid) per cycle."""
    out, cur, granted_last = [], None, False
    for _ in range(n):
        if cur is None and rng.random() < 0.7:
            cur = (rng.randrange(1 << 16) * 4, rng.random() < 0.5, rng.randrange(16),
                   rng.randrange(1 << 32))
        gnt = cur is not None and rng.random() < 0.6
        req = cur is not None
        fields = cur if cur is not None else (0, False, 0, 0)
        out.append((req, gnt, *fields, granted_last))
        granted_last = gnt
        if gnt:
            cur = None
    return out


def _run(cycles):
    dut = TcdmChecker()
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    seen = {}

    async def bench(ctx):
        p = dut.port
        for req, gnt, addr, we, be, wdata, rv in cycles:
            for sig, v in ((p.req, req), (p.gnt, gnt), (p.addr, addr), (p.we, we), (p.be, be),
                           (p.wdata, wdata), (p.r_valid, rv)):
                ctx.set(sig, int(v))
            await ctx.tick()
        for f in ("err", "granted", "stalled", "first_cycle"):
            seen[f] = ctx.get(getattr(dut.report, f))

    sim.add_testbench(bench)
    sim.run()
    return seen


def test_clean_traffic_counts_and_no_error():
    seed = pick_seed()
    cycles = _legal_cycles(random.Random(seed), 400)
    seen = _run(cycles)
    assert seen["err"] == 0
    assert seen["granted"] == sum(1 for c in cycles if c[0] and c[1]) > 50
    assert seen["stalled"] == sum(1 for c in cycles if c[0] and not c[1]) > 20


def _idle():
    return (False, False, 0, False, 0, 0, False)


_RESPONSE = (False, False, 0, False, 0, 0, True)    # r_valid after a grant, nothing else


@pytest.mark.parametrize("rule,cycles", [
    (ERR_GNT_WITHOUT_REQ, [_idle(), _idle(), (False, True, 0, False, 0, 0, False)]),
    (ERR_UNEXPECTED_RVALID, [_idle(), _idle(), _RESPONSE]),
    (ERR_MISSING_RVALID, [_idle(), (True, True, 8, False, 15, 0, False), _idle()]),
    (ERR_CHANGED_WHILE_STALLED, [_idle(), (True, False, 8, False, 15, 0, False),
                                 (True, True, 12, False, 15, 0, False), _RESPONSE]),
    (ERR_CHANGED_WHILE_STALLED, [_idle(), (True, False, 8, True, 15, 1, False),   # write data
                                 (True, True, 8, True, 15, 2, False), _RESPONSE]),
])
def test_injected_violation_sets_its_sticky_bit(rule, cycles):
    bad_cycle = 2                               # every case breaks its rule in cycle 2
    seen = _run(cycles + [_idle()] * 3)          # the bit stays set afterwards
    assert seen["err"] == rule
    assert seen["first_cycle"] == bad_cycle


def test_read_data_may_change_while_a_stalled_read_waits():
    """wdata is don't-care on a stalled read (the Python monitor's rule 3)."""
    seen = _run([_idle(), (True, False, 8, False, 15, 1, False), (True, True, 8, False, 15, 2, False),
                 (False, False, 0, False, 0, 0, True), _idle()])
    assert seen["err"] == 0 and seen["granted"] == 1 and seen["stalled"] == 1


def test_checked_ports_follow_the_monitors():
    cfg = preset().with_(ports=2)
    assert checked_ports(cfg) == [("ima", "tcdm_load__0"), ("ima", "tcdm_load__1"),
                                  ("ima", "tcdm_store__0"), ("ima", "tcdm_store__1")]
    dwa = preset().with_(ports=2, dwa=True)
    assert checked_ports(dwa)[-dwa.dwa_ports:] == [("dwa", f"tcdm__{k}") for k in range(dwa.dwa_ports)]
