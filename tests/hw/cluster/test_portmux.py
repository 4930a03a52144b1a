"""The shared-arrangement port multiplexer (hw/cluster/portmux.py) in Amaranth's simulator.

Both sides (``a`` = the IMA's load ports, ``b`` = the DWA's ports) issue random requests on every
port and hold each until granted; ``owner_b`` switches at random (often with reads in flight);
the TCDM side grants at random and answers every granted access one cycle later with fresh data.
Checked every cycle and port: the masters carry the owner's request; only the owner is granted,
exactly when the TCDM grants; ``r_valid``/``r_data`` reach exactly the side granted on that port in
the previous cycle; every request is eventually granted once (none lost, none duplicated).
Seeded: the seed is printed; replay with ``IMA_SEED``.
"""

import random

import pytest
from amaranth.sim import Simulator

from hw.cluster.portmux import PortMux
from tb.build.runner import pick_seed

FIELDS = ("addr", "we", "be", "wdata")


def _simulate(ports, rng, *, cycles, p_request, p_gnt, p_switch, script=None):
    """Random traffic. ``script``: optional list of (owner_b) per cycle instead of random
    switches. Returns {"issued": per side, "granted": per side, "answered_after_switch": n}."""
    dut = PortMux(ports)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    out = {"issued": [0, 0], "granted": [0, 0], "answered_after_switch": 0}

    async def tb(ctx):
        sides = (dut.a, dut.b)
        held = [[None] * ports for _ in sides]
        last = [None] * ports            # (side) granted on port k in the previous cycle
        owner, prev_owner = 0, 0
        for cycle in range(cycles + 4 * ports + 8):
            draining = cycle >= cycles
            if script is not None and cycle < len(script):
                owner = script[cycle]
            elif draining:               # end: give each side the ports long enough to drain
                owner = 1 if cycle - cycles < 2 * ports + 4 else 0
            elif rng.random() < p_switch:
                owner ^= 1
            ctx.set(dut.owner_b, owner)
            for s, side in enumerate(sides):
                for k in range(ports):
                    if held[s][k] is None and not draining and rng.random() < p_request:
                        held[s][k] = {"addr": rng.getrandbits(32), "we": rng.getrandbits(1),
                                      "be": rng.getrandbits(4), "wdata": rng.getrandbits(32)}
                        out["issued"][s] += 1
                    ctx.set(side[k].req, held[s][k] is not None)
                    for f in FIELDS:
                        ctx.set(getattr(side[k], f), held[s][k][f] if held[s][k] else 0)
            t_gnt = [rng.random() < p_gnt for _ in range(ports)]
            r_data = [rng.getrandbits(32) for _ in range(ports)]
            for k in range(ports):
                o = dut.out[k]
                ctx.set(o.gnt, t_gnt[k] and ctx.get(o.req))
                ctx.set(o.r_valid, last[k] is not None)
                ctx.set(o.r_data, r_data[k])
            for k in range(ports):
                o, req = dut.out[k], held[owner][k]
                assert ctx.get(o.req) == (req is not None), f"cycle {cycle} port {k}: req"
                if req:
                    for f in FIELDS:
                        assert ctx.get(getattr(o, f)) == req[f], f"cycle {cycle} port {k}: {f}"
                granted = req is not None and t_gnt[k]
                for s, side in enumerate(sides):
                    assert ctx.get(side[k].gnt) == (granted and s == owner), \
                        f"cycle {cycle} port {k}: side {s} gnt"
                    rv = ctx.get(side[k].r_valid)
                    assert rv == (last[k] == s), f"cycle {cycle} port {k}: side {s} r_valid {rv}"
                    if rv:
                        assert ctx.get(side[k].r_data) == r_data[k]
                        if owner != prev_owner and s == prev_owner:
                            out["answered_after_switch"] += 1
                last[k] = owner if granted else None
                if granted:
                    held[owner][k] = None
                    out["granted"][owner] += 1
            prev_owner = owner
            await ctx.tick()
        assert all(h is None for side in held for h in side), "requests left waiting"

    sim.add_testbench(tb)
    sim.run()
    return out


@pytest.mark.parametrize("ports", [1, 4])
def test_random_switches_lose_nothing(ports):
    s = _simulate(ports, random.Random(pick_seed()), cycles=400, p_request=0.7, p_gnt=0.7,
                  p_switch=0.15)
    assert s["issued"] == s["granted"] and min(s["granted"]) > 0, s
    assert s["answered_after_switch"] > 0, s       # reads in flight across a switch


def test_switch_with_a_read_in_flight():
    """Both sides always requesting, TCDM always granting; the owner flips every cycle, so every
    response arrives in the cycle the other side owns the ports."""
    script = [0, 1] * 20
    s = _simulate(2, random.Random(pick_seed()), cycles=len(script), p_request=1.0, p_gnt=1.0,
                  p_switch=0.0, script=script)
    assert s["answered_after_switch"] >= 2 * (len(script) - 1), s


def test_owner_keeps_the_ports():
    """Never switching: side a gets every grant, side b waits (its requests still held)."""
    s = _simulate(4, random.Random(pick_seed()), cycles=100, p_request=1.0, p_gnt=1.0,
                  p_switch=0.0)
    assert s["issued"] == s["granted"], s


@pytest.mark.parametrize("bad", [0, 17, 2.0, True])
def test_bad_ports(bad):
    with pytest.raises(ValueError, match="ports"):
        PortMux(bad)
