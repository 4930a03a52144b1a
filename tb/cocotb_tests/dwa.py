"""cocotb tests of the depth-wise accelerator alone on the TCDM (top: :class:`tb.build.tops.DwaTestTop`).

Every job runs on a TCDM filled with random bytes; afterwards the **whole** TCDM is compared with
:func:`sim_models.dwa.execute` applied to the same image, so the outputs are bit-exact against the
golden depth-wise model and every byte outside them is proven unchanged. Without contention the
time from the granted TRIGGER write to the event must be ``engine_cycles(job, N) +
CONTROL_OVERHEAD`` exactly (:mod:`sim_models.dwa_perf`, :data:`hw.dwa.top.CONTROL_OVERHEAD`).

Seeds: cocotb seeds ``random`` from ``COCOTB_RANDOM_SEED``; numpy generators here derive from it.
Parameters (:mod:`tb.env.params`): the configuration built as ``config``; options ``jobs`` (random
jobs without contention), ``stalled_jobs`` (with a competing master), ``aborts`` (SOFT_CLEAR runs).
"""

import random
from dataclasses import replace

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from hw.dwa.regmap import DWA_MAP, ERR, INFO, REG, STATUS
from hw.dwa.top import CONTROL_OVERHEAD, TRIGGER_TO_START
from sim_models.dwa import GROUP, DwJob, execute
from sim_models.dwa_perf import breakdown, engine_cycles
from tb.env import params
from tb.env.dwa import DwaEnv

CORE = 0
ALL_ERRORS = DWA_MAP["ERROR"].mask


def _rng():
    return np.random.default_rng(random.getrandbits(32))


async def _env(dut):
    env = DwaEnv(dut)
    await env.start()
    return env


def random_job(rng, tcdm_bytes, *, max_bytes=None, channels=None, stride=None):
    """A random valid job whose three regions are disjoint, at misaligned addresses, in random
    order, with row strides of dense rows plus random gaps. C is drawn to hit 1, partial groups
    and exact multiples of 16; H and W odd and even; stride 1 or 2; ADC parameters that keep a
    good share of the outputs unclamped."""
    max_bytes = max_bytes or tcdm_bytes
    while True:
        c = channels or int(rng.choice([1, 3, GROUP, GROUP + 1, 2 * GROUP + 5,
                                        int(rng.integers(1, 3 * GROUP))]))
        s = stride or int(rng.integers(1, 3))
        out_h, out_w = (int(v) for v in rng.integers(1, 8, size=2))
        in_h, in_w = (out_h - 1) * s + 3, (out_w - 1) * s + 3
        in_rs = in_w * c + int(rng.choice([0, 0, int(rng.integers(1, 9))]))
        out_rs = out_w * c + int(rng.choice([0, 0, int(rng.integers(1, 9))]))
        sizes = {"in_addr": (in_h - 1) * in_rs + in_w * c, "w_addr": 9 * c,
                 "out_addr": (out_h - 1) * out_rs + out_w * c}
        if sum(sizes.values()) + 3 * 16 + 64 <= max_bytes:
            break
    addr, where = int(rng.integers(0, 64)), {}
    for name in rng.permutation(list(sizes)):
        where[name] = addr
        addr += sizes[name] + int(rng.integers(0, 16))
    shift = int(rng.integers(4, 14))
    lo = int(rng.choice([-128, 0, int(rng.integers(-128, 100))]))
    hi = int(rng.choice([127, 255, int(rng.integers(max(lo, 0), 256))]))
    m = int(rng.choice([1, int(rng.integers(-300, 300)), int(rng.integers(-2**15, 2**15))]))
    job = DwJob(in_row_stride=in_rs, out_row_stride=out_rs, channels=c, out_h=out_h, out_w=out_w,
                stride=s, adc_m=m, adc_s=shift, adc_lo=lo, adc_hi=hi, **where)
    return job.validate(tcdm_bytes)


def expected_image(job, image):
    want = image.copy()
    execute(job, want)
    return want


def assert_image(env, want, what):
    got = env.image()
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"{what}: TCDM differs at {bad.size} bytes, first "
                           f"{[(int(a), int(got[a]), int(want[a])) for a in bad[:6]]} (addr, got, want)")


async def run_checked(env, rng, job, *, what, exact_time=True):
    """Random image, run ``job``, compare the whole TCDM; check its time and the DWA's
    statistics; return its TRIGGER -> event cycles.

    Without contention (``exact_time``) the time is the model's plus :data:`CONTROL_OVERHEAD`,
    the busy and MAC cycles are the model's and nothing stalls; with contention the busy cycles
    are still the time minus the control overhead (the control part never stalls)."""
    image = rng.integers(0, 256, env.tcdm_bytes, dtype=np.uint8)
    env.load_image(image)
    n_spans = len(env.timer.spans)
    stat0, tcdm_stalled0 = env.counters(), env.dwa_stalled()
    err = await env.hal.run_job(CORE, job, timeout_cycles=200000)
    assert err == 0, f"{what}: ERROR = {err:#x} for a valid job {job}"
    assert_image(env, expected_image(job, image), what)
    [span] = env.timer.spans[n_spans:]
    stat = {k: v - stat0[k] for k, v in env.counters().items()}
    model = engine_cycles(job, env.ports)
    assert stat["jobs"] == 1 and stat["cycles"] == span - CONTROL_OVERHEAD, (what, stat, span)
    assert stat["stalled"] <= env.dwa_stalled() - tcdm_stalled0, (what, stat)
    if exact_time:
        assert span == model + CONTROL_OVERHEAD, (
            f"{what}: TRIGGER -> event {span} cycles != model {model} + {CONTROL_OVERHEAD} ({job})")
        assert stat["mac_cycles"] == breakdown(job, env.ports)["mac_cycles"], (what, stat)
        assert stat["stalled"] == 0, (what, stat)
    else:
        assert span >= model + CONTROL_OVERHEAD, (
            f"{what}: TRIGGER -> event {span} cycles < model {model} + {CONTROL_OVERHEAD} ({job})")
    return span


# --------------------------------------------------------------------------- registers, errors
def _good_job(tcdm_bytes):
    # 5x4 output of 19 channels (a partial second group), stride 1, misaligned buffers.
    return DwJob(in_addr=0x101, in_row_stride=6 * 19 + 3, out_addr=0x1003, out_row_stride=4 * 19,
                 w_addr=0x0E02, channels=19, out_h=5, out_w=4).validate(tcdm_bytes)


def _past_end(job, region, tcdm_bytes):
    """``job`` with ``region`` moved to end one byte past the TCDM."""
    lo, hi = job.regions()[region]
    field = {"input": "in_addr", "weights": "w_addr", "output": "out_addr"}[region]
    return replace(job, **{field: tcdm_bytes + 1 - (hi - lo)})


def bad_jobs(tcdm_bytes):
    g = _good_job(tcdm_bytes)
    return [
        ("channels 0", replace(g, channels=0), ERR.LENGTH),
        ("out_h 0", replace(g, out_h=0), ERR.LENGTH),
        ("out_w 65536", replace(g, out_w=0x10000), ERR.LENGTH),
        ("stride 0", replace(g, stride=0), ERR.STRIDE),
        ("stride 3", replace(g, stride=3), ERR.STRIDE),
        ("input past the TCDM", _past_end(g, "input", tcdm_bytes), ERR.ADDRESS),
        ("weights past the TCDM", _past_end(g, "weights", tcdm_bytes), ERR.ADDRESS),
        ("output past the TCDM", _past_end(g, "output", tcdm_bytes), ERR.ADDRESS),
        ("huge row stride", replace(g, in_row_stride=0xFFFFFFFF), ERR.ADDRESS),
        ("ADC mul 17 bits", replace(g, adc_m=1 << 16), ERR.ADC),
        ("ADC shift 32", replace(g, adc_s=32), ERR.ADC),
        ("ADC low > high", replace(g, adc_lo=10, adc_hi=5), ERR.ADC),
        ("ADC high 256", replace(g, adc_hi=256), ERR.ADC),
    ]


@cocotb.test()
async def control_and_errors(dut):
    """Reset values, INFO, ACQUIRE semantics; every bad configuration (and TRIGGER without
    ACQUIRE): its ERROR bit, the event, no TCDM access (whole memory unchanged), the DWA idle
    and ready; then a good job bit-exact."""
    env = await _env(dut)
    rng = _rng()
    hal, bus, tcdm_bytes = env.hal, env.periph, env.tcdm_bytes
    for r in DWA_MAP:
        if r.access == "RW":
            assert await bus.read(r.offset) == r.reset, r.name
    info = INFO.unpack(await bus.read(REG.INFO))
    assert info == {"ports": env.ports, "cores": env.n_cores, "group": GROUP}, info
    assert await bus.read(REG.STATUS) == 0
    await bus.write(REG.DW_IN_ADDR, 0x1234, core=3)          # not the holder: ignored
    assert await bus.read(REG.DW_IN_ADDR) == 0
    assert await hal.acquire(0, retry=False) == 0
    assert await bus.read(REG.STATUS) == STATUS.pack(locked=1)
    assert await hal.acquire(1, retry=False) == -2
    await hal.soft_clear(0)                                   # releases the lock

    image = rng.integers(0, 256, tcdm_bytes, dtype=np.uint8)
    env.load_image(image)
    granted = env.dwa_granted()
    await hal.trigger(2)                                      # no ACQUIRE
    assert await hal.wait_end(2, timeout_cycles=100) == ERR.NO_ACQUIRE
    await bus.write(REG.ERROR, ALL_ERRORS)
    for what, job, bit in bad_jobs(tcdm_bytes):
        err = await hal.run_job(CORE, job, timeout_cycles=200)
        assert err == bit, f"{what}: ERROR = {err:#x}, expected {bit:#x}"
        assert await bus.read(REG.STATUS) == 0, f"{what}: DWA not idle after the error"
        dut._log.info("%-24s -> ERROR %#04x", what, err)
    assert env.dwa_granted() == granted, "a rejected job accessed the TCDM"
    assert_image(env, image, "after the rejected jobs")
    assert env.counters()["jobs"] == 0
    assert await bus.read(REG.FINISHED) == len(bad_jobs(tcdm_bytes))   # NO_ACQUIRE: no job
    await run_checked(env, rng, _good_job(tcdm_bytes), what="good job after the errors")
    assert env.counters()["jobs"] == 1
    assert await bus.read(REG.ERROR) == 0
    env.check_monitors()


# --------------------------------------------------------------------------- data path
#: (channels, stride) of the first random jobs, so every seed covers C = 1, a full group, partial
#: groups and both strides; later jobs draw both.
COVER = [(1, 1), (1, 2), (GROUP, 1), (GROUP + 1, 2), (2 * GROUP + 5, 1), (7, 2)]

@cocotb.test()
async def random_jobs(dut):
    """Random shapes, misaligned buffers, bit-exact; exact time without contention, then the
    same kind of jobs under random grant stalls from the competing master."""
    env = await _env(dut)
    rng = _rng()
    opt = params.load().option
    report = []
    for k in range(int(opt("jobs", 12))):
        c, s = COVER[k] if k < len(COVER) else (None, None)
        job = random_job(rng, env.tcdm_bytes, max_bytes=6000, channels=c, stride=s)
        span = await run_checked(env, rng, job, what=f"job {k}")
        report.append(f"C={job.channels:2d} {job.out_h}x{job.out_w} s{job.stride}: {span} cycles, "
                      f"{job.macs / max(1, span - CONTROL_OVERHEAD):.1f} MAC/cycle")
    stalled0 = env.dwa_stalled()
    for k in range(int(opt("stalled_jobs", 6))):
        job = random_job(rng, env.tcdm_bytes, max_bytes=6000)
        competitor = env.start_competitor(rng, 0, env.tcdm_bytes, density=float(rng.uniform(0.3, 1)))
        try:
            await run_checked(env, rng, job, what=f"stalled job {k}", exact_time=False)
        finally:
            competitor.cancel()
            await env.competitor.wait_idle()
    stalls = env.dwa_stalled() - stalled0
    for line in report:
        dut._log.info(line)
    dut._log.info("DWA port stall cycles under competing traffic: %d", stalls)
    if int(opt("stalled_jobs", 6)):
        assert stalls > 0, "the competing master never stalled the DWA: the test lost its purpose"
    env.check_monitors()


# --------------------------------------------------------------------------- SOFT_CLEAR
@cocotb.test()
async def soft_clear_mid_job(dut):
    """SOFT_CLEAR at random points of a job (also while it is checked): ERROR.ABORTED to the
    owner, idle, no TCDM access after it; each output byte is either unchanged or what the job
    writes there, every other byte unchanged; then the same job runs to completion."""
    env = await _env(dut)
    rng = _rng()
    mid_output = 0
    for k in range(int(params.load().option("aborts", 4))):
        job = random_job(rng, env.tcdm_bytes, max_bytes=8000, channels=int(rng.integers(9, 48)))
        total = engine_cycles(job, env.ports) + CONTROL_OVERHEAD
        image = rng.integers(0, 256, env.tcdm_bytes, dtype=np.uint8)
        env.load_image(image)
        want = expected_image(job, image)
        await env.hal.acquire(CORE)
        await env.hal.configure(CORE, job)
        await env.hal.trigger(CORE)
        # k = 0: while the configuration is checked; later: anywhere in the engine's run.
        wait = int(rng.integers(1, 4)) if k == 0 else int(rng.integers(TRIGGER_TO_START, total - 4))
        await ClockCycles(env.clk, wait)
        clears = env.timer.clears
        await env.hal.soft_clear(1)
        assert env.timer.clears == clears + 1, "the probe missed the SOFT_CLEAR"
        assert await env.hal.wait_end(CORE, timeout_cycles=50) == ERR.ABORTED
        await ClockCycles(env.clk, 64)
        assert not env.timer.late_grants, (f"abort {k}: TCDM grants (cycles after SOFT_CLEAR, "
                                           f"port) {env.timer.late_grants[:8]}")
        assert await env.periph.read(REG.STATUS) == 0
        got = env.image()
        lo, hi = job.regions()["output"]
        outside = np.ones(env.tcdm_bytes, bool)
        outside[lo:hi] = False
        bad = np.flatnonzero(outside & (got != image))
        assert bad.size == 0, f"abort {k}: write outside the output at {bad[:6].tolist()}"
        bad = np.flatnonzero((got != image) & (got != want))
        assert bad.size == 0, f"abort {k}: output bytes neither old nor final at {bad[:6].tolist()}"
        written = int(np.count_nonzero(got != image))
        mid_output += 0 < written < int(np.count_nonzero(want != image))
        dut._log.info("abort %d after %d of %d cycles: %d output bytes written", k, wait, total,
                      written)
        await run_checked(env, rng, job, what=f"job after abort {k}")
    if int(params.load().option("aborts", 4)) > 2:
        assert mid_output, "no SOFT_CLEAR fell inside the output phase: the test lost its purpose"
    env.check_monitors()
