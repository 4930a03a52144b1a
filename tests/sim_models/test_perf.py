"""Tests of sim_models.perf: chunk counting and the paper's 106-cycle sanity check."""

import numpy as np
import pytest

from sim_models import mapping as mp
from sim_models import perf
from sim_models.crossbar import latency_cycles
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

ADC = (1, 0, 0, 255)
#: One analog MVM at the reference point (70 ns at 250 MHz = 18 cycles; docs/spec.md section 1).
MVM = latency_cycles(250e6, 70.0)
P = perf.PerfParams(ports=4, mvm_cycles=MVM)


@pytest.mark.parametrize("addr,length,words", [(0, 4, 1), (1, 4, 2), (3, 1, 1), (3, 2, 2),
                                               (0, 96, 24), (2, 96, 25), (4, 8, 2), (6, 8, 3)])
def test_words_touched(addr, length, words):
    assert perf.words_touched(addr, length) == words


def _conv():
    w = np.zeros((64, 3, 3, 32), np.int8)
    return mp.map_conv((16, 16, 32), w, ADC, pad=1)


def test_conv_job_is_106_cycles_at_one_port():
    """docs/spec.md section 5: 72 input words + 18 compute + 16 output words = 106 cycles/job."""
    p = perf.mapping_cycles(_conv(), P, ports=1)
    assert (p.jobs, p.per_job) == (256, 106)
    assert (p.streamin, p.compute, p.streamout) == (256 * 72, 256 * 18, 256 * 16)


def test_ports_and_overheads():
    job = _conv().jobs[0]
    totals = [perf.layer_cycles(job, P, ports=n).total for n in (1, 2, 4, 8, 16)]
    assert totals == sorted(totals, reverse=True)
    assert perf.layer_cycles(job, P, ports=16).per_job == 6 + 18 + 1      # 3 runs of 24 words
    base = perf.layer_cycles(job, P, ports=4)
    more = perf.layer_cycles(job, P, ports=4, streamin_overhead=2, streamout_overhead=3,
                             job_overhead=1, layer_overhead=50)
    assert more.total - base.total == 256 * (2 + 3 + 1) + 50
    with pytest.raises(ValueError, match="ports"):
        perf.layer_cycles(job, P, ports=0)


def test_unaligned_runs_count_touched_words():
    # 5-byte runs at stride 5: bases 0, 5, 10 -> 2, 2, 2 words at 1 port; 1 each at 2 ports
    job = LayerJob(0, 100, Walk3D(5, 3, 5), Walk3D(3), 0, 0, 15, 3,
                   loops=(JobLoop(2, src_stride=1, dst_stride=3), JobLoop(), JobLoop()))
    sin, comp, sout = perf.job_phase_cycles(job, perf.PerfParams(ports=1, mvm_cycles=MVM))
    # job 0: runs at 0,5,10 -> 2+2+2; job 1: runs at 1,6,11 -> 2+2+2 (1..5, 6..10, 11..15)
    assert sin.tolist() == [6, 6] and comp.tolist() == [18, 18]
    assert sout.tolist() == [1, 2]          # 100..102 -> 1 word, 103..105 -> 2 words


def test_depthwise_saturation_ports():
    """IMA8's depthwise stops gaining at 2 ports, IMA16's at 4 (docs/spec.md section 5)."""
    w = np.zeros((192, 3, 3), np.int8)
    cyc = {}
    for cj in (8, 16):
        m = mp.map_depthwise((16, 16, 192), w, ADC, c_job=cj, layout="packed")
        cyc[cj] = [perf.mapping_cycles(m, P, ports=n).total for n in (1, 2, 4, 8)]
    assert cyc[8][1] < cyc[8][0] and cyc[8][1] == cyc[8][2] == cyc[8][3]
    assert cyc[16][2] < cyc[16][1] and cyc[16][2] == cyc[16][3]


# --------------------------------------------------------------------------- overlapped engine
def test_overlapped_single_job_and_bounds():
    """One job: S + L + O - 1 (COMPUTE starts in the source's done cycle); a layer takes at least
    its slowest phase per job and never longer than the sequential engine."""
    one = LayerJob(0, 100, Walk3D(8), Walk3D(4), 0, 0, 8, 4)
    p = perf.rtl_params(1, MVM)
    seq, ov = perf.layer_cycles(one, p), perf.layer_cycles_overlapped(one, p)
    assert ov.total == seq.total - 1 and ov.total == (2 + 4) + 18 + (1 + 3) - 1
    assert (ov.streamin, ov.compute, ov.streamout) == (seq.streamin, seq.compute, seq.streamout)
    job = _conv().jobs[0]
    for n in (1, 2, 4, 8, 16):
        p = perf.rtl_params(n, MVM)
        seq, ov = perf.layer_cycles(job, p), perf.layer_cycles_overlapped(job, p)
        sin, comp, sout = perf.job_phase_cycles(job, p)
        bound = max(int(comp.max()), int((sin - 1).max()), int((sout - 1).max()))
        assert bound * ov.jobs <= ov.total < seq.total
        assert ov.overhead == ov.total - (ov.streamin + ov.compute + ov.streamout) < 0


def test_overlapped_standard_conv_is_compute_bound_at_16_ports():
    """3x3 conv, 16x16, 32 -> 64: 18 cycles per job at 16/16 ports (+ fill and drain); bound by
    STREAMIN at 4/4 (18 chunks + 3) and 1/1 (72 + 3)."""
    m = _conv()
    per_job = {n: perf.mapping_cycles_overlapped(m, perf.rtl_params(n, MVM)) for n in (1, 4, 16)}
    assert per_job[16].total == 256 * 18 + (10 + 4 - 1)       # first STREAMIN, last STREAMOUT
    assert per_job[4].total == 255 * 21 + (22 + 18 + 7 - 1)
    assert per_job[1].total == 255 * 75 + (76 + 18 + 19 - 1)


def test_overlapped_schedule_orders_phases():
    job = _conv().jobs[0]
    p = perf.rtl_params(4, MVM)
    g, c, s, end = perf.overlapped_schedule(job, p)
    sin, comp, sout = perf.job_phase_cycles(job, p)
    assert g[0] == 1 and (g[1:] == c[:-1]).all()            # next STREAMIN when the DAC is sampled
    assert (c >= g + sin - 1).all() and (c[1:] >= c[:-1] + comp[:-1]).all()
    assert (s >= c + comp).all() and (s[1:] >= s[:-1] + sout[:-1] - 1).all()
    assert end == s[-1] + sout[-1] - 1


def test_occupied_cycles_counts_a_shared_cycle_once():
    assert perf.occupied_cycles([1, 5, 10], [5, 3, 2]) == 5 + 3 + 2 - 1     # 5 ends, 5 starts
    assert perf.occupied_cycles([1, 7], [5, 3]) == 8                        # a gap: no sharing
    assert perf.occupied_cycles([], []) == 0


def test_overlapped_phases_count_unit_occupancy_within_the_layer_time():
    """The overlapped engine's phase counts are the cycles the Source / core / Sink are occupied:
    never more than the layer time (the energy model's event check relies on it). At 1/1 ports
    the standard conv is STREAMIN-bound and the Source restarts in each job's done cycle, so its
    256 jobs of 76 cycles share 255 cycles (counted once; the per-job sum 19456 exceeds the
    layer time 19237)."""
    m = _conv()
    for n in (1, 2, 4, 8, 16):
        p = perf.rtl_params(n, MVM)
        ov, seq = perf.mapping_cycles_overlapped(m, p), perf.mapping_cycles(m, p)
        assert max(ov.streamin, ov.compute, ov.streamout) <= ov.total, n
        assert ov.compute == seq.compute and ov.jobs == seq.jobs
        assert ov.streamin <= seq.streamin and ov.streamout <= seq.streamout
    ov1 = perf.mapping_cycles_overlapped(m, perf.rtl_params(1, MVM))
    assert ov1.streamin == 256 * 76 - 255 and ov1.total == 255 * 75 + (76 + 18 + 19 - 1)
    assert ov1.streamout == 256 * 19                     # the Sink never restarts in a done cycle


# --------------------------------------------------------------------------- shared data interface
def _pointwise(jobs, cin, cout):
    return LayerJob(src_addr=0, dst_addr=0x10000, src=Walk3D(cin), dst=Walk3D(cout), row=0, col=0,
                    height=cin, width=cout, loops=(JobLoop(jobs, cin, cout), JobLoop(), JobLoop()))


def test_shared_ports_leave_the_sequential_engine_alone():
    m = _conv()
    p = perf.rtl_params(4, MVM)
    assert perf.mapping_cycles(m, p) == perf.mapping_cycles(m, perf.rtl_params(4, MVM, shared_ports=True))


def test_shared_ports_without_contention_equal_split():
    """One job: its STREAMIN and STREAMOUT never overlap, so the shared schedule is the split one."""
    for cin, cout in ((32, 192), (288, 64), (5, 3)):
        job = _pointwise(1, cin, cout)
        split = perf.overlapped_schedule(job, perf.rtl_params(4, MVM))
        shared = perf.overlapped_schedule(job, perf.rtl_params(4, MVM, shared_ports=True))
        assert all(np.array_equal(a, b) for a, b in zip(split, shared, strict=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shared_ports_cost_the_contended_chunks(seed):
    """Random pointwise layers: the shared schedule is never faster than the split one, at most
    slower by the chunks that can contend (every job's smaller side), and never faster than the
    shared ports' own bound (one chunk per cycle: all chunks of the layer); its phase lengths
    are the split ones stretched; the hand-over rules still hold."""
    rng = np.random.default_rng(seed)
    print(f"seed = {seed}")
    for _ in range(10):
        n, cin, cout = (int(x) for x in (rng.integers(2, 30), rng.integers(1, 300),
                                         rng.integers(1, 300)))
        ports, mvm = int(rng.choice([1, 2, 4, 16])), int(rng.integers(5, 70))
        job = _pointwise(n, cin, cout)
        p_split = perf.rtl_params(ports, mvm)
        p_sh = perf.rtl_params(ports, mvm, shared_ports=True)
        split, shared = perf.layer_cycles_overlapped(job, p_split), perf.layer_cycles_overlapped(job, p_sh)
        sin, comp, sout = perf.job_phase_cycles(job, p_split)
        cin_ch, cout_ch = sin - 4, sout - 3
        assert split.total <= shared.total <= split.total + int(np.minimum(cin_ch, cout_ch).sum()) * 2
        assert shared.total >= int((cin_ch + cout_ch).sum())
        s_eff, o_eff = perf.shared_phase_lengths(job, p_sh)
        assert (s_eff >= sin).all() and (o_eff >= sout).all()
        assert (s_eff - sin <= cout_ch.sum()).all()
        g, c, s, end = perf.overlapped_schedule(job, p_sh)
        assert g[0] == 1 and (g[1:] == c[:-1]).all()
        assert (c >= g + s_eff - 1).all() and (c[1:] >= c[:-1] + comp[:-1]).all()
        assert (s >= c + comp).all() and (s[1:] >= s[:-1] + o_eff[:-1] - 1).all()
        assert end == s[-1] + o_eff[-1] - 1 == shared.total


def test_shared_ports_pointwise_at_65_cycles_is_compute_bound():
    """Garofalo et al. 2022: 130 ns at 500 MHz = 65 cycles; 32 -> 192 at N = 4 is 2 + 12 chunks
    per job on the shared ports: COMPUTE-bound, 65 cycles per job in the steady state."""
    L = latency_cycles(500e6, 130.0)
    assert L == 65
    p = perf.rtl_params(4, L, shared_ports=True)
    a, b = (perf.layer_cycles_overlapped(_pointwise(n, 32, 192), p).total for n in (100, 101))
    assert b - a == 65


def test_shared_ports_need_the_request_offset():
    with pytest.raises(ValueError, match="shared_ports"):
        perf.layer_cycles_overlapped(_pointwise(3, 8, 8),
                                     perf.PerfParams(ports=4, mvm_cycles=MVM, shared_ports=True))
    with pytest.raises(ValueError, match="shared_ports"):
        perf.PerfParams(ports=4, mvm_cycles=MVM, shared_ports=1).validate()


def test_vectorised_jobs_equal_the_job_generator():
    """``job_bases`` and the per-residue walk cycles of ``job_phase_cycles`` against the plain
    definitions: every job of ``LayerJob.jobs()``, every run of its walks summed (random conv
    layers on unaligned buffers)."""
    from sim_models.mapping import TcdmAllocator, map_conv
    from tb.build.runner import pick_seed
    seed = pick_seed()
    print(f"seed = {seed}")
    rng = np.random.default_rng(seed)
    for _ in range(20):
        k, cin, cout = int(rng.choice([1, 3])), int(rng.integers(1, 40)), int(rng.integers(1, 40))
        alloc = TcdmAllocator(1 << 20, align=1)
        alloc.alloc("junk", (int(rng.integers(0, 7)),))
        lm = map_conv((int(rng.integers(2, 9)), int(rng.integers(2, 9)), cin),
                      np.zeros((cout, k, k, cin), np.int8), (1, 0, 0, 255),
                      stride=int(rng.choice([1, 2])), pad=k // 2, alloc=alloc)
        job, ports = lm.jobs[0], int(rng.choice([1, 2, 4, 16]))
        jobs = list(job.jobs())
        src, dst = perf.job_bases(job)
        assert src.tolist() == [j[0] for j in jobs] and dst.tolist() == [j[1] for j in jobs]
        sin, _, sout = perf.job_phase_cycles(job, perf.PerfParams(ports=ports, mvm_cycles=MVM))

        def plain(base, walk, ports=ports):
            return sum(-(-int(perf.words_touched(base + off, walk.len0)) // ports)
                       for off in perf.walk_run_bases(walk).tolist())
        assert sin.tolist() == [plain(j[0], job.src) for j in jobs]
        assert sout.tolist() == [plain(j[1], job.dst) for j in jobs]


@pytest.mark.parametrize("shared", [False, True])
def test_overlapped_perf_equals_its_reference(shared):
    """``overlapped_perf`` (one pass over Python ints) against ``overlapped_perf_reference``
    (the whole schedule as arrays, ``occupied_cycles`` of its intervals): every field, on random
    per-job phase lengths (short and long, constant and varying, jobs that hide in the overlap
    and jobs that stall it) and random overheads, separate and shared ports; no jobs and one."""
    from tb.build.runner import pick_seed
    rng = np.random.default_rng(pick_seed())
    for trial in range(300):
        n = int(rng.choice([0, 1, 2, 3, int(rng.integers(4, 60))]))
        jo, lo = int(rng.integers(0, 4)), int(rng.integers(0, 20))
        si_o, so_o = int(rng.integers(2, 6)), int(rng.integers(2, 6))   # >= FIRST_REQUEST
        p = perf.PerfParams(ports=4, mvm_cycles=8, streamin_overhead=si_o, streamout_overhead=so_o,
                            job_overhead=jo, layer_overhead=lo, shared_ports=shared)
        top = int(rng.choice([3, 20, 200]))
        sin = si_o + rng.integers(0 if trial % 3 else 1, top, n)
        sout = so_o + rng.integers(0 if trial % 3 else 1, top, n)
        if trial % 4 == 0:                      # constant lengths, as in most layers
            sin, sout = np.full(n, sin[:1].sum() or si_o + 1), np.full(n, sout[:1].sum() or so_o + 1)
        comp = np.full(n, int(rng.integers(1, 80))) if trial % 2 else rng.integers(1, 80, n)
        fast = perf.overlapped_perf(sin, comp, sout, p)
        ref = perf.overlapped_perf_reference(sin, comp, sout, p)
        assert fast == ref, (trial, n, sin.tolist(), comp.tolist(), sout.tolist(), p)
        assert all(type(v) is int for v in fast._tuple())


@pytest.mark.parametrize("shared", [False, True])
def test_overlapped_prefix_perfs_equal_the_short_schedules(shared):
    """``overlapped_prefix_perfs`` (one schedule, forked at each ``k`` with shared ports) against
    ``overlapped_perf_reference`` of each prefix scheduled on its own, every field, on random
    jobs and random increasing ``ks`` (the last one all jobs or fewer); bad ``ks`` raise."""
    from tb.build.runner import pick_seed
    rng = np.random.default_rng(pick_seed())
    for trial in range(150):
        n = int(rng.integers(1, 40))
        si_o, so_o = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        p = perf.PerfParams(ports=4, mvm_cycles=8, streamin_overhead=si_o, streamout_overhead=so_o,
                            job_overhead=int(rng.integers(0, 4)), layer_overhead=int(rng.integers(0, 20)),
                            shared_ports=shared)
        top = int(rng.choice([3, 20, 200]))
        sin, sout = si_o + rng.integers(0, top, n), so_o + rng.integers(0, top, n)
        comp = np.full(n, int(rng.integers(1, 80))) if trial % 2 else rng.integers(1, 80, n)
        ks = sorted(int(k) for k in rng.choice(np.arange(1, n + 1), int(rng.integers(1, min(n, 5) + 1)),
                                               replace=False))
        got = perf.overlapped_prefix_perfs(sin, comp, sout, p, ks)
        ref = [perf.overlapped_perf_reference(sin[:k], comp[:k], sout[:k], p) for k in ks]
        assert got == ref, (trial, ks, sin.tolist(), comp.tolist(), sout.tolist(), p)
    for bad in ([], [0], [n + 1], [2, 2], [3, 1]):
        with pytest.raises(ValueError, match="ks"):
            perf.overlapped_prefix_perfs(sin, comp, sout, p, bad)
    for f in (perf.overlapped_perf, lambda *a: perf.overlapped_prefix_perfs(*a, [1])):
        with pytest.raises(ValueError, match="sin, comp, sout"):
            f(sin, comp[:-1], sout, p)


def _random_shared_layer(rng, r):
    """Random shared-port parameters and one period of ``r`` STREAMIN / STREAMOUT lengths (short,
    middling or long against the overheads) for the steady-state tests."""
    si_o, so_o = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    p = perf.PerfParams(ports=4, mvm_cycles=8, streamin_overhead=si_o, streamout_overhead=so_o,
                        job_overhead=int(rng.integers(0, 4)), layer_overhead=int(rng.integers(0, 20)),
                        shared_ports=True)
    top = int(rng.choice([3, 20, 80]))
    return p, (si_o + rng.integers(0, top, r)).tolist(), (so_o + rng.integers(0, top, r)).tolist()


def test_overlapped_perf_periodic_memo_reuses_the_recurrence_exactly():
    """With shared ports and a ``memo``, the recurrence found for one set of lengths is reused
    for other layer lengths ``n`` (the ``m``-job schedule run on from a kept copy of the state,
    or its totals kept): every field equals ``overlapped_perf`` of the whole sequence, on random
    periods and overheads, 8 lengths each (1 to 600 jobs, shorter than the kept ``m`` too, and
    repeats); a kept recurrence is there for most calls."""
    from tb.build.runner import pick_seed
    seed = pick_seed()
    print(f"seed = {seed}")
    rng = np.random.default_rng(seed)
    reused = 0
    for trial in range(60):
        r = int(rng.choice([1, 1, 2, 3, 4, 6]))
        p, sin, sout = _random_shared_layer(rng, r)
        comp = int(rng.integers(1, 120))
        store = {}

        def memo(key, compute, store=store):
            if key not in store:
                store[key] = compute()
            return store[key]
        for n in [int(x) for x in rng.integers(1, 600, 8)] + [int(rng.integers(20, 40))]:
            reused += any("rec" in v for v in store.values())      # a recurrence kept before
            got = perf.overlapped_perf_periodic(sin, comp, sout, n, p, memo=memo)
            ref = perf.overlapped_perf((sin * (n // r + 1))[:n], [comp] * n, (sout * (n // r + 1))[:n], p)
            assert got == ref, (trial, n, sin, comp, sout, p)
    assert reused > 200, reused                  # of 540 calls
    print(f"{reused} of 540 calls found a kept recurrence")


@pytest.mark.parametrize("shared", [False, True])
def test_overlapped_perf_periodic_equals_the_whole_schedule(shared):
    """``overlapped_perf_periodic`` (periods of a proved steady state skipped) against
    ``overlapped_perf`` of the whole repeated sequence, every field, on random periods (1 to 16
    jobs: constant and varying lengths), layers of 1 to 600 jobs, random overheads; the skip is
    taken in most long layers (and never where it would not be exact: every result is checked).
    Bad periods raise."""
    from tb.build.runner import pick_seed
    rng = np.random.default_rng(pick_seed())
    run = perf._shared_periodic if shared else perf._separate_periodic
    skipped = long = 0
    for trial in range(400):
        r = int(rng.choice([1, 1, 2, 3, 4, 6, 8, 12, 16]))
        n = int(rng.integers(1, 600)) if trial % 4 else int(rng.integers(1, 20))
        si_o, so_o = int(rng.integers(2, 6)), int(rng.integers(2, 6))          # >= FIRST_REQUEST
        p = perf.PerfParams(ports=4, mvm_cycles=8, streamin_overhead=si_o, streamout_overhead=so_o,
                            job_overhead=int(rng.integers(0, 4)), layer_overhead=int(rng.integers(0, 20)),
                            shared_ports=shared)
        top = int(rng.choice([3, 20, 80, 200]))
        sin = (si_o + rng.integers(0, top, r)).tolist()
        sout = (so_o + rng.integers(0, top, r)).tolist()
        comp = int(rng.integers(1, 120))
        got = perf.overlapped_perf_periodic(sin, comp, sout, n, p)
        tiled_in, tiled_out = (sin * (n // r + 1))[:n], (sout * (n // r + 1))[:n]
        ref = perf.overlapped_perf(tiled_in, [comp] * n, tiled_out, p)
        assert got == ref, (trial, n, sin, comp, sout, p)
        assert all(type(v) is int for v in got._tuple())
        if n > 2 * r + 8:
            fields, k = run(sin, comp, sout, n, p, perf._min_period(sin, sout), 1024)
            assert fields == ref._tuple()
            long += n >= 300
            skipped += n >= 300 and k > n // 2
    assert skipped > long // 2, (skipped, long)
    print(f"{skipped} of {long} layers of >= 300 jobs skipped more than half their jobs")
    for bad in (([], []), ([3], [3, 4])):
        with pytest.raises(ValueError, match="sin and sout"):
            perf.overlapped_perf_periodic(*bad[:1], 8, bad[1], 10, p)


class _WriteOnce(list):
    """A schedule list that refuses to change an entry once it is known (not -1)."""

    def __setitem__(self, i, value):
        assert self[i] == -1, f"entry {i} written twice: {self[i]} -> {value}"
        super().__setitem__(i, value)


def test_shared_checkpoints_prove_the_steady_state():
    """The shared-port steady-state proof of ``_shared_run``'s checkpoints (the port state and
    only the entries the rest of the schedule reads; the entries compared lazily when the
    scalars recur, read back from the lists) against the independent reference model
    (``_shared_lists``, the whole schedule), on random periodic layers -- port-bound and
    compute-bound, empty walks included: (1) the schedule lists are written once (the lazy
    comparison reads an earlier checkpoint's entries later); (2) from the recurrence ``k1 < k2``
    (``D`` jobs, ``T`` cycles) on, every start and done cycle of the reference schedule of
    jobs ``k2 ..`` is that of ``D`` jobs before plus ``T`` (the proof's claim, checked over
    the jobs the layer's end cannot reach); (3) ``_shared_periodic``'s fields equal
    ``overlapped_perf_reference`` of the whole sequence."""
    from tb.build.runner import pick_seed
    rng = np.random.default_rng(pick_seed())
    found_in = []
    for trial in range(300):
        r = int(rng.choice([1, 1, 1, 2, 3, 6]))
        p, sin, sout = _random_shared_layer(rng, r)
        comp = int(rng.choice([int(rng.integers(1, 20)), 65, int(rng.integers(1, 120))]))
        n = int(rng.integers(40, 300))
        step = perf._min_period(sin, sout)
        si_o, so_o = p.streamin_overhead, p.streamout_overhead
        lists = [perf._tiled_from(x, 0, n) for x in ([x - si_o for x in sin], [x - so_o for x in sout],
                                                     sin, sout, [comp])]
        sched = tuple(_WriteOnce([-1] * n) for _ in range(5))
        consts = (*lists, p.job_overhead, si_o - perf.FIRST_REQUEST, so_o - perf.FIRST_REQUEST)
        found, state = perf._shared_run(sched, (None, None, 0, 0, 0, False, 0), n, n - 1, consts,
                                        (step, n - 2, {}))
        perf._shared_run(sched, state, n, None, consts)           # on to the end: written once too
        tin, tout = perf._tiled(sin, n), perf._tiled(sout, n)
        ref = perf._shared_lists(tin, [comp] * n, tout, p)
        if found is not False:
            k1, ref1, k2, ref2, _ = found
            d, shift = k2 - k1, ref2 - ref1
            found_in.append(k2)
            for name, x in zip("g c s din dout".split(), ref, strict=True):
                for j in range(k2, n - 3):      # job j is done before job j + 3's STREAMIN starts
                    assert x[j] == x[j - d] + shift, (trial, name, j, k1, k2, sin, comp, sout, p)
        got = perf._shared_periodic(sin, comp, sout, n, p, step, 1024)[0]
        want = perf.overlapped_perf_reference(tin, [comp] * n, tout, p)._tuple()
        assert got == want, (trial, n, sin, comp, sout, p)
    assert len(found_in) > 250, len(found_in)
    print(f"{len(found_in)} of 300 layers proved a steady state, at job {min(found_in)}-{max(found_in)}")
