"""The DWA's sequential DwaConfigChecker vs ``DwJob.validate`` (Amaranth simulator).

Two references: a register-level one (each cause on its own, from full-range 32-bit register
words, exact Python integers) and ``DwJob.validate(tcdm_bytes)`` itself, which must accept a job
exactly when the checker finds no cause. Hypothesis runs seeded (``@seed``), plus boundary cases:
the last byte of a region at ``tcdm_bytes - 1`` passes, one more fails; huge strides and
addresses (no wrap-around); stride 0 and 3.
"""

from dataclasses import replace

import pytest
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hw.dwa.checker import CHECK_STEPS, DwaConfigChecker
from hw.dwa.regmap import ERR, JOB_REGISTERS, encode_job
from sim_models.dwa import DwJob

TCDM = 4096
M32 = 0xFFFFFFFF
PATHS = [r.job_path for r in JOB_REGISTERS]
SIGNED = {r.job_path for r in JOB_REGISTERS if r.signed}


def _s32(v):
    v &= M32
    return v - (1 << 32) if v >> 31 else v


def words_of(job: DwJob):
    """``{DwJob field: uint32}`` as the registers hold ``job``."""
    by_offset = dict(encode_job(job))
    return {r.job_path: by_offset[r.offset] for r in JOB_REGISTERS}


def job_of(w) -> DwJob:
    """The DwJob the register words mean (signed registers sign-extended)."""
    return DwJob(**{k: _s32(v) if k in SIGNED else v for k, v in w.items()})


def reference_bits(w, tcdm_bytes=TCDM):
    """ERROR bits of register words ``w``, each cause on its own (exact integers)."""
    length = any(w[k] == 0 or w[k] > 0xFFFF for k in ("channels", "out_h", "out_w"))
    stride = w["stride"] not in (1, 2)
    address = False
    if not length and not stride:
        address = any(hi > tcdm_bytes for _, hi in job_of(w).regions().values())
    mul, lo, hi = _s32(w["adc_m"]), _s32(w["adc_lo"]), _s32(w["adc_hi"])
    adc = not (-2**15 <= mul < 2**15 and w["adc_s"] <= 31 and -128 <= lo <= 255
               and -128 <= hi <= 255 and lo <= hi)
    return ERR.LENGTH * length | ERR.STRIDE * stride | ERR.ADDRESS * address | ERR.ADC * adc


def validate_ok(w, tcdm_bytes=TCDM):
    try:
        job_of(w).validate(tcdm_bytes)
    except ValueError:
        return False
    return True


def run_checker(batch, tcdm_bytes=TCDM):
    """Run the checker on each ``{DwJob field: uint32}``; returns [(ERROR bits, cycles)]."""
    dut = DwaConfigChecker(tcdm_bytes=tcdm_bytes)
    got = []

    async def tb(ctx):
        for w in batch:
            for k, v in w.items():
                ctx.set(getattr(dut.job, k), v)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            cycles = 1
            while not ctx.get(dut.done):
                await ctx.tick()
                cycles += 1
                assert cycles < 32, "checker never finished"
            got.append((ctx.get(dut.err_length) * ERR.LENGTH | ctx.get(dut.err_stride) * ERR.STRIDE
                        | ctx.get(dut.err_address) * ERR.ADDRESS | ctx.get(dut.err_adc) * ERR.ADC,
                        cycles))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return got


def check(batch, tcdm_bytes=TCDM):
    for w, (bits, cycles) in zip(batch, run_checker(batch, tcdm_bytes), strict=True):
        want = reference_bits(w, tcdm_bytes)
        assert bits == want, (w, f"{bits:#x}", f"{want:#x}")
        assert (bits == 0) == validate_ok(w, tcdm_bytes), (w, bits)
        assert cycles == CHECK_STEPS + 1


def _word(path):
    """Full-range values of one register, with small ones mixed in so valid jobs are drawn too."""
    if path in ("channels", "out_h", "out_w"):
        return st.one_of(st.integers(0, 20), st.integers(0, 0xFFFF), st.just(0xFFFF),
                         st.just(0x10000), st.integers(0, M32))
    if path == "stride":
        return st.one_of(st.sampled_from([1, 2]), st.integers(0, 4), st.integers(0, M32))
    if path in ("adc_lo", "adc_hi"):
        return st.one_of(st.integers(-130, 260).map(lambda v: v & M32), st.integers(0, M32))
    if path == "adc_m":
        return st.one_of(st.integers(-2**15 - 2, 2**15 + 1).map(lambda v: v & M32),
                         st.integers(0, M32))
    if path == "adc_s":
        return st.one_of(st.integers(0, 33), st.integers(0, M32))
    # addresses and row strides: small, near the TCDM end, huge
    return st.one_of(st.integers(0, 300), st.integers(0, TCDM + 8), st.integers(0, M32),
                     st.sampled_from([0x7FFFFFFF, 0x80000000, M32]))


words = st.fixed_dictionaries({p: _word(p) for p in PATHS})
small_jobs = st.builds(
    DwJob, in_addr=st.integers(0, 2000), in_row_stride=st.integers(0, 300),
    out_addr=st.integers(0, 3000), out_row_stride=st.integers(0, 300), w_addr=st.integers(0, 4000),
    channels=st.integers(1, 40), out_h=st.integers(1, 12), out_w=st.integers(1, 12),
    stride=st.sampled_from([1, 2]), adc_m=st.integers(-2**15, 2**15 - 1), adc_s=st.integers(0, 31),
    adc_lo=st.integers(-128, 0), adc_hi=st.integers(0, 255)).map(words_of)


@seed(20260112)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(words, small_jobs), min_size=1, max_size=6))
def test_checker_matches_reference(batch):
    check(batch)


def _good():
    # 5x5 output, stride 1 -> 7x7 padded input of 3 channels, dense.
    return DwJob(in_addr=0x100, in_row_stride=7 * 3, out_addr=0x400, out_row_stride=5 * 3,
                 w_addr=0x600, channels=3, out_h=5, out_w=5)


def _at_end(job, region, end):
    """``job`` moved so that ``region`` ends exactly at byte ``end`` (exclusive)."""
    lo, hi = job.regions()[region]
    field = {"input": "in_addr", "weights": "w_addr", "output": "out_addr"}[region]
    return replace(job, **{field: end - (hi - lo)})


@pytest.mark.parametrize("tcdm_bytes", [4096, 1 << 32])
def test_boundaries(tcdm_bytes):
    """Each region's last byte at tcdm_bytes - 1 passes; one byte further sets ADDRESS only."""
    g = _good()
    batch, want = [], []
    for region in ("input", "weights", "output"):
        for stride in (1, 2):
            job = replace(g, stride=stride)
            batch += [words_of(_at_end(job, region, tcdm_bytes)),
                      words_of(_at_end(job, region, tcdm_bytes + 1))]
            want += [0, ERR.ADDRESS]
    got = [b for b, _ in run_checker(batch, tcdm_bytes)]
    assert got == want
    check(batch, tcdm_bytes)


def test_no_wrap_and_strides():
    """Huge row strides and addresses never wrap back into the TCDM; stride 0 / 3 / huge."""
    g = words_of(_good())
    cases = [
        ({"in_row_stride": M32}, ERR.ADDRESS),
        ({"out_row_stride": 1 << 31}, ERR.ADDRESS),
        ({"in_addr": M32}, ERR.ADDRESS),
        ({"w_addr": M32 - 8}, ERR.ADDRESS),
        ({"out_addr": M32, "out_row_stride": M32, "out_h": 0xFFFF, "out_w": 0xFFFF,
          "channels": 0xFFFF}, ERR.ADDRESS),
        ({"in_addr": M32, "in_row_stride": M32, "out_h": 0xFFFF, "out_w": 0xFFFF,
          "channels": 0xFFFF, "stride": 2}, ERR.ADDRESS),
        ({"stride": 0}, ERR.STRIDE), ({"stride": 3}, ERR.STRIDE),
        ({"stride": M32}, ERR.STRIDE),
        ({"stride": 0x10001}, ERR.STRIDE),
        ({"channels": 0}, ERR.LENGTH), ({"out_h": 0x10000}, ERR.LENGTH),
        ({"out_w": 0x10001}, ERR.LENGTH),
        ({"adc_m": 1 << 15}, ERR.ADC), ({"adc_m": -(1 << 15) & M32}, 0),
        ({"adc_s": 32}, ERR.ADC), ({"adc_lo": 10, "adc_hi": 5}, ERR.ADC),
        ({"adc_hi": 256}, ERR.ADC), ({"adc_lo": -129 & M32}, ERR.ADC),
    ]
    batch = [{**g, **{k: v & M32 for k, v in c.items()}} for c, _ in cases]
    got = [b for b, _ in run_checker(batch)]
    for (c, want), bits in zip(cases, got, strict=True):
        assert bits == want, (c, f"{bits:#x}")
    check(batch)


def test_bad_parameter():
    with pytest.raises(ValueError, match="tcdm_bytes"):
        DwaConfigChecker(tcdm_bytes=0)
