"""The peripheral address decoder (hw/cluster/periph.py: PeriphDecoder) in Amaranth's simulator:
the cores onto two targets (the cluster's IMA and DWA regions, 8 and 7 address bits).

Each core holds a random request (a random target region, local address, direction, strobes,
data, a garbage ``id``) until it is granted, then pauses 0..``max_pause`` cycles (0: back-to-back
accesses, often to the other target). Each target grants always, at random, or never (a stalled
target), and answers every access it granted with ``r_valid`` and fresh ``r_data`` one cycle later.
Checked every cycle, per target: it sees a request exactly when a core addresses its region, the
forwarded request is that of the core named by ``id`` with the target's own low address bits; a
core is granted only by the target it addresses and only when that target grants it; ``r_valid``
/``r_data`` reach exactly the core granted in the previous cycle, from the target that granted it.
With a ready target, a core waits at most ``n_cores - 1`` cycles (its round robin), whatever the
other target does. Seeded: the seed is printed; replay with ``IMA_SEED``.
"""

import random

import pytest
from amaranth.sim import Simulator

from hw.cluster.periph import DWA_BASE, REGION_BITS, PeriphDecoder
from hw.dwa.regmap import DWA_MAP
from hw.ima.regmap import IMA_MAP
from hw.signatures import PeriphSignature
from tb.build.runner import pick_seed

TARGETS = {"ima": IMA_MAP.bus_signature(), "dwa": DWA_MAP.bus_signature()}
CYCLES = 400


def _new_request(rng, allowed=None):
    """A random request; ``allowed`` restricts the target region (default: either)."""
    t = rng.choice(allowed) if allowed else rng.randrange(len(TARGETS))
    local = rng.getrandbits(REGION_BITS) & ~3
    return {"target": t, "addr": (t << REGION_BITS) | local, "we": rng.getrandbits(1),
            "be": rng.getrandbits(4), "wdata": rng.getrandbits(32), "id": rng.getrandbits(4)}


def _simulate(n, rng, *, p_request, p_gnt, max_pause=2, allowed=None):
    """Random traffic; ``p_gnt[t]`` is target t's grant probability; ``allowed[i]`` (optional)
    lists the targets core i may address. Returns counters."""
    dut = PeriphDecoder(n_cores=n, targets=TARGETS)
    ports = [getattr(dut, name) for name in TARGETS]
    widths = [sig.addr_width for sig in TARGETS.values()]
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    stats = {"grants": [[0] * n for _ in ports], "responses": 0, "switches": 0,
             "max_wait": [0] * len(ports)}

    async def tb(ctx):
        held, pause, wait = [None] * n, [0] * n, [0] * n
        last = [None] * len(ports)       # core each target granted in the previous cycle
        last_target = [None] * n         # target that granted core i last (for switches)
        for cycle in range(CYCLES):
            for i in range(n):
                if held[i] is None and pause[i] == 0 and rng.random() < p_request:
                    held[i] = _new_request(rng, allowed[i] if allowed else None)
                c = dut.cores[i]
                ctx.set(c.req, held[i] is not None)
                for k in ("addr", "we", "be", "wdata", "id"):
                    ctx.set(getattr(c, k), held[i][k] if held[i] else 0)
            t_gnt = [rng.random() < p for p in p_gnt]
            r_data = [rng.getrandbits(32) for _ in ports]
            for t, port in enumerate(ports):
                ctx.set(port.gnt, t_gnt[t])
                ctx.set(port.r_valid, last[t] is not None)
                ctx.set(port.r_data, r_data[t])

            gnt = [ctx.get(dut.cores[i].gnt) for i in range(n)]
            granted_by = [None] * len(ports)
            for t, port in enumerate(ports):
                asking = [i for i in range(n) if held[i] and held[i]["target"] == t]
                assert ctx.get(port.req) == bool(asking), f"cycle {cycle}: target {t} req"
                if not asking:
                    continue
                sel = ctx.get(port.id)
                assert sel in asking, f"cycle {cycle}: target {t} id {sel}, asking {asking}"
                local = held[sel]["addr"] & ((1 << widths[t]) - 1)
                assert ctx.get(port.addr) == local, f"cycle {cycle}: target {t} addr"
                for k in ("we", "be", "wdata"):
                    assert ctx.get(getattr(port, k)) == held[sel][k], f"cycle {cycle}: {k}"
                if t_gnt[t]:
                    granted_by[t] = sel
            for i in range(n):
                expect = held[i] is not None and granted_by[held[i]["target"]] == i
                assert gnt[i] == expect, f"cycle {cycle}: core {i} gnt {gnt[i]}, expected {expect}"
            for i in range(n):
                answering = [t for t in range(len(ports)) if last[t] == i]
                assert len(answering) <= 1
                rv = ctx.get(dut.cores[i].r_valid)
                assert rv == bool(answering), f"cycle {cycle}: core {i} r_valid {rv}"
                if rv:
                    assert ctx.get(dut.cores[i].r_data) == r_data[answering[0]], \
                        f"cycle {cycle}: core {i} r_data not from target {answering[0]}"
                    stats["responses"] += 1
            for i in range(n):
                if held[i] is None:
                    pause[i] = max(pause[i] - 1, 0)
                    continue
                t = held[i]["target"]
                if gnt[i]:
                    stats["grants"][t][i] += 1
                    stats["max_wait"][t] = max(stats["max_wait"][t], wait[i])
                    if last_target[i] is not None and last_target[i] != t and \
                            any(last[u] == i for u in range(len(ports))):
                        stats["switches"] += 1        # back to back, other target
                    last_target[i] = t
                    held[i], wait[i], pause[i] = None, 0, rng.randrange(max_pause + 1)
                else:
                    wait[i] += 1
                    if p_gnt[t] == 1.0:
                        assert wait[i] <= n - 1, f"cycle {cycle}: core {i} waits {wait[i]}"
            last = granted_by
            await ctx.tick()

    sim.add_testbench(tb)
    sim.run()
    return stats


@pytest.mark.parametrize("n", [1, 3, 8])
def test_both_targets_ready(n):
    s = _simulate(n, random.Random(pick_seed()), p_request=0.7, p_gnt=(1.0, 1.0))
    assert all(g > 0 for per_t in s["grants"] for g in per_t), s
    total = sum(map(sum, s["grants"]))
    assert total - 2 <= s["responses"] <= total            # the last ones may be pending


@pytest.mark.parametrize("n", [2, 8])
def test_back_to_back_to_different_targets(n):
    """No pause between accesses: cores alternate targets in consecutive cycles and the read
    granted in one cycle still comes back while the next request goes to the other target."""
    s = _simulate(n, random.Random(pick_seed()), p_request=1.0, p_gnt=(1.0, 1.0), max_pause=0)
    assert s["switches"] > CYCLES // 8, s


@pytest.mark.parametrize("stalled", [0, 1])
def test_one_target_stalled_does_not_hold_up_the_other(stalled):
    """Target ``stalled`` never grants: its cores wait, the other target's cores are served
    within the round-robin bound. Cores 0 and 1 address either target (so they soon hang on the
    stalled one, as a real core would); cores 2 and 3 address only the live target and must keep
    being served while 0 and 1 hold their requests to the stalled one."""
    p = [1.0, 1.0]
    p[stalled] = 0.0
    live = 1 - stalled
    allowed = [None, None, [live], [live]]
    s = _simulate(4, random.Random(pick_seed()), p_request=0.8, p_gnt=tuple(p), allowed=allowed)
    assert sum(s["grants"][stalled]) == 0, s
    # Each live-only core issues one access every <= 1 + max_pause + (n - 1) cycles at worst.
    assert min(s["grants"][live][2:]) > CYCLES // 8, s


def test_random_stalls_on_both():
    _simulate(4, random.Random(pick_seed()), p_request=0.6, p_gnt=(0.5, 0.3))


def test_cluster_map():
    """The DWA's region starts right after the IMA's window; the cores get one more address bit."""
    assert DWA_BASE == 1 << IMA_MAP.addr_width == 0x100
    assert DWA_MAP.span <= DWA_BASE
    dut = PeriphDecoder(n_cores=8, targets=TARGETS)
    assert dut.cores[0].addr.shape().width == IMA_MAP.addr_width + 1


@pytest.mark.parametrize("kw,name", [
    (dict(n_cores=0, targets=TARGETS), "n_cores"),
    (dict(n_cores=2, targets={"ima": TARGETS["ima"]}), "targets"),
    (dict(n_cores=2, targets={**TARGETS, "x": TARGETS["ima"]}), "targets"),
    (dict(n_cores=2, targets={"a": PeriphSignature(addr_width=9), "b": TARGETS["dwa"]}),
     "region_bits"),
    (dict(n_cores=2, targets={"a": PeriphSignature(addr_width=4, id_width=3),
                              "b": TARGETS["dwa"]}), "id_width"),
    (dict(n_cores=2, targets={"cores": TARGETS["ima"], "b": TARGETS["dwa"]}), "name"),
    (dict(n_cores=2, targets=TARGETS, region_bits=1), "region_bits"),
])
def test_bad_parameters_name_it(kw, name):
    with pytest.raises(ValueError, match=name):
        PeriphDecoder(**kw)
