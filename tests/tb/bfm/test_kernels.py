"""tb/bfm/kernels.py: the software kernels of the network runs (average pool, max pool, channel
concatenation, sum of a row-split layer's partials, zeroing a padding ring, the residual add with
an int8 or uint8 second operand)
on the RTL cluster of the ``jetcas2022`` preset, each output compared with an independent numpy
computation (written out here, not taken from sim_models.golden). All kernels run as the steps of
one hand-built program through the network runner (tb/env/net.py), on padded and unpadded, word-
aligned and unaligned buffers; the build is the preset's cluster, shared with
tests/tb/cli/test_run_preset.py.
"""

from types import SimpleNamespace

import numpy as np

from hw.config import preset
from sim_models.mapping import Buffer, TcdmAllocator
from sim_models.swcost import sw_cost
from sim_models.workloads import Phase
from tb.bfm.kernels import ring_runs
from tb.build.runner import pick_seed


def requant_ref(acc, m, s, lo, hi):
    """BRIEF.md section 2, written out: ``clamp((acc * M + 2**(S-1)) >> S, LO, HI)``."""
    acc = np.asarray(acc, dtype=np.int64) * m
    if s:
        acc = (acc + (1 << (s - 1))) // (1 << s)          # floor division = arithmetic shift
    return np.clip(acc, lo, hi).astype(np.uint8 if lo >= 0 else np.int8)


def adc_for(acc, lo, hi):
    """An (M, S) that spreads ``acc`` over the output range (any value works for the check)."""
    r = max(1, int(np.percentile(np.abs(acc), 95)))
    s = 12
    return max(1, round(hi / r * (1 << s))), s, lo, hi


def test_ring_runs_cover_the_ring_exactly():
    for shape, pad in (((5, 7, 6), 1), ((3, 4, 5), 2), ((1, 1, 3), 1)):
        buf = Buffer("b", 100, shape, pad=pad)
        mask = np.zeros(buf.nbytes, dtype=int)
        for addr, n in ring_runs(buf):
            mask[addr - 100:addr - 100 + n] += 1
        hp, wp, c = buf.padded_shape
        ring = np.ones((hp, wp, c), dtype=int)
        ring[pad:-pad, pad:-pad, :] = 0
        assert np.array_equal(mask, ring.reshape(-1)), (shape, pad)
        assert len(ring_runs(buf)) == shape[0] + 1
    assert ring_runs(Buffer("b", 0, (4, 4, 4))) == []


def _program(rng, tcdm_bytes):
    """Buffers, a TCDM image and one step per kernel case, with the expected outputs."""
    alloc = TcdmAllocator(tcdm_bytes)
    image = alloc.image()
    steps = []

    def buf(name, shape, dtype="uint8", pad=0, data=None):
        b = alloc.alloc(name, shape, dtype, pad=pad)
        raw = rng.integers(0, 256, b.nbytes, dtype=np.uint8)   # dirty memory, ring included
        if data is not None:
            view = raw.view(dtype).reshape(b.padded_shape)
            view[b.pad:b.pad + shape[0], b.pad:b.pad + shape[1], :] = data
        image[b.addr:b.addr + b.nbytes] = raw
        return b

    def step(name, kind, args, out, expected):
        steps.append(SimpleNamespace(layer=name, kind=kind, unit="cores", macs=0,
                                     phases=[Phase(name, kind, args)], out=out, expected=expected))

    # zero ring: unaligned rows (9 x 6 bytes), the interior keeps its bytes
    ring_buf = buf("ring", (5, 7, 6), pad=1)
    whole = Buffer("ring_all", ring_buf.addr, ring_buf.padded_shape)
    before = image[ring_buf.addr:ring_buf.addr + ring_buf.nbytes].reshape(whole.shape).copy()
    before[0, :], before[-1, :], before[:, 0], before[:, -1] = 0, 0, 0, 0
    step("zero_ring", "sw_zero_ring", dict(buf=ring_buf), whole, before)
    # global average pool 7x7x40 -> 1x1x40 (uint8), and 2x2 pool of a padded 6x6x20 into a
    # padded int8 output
    for name, (h, c, k, pad, lo) in {"pool_global": (7, 40, 7, 0, 0),
                                     "pool_2x2": (6, 20, 2, 1, -128)}.items():
        x = rng.integers(0, 256, (h, h, c), dtype=np.uint8)
        src = buf(f"{name}.x", (h, h, c), pad=pad, data=x)
        ho = h // k
        acc = np.zeros((ho, ho, c), dtype=np.int64)
        for oy in range(ho):
            for ox in range(ho):
                acc[oy, ox] = x[oy * k:(oy + 1) * k, ox * k:(ox + 1) * k].astype(np.int64).sum((0, 1))
        adc = adc_for(acc, lo, 255 if lo == 0 else 127)
        dst = buf(f"{name}.y", (ho, ho, c), "uint8" if lo == 0 else "int8", pad=pad)
        step(name, "sw_avgpool", dict(src=src, dst=dst, k=k, adc=adc), dst, requant_ref(acc, *adc))
    # sum of partials: 3 pieces into a padded uint8 output; 2 pieces into an unpadded int8 one
    for name, (shape, n, pad, lo) in {"partials3": ((4, 5, 12), 3, 1, 0),
                                      "partials2": ((3, 3, 7), 2, 0, -128)}.items():
        parts = [rng.integers(-128, 128, shape, dtype=np.int8) for _ in range(n)]
        bufs = [buf(f"{name}.p{t}", shape, "int8", data=p) for t, p in enumerate(parts)]
        acc = np.sum([p.astype(np.int64) for p in parts], axis=0)
        adc = adc_for(acc, lo, 255 if lo == 0 else 127)
        dst = buf(f"{name}.y", shape, "uint8" if lo == 0 else "int8", pad=pad)
        step(name, "sw_add_partials", dict(parts=bufs, dst=dst, adc=adc), dst, requant_ref(acc, *adc))
    # residual add: p int8 and p uint8 (unpadded), and padded x / y with an int8 p
    for name, (shape, pdt, pad) in {"res_int8": ((4, 4, 8), "int8", 0),
                                    "res_uint8": ((3, 5, 6), "uint8", 0),
                                    "res_padded": ((3, 4, 5), "int8", 1)}.items():
        x = rng.integers(0, 256, shape, dtype=np.uint8)
        p = rng.integers(-128, 128, shape, dtype=np.int8) if pdt == "int8" else \
            rng.integers(0, 256, shape, dtype=np.uint8)
        xb, pb = buf(f"{name}.x", shape, pad=pad, data=x), buf(f"{name}.p", shape, pdt, data=p)
        yb = buf(f"{name}.y", shape, pad=pad)
        expected = np.clip(x.astype(np.int64) + p.astype(np.int64), 0, 255).astype(np.uint8)
        step(name, "sw_residual", dict(x_buf=xb, p_buf=pb, y_buf=yb), yb, expected)
    # max pool: ResNet's 3x3 / 2 / pad 1 (odd 7x7 input, unaligned 5 channels, padded source),
    # VGG's 2x2 / 2 into a padded output, SqueezeNet's 3x3 / 2 unpadded
    for name, (h, c, k, st, p, spad, dpad) in {"maxpool_3s2p1": (7, 5, 3, 2, 1, 1, 0),
                                                "maxpool_2s2": (8, 12, 2, 2, 0, 0, 1),
                                                "maxpool_3s2": (9, 16, 3, 2, 0, 0, 0)}.items():
        x = rng.integers(0, 256, (h, h, c), dtype=np.uint8)
        ho = (h + 2 * p - k) // st + 1
        want = np.zeros((ho, ho, c), dtype=np.uint8)
        for oy in range(ho):
            for ox in range(ho):
                ys = slice(max(0, oy * st - p), min(h, oy * st - p + k))
                xs = slice(max(0, ox * st - p), min(h, ox * st - p + k))
                want[oy, ox] = x[ys, xs].reshape(-1, c).max(axis=0)
        src = buf(f"{name}.x", (h, h, c), pad=spad, data=x)
        dst = buf(f"{name}.y", (ho, ho, c), pad=dpad)
        step(name, "sw_maxpool", dict(src=src, dst=dst, k=k, stride=st, pad=p), dst, want)
    # concatenation: two operands (a fire module, 4 + 8 channels) into a padded output; three
    # operands with unaligned channel counts, one padded source
    for name, (hw_, chans, pads, dpad) in {"concat2": (5, (4, 8), (0, 0), 1),
                                           "concat3": (3, (3, 5, 2), (1, 0, 0), 0)}.items():
        xs = [rng.integers(0, 256, (hw_, hw_, ch), dtype=np.uint8) for ch in chans]
        srcs = [buf(f"{name}.x{t}", x.shape, pad=p, data=x)
                for t, (x, p) in enumerate(zip(xs, pads, strict=True))]
        dst = buf(f"{name}.y", (hw_, hw_, sum(chans)), pad=dpad)
        want = np.zeros((hw_, hw_, sum(chans)), dtype=np.uint8)
        c0 = 0
        for x in xs:
            want[:, :, c0:c0 + x.shape[2]] = x
            c0 += x.shape[2]
        step(name, "sw_concat", dict(srcs=srcs, dst=dst), dst, want)
    return SimpleNamespace(image=image, used=alloc.used, placements=[], steps=steps, arrays=1,
                           imas=1, tcdm_bytes=tcdm_bytes)


def test_kernels_on_the_cluster():
    from tb.cli.net import simulate
    seed = pick_seed()
    rng = np.random.default_rng(seed)
    cfg = preset("jetcas2022")
    program = _program(rng, cfg.tcdm_bytes)
    res = simulate(program, cfg, seed=seed)
    names = [s.layer for s in program.steps]
    assert [r["name"] for r in res["layers"]] == names
    bad = {r["name"]: r["mismatches"] for r in res["layers"] if not r["passed"]}
    assert not bad, f"kernels differ from numpy (seed {seed}): {bad}"
    assert res["total"]["passed"] and res["error"] is None
    cost = sw_cost(cfg.sw_cost)
    cycles = {r["name"]: r["cycles"] for r in res["layers"]}
    # each step lasts at least its busiest core's cost (pixels / channels / runs split over 8)
    assert cycles["pool_global"] >= cost.avgpool(49 * 5, 5)
    assert cycles["partials3"] >= cost.add_partials(3 * 12, 3)
    assert cycles["zero_ring"] >= cost.zero_fill(2 * 6, 1)
    assert cycles["maxpool_3s2"] >= cost.maxpool(1 * 4 * 16, 3)       # 4 output rows over 8 cores
    assert cycles["concat2"] >= cost.concat(4 * 12, 4 * 2)             # 25 pixels over 8 cores
    assert sum(cycles.values()) <= res["total"]["cycles"]
    assert all(r["energy_uj"] > 0 for r in res["layers"])
    # the fast model (sim_models/fastmodel.py) on the same kernels: each within 5 %, all within 2 %
    from sim_models.fastmodel import estimate_phases
    from tb.cli.fastmodel_rtl import check_bounds, format_rows, layer_rows
    est = [{"name": s.layer, "cycles": sum(p.cycles for p in estimate_phases(s.phases, cfg))}
           for s in program.steps]
    rows = layer_rows(res["layers"], est, sum(cycles.values()), sum(r["cycles"] for r in est))
    print(format_rows(rows, "fast model vs RTL: the software kernels"))
    check_bounds(rows, "software kernels")
