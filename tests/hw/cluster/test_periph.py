"""The peripheral interconnect (hw/cluster/periph.py) with several cores requesting at once, in
Amaranth's own simulator.

Each core holds a random request (address, direction, strobes, data and a garbage ``id``) until it
is granted, then pauses a random number of cycles. The target grants always (the round-robin
bound) or at random (stalls); it answers every granted access with ``r_valid`` one cycle later.
Checked every cycle: at most one grant, only to a requesting core; the target sees the winner's
request and the winner's index as ``id``; ``r_valid``/``r_data`` go to the core granted in the
previous cycle and to no other; with an always-ready target, a requesting core is granted within
``n_cores`` cycles (round robin), and with all cores requesting each is granted once per
``n_cores`` cycles. Seeded: the seed is printed; replay with ``IMA_SEED``.
"""

import random

import pytest
from amaranth.sim import Simulator

from hw.cluster.periph import PeriphInterconnect
from tb.build.runner import pick_seed

ADDR_WIDTH = 8
CYCLES = 400


def _new_request(rng):
    return {"addr": rng.getrandbits(ADDR_WIDTH) & ~3, "we": rng.getrandbits(1),
            "be": rng.getrandbits(4), "wdata": rng.getrandbits(32), "id": rng.getrandbits(4)}


def _simulate(n, rng, *, p_request, p_target_gnt, max_pause=2):
    """Run the random traffic; returns per-core grant counts and the longest wait seen."""
    dut = PeriphInterconnect(n_cores=n, addr_width=ADDR_WIDTH)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    stats = {"grants": [0] * n, "max_wait": 0, "responses": 0}

    async def tb(ctx):
        held = [None] * n            # the request a core holds until granted
        pause = [0] * n
        wait = [0] * n               # cycles a core's current request has waited
        last_winner = None           # granted (by the target) in the previous cycle
        for cycle in range(CYCLES):
            for i in range(n):
                if held[i] is None and pause[i] == 0 and rng.random() < p_request:
                    held[i] = _new_request(rng)
                c = dut.cores[i]
                ctx.set(c.req, held[i] is not None)
                for k, v in (held[i] or {"addr": 0, "we": 0, "be": 0, "wdata": 0, "id": 0}).items():
                    ctx.set(getattr(c, k), v)
            t = dut.target
            t_gnt = rng.random() < p_target_gnt
            r_data = rng.getrandbits(32)
            ctx.set(t.gnt, t_gnt)
            ctx.set(t.r_valid, last_winner is not None)
            ctx.set(t.r_data, r_data)

            gnt = [ctx.get(dut.cores[i].gnt) for i in range(n)]
            winners = [i for i in range(n) if gnt[i]]
            assert len(winners) <= 1, f"cycle {cycle}: grants to {winners}"
            for i in winners:
                assert held[i] is not None, f"cycle {cycle}: gnt to core {i} without req"
            requesting = [i for i in range(n) if held[i] is not None]
            assert ctx.get(t.req) == bool(requesting), f"cycle {cycle}: target req"
            if requesting and t_gnt:
                assert winners, f"cycle {cycle}: requests {requesting}, target ready, no grant"
            if ctx.get(t.req):
                # whom the interconnect forwards (granted or not, the target sees one core)
                sel = ctx.get(t.id)
                assert sel in requesting, f"cycle {cycle}: target id {sel} not requesting"
                for k in ("addr", "we", "be", "wdata"):
                    assert ctx.get(getattr(t, k)) == held[sel][k], f"cycle {cycle}: {k}"
                if winners:
                    assert sel == winners[0], f"cycle {cycle}: id {sel}, granted {winners[0]}"
            for i in range(n):
                rv = ctx.get(dut.cores[i].r_valid)
                assert rv == (i == last_winner), \
                    f"cycle {cycle}: core {i} r_valid {rv}, granted last cycle: {last_winner}"
                if rv:
                    assert ctx.get(dut.cores[i].r_data) == r_data, f"cycle {cycle}: r_data"
                    stats["responses"] += 1

            for i in range(n):
                if held[i] is None:
                    pause[i] = max(pause[i] - 1, 0)
                elif gnt[i]:
                    stats["grants"][i] += 1
                    stats["max_wait"] = max(stats["max_wait"], wait[i])
                    if p_target_gnt == 1.0:
                        assert wait[i] <= n - 1, \
                            f"cycle {cycle}: core {i} granted after {wait[i]} cycles (> {n - 1})"
                    held[i], wait[i], pause[i] = None, 0, rng.randrange(max_pause + 1)
                else:
                    wait[i] += 1
                    if p_target_gnt == 1.0:
                        assert wait[i] <= n - 1, f"cycle {cycle}: core {i} waits {wait[i]} cycles"
            last_winner = winners[0] if winners else None
            await ctx.tick()

    sim.add_testbench(tb)
    sim.run()
    return stats


@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_round_robin_bound_with_a_ready_target(n):
    rng = random.Random(pick_seed())
    s = _simulate(n, rng, p_request=0.7, p_target_gnt=1.0)
    assert all(g > 0 for g in s["grants"]), s
    assert sum(s["grants"]) - 1 <= s["responses"] <= sum(s["grants"])   # the last may be pending


@pytest.mark.parametrize("n", [2, 5, 8])
def test_all_cores_requesting_share_fairly(n):
    """Every core always requesting: each is granted once every n cycles, waiting exactly n - 1."""
    rng = random.Random(pick_seed())
    s = _simulate(n, rng, p_request=1.0, p_target_gnt=1.0, max_pause=0)
    assert s["max_wait"] == n - 1, s
    assert max(s["grants"]) - min(s["grants"]) <= 1 and sum(s["grants"]) == CYCLES, s


@pytest.mark.parametrize("n", [2, 4, 8])
def test_routing_with_a_stalling_target(n):
    """The target stalls at random: still one grant at a time, responses to the right core."""
    rng = random.Random(pick_seed())
    s = _simulate(n, rng, p_request=0.6, p_target_gnt=0.5)
    assert all(g > 0 for g in s["grants"]), s
    assert sum(s["grants"]) - 1 <= s["responses"] <= sum(s["grants"])   # the last may be pending


def test_bad_core_count_is_refused():
    for bad in (0, 17, 2.0, True):
        with pytest.raises(ValueError, match="n_cores"):
            PeriphInterconnect(n_cores=bad, addr_width=ADDR_WIDTH)
