"""The DWA cycle model (sim_models/dwa_perf.py): the paper's steady state, sanity properties and
an independent scalar re-derivation of the schedule for random jobs (the RTL's cycle-exactness is
tests/hw/dwa/test_engine.py). Seed: ``$DWA_SEED`` or random, printed."""

import random

import pytest

from sim_models.dwa import DwJob
from sim_models.dwa_perf import PHASE_KEYS, breakdown, engine_cycles, mac_per_cycle
from tb.build.runner import pick_seed


@pytest.fixture
def seed():
    return pick_seed(env="DWA_SEED")


def dense(c, h, w, stride=1, *, shift=0):
    """A dense layer: padded input, weights, output back to back (``shift`` bytes off 4)."""
    in_w, in_h = (w - 1) * stride + 3, (h - 1) * stride + 3
    in_addr = shift
    w_addr = in_addr + in_h * in_w * c + shift
    out_addr = w_addr + 9 * c + shift
    return DwJob(in_addr=in_addr, in_row_stride=in_w * c, out_addr=out_addr, out_row_stride=w * c,
                 w_addr=w_addr, channels=c, out_h=h, out_w=w, stride=stride)


def scalar_cycles(job, n):
    """The schedule of hw/dwa/engine.py phase by phase, one run at a time (no numpy)."""
    def ch(a, nb):
        return -(-((a % 4 + nb + 3) // 4) // n)

    def phase(loads, store, mc=0, gate=None):
        t = 0
        for i, c in enumerate(loads):
            if i == gate:
                t = max(t, mc - 1)
            t += c
        e = (t + (store or 1)) if loads else ((1 + store) if store else 0)
        return max(mc, e)

    C, s = job.channels, job.stride
    total, pend = 1, 0                           # the DONE cycle; pending store chunks
    for g in range(-(-C // 16)):
        cg = min(16, C - 16 * g)
        mc = -(-cg // 4)
        total += phase([ch(job.w_addr + 16 * g + t * C, cg) for t in range(9)], pend)
        pend = 0
        for ox in range(job.out_w):
            col = job.in_addr + 16 * g + ox * s * C

            def row(r, col=col, cg=cg):
                return [ch(col + r * job.in_row_stride + kx * C, cg) for kx in range(3)]
            total += phase(row(0) + row(1) + row(2), pend)
            pend = 0
            for oy in range(job.out_h):
                loads = []
                if oy < job.out_h - 1:
                    loads = row(s * oy + 3) + (row(s * oy + 4) if s == 2 else [])
                total += phase(loads, pend, mc, gate=3 if s == 2 else None)
                pend = ch(job.out_addr + 16 * g + ox * C + oy * job.out_row_stride, cg)
    return total + phase([], pend)


def test_paper_inner_loop():
    """16x16x192, stride 1, N = 4, aligned: 4 cycles per output pixel (Garofalo et al. 2022,
    Sec. IV-C), 10-cycle preload per column and weight load per group."""
    job = dense(192, 16, 16)
    b = breakdown(job, 4)
    assert b["inner"] == b["mac_cycles"] == 4 * 16 * 16 * 12
    assert b["preload"] == 10 * 16 * 12 and b["weights"] == 10 * 12
    assert engine_cycles(job, 4) == sum(b[k] for k in PHASE_KEYS) == 14331
    assert 30 < mac_per_cycle(job, 4) < 36


def test_stride2_inner_loop():
    """Stride 2 at N = 4, aligned: 7 cycles per pixel, 4 for the last row of a column."""
    job = dense(16, 5, 3, 2)
    assert breakdown(job, 4)["inner"] == 3 * (4 * 7 + 4)


def test_bounds_and_monotonic(seed):
    rng = random.Random(seed)
    for _ in range(20):
        c, h, w, s = rng.randint(1, 40), rng.randint(1, 9), rng.randint(1, 9), rng.choice([1, 2])
        job = dense(c, h, w, s)
        cyc = [engine_cycles(job, n) for n in (1, 2, 4, 8, 16)]
        assert cyc == sorted(cyc, reverse=True), (job, cyc)          # more ports never slower
        b = breakdown(job, 4)
        assert job.macs <= 36 * b["mac_cycles"] <= 36 * cyc[2]
        assert engine_cycles(dense(c, h + 1, w, s), 4) > cyc[2]
        assert engine_cycles(dense(c, h, w + 1, s), 4) > cyc[2]
        assert engine_cycles(dense(c + 16, h, w, s), 4) > cyc[2]      # same alignment, +1 group
        if c % 4 == 0:                                                 # misaligned never faster
            assert engine_cycles(dense(c, h, w, s, shift=1), 4) >= cyc[2]


def test_scalar_rederivation(seed):
    rng = random.Random(seed + 1)
    for _ in range(30):
        c, h, w, s = rng.randint(1, 50), rng.randint(1, 7), rng.randint(1, 7), rng.choice([1, 2])
        job = dense(c, h, w, s, shift=rng.randint(0, 3))
        job = DwJob(**{**job.as_dict(), "in_row_stride": job.in_row_stride + rng.randint(0, 5),
                       "out_row_stride": job.out_row_stride + rng.randint(0, 5)})
        for n in (1, 3, 4, 16):
            assert engine_cycles(job, n) == scalar_cycles(job, n), (job, n)


@pytest.mark.parametrize("ports", [0, 17, 2.5, True])
def test_bad_ports(ports):
    with pytest.raises(ValueError, match="ports"):
        engine_cycles(dense(16, 2, 2), ports)


def test_bad_job():
    with pytest.raises(ValueError, match="stride"):
        engine_cycles(DwJob(0, 48, 0, 16, 0, 16, 2, 2, stride=3), 4)


def test_breakdown_equals_its_reference():
    """``breakdown`` (pixels costed by address class mod 4) against ``breakdown_reference``
    (every pixel): every field, on random jobs large and small (1..30 rows and columns, so
    every class size, the one-row and one-column cases), both strides, unaligned addresses and
    row strides, 1..40 channels (partial groups), 1..16 ports."""
    from sim_models.dwa_perf import breakdown_reference
    rng = random.Random(pick_seed())
    for _ in range(60):
        c, h, w, s = rng.randint(1, 40), rng.randint(1, 30), rng.randint(1, 30), rng.choice([1, 2])
        job = dense(c, h, w, s, shift=rng.randint(0, 3))
        job = DwJob(**{**job.as_dict(), "in_row_stride": job.in_row_stride + rng.randint(0, 7),
                       "out_row_stride": job.out_row_stride + rng.randint(0, 7),
                       "out_addr": job.out_addr + rng.randint(0, 3)})
        n = rng.choice([1, 2, 3, 4, 8, 16])
        assert breakdown(job, n) == breakdown_reference(job, n), (job, n)


def test_group_sums_equal_the_sum_group_by_group():
    """``_sum_groups`` (each distinct group costed once, counted in closed form) against the sum
    group by group, every field, with random made-up group costs (so the test does not depend
    on the chunk model): 1..100 channels (one group, full groups only, full groups and a
    remainder), last-pixel stores of 0..3 chunks (0: the ``or 1`` of a store-less phase).
    Seed: ``pick_seed``."""
    from sim_models.dwa import GROUP, LANES
    from sim_models.dwa_perf import DONE_CYCLES, _sum_groups
    from tb.build.runner import pick_seed
    rng = random.Random(pick_seed())
    for _ in range(200):
        job = dense(rng.randint(1, 100), rng.randint(1, 9), rng.randint(1, 9), rng.choice([1, 2]))
        costs = {cg: tuple(rng.randint(0, 50) for _ in range(3)) + (rng.randint(0, 3),)
                 for cg in range(1, GROUP + 1)}
        ref = dict(weights=0, preload=0, inner=0, final=0, done=DONE_CYCLES, mac_cycles=0)
        prev = 0
        for g in range(job.groups):
            cg = min(GROUP, job.channels - GROUP * g)
            w, pre, inner, last = costs[cg]
            ref["weights"] += w + (prev or 1)
            ref["preload"] += pre
            ref["inner"] += inner
            ref["mac_cycles"] += -(-cg // LANES) * job.out_h * job.out_w
            prev = last
        ref["final"] = 1 + prev
        got = _sum_groups(job, costs.__getitem__)
        assert got == ref and list(got) == list(ref), (job, costs)


def test_merged_classes_equal_the_reference():
    """``breakdown``'s columns and rows merged by the addresses modulo 4 their runs start from
    (``_column_classes``, ``_row_classes``: one column class when the channels are a multiple of
    4, the first / middle / last rows when both row strides are) against ``breakdown_reference``
    on random jobs that take those shortcuts -- channels and row strides multiples of 4, any
    base addresses -- and on jobs that take one of them only; both strides, 1..30 rows and
    columns, 1..16 ports. Seed: ``pick_seed`` (``IMA_SEED`` replays)."""
    from sim_models.dwa_perf import _column_classes, _row_classes, breakdown_reference
    seed = pick_seed()
    print(f"seed = {seed}")
    rng = random.Random(seed)
    shortcuts = set()
    for _ in range(80):
        c = 4 * rng.randint(1, 12) if rng.random() < 0.8 else rng.randint(1, 48)
        h, w, s = rng.randint(1, 30), rng.randint(1, 30), rng.choice([1, 2])
        in_w = (w - 1) * s + 3
        irs = in_w * c + (4 * rng.randint(0, 3) if rng.random() < 0.8 else rng.randint(0, 7))
        ors = w * c + (4 * rng.randint(0, 3) if rng.random() < 0.8 else rng.randint(0, 7))
        job = DwJob(in_addr=rng.randint(0, 64), in_row_stride=irs, out_addr=rng.randint(1 << 16, 1 << 17),
                    out_row_stride=ors, w_addr=rng.randint(1 << 18, 1 << 19), channels=c, out_h=h,
                    out_w=w, stride=s)
        shortcuts.add((len(_column_classes(job)) == 1, irs % 4 == 0 == ors % 4))
        assert len(_row_classes(job)) <= 6
        n = rng.choice([1, 2, 3, 4, 8, 16])
        assert breakdown(job, n) == breakdown_reference(job, n), (job, n)
    assert (True, True) in shortcuts and len(shortcuts) >= 3, shortcuts


def test_breakdown_without_validation_is_the_same():
    """``breakdown(validate=False)`` (the fast model validates each job object once) gives the
    same numbers and still checks ``ports``; the default validates the job."""
    job = dense(40, 7, 9, 2, shift=1)
    assert breakdown(job, 4, validate=False) == breakdown(job, 4)
    with pytest.raises(ValueError, match="ports"):
        breakdown(job, 0, validate=False)
    bad = DwJob(**{**job.as_dict(), "adc_s": 40})
    with pytest.raises(ValueError, match="adc_s"):
        breakdown(bad, 4)
