"""Cycle model of the DWA engine (``hw.dwa.engine.DwaEngine``): exact without contention.

Pure Python + numpy. The schedule is the engine's (its module docstring is the long form):

* The inner loop is the one of Garofalo et al. 2022, Sec. IV-C (``papers/garofalo2022-notes.md``):
  4 cycles per output pixel, load / MAC / store pipelined -- at N = 4 ports (128 bit), stride 1,
  a full 16-channel group and aligned data, the 3 pixels of the next input row load in cycles
  0-2 (16 B each), the previous output pixel is stored in cycle 3, and the 36 multipliers work
  4 channels per cycle in all four: 36 MAC/cycle.
* Every memory operation is a *run* of ``cg`` contiguous bytes (one pixel's channels of the
  group, ``cg = min(16, C - 16g)``) costing ``ceil(ceil((a%4 + cg)/4) / N)`` cycles (one chunk of
  up to N aligned words per cycle): misaligned runs (``C % 4``, odd addresses or row strides)
  may cost one more.
* The job is a sequence of phases, each ``D = max(Mc, E)`` cycles, ``Mc = ceil(cg/4)`` MAC
  cycles (output pixels only) and ``E`` the port part: the phase's load runs (``L`` cycles) then
  the store of the pending output pixel (``S`` cycles): ``E = L + S``; ``L + 1`` without a store
  (the last response lands a cycle after the grant); ``1 + S`` without loads (a store never
  starts in a phase's cycle 0: the pixel's last channel slice is requantised then); 0 for
  neither. Stride 2 loads two rows, the second into the current window's top row, so it waits
  for the MAC's last cycle: ``E = max(L_A, Mc-1) + L_B + (S or 1)``.
* Phases: per group ``W`` (9 weight runs + the previous group's last pixel), per output column
  ``P`` (9 runs: the 3x3 window; + the previous column's last pixel), per output pixel ``I``
  (MAC; the next window's new row(s) unless it is the column's last pixel; the previous pixel),
  once ``F`` (the last pixel). ``start`` in cycle 0, phases from cycle 1, ``done`` in cycle
  ``sum(D) + 1``.

At N = 4, stride 1, aligned: ``I`` = 4 cycles, ``P`` = ``W`` = 10 cycles (per column, per group);
stride 2: ``I`` = 7 (the port bound: 6 loads + 1 store of 16 B). Hence 30.9 MAC/cycle on a
16x16x192 stride-1 layer and 20.2 on 112x112x32 -> 56x56 stride 2 (the paper: 29.7 on average,
36 peak). More than 4 ports do not shorten the loop (one run = one chunk per cycle); a misaligned
16-byte run costs 2 cycles at N = 4 (5 words), 5 instead of 4 at N = 1.
"""

from __future__ import annotations

import numpy as np

from sim_models.dwa import GROUP, KERNEL, LANES, DwJob

__all__ = ["engine_cycles", "breakdown", "breakdown_reference", "mac_per_cycle", "run_chunks", "PHASE_KEYS"]

#: The keys of :func:`breakdown` that partition the job's cycles.
PHASE_KEYS = ("weights", "preload", "inner", "final", "done")

#: The ``DONE`` cycle after the last phase (the ``start`` cycle itself is cycle 0).
DONE_CYCLES = 1


def _check_ports(ports: int) -> None:
    if not isinstance(ports, int) or isinstance(ports, bool) or not 1 <= ports <= 16:
        raise ValueError(f"ports must be an integer in 1..16, not {ports!r}")


def run_chunks(addr, nbytes: int, ports: int):
    """Cycles (chunks) of a run of ``nbytes`` bytes at byte address(es) ``addr`` on ``ports``."""
    words = (np.asarray(addr, dtype=np.int64) % 4 + nbytes + 3) // 4
    return -(-words // ports)


def _port_part(loads, store, mc, stride2):
    """``E`` of phases, vectorised: ``loads`` = (L_A, L_B) arrays (L_B only for stride 2, may be
    all zero when there are no loads), ``store`` = S array (0 = no store)."""
    la, lb = loads
    has_l = (la + lb) > 0
    t = np.where(stride2 & has_l, np.maximum(la, mc - 1) + lb, la + lb)
    return np.where(has_l, t + np.where(store > 0, store, 1), np.where(store > 0, 1 + store, 0))


def breakdown(job: DwJob, ports: int, *, validate: bool = True) -> dict[str, int]:
    """Cycles per phase kind: ``weights`` (W), ``preload`` (P), ``inner`` (I), ``final`` (F)
    and ``done`` (their sum is :func:`engine_cycles`), and ``mac_cycles`` (cycles the MAC array
    works, part of ``inner``). ``ValueError`` on bad ``ports`` or, unless ``validate`` is False
    (a caller that has validated ``job`` already: the fast model validates each job object
    once), a bad ``job``.

    Every run's cost depends on its address modulo 4 (:func:`run_chunks`), which is periodic
    with period 4 in the output column ``ox`` and row ``oy`` (the addresses are affine in them):
    the pixel phases are costed at one representative of each class (``ox mod 4``; ``oy = 0``,
    ``oy = H - 1``, the rows between by ``oy mod 4``) and weighted by the class sizes, a few
    dozen pixels instead of ``W * H``, in plain Python with the chunks of a run looked up by its
    address modulo 4 (numpy's fixed cost per call dominates arrays this small). Classes whose
    runs start at the same addresses modulo 4 are merged first (:func:`_column_classes`,
    :func:`_row_classes`): with the channels and row strides multiples of 4 -- every MobileNetV2
    layer -- one class of columns and three of rows.
    :func:`breakdown_reference` costs every pixel (the same numbers:
    tests/sim_models/test_dwa_perf.py)."""
    _check_ports(ports)
    if validate:
        job.validate()
    n = ports
    C, s2 = job.channels, job.stride == 2
    irs, ors = job.in_row_stride, job.out_row_stride
    cols = _column_classes(job)
    rows = _row_classes(job)
    r1, r2 = irs % 4, 2 * irs % 4                            # the window's rows 1 and 2
    last_row = (job.out_h - 1) * ors % 4                     # a column's last pixel's store

    def group(cg):
        """``(weight chunks, preload, inner, last store)`` of a group of ``cg`` channels (the
        phases of :func:`breakdown_reference`, one representative per class of columns and
        rows)."""
        mc = -(-cg // LANES)
        ch = [-(-((a + cg + 3) // 4) // n) for a in range(4)]            # chunks by address % 4
        row3 = [ch[b % 4] + ch[(b + C) % 4] + ch[(b + 2 * C) % 4] for b in range(4)]   # a row's 3 runs
        w_addr = job.w_addr
        taps = (KERNEL * KERNEL * ch[w_addr % 4] if C % 4 == 0
                else sum(ch[(w_addr + t * C) % 4] for t in range(KERNEL * KERNEL)))
        pre = inner = 0
        for (cr, orr), (w_x, w_store) in cols.items():
            pre += (row3[cr] + row3[(cr + r1) % 4] + row3[(cr + r2) % 4]) * w_x
            pre += ch[(orr + last_row) % 4] * w_store
            col = 0
            for ra, rb, rs, w_y in rows:
                la = row3[(cr + ra) % 4] if ra is not None else 0
                lb = row3[(cr + rb) % 4] if s2 and ra is not None else 0
                st = ch[(orr + rs) % 4] if rs is not None else 0
                if la + lb:
                    e = (max(la, mc - 1) + lb if s2 else la + lb) + (st if st else 1)
                else:
                    e = 1 + st if st else 0
                col += (mc if mc > e else e) * w_y
            inner += col * w_x
        last = ch[(job.out_addr + (job.out_w - 1) * C + (job.out_h - 1) * ors) % 4]
        return taps, pre + 1, inner, last

    return _sum_groups(job, group)


def _column_classes(job: DwJob) -> dict[tuple[int, int], list[int]]:
    """The output columns ``ox`` by the addresses modulo 4 their runs start from, which is all
    their cost depends on: ``(input column, output column) modulo 4 -> [columns, columns but the
    last]`` (the last column's last pixel is stored by the next group's ``W`` or by ``F``, not by
    a ``P``). The addresses are affine in ``ox``, so the classes of ``ox mod 4`` cover them; with
    the channels a multiple of 4, every column falls in one class."""
    C, W = job.channels, job.out_w
    if C % 4 == 0:                  # every column's runs start where column 0's do, modulo 4
        return {(job.in_addr % 4, job.out_addr % 4): [W, W - 1]}
    out: dict[tuple[int, int], list[int]] = {}
    for x, w_x in zip(*_class_lists(W, ends=False), strict=True):
        k = ((job.in_addr + x * job.stride * C) % 4, (job.out_addr + x * C) % 4)
        acc = out.setdefault(k, [0, 0])
        acc[0] += w_x
        acc[1] += w_x - 1 if x == (W - 1) % 4 else w_x
    return out


def _row_classes(job: DwJob) -> list[tuple[int | None, int | None, int | None, int]]:
    """The output rows ``oy`` by what their pixels' ``I`` phases load and store, relative to the
    column's addresses modulo 4: ``(ra, rb, rs, rows)`` -- the new window row's offset modulo 4
    (``None``: the column's last pixel loads nothing), the second one's (stride 2), the previous
    pixel's store offset (``None``: the column's first pixel stores nothing) -- with the rows of
    one class merged (with row strides a multiple of 4, all the middle rows)."""
    H, s = job.out_h, job.stride
    irs, ors = job.in_row_stride, job.out_row_stride
    if irs % 4 == 0 and ors % 4 == 0:      # offsets 0 modulo 4: the first, middle and last rows
        if H == 1:
            return [(None, None, None, 1)]
        rb = 0 if s == 2 else None
        return [(0, rb, None, 1)] + ([(0, rb, 0, H - 2)] if H > 2 else []) + [(None, None, 0, 1)]
    merged: dict[tuple, int] = {}
    for y, w_y in zip(*_class_lists(H, ends=True), strict=True):
        ra = None if y == H - 1 else (s * y + 3) * irs % 4
        rb = (s * y + 4) * irs % 4 if ra is not None and s == 2 else None
        rs = (y - 1) * ors % 4 if y else None
        merged[ra, rb, rs] = merged.get((ra, rb, rs), 0) + w_y
    return [(*k, w) for k, w in merged.items()]


def _class_lists(size: int, ends: bool) -> tuple[list[int], list[int]]:
    """``(representatives, weights)`` of ``0..size-1`` by class of ``i mod 4`` (``0`` and
    ``size - 1`` classes of their own when ``ends``)."""
    if not ends:
        rep = list(range(min(size, 4)))
        return rep, [(size - 1 - r) // 4 + 1 for r in rep]
    if size <= 2:
        return list(range(size)), [1] * size
    mid = list(range(1, min(size - 2, 4) + 1))
    return [0, *mid, size - 1], [1, *((size - 2 - m) // 4 + 1 for m in mid), 1]


def breakdown_reference(job: DwJob, ports: int) -> dict[str, int]:
    """:func:`breakdown` with every output pixel costed, as arrays (its reference)."""
    _check_ports(ports)
    job.validate()
    n = ports
    C, H, W, s = job.channels, job.out_h, job.out_w, job.stride
    s2 = s == 2
    irs, ors = job.in_row_stride, job.out_row_stride
    oy = np.arange(H, dtype=np.int64)
    ox = np.arange(W, dtype=np.int64)[:, None]           # arrays over [ox, oy] (or [ox, 1])
    wx, wxy = np.ones(W, dtype=np.int64), np.ones((W, H), dtype=np.int64)
    wx_but_last = np.where(ox[:, 0] == W - 1, 0, 1)
    kx3 = np.arange(KERNEL, dtype=np.int64) * C          # pixel offsets of the 3 runs of a row

    def group(cg):
        """``(weight chunks, preload, inner, last store)`` of a group of ``cg`` channels."""
        mc = -(-cg // LANES)
        taps = job.w_addr + np.arange(KERNEL * KERNEL) * C

        def row(r):
            """Cycles of loading padded input row(s) ``r`` (3 runs each) of every column."""
            base = job.in_addr + ox * s * C + r * irs
            return run_chunks(base[..., None] + kx3, cg, n).sum(axis=-1)

        def store_at(x, y):
            return run_chunks(job.out_addr + x * C + y * ors, cg, n)

        # P: rows 0..2, then the previous column's last pixel (none for column 0: W stored it).
        pre = row(0) + row(1) + row(2)                                          # [ox, 1]
        # I: rows s*oy + 3 (and s*oy + 4 for stride 2) except for the column's last pixel;
        # the store of the previous pixel (none for the column's first).
        last = oy == H - 1
        la = np.where(last, 0, row(s * oy + 3))
        lb = np.where(last, 0, row(s * oy + 4)) if s2 else np.zeros_like(la)
        store = np.where(oy == 0, 0, store_at(ox, oy - 1))
        e = _port_part((la, lb), store, mc, s2)
        col_last = store_at(ox[:, 0], H - 1)                                    # [ox]
        return (int(run_chunks(taps, cg, n).sum()),
                int(pre[:, 0] @ wx) + int(col_last @ wx_but_last) + 1,
                int((np.maximum(mc, e) * wxy).sum()), int(store_at(W - 1, H - 1)))

    return _sum_groups(job, group)


def _sum_groups(job: DwJob, group) -> dict[str, int]:
    """The phase totals of ``job`` from ``group(cg)`` -> ``(weight chunks, preload, inner, last
    store chunks)`` of a channel group of ``cg`` channels (shared by :func:`breakdown` and
    :func:`breakdown_reference`). A group's runs are group 0's moved by ``GROUP * g`` bytes, a
    multiple of 4 (aligned words): their chunks depend on the group's channel count only, so each
    distinct count is costed once -- the full groups and the remainder, which is the last group
    -- and counted as often as it occurs. Each group's ``W`` phase also stores the previous
    group's last pixel (1 cycle for the first group, which has none); ``F`` stores the last
    group's."""
    C, H, W = job.channels, job.out_h, job.out_w
    full, rem = divmod(C, GROUP)
    counts = ([(GROUP, full)] if full else []) + ([(rem, 1)] if rem else [])
    costs = [group(cg) for cg, _ in counts]
    out = dict(weights=0, preload=0, inner=0, final=0, done=DONE_CYCLES, mac_cycles=0)
    for (cg, count), (w_chunks, pre, inner, _) in zip(counts, costs, strict=True):
        out["weights"] += count * w_chunks
        out["preload"] += count * pre
        out["inner"] += count * inner
        out["mac_cycles"] += count * -(-cg // LANES) * H * W
    # groups 0 .. G - 2 are full (costs[0] when there are two groups or more)
    out["weights"] += 1 + (job.groups - 1) * (costs[0][3] or 1)
    out["final"] = 1 + costs[-1][3]
    return out


def engine_cycles(job: DwJob, ports: int) -> int:
    """Cycles from the ``start`` cycle to the ``done`` cycle of ``job`` on ``ports`` data ports
    without contention (exact for the RTL, aligned or not)."""
    b = breakdown(job, ports)
    return sum(b[k] for k in PHASE_KEYS)


def mac_per_cycle(job: DwJob, ports: int) -> float:
    """Useful MACs per engine cycle (the paper: 36 peak, 29.7 on average)."""
    return job.macs / engine_cycles(job, ports)
