"""The IMA's sequential ConfigChecker vs the Python reference of sim_models.jobconfig (Amaranth
simulator, hypothesis over valid and invalid configurations)."""

from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings, strategies as st

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
    return (regmap.ERR.WINDOW * window | regmap.ERR.LENGTH * length
            | regmap.ERR.ADDRESS * address | regmap.ERR.ADC * adc)


def run_checker(layers):
    dut = ConfigChecker(CFG)
    got = []

    async def tb(ctx):
        for layer in layers:
            for offset, value in regmap.encode_layer(layer):
                name = next(r.name for r in regmap.JOB_REGISTERS if r.offset == offset).lower()
                ctx.set(getattr(dut.job, name), value)
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
                        | ctx.get(dut.err_adc) * regmap.ERR.ADC, cycles))

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
    for layer, (bits, cycles) in zip(batch, results):
        assert bits == expected_bits(layer), (layer, bits, expected_bits(layer))
        assert cycles == 20


def test_known_good_and_bad():
    good = LayerJob(src_addr=16, dst_addr=1024, src=Walk3D(8, 2, 32), dst=Walk3D(8), row=0, col=0,
                    height=16, width=8, loops=(JobLoop(4, 16, 8, 0, 8), JobLoop(), JobLoop()))
    from dataclasses import replace
    bad_rows = replace(good, row=250)
    bad_len = replace(good, height=15)
    [(g, _), (r, _), (l, _)] = run_checker([good, bad_rows, bad_len])
    assert (g, r, l) == (0, regmap.ERR.WINDOW, regmap.ERR.LENGTH | regmap.ERR.WINDOW * 0)
