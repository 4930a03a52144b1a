"""The IMA's sequential ConfigChecker vs the Python reference of sim_models.jobconfig (Amaranth
simulator, hypothesis over valid and invalid configurations).

Three references: jobconfig's own extent helpers on LayerJob-shaped values; a register-level one
on full-range 32-bit words (32-bit strides of both signs, 0xFFFF counts, garbage in the upper
bits of the 16-bit registers), tied to ``LayerJob.validate`` wherever the words are a LayerJob;
and a brute force on small cases that enumerates every byte and window the jobs touch.
"""

import math

from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hw.config import ImaConfig
from hw.ima import regmap
from hw.ima.jobregs import ConfigChecker
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

CFG = ImaConfig(ports=1, rows=256, cols=128, dac_depth=64, adc_depth=32, tcdm_bytes=4096)


def expected_bits(layer: LayerJob, cfg=CFG):
    """ERROR bits per the Python reference (jobconfig's own extent / byte-range helpers)."""
    lengths = [layer.width, layer.height, layer.src.len0, layer.src.len1, layer.src.len2,
               layer.dst.len0, layer.dst.len1, layer.dst.len2] + [lp.count for lp in layer.loops]
    length = (any(v == 0 for v in lengths) or layer.src.total != layer.height
              or layer.dst.total != layer.width)
    r_lo, r_hi = layer._extent(lambda lp: lp.row_stride, layer.row, layer.height)
    c_lo, c_hi = layer._extent(lambda lp: lp.col_stride, layer.col, layer.width)
    window = (r_lo < 0 or r_hi > cfg.rows or c_lo < 0 or c_hi > cfg.cols
              or layer.height > cfg.dac_depth or layer.width > cfg.adc_depth)
    s_lo, s_hi = layer.byte_range(layer.src_addr, layer.src, "src_stride")
    d_lo, d_hi = layer.byte_range(layer.dst_addr, layer.dst, "dst_stride")
    address = s_lo < 0 or s_hi > cfg.tcdm_bytes or d_lo < 0 or d_hi > cfg.tcdm_bytes
    adc = not (-2**15 <= layer.adc_m < 2**15 and 0 <= layer.adc_s <= 31 and -128 <= layer.adc_lo <= 255
               and -128 <= layer.adc_hi <= 255 and layer.adc_lo <= layer.adc_hi)
    array = layer.array >= cfg.arrays
    return (regmap.ERR.WINDOW * window | regmap.ERR.LENGTH * length
            | regmap.ERR.ADDRESS * address | regmap.ERR.ADC * adc | regmap.ERR.ARRAY * array)


def run_checker(layers, cfg=CFG):
    return run_checker_words([dict(regmap.encode_layer(layer)) for layer in layers], cfg)


def run_checker_words(configs, cfg=CFG):
    """Run the checker on each ``{register offset: uint32}``; returns [(ERROR bits, cycles)]."""
    dut = ConfigChecker(cfg)
    got = []
    names = {r.offset: r.name.lower() for r in regmap.JOB_REGISTERS}

    async def tb(ctx):
        for words in configs:
            for offset, value in words.items():
                ctx.set(getattr(dut.job, names[offset]), value)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            cycles = 0
            while not ctx.get(dut.done):
                await ctx.tick()
                cycles += 1
                assert cycles < 64, "checker never finished"
            got.append((ctx.get(dut.err_window) * regmap.ERR.WINDOW
                        | ctx.get(dut.err_length) * regmap.ERR.LENGTH
                        | ctx.get(dut.err_address) * regmap.ERR.ADDRESS
                        | ctx.get(dut.err_adc) * regmap.ERR.ADC
                        | ctx.get(dut.err_array) * regmap.ERR.ARRAY, cycles))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return got


small = st.integers
walk = st.builds(Walk3D, small(0, 9), small(0, 4), small(-200, 200), small(0, 3), small(-600, 600))
loop = st.builds(JobLoop, small(0, 5), small(-300, 300), small(-300, 300), small(-40, 40),
                 small(-20, 20))
layers = st.builds(LayerJob, small(0, 4200), small(0, 4200), walk, walk, small(0, 260),
                   small(0, 130), small(0, 70), small(0, 36), small(-40000, 40000), small(0, 33),
                   small(-130, 260), small(-130, 260), st.tuples(loop, loop, loop))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers, min_size=1, max_size=4))
def test_checker_matches_reference(batch):
    results = run_checker(batch)
    for layer, (bits, cycles) in zip(batch, results, strict=True):
        assert bits == expected_bits(layer), (layer, bits, expected_bits(layer))
        assert cycles == 20


def test_known_good_and_bad():
    good = LayerJob(src_addr=16, dst_addr=1024, src=Walk3D(8, 2, 32), dst=Walk3D(8), row=0, col=0,
                    height=16, width=8, loops=(JobLoop(4, 16, 8, 0, 8), JobLoop(), JobLoop()))
    from dataclasses import replace
    bad_rows = replace(good, row=250)
    bad_len = replace(good, height=15)
    [(g, _), (r, _), (n, _)] = run_checker([good, bad_rows, bad_len])
    assert (g, r, n) == (0, regmap.ERR.WINDOW, regmap.ERR.LENGTH | regmap.ERR.WINDOW * 0)


# ------------------------------------------------------------------ full-range register words
FIELD = {r.job_path: r for r in regmap.JOB_REGISTERS}       # LayerJob path -> register
LOOPS = range(3)
LENGTHS = (["width", "height"] + [f"{w}.len{i}" for w in ("src", "dst") for i in range(3)]
           + [f"loops[{k}].count" for k in LOOPS])


def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _box(base, size, terms):
    """[lo, hi) of ``base + sum(stride * i for i in range(n))`` plus ``size`` (closed form)."""
    lo, hi = base, base + size
    for stride, n in terms:
        step = stride * (n - 1)
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    return lo, hi


def reference_bits(w, cfg=CFG):
    """ERROR bits of the register words ``w`` (``{LayerJob path: uint32}``), exact integers.

    16-bit unsigned registers (lengths, counts, window) must have zero upper bits (a LENGTH or
    WINDOW error otherwise); the row/column strides are 16-bit signed and must be sign-extended
    (a WINDOW error otherwise, as ``LayerJob.validate``: found by the register fuzzer,
    tb/check/regfuzz.py); every other register is a full 32-bit value, strides signed.
    """
    def u16(k):
        return w[k] & 0xFFFF

    def s16(k):
        return _signed(w[k], 16)

    def s32(k):
        return _signed(w[k], 32)

    def count(k):
        return u16(f"loops[{k}].count")

    length = (any(w[k] == 0 or w[k] >> 16 for k in LENGTHS)
              or math.prod(u16(f"src.len{i}") for i in range(3)) != u16("height")
              or math.prod(u16(f"dst.len{i}") for i in range(3)) != u16("width"))
    r_lo, r_hi = _box(u16("row"), u16("height"), [(s16(f"loops[{k}].row_stride"), count(k)) for k in LOOPS])
    c_lo, c_hi = _box(u16("col"), u16("width"), [(s16(f"loops[{k}].col_stride"), count(k)) for k in LOOPS])
    wide = any(s32(f"loops[{k}].{rc}_stride") != s16(f"loops[{k}].{rc}_stride")
               for k in LOOPS for rc in ("row", "col"))
    window = bool(wide or r_lo < 0 or r_hi > cfg.rows or c_lo < 0 or c_hi > cfg.cols or w["row"] >> 16
                  or w["col"] >> 16 or u16("height") > cfg.dac_depth or u16("width") > cfg.adc_depth)
    address = False
    for p, key in (("src", "src_stride"), ("dst", "dst_stride")):
        lo, hi = _box(w[f"{p}_addr"], u16(f"{p}.len0"),
                      [(s32(f"{p}.stride{i}"), u16(f"{p}.len{i}")) for i in (1, 2)]
                      + [(s32(f"loops[{k}].{key}"), count(k)) for k in LOOPS])
        address |= lo < 0 or hi > cfg.tcdm_bytes
    lo, hi = s32("adc_lo"), s32("adc_hi")
    adc = not (-2**15 <= s32("adc_m") < 2**15 and w["adc_s"] <= 31 and -128 <= lo <= 255
               and -128 <= hi <= 255 and lo <= hi)
    array = w["array"] >= cfg.arrays
    return (regmap.ERR.WINDOW * window | regmap.ERR.LENGTH * bool(length)
            | regmap.ERR.ADDRESS * address | regmap.ERR.ADC * adc | regmap.ERR.ARRAY * array)


def _by_offset(w):
    return {FIELD[k].offset: v for k, v in w.items()}


M32 = 0xFFFFFFFF
signed_small = st.integers(-5, 5).map(lambda v: v & M32)
garbage_hi = st.tuples(st.integers(1, 0xFFFF), st.integers(0, 0xFFFF)).map(lambda t: t[0] << 16 | t[1])


def _word(reg):
    """Full-range values of one register's word, with small ones mixed in so that valid
    configurations are drawn too."""
    if reg.bits == 16 and not reg.signed:      # lengths, counts, window: 0xFFFF, garbage above
        return st.one_of(st.integers(0, 4), st.integers(0, 0xFFFF), st.just(0xFFFF), garbage_hi)
    if reg.bits == 16:                         # row/col strides, ADC clamps: garbage above too
        return st.one_of(signed_small, st.integers(-2**15, 2**15 - 1).map(lambda v: v & M32),
                         st.integers(-300, 300).map(lambda v: v & M32), st.integers(0, M32))
    if reg.signed:                             # 32-bit strides (both signs), ADC multiplier
        return st.one_of(signed_small, st.integers(-700, 700).map(lambda v: v & M32),
                         st.sampled_from([0x7FFFFFFF, 0x80000000, M32]), st.integers(0, M32))
    return st.one_of(st.integers(0, 40), st.integers(0, 5000), st.integers(0, M32))   # addr, shift


small_walk = st.builds(Walk3D, small(1, 3), small(1, 3), small(-40, 40), small(1, 3), small(-90, 90))
small_loop = st.builds(JobLoop, small(1, 3), small(-200, 200), small(-200, 200), small(-9, 9), small(-9, 9))
small_layers = st.builds(LayerJob, small(0, 300), small(3700, 4100), small_walk, small_walk,
                         small(0, 256), small(0, 128), small(1, 27), small(1, 27), small(-3, 3),
                         small(0, 3), small(-130, 10), small(0, 260), st.tuples(small_loop, small_loop,
                                                                                 small_loop))




@st.composite
def consistent_layers(draw):
    """Small layers whose walks match the window (often valid as a whole)."""
    src, dst = draw(small_walk), draw(small_walk)
    return LayerJob(draw(small(0, 2000)), draw(small(0, 2000)), src, dst, draw(small(0, 200)),
                    draw(small(0, 100)), src.total, dst.total, draw(small(-3, 3)), draw(small(0, 3)),
                    draw(small(-130, 10)), draw(small(0, 260)),
                    draw(st.tuples(small_loop, small_loop, small_loop)))


@st.composite
def words(draw):
    """A small layer's register words with up to three of them replaced by full-range values,
    so that each cause shows up alone as well as together."""
    w = dict(_words_of(draw(consistent_layers())))
    for path in draw(st.lists(st.sampled_from(sorted(FIELD)), max_size=3, unique=True)):
        w[path] = draw(_word(FIELD[path]))
    return w


def _is_layer(w):
    """True when the words are exactly some LayerJob's encoding (no garbage upper bits)."""
    return (all(w[k] >> 16 == 0 for k, r in FIELD.items() if r.bits == 16 and not r.signed)
            and all(_signed(w[k], 32) == _signed(w[k], 16)
                    for k, r in FIELD.items() if r.bits == 16 and r.signed and "stride" in k))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(words(), min_size=1, max_size=6))
def test_checker_full_range_words(batch):
    # garbage above a row/col stride's 16 bits is a WINDOW error; its sign-extended value is not
    canon = [{k: (_signed(v, 16) & M32 if "_stride" in k and k.split(".")[-1][:3] in ("row", "col")
                  else v) for k, v in w.items()} for w in batch]
    results = run_checker_words([_by_offset(w) for w in batch + canon])
    for i, w in enumerate(batch + canon):
        assert results[i][0] == reference_bits(w), (w, results[i][0], reference_bits(w))
    for i, w in enumerate(batch):
        bits, cycles = results[i]
        want = reference_bits(w)
        assert bits == want, (w, bits, want)
        assert cycles == 20
        if _is_layer(w):
            layer = regmap.decode_layer(_by_offset(w))
            try:
                layer.validate(rows=CFG.rows, cols=CFG.cols, tcdm_bytes=CFG.tcdm_bytes,
                               dac_depth=CFG.dac_depth, adc_depth=CFG.adc_depth, arrays=CFG.arrays)
                valid = True
            except ValueError:
                valid = False
            assert valid == (bits == 0), (layer, bits)


# ------------------------------------------------------------------ brute force on small cases
def brute_force_bits(layer: LayerJob, cfg=CFG):
    """ERROR bits by enumerating every job, every byte it reads and writes and every crossbar
    row and column it uses (small layers only; all lengths >= 1)."""
    rows, cols, src, dst = set(), set(), set(), set()
    for s_base, d_base, row0, col0 in layer.jobs():
        rows.update(range(row0, row0 + layer.height))
        cols.update(range(col0, col0 + layer.width))
        src.update(s_base + o for o in layer.src.offsets())
        dst.update(d_base + o for o in layer.dst.offsets())
    length = layer.src.total != layer.height or layer.dst.total != layer.width
    window = (min(rows) < 0 or max(rows) >= cfg.rows or min(cols) < 0 or max(cols) >= cfg.cols
              or layer.height > cfg.dac_depth or layer.width > cfg.adc_depth)
    address = min(src | dst) < 0 or max(src | dst) >= cfg.tcdm_bytes
    adc = not (-2**15 <= layer.adc_m < 2**15 and 0 <= layer.adc_s <= 31
               and -128 <= layer.adc_lo <= layer.adc_hi <= 255)
    bounds = {"row": (min(rows), max(rows) + 1), "col": (min(cols), max(cols) + 1),
              "src": (min(src), max(src) + 1), "dst": (min(dst), max(dst) + 1)}
    array = layer.array >= cfg.arrays
    return (regmap.ERR.WINDOW * window | regmap.ERR.LENGTH * length
            | regmap.ERR.ADDRESS * address | regmap.ERR.ADC * adc | regmap.ERR.ARRAY * array), bounds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(small_layers, min_size=1, max_size=6))
def test_checker_matches_brute_force(batch):
    results = run_checker(batch)
    for layer, (bits, _) in zip(batch, results, strict=True):
        want, bounds = brute_force_bits(layer)
        assert bits == want, (layer, bits, want)
        # the closed-form bounding boxes of both references are the enumerated ones
        assert layer._extent(lambda lp: lp.row_stride, layer.row, layer.height) == bounds["row"]
        assert layer._extent(lambda lp: lp.col_stride, layer.col, layer.width) == bounds["col"]
        assert layer.byte_range(layer.src_addr, layer.src, "src_stride") == bounds["src"]
        assert layer.byte_range(layer.dst_addr, layer.dst, "dst_stride") == bounds["dst"]
        w = dict(_words_of(layer))
        assert reference_bits(w) == want, (layer, reference_bits(w), want)


def _words_of(layer):
    """``(LayerJob path, uint32)`` of every job register of ``layer``."""
    by_offset = dict(regmap.encode_layer(layer))
    return [(path, by_offset[reg.offset]) for path, reg in FIELD.items()]


#: Full-range values every register is tried with (as uint32 words).
EXTREMES = (0, 1, 0xFFFF, 0x10000, 0x10001, 0x7FFF, 0x8000, 0xFFFF8000, 0x7FFFFFFF, 0x80000000,
            0xFFFFFFFF, 0xDEAD0003, 0x0001FFFF)


def test_checker_full_range_each_register():
    """Each register of a valid layer (nonzero job-loop strides) replaced in turn by each of
    :data:`EXTREMES`: the hardware matches the register-level reference every time."""
    base = LayerJob(src_addr=256, dst_addr=2048, src=Walk3D(4, 2, 40, 2, 100), dst=Walk3D(4, 2, 8),
                    row=8, col=4, height=16, width=8, adc_m=3, adc_s=2, adc_lo=-5, adc_hi=200,
                    loops=(JobLoop(2, 16, 8, 1, 2), JobLoop(3, 300, 64, 20, 0), JobLoop(2, -8, 512, 0, 9)))
    w0 = dict(_words_of(base))
    assert reference_bits(w0) == 0
    cases = [{**w0, path: v} for path in sorted(FIELD) for v in EXTREMES]
    results = run_checker_words([_by_offset(w) for w in cases])
    wrong = [(w, bits, reference_bits(w)) for w, (bits, _) in zip(cases, results, strict=True)
             if bits != reference_bits(w)]
    assert not wrong, wrong[:3]
    assert len({reference_bits(w) for w in cases}) >= 6        # the sweep exercises every cause


def test_wide_row_col_stride_is_a_window_error():
    """Regression (register fuzzer, seed 1 index 155): ALPHA_COL_STRIDE = 0x8000 (+32768, not a
    signed 16-bit value) with ALPHA_LENGTH 1 was accepted (the datapath reads -32768 x 0 jobs)
    while ``LayerJob.validate`` rejects it; upper bits that are not the sign extension of bit 15
    now set ERROR.WINDOW, for each of the six row / column stride registers."""
    good = LayerJob(src_addr=0x100, dst_addr=0x400, src=Walk3D(8, 2, 32), dst=Walk3D(8), row=8,
                    col=4, height=16, width=8)
    words = dict(regmap.encode_layer(good))
    cases, want = [], []
    for lp in ("ALPHA", "BETA", "GAMMA"):
        for rc in ("ROW", "COL"):
            off = getattr(regmap.REG, f"{lp}_{rc}_STRIDE")
            for v, bad in ((0x8000, True), (0x10000, True), (0xFFFF7FFF, True), (0x7FFF, False),
                           (0xFFFF8000, False), (M32, False)):
                cases.append({**words, off: v})
                want.append(regmap.ERR.WINDOW if bad else 0)
                layer = regmap.decode_layer(cases[-1])
                assert layer.causes(rows=CFG.rows, cols=CFG.cols, tcdm_bytes=CFG.tcdm_bytes,
                                    dac_depth=CFG.dac_depth, adc_depth=CFG.adc_depth,
                                    arrays=CFG.arrays) == ({"window"} if bad else set()), (lp, rc, v)
    assert [bits for bits, _ in run_checker_words(cases)] == want


def test_array_cause():
    """J_ARRAY >= arrays is ERROR.ARRAY (alone: the window is checked against every array's
    size), for one array (J_ARRAY must be 0) and for three."""
    good = LayerJob(src_addr=0x100, dst_addr=0x400, src=Walk3D(8, 2, 32), dst=Walk3D(8), row=8,
                    col=4, height=16, width=8, loops=(JobLoop(4, 16, 8, 0, 8), JobLoop(), JobLoop()))
    for cfg, arrays in ((CFG, (0, 1, 2, 0xFFFF)), (CFG.with_(arrays=3), (0, 1, 2, 3, 0xFFFF))):
        layers = [LayerJob(**{**vars(good), "array": a}) for a in arrays]
        got = [bits for bits, _ in run_checker(layers, cfg)]
        want = [expected_bits(layer, cfg) for layer in layers]
        assert got == want == [regmap.ERR.ARRAY * (a >= cfg.arrays) for a in arrays], (cfg.arrays, got)
    words = dict(regmap.encode_layer(good))
    words[regmap.REG.J_ARRAY] = 1 << 31                     # garbage in the upper bits
    assert run_checker_words([words], CFG.with_(arrays=64))[0][0] == regmap.ERR.ARRAY
