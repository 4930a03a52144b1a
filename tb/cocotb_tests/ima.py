"""cocotb tests of the IMA alone on the TCDM (top: :class:`tb.build.tops.ImaTestTop`).

Every layer result is compared bit-exactly with the golden model (``sim_models.golden``) and the
whole used TCDM area with the job-level executor's image (so a stray write anywhere fails).
Seeds: cocotb seeds ``random`` from ``COCOTB_RANDOM_SEED``; numpy generators here derive from it.
Parameters (:mod:`tb.env.params`): the configuration built as ``config``; the option ``layers``
(comma-separated layer kinds of ``layers_bit_exact``).
"""

import random
from dataclasses import replace

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from hw.ima.regmap import ERR, IMA_MAP, INFO, REG, REGISTERS, STATUS, register
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D
from sim_models.layer_cases import make_case
from sim_models.mapping import ColumnTile
from sim_models.perf import layer_cycles, layer_cycles_overlapped, rtl_params
from tb.bfm.backdoor import writable
from tb.bfm.sig import reader
from tb.bfm.task import BackgroundTask
from tb.env import params
from tb.env.ima import ImaEnv

CORE = 0


def _rng():
    return np.random.default_rng(random.getrandbits(32))


def _params(env):
    """The cycle model's parameters of the IMA under test (shared data interface included)."""
    return rtl_params(env.p.ports, env.mvm_cycles,
                      shared_ports=env.p.data_interface == "shared")


async def _env(dut, **kw):
    env = ImaEnv(dut, **kw)
    await env.start()
    return env


class BusySpans(BackgroundTask):
    """Records the length in cycles of every ``stat__busy`` pulse of the IMA (one per LayerJob: the
    engine's wall-clock layer time, from the cycle after its start to its done cycle).

    An edge counts only if the line still holds its new value once the time step has settled
    (``ReadOnly``): an event-driven simulator (Icarus) shows ``busy``, a function of several
    registers updated at the same clock edge, glitching 1 -> 0 -> 1 between a job's phases,
    which used to split one layer into three spans per job (Verilator never shows it)."""

    def __init__(self, env, period_ns=4):
        self.busy, self.period, self.spans = env.dut.stat__busy, period_ns, []
        self._get = reader(self.busy)

    async def _settled(self, edge, value):
        """Wait for ``edge`` of ``busy`` after which it settles at ``value``; return its time."""
        while True:
            await edge(self.busy)
            t = get_sim_time("ns")
            await ReadOnly()
            if self._get() == value:
                return t

    async def _run(self):
        while True:
            t0 = await self._settled(RisingEdge, 1)
            t1 = await self._settled(FallingEdge, 0)
            self.spans.append(round((t1 - t0) / self.period))


async def run_case(env, case, *, core=CORE, program_via_registers=False, stall_traffic=False,
                   rng=None):
    """Preload, program, run every LayerJob of ``case``, check output and memory; return cycles."""
    await writable()            # the previous case may end in ReadOnly: no backdoor write there
    env.preload(case.image, case.used)
    if program_via_registers:
        for p in case.mapping.placements:
            await env.hal.program(core, p.row, p.col, p.weights, p.array)
    else:
        case.mapping.program(env.xbars)
    competitor = None
    if stall_traffic:
        competitor = env.start_competitor(rng or _rng(), 0, case.used + 64)
    before = env.phase_cycles()
    for layer in case.mapping.jobs:
        err = await env.hal.run_layer(core, layer, timeout_cycles=200000)
        assert err == 0, f"ERROR = {err:#x} for a valid {case.kind} layer"
    if competitor is not None:
        competitor.cancel()
        await env.competitor.wait_idle()
    after = env.phase_cycles()
    got = np.frombuffer(env.dump(case.used), dtype=np.uint8)
    out = case.read_output(np.concatenate([got, np.zeros(64, np.uint8)]))
    assert np.array_equal(out, case.golden), (
        f"{case.kind}: output differs from the golden model at "
        f"{np.argwhere(out != case.golden)[:5].tolist()}")
    bad = np.flatnonzero(got != case.expected_image[:case.used])
    assert bad.size == 0, f"{case.kind}: TCDM differs from the executor at bytes {bad[:8].tolist()}"
    env.check_monitors()
    return {k: after[k] - before[k] for k in after}


# --------------------------------------------------------------------------- registers, ACQUIRE
@cocotb.test()
async def registers_and_acquire(dut):
    """Reset values, INFO, holder-only job writes, ACQUIRE -1/-2 semantics, TRIGGER w/o ACQUIRE."""
    env = await _env(dut)
    hal, bus = env.hal, env.periph
    for r in REGISTERS:
        if r.access == "RW":
            assert await bus.read(r.offset) == r.reset, r.name
    info = INFO.unpack(await bus.read(REG.INFO))
    assert info == {"ports": env.p.ports, "cores": 8, "dac_depth": env.p.dac_depth}
    assert await bus.read(REG.STATUS) == 0

    # Job registers: ignored unless written by the lock holder.
    await bus.write(REG.J_SRC_ADDR, 0x1234, core=3)
    assert await bus.read(REG.J_SRC_ADDR) == 0
    assert await hal.acquire(0, retry=False) == 0
    assert await bus.read(REG.STATUS) == STATUS.pack(locked=1)
    assert await hal.acquire(1, retry=False) == -2     # another core holds the lock
    assert await hal.acquire(0, retry=False) == 0      # the holder gets its id again
    await bus.write(REG.J_SRC_ADDR, 0x1234, core=1)
    assert await bus.read(REG.J_SRC_ADDR) == 0
    await bus.write(REG.J_SRC_ADDR, 0x40, core=0)
    assert await bus.read(REG.J_SRC_ADDR) == 0x40

    # TRIGGER by a core without the lock: ERROR.NO_ACQUIRE and that core's event.
    await hal.trigger(2)
    assert await hal.wait_end(2, timeout_cycles=100) & ERR.NO_ACQUIRE
    await bus.write(REG.ERROR, IMA_MAP["ERROR"].mask)
    assert await bus.read(REG.ERROR) == 0

    # A valid one-job layer (1x1 window): while it runs ACQUIRE says -1 (busy).
    layer = LayerJob(src_addr=0x40, dst_addr=0x80, src=Walk3D(1), dst=Walk3D(1), row=0, col=0,
                     height=1, width=1)
    await hal.configure(0, layer)
    await hal.trigger(0)
    assert await hal.acquire(1, retry=False) == -1
    assert await hal.wait_end(0, timeout_cycles=1000) == 0
    assert await bus.read(REG.FINISHED) == 1
    assert await bus.read(REG.RUNNING_JOB) == 0
    assert await hal.acquire(1, retry=False) == 1      # next id, now for core 1
    assert env.events.total[0] == 1 and env.events.total[2] == 1 and env.events.total[1] == 0


@cocotb.test()
async def acquire_contention(dut):
    """All cores (8) race for the IMA, each running its own small layer: each gets it exactly once."""
    env = await _env(dut)
    rng = _rng()
    jobs = {}

    async def core_program(core):
        layer = LayerJob(src_addr=0x100 + 16 * core, dst_addr=0x400 + 16 * core, src=Walk3D(4),
                         dst=Walk3D(4), row=4 * core, col=0, height=4, width=4)
        await ClockCycles(env.clk, int(rng.integers(0, 20)))
        job_id = await env.hal.acquire(core)
        await env.hal.configure(core, layer)
        await env.hal.trigger(core)
        err = await env.hal.wait_end(core, timeout_cycles=10000)
        jobs[core] = (job_id, err)

    n_cores = env.p.n_cores
    tasks = [cocotb.start_soon(core_program(c)) for c in range(n_cores)]
    for t in tasks:
        await t
    ids = sorted(j for j, _ in jobs.values())
    assert ids == list(range(n_cores)), ids
    assert all(e == 0 for _, e in jobs.values()), jobs
    assert await env.periph.read(REG.FINISHED) == n_cores


# --------------------------------------------------------------------------- programming
@cocotb.test()
async def program_and_readback(dut):
    """SUBMIT_PLOT programs the crossbar; PR_VAL reads conductances; -8, bad windows and a
    missing array (P_START_Y.array) flag ERROR."""
    env = await _env(dut)
    rng = _rng()
    w = rng.integers(-7, 8, size=(5, 13))
    await env.hal.program(CORE, 3, 7, w)
    got = env.xbar.weights[3:8, 7:20]
    assert np.array_equal(got, w), f"programmed {got.tolist()} expected {w.tolist()} log"
    assert await env.periph.read(REG.ERROR) == 0
    g_step_ns = env.xbar.g_step * 1000
    for (r, c) in [(0, 0), (2, 12), (4, 5)]:
        gp, gn = await env.hal.read_conductance(CORE, 3 + r, 7 + c)
        v = int(w[r, c])
        assert gp == round(max(v, 0) * g_step_ns) and gn == round(max(-v, 0) * g_step_ns), (v, gp, gn)

    before = env.xbar.weights.copy()
    bad = np.zeros((1, 8), dtype=int)
    bad[0, 3] = -8
    await env.hal.program(CORE, 0, 0, bad)
    assert await env.periph.read(REG.ERROR) == ERR.WEIGHT
    await env.periph.write(REG.ERROR, IMA_MAP["ERROR"].mask)
    await env.hal.program(CORE, env.p.rows - 1, env.p.cols - 4, np.ones((2, 8), dtype=int))
    assert await env.periph.read(REG.ERROR) == ERR.PROG_WINDOW
    await env.periph.write(REG.ERROR, IMA_MAP["ERROR"].mask)
    # An array the IMA does not have (1 with a single array): ERROR.ARRAY, nothing programmed.
    await env.hal.program(CORE, 0, 0, np.ones((1, 8), dtype=int), array=env.p.arrays)
    assert await env.periph.read(REG.ERROR) == ERR.ARRAY
    assert np.array_equal(env.xbar.weights, before), "a rejected SUBMIT_PLOT changed the array"


# --------------------------------------------------------------------------- layers
def _layer_matrix():
    return params.load().option("layers", "conv,pointwise,depthwise8,depthwise16,fc").split(",")


@cocotb.test()
async def layers_bit_exact(dut):
    """conv, pointwise, depthwise (C_job 8, 16), fc from the sim_models mappings, bit-exact."""
    env = await _env(dut)
    rng = _rng()
    report = []
    spans = BusySpans(env).start()
    for name in _layer_matrix():
        kind, c_job = (("depthwise", int(name[9:])) if name.startswith("depthwise") else (name, 8))
        shape = dict(h=int(rng.integers(3, 6)), w=int(rng.integers(3, 6)),
                     cin=int(rng.integers(5, 20)), cout=int(rng.integers(3, 20)))
        if kind == "depthwise":
            shape["cin"] = c_job + int(rng.integers(1, c_job))      # a remainder group too
        case = make_case(kind, rng, env.p, c_job=c_job, **shape)
        n_spans = len(spans.spans)
        stalled0 = [f() for f in env.stalled]
        cycles = await run_case(env, case, program_via_registers=(kind == "fc"))
        perf = [layer_cycles(j, rtl_params(env.p.ports, env.mvm_cycles)) for j in case.mapping.jobs]
        model = {"streamin": sum(p.streamin for p in perf), "compute": sum(p.compute for p in perf),
                 "streamout": sum(p.streamout for p in perf), "jobs": sum(p.jobs for p in perf)}
        report.append(f"{name:12s} {shape} rtl={cycles} model={model}")
        got = spans.spans[n_spans:]
        if not env.p.overlap:
            # No competing traffic here: the analytic model must match the RTL cycle for cycle.
            assert cycles == model, f"{name}: RTL phases {cycles} != analytic model {model}"
            want = [p.total for p in perf]
            report.append(f"{'':12s} layer time rtl={got} model={want}")
            assert got == want, f"{name}: RTL layer time {got} != model {want}"
            continue
        # Overlapped engine: its own STREAMIN and STREAMOUT run at the same time and may collide
        # on a bank. The model (no contention) is exact without stalls; each cycle in which a
        # port of a side is stalled lengthens that side's phase by one, and the layer time (a
        # max-plus recurrence over the phase lengths) by at most one. Hence, with st_in / st_out
        # the stalled cycles summed over the load / store ports:
        #   model <= rtl <= model + st   for STREAMIN, STREAMOUT and the layer time.
        # Shared data interface: the Source and the Sink never request in the same cycle, so
        # they cannot collide; a stall on a shared port may delay either side (st_in = st_out =
        # all stalls), and the model (the shared ports stepped chunk by chunk) is exact without.
        n, shared = env.p.ports, env.p.data_interface == "shared"
        st = [env.stalled[k]() - stalled0[k] for k in range(env.n_ima)]
        st_in, st_out = (sum(st), sum(st)) if shared else (sum(st[:n]), sum(st[n:]))
        ov = [layer_cycles_overlapped(j, _params(env)) for j in case.mapping.jobs]
        model = {"streamin": sum(p.streamin for p in ov), "compute": sum(p.compute for p in ov),
                 "streamout": sum(p.streamout for p in ov), "jobs": sum(p.jobs for p in ov)}
        want = sum(p.total for p in ov)
        report.append(f"{'':12s} layer time rtl={sum(got)} model={want} seq={sum(p.total for p in perf)}"
                      f" stalled load/store port-cycles {st_in}/{st_out}")
        if shared:
            assert sum(st) == 0, f"{name}: shared ports stalled {st} without competing traffic"
            assert cycles == model and sum(got) == want, (
                f"{name}: RTL {cycles}, layer time {sum(got)} != model {model}, {want}")
        assert cycles["compute"] == model["compute"] and cycles["jobs"] == model["jobs"], (
            f"{name}: RTL {cycles} != model {model}")
        for ph, slack in (("streamin", st_in), ("streamout", st_out)):
            assert model[ph] <= cycles[ph] <= model[ph] + slack, (
                f"{name}: RTL {ph} {cycles[ph]} not in model {model[ph]} + [0, {slack}]")
        assert len(got) == len(case.mapping.jobs), f"{name}: busy pulses {got}"
        assert want <= sum(got) <= want + st_in + st_out, (
            f"{name}: RTL layer time {sum(got)} not in model {want} + [0, {st_in + st_out}]")
    for line in report:
        dut._log.info(line)


@cocotb.test()
async def phase_counters_within_busy(dut):
    """Layers whose Source (a STREAMIN-bound conv) or Sink (a STREAMOUT-bound pointwise) can
    restart in its previous job's done cycle, 36 jobs each: every phase counter counts the
    cycles its unit is occupied and never exceeds the layer's busy time; it equals the model's
    figure exactly when no IMA port stalled (the Source and Sink may collide on a bank; the
    addresses and so the stalls do not depend on the seed), else lies in model + [0, stalls].
    (The overlapped engine's counters used to add the number of jobs in a phase, counting a
    shared cycle twice; on long layers a phase then exceeded the layer time and the energy
    model rejected the run.)"""
    env = await _env(dut)
    rng = _rng()
    spans = BusySpans(env).start()
    model_of = layer_cycles_overlapped if env.p.overlap else layer_cycles
    for kind, shape in (("conv", dict(h=6, w=6, cin=32, cout=8)),
                        ("pointwise", dict(h=6, w=6, cin=8, cout=min(256, env.p.adc_depth)))):
        case = make_case(kind, rng, env.p, **shape)
        n_spans = len(spans.spans)
        stalled0 = [f() for f in env.stalled]
        cycles = await run_case(env, case)
        busy = sum(spans.spans[n_spans:])
        perf = [model_of(j, _params(env)) for j in case.mapping.jobs]
        model = {"streamin": sum(p.streamin for p in perf), "compute": sum(p.compute for p in perf),
                 "streamout": sum(p.streamout for p in perf), "jobs": sum(p.jobs for p in perf)}
        st = sum(env.stalled[k]() - stalled0[k] for k in range(env.n_ima))
        dut._log.info("%-9s %s rtl=%s busy=%d model=%s layer time %d, IMA port stalls %d", kind,
                      shape, cycles, busy, model, sum(p.total for p in perf), st)
        for ph in ("streamin", "compute", "streamout"):
            assert cycles[ph] <= busy, f"{kind}: {ph} counted {cycles[ph]} > busy {busy} cycles"
        assert cycles["compute"] == model["compute"] and cycles["jobs"] == model["jobs"], (
            f"{kind}: RTL {cycles} != model {model}")
        if st == 0:
            assert cycles == model, f"{kind}: RTL phases {cycles} != model {model}"
            assert busy == sum(p.total for p in perf), f"{kind}: busy {busy} != model"
        for ph in ("streamin", "streamout"):
            assert model[ph] <= cycles[ph] <= model[ph] + st, (
                f"{kind}: RTL {ph} {cycles[ph]} not in model {model[ph]} + [0, {st}]")


@cocotb.test()
async def misaligned_with_stalls(dut):
    """Odd source/destination addresses and random bank conflicts from a competing master.

    With the shared data interface the layer time also lies within the stated bound of the
    cycle model (``sim_models.perf``, exact without stalls): ``model <= rtl <= model + st``, st
    the stalled port-cycles of the IMA's ports (a cycle in which a shared port is stalled holds
    the ports for the stalled side and delays the rest of the schedule by at most one cycle)."""
    env = await _env(dut)
    rng = _rng()
    shared = env.p.data_interface == "shared"
    model_of = layer_cycles_overlapped if env.p.overlap else layer_cycles
    spans = BusySpans(env).start()
    for kind in ("pointwise", "conv", "depthwise"):
        case = make_case(kind, rng, env.p, misalign=True, h=4, w=3, cin=int(rng.integers(5, 14)),
                         cout=int(rng.integers(3, 12)))
        n_spans = len(spans.spans)
        stalled0 = [f() for f in env.stalled]
        await run_case(env, case, stall_traffic=True, rng=rng)
        if shared:
            st = sum(env.stalled[k]() - stalled0[k] for k in range(env.n_ima))
            want = [model_of(j, _params(env)).total for j in case.mapping.jobs]
            got = spans.spans[n_spans:]
            dut._log.info("%-9s layer time rtl=%s model=%s stalled port-cycles %d", kind, got,
                          want, st)
            assert len(got) == len(want) and sum(want) <= sum(got) <= sum(want) + st, (
                f"{kind}: RTL layer time {got} not in model {want} + [0, {st}]")
    stalls = sum(env.stalled[k]() for k in range(env.n_ima))
    dut._log.info("IMA port stall cycles under competing traffic: %d", stalls)
    assert stalls > 0, "the competing master never stalled the IMA: the test lost its purpose"


# --------------------------------------------------------------------------- errors
def _good_layer():
    return LayerJob(src_addr=0x100, dst_addr=0x800, src=Walk3D(8, 2, 32), dst=Walk3D(8),
                    row=0, col=0, height=16, width=8,
                    loops=(JobLoop(4, 16, 8), JobLoop(), JobLoop()))


def _bad_layers(p):
    g = _good_layer()
    return [
        ("window off the array", replace(g, row=p.rows - 8), ERR.WINDOW),
        ("window stride off the array",
         replace(g, loops=(JobLoop(4, 16, 8, 0, p.cols), JobLoop(), JobLoop())), ERR.WINDOW),
        ("height > DAC buffer",
         replace(g, height=p.dac_depth + 8, src=Walk3D(8, (p.dac_depth + 8) // 8, 8)), ERR.WINDOW),
        ("zero length", replace(g, src=Walk3D(0, 2, 32), height=0), ERR.LENGTH),
        ("walk != height", replace(g, src=Walk3D(8, 3, 32)), ERR.LENGTH),
        ("source past the TCDM", replace(g, src_addr=p.tcdm_bytes - 16), ERR.ADDRESS),
        ("destination negative",
         replace(g, loops=(JobLoop(4, 16, -0x1000), JobLoop(), JobLoop())), ERR.ADDRESS),
        ("ADC shift 32", replace(g, adc_s=32), ERR.ADC),
        ("ADC mul 17 bits", replace(g, adc_m=1 << 16), ERR.ADC),
        ("ADC low > high", replace(g, adc_lo=10, adc_hi=5), ERR.ADC),
        ("J_ARRAY >= arrays", replace(g, array=p.arrays), ERR.ARRAY),
    ]


@cocotb.test()
async def bad_configurations(dut):
    """Each bad configuration: ERROR bit, event, nothing written, IMA ready for the next job."""
    env = await _env(dut)
    rng = _rng()
    image = rng.integers(0, 256, 0x1000, dtype=np.uint8)
    env.preload(image, image.size)
    for what, layer, bit in _bad_layers(env.p):
        err = await env.hal.run_layer(CORE, layer, timeout_cycles=2000)
        assert err & bit, f"{what}: ERROR = {err:#x}, expected bit {bit:#x}"
        got = np.frombuffer(env.dump(image.size), dtype=np.uint8)
        assert np.array_equal(got, image), f"{what}: the rejected job wrote to the TCDM"
        assert await env.periph.read(REG.STATUS) == 0, f"{what}: IMA not idle after the error"
        dut._log.info("%-28s -> ERROR %#04x", what, err)
    # Still works: a good layer after all the bad ones.
    case = make_case("pointwise", rng, env.p)
    await run_case(env, case)


@cocotb.test()
async def soft_clear_mid_job(dut):
    """SOFT_CLEAR while a layer runs: back to idle, the owner's event, no write outside the output."""
    env = await _env(dut)
    rng = _rng()
    case = make_case("conv", rng, env.p, h=6, w=6, cin=16, cout=16)
    env.preload(case.image, case.used)
    case.mapping.program(env.xbar)
    layer = case.mapping.jobs[0]
    await env.hal.acquire(CORE)
    await env.hal.configure(CORE, layer)
    await env.hal.trigger(CORE)
    await ClockCycles(env.clk, int(rng.integers(50, 600)))
    await env.hal.soft_clear(1)
    assert await env.hal.wait_end(CORE, timeout_cycles=100) == ERR.ABORTED
    # No further TCDM request on any IMA port after the abort (an MVM in flight may still end).
    granted = [env.granted[k]() for k in range(env.n_ima)]
    await ClockCycles(env.clk, 20 + env.mvm_cycles)
    assert [env.granted[k]() for k in range(env.n_ima)] == granted, "request after abort"
    assert await env.periph.read(REG.STATUS) == 0
    got = np.frombuffer(env.dump(case.used), dtype=np.uint8)
    out = case.mapping.dst
    outside = np.ones(case.used, bool)
    outside[out.addr:out.addr + out.nbytes] = False
    assert np.array_equal(got[outside], case.image[:case.used][outside]), "write outside the output"
    # The IMA is ready for the next job: the same layer again, now to completion.
    await run_case(env, case)


# --------------------------------------------------------------------------- multi-array IMA
@cocotb.test()
async def arrays_program_readback(dut):
    """Multi-array IMA: different weights programmed into each array through SUBMIT_PLOT
    (P_START_Y.array) land in that array only; every array reads back its own conductances
    (PR_ADDR_Y.array); an index >= arrays sets ERROR.ARRAY and programs / reads back nothing."""
    env = await _env(dut)
    rng = _rng()
    p, n = env.p, env.p.arrays
    wins = []
    for k in range(n):
        h, w = int(rng.integers(2, 6)), int(rng.integers(3, 14))
        r, c = int(rng.integers(0, p.rows - h + 1)), int(rng.integers(0, p.cols - w + 1))
        wk = rng.integers(-7, 8, size=(h, w))
        await env.hal.program(CORE, r, c, wk, array=k)
        wins.append((r, c, wk))
    assert await env.periph.read(REG.ERROR) == 0
    for k, (r, c, wk) in enumerate(wins):
        want = np.zeros((p.rows, p.cols), dtype=np.int64)
        want[r:r + wk.shape[0], c:c + wk.shape[1]] = wk
        assert np.array_equal(env.xbars[k].weights, want), f"array {k} holds other weights"
    g_step_ns = env.xbar.g_step * 1000
    for r, c, wk in wins:
        for _ in range(2):
            i, j = int(rng.integers(0, wk.shape[0])), int(rng.integers(0, wk.shape[1]))
            for a in range(n):              # the same device pair in every array
                v = int(env.xbars[a].weights[r + i, c + j])
                gp, gn = await env.hal.read_conductance(CORE, r + i, c + j, array=a)
                assert (gp, gn) == (round(max(v, 0) * g_step_ns), round(max(-v, 0) * g_step_ns)), (
                    f"array {a} ({r + i}, {c + j}) weight {v}: read G+ {gp}, G- {gn} nS")

    before = [x.weights.copy() for x in env.xbars]
    await env.hal.program(CORE, 0, 0, np.ones((1, 8), dtype=int), array=n)
    assert await env.periph.read(REG.ERROR) == ERR.ARRAY
    await env.periph.write(REG.ERROR, IMA_MAP["ERROR"].mask)
    reads = env.analog.readbacks
    await env.periph.write(REG.PR_ADDR_Y, register("PR_ADDR_Y").pack(row=0, array=n))
    assert await env.periph.read(REG.ERROR) == ERR.ARRAY
    assert await env.periph.read(REG.STATUS) == 0, "a readback on a missing array is pending"
    await env.periph.write(REG.ERROR, IMA_MAP["ERROR"].mask)
    await ClockCycles(env.clk, 5)
    assert env.analog.readbacks == reads, "a readback on a missing array reached the analog core"
    assert all(np.array_equal(x.weights, b) for x, b in zip(env.xbars, before, strict=True)), (
        "SUBMIT_PLOT on a missing array changed an array")
    assert not env.analog.errors, env.analog.errors
    dut._log.info("%d arrays programmed and read back; bad array index -> ERROR.ARRAY", n)


def _tiles(rng, p, height, widths, order):
    """Column tiles of ``widths`` channels on the arrays ``order`` (one per tile), at random
    positions of each array."""
    tiles, c0 = [], 0
    for width, array in zip(widths, order, strict=True):
        tiles.append(ColumnTile(array, int(rng.integers(0, p.rows - height + 1)),
                                int(rng.integers(0, p.cols - width + 1)), c0, width))
        c0 += width
    return tiles


@cocotb.test()
async def arrays_split_layers(dut):
    """A pointwise layer wider than one array runs as column tiles on every array (one
    configuration per tile, outputs at their channel offsets; weights through the registers)
    and a conv split over two arrays in reverse order: bit-exact against the golden model and
    the executor's TCDM image, every MVM on its tile's array; J_ARRAY >= arrays: ERROR.ARRAY,
    nothing written."""
    env = await _env(dut)
    rng = _rng()
    p, n = env.p, env.p.arrays
    cin = int(rng.integers(5, min(p.rows, p.dac_depth) + 1))
    pw = [p.adc_depth] * (n - 1) + [int(rng.integers(1, p.adc_depth + 1))]
    cv = [int(rng.integers(1, p.adc_depth)), int(rng.integers(1, p.adc_depth))]
    cases = [("pointwise", dict(h=3, w=3, cin=cin, cout=sum(pw)), cin, pw, list(range(n)), True),
             ("conv", dict(h=4, w=3, cin=3, cout=sum(cv)), 27, cv, [n - 1, 0], False)]
    for kind, shape, height, widths, order, via_regs in cases:
        tiles = _tiles(rng, p, height, widths, order)
        case = make_case(kind, rng, p, tiles=tiles, **shape)
        n_mvm = len(env.analog.log_arrays or ())
        await run_case(env, case, program_via_registers=via_regs)
        want = [t.array for t, j in zip(tiles, case.mapping.jobs, strict=True) for _ in range(j.num_jobs)]
        if env.analog.log_arrays is not None:   # the Python crossbar logs each MVM's array
            assert env.analog.log_arrays[n_mvm:] == want, f"{kind}: MVMs ran on the wrong arrays"
        dut._log.info("%s %s split as %s: bit-exact", kind, shape,
                      [(t.array, t.c0, t.width) for t in tiles])
    image = rng.integers(0, 256, 0x1000, dtype=np.uint8)
    env.preload(image, image.size)
    layer = replace(_good_layer(), array=n)
    assert await env.hal.run_layer(CORE, layer, timeout_cycles=2000) == ERR.ARRAY
    assert np.array_equal(np.frombuffer(env.dump(image.size), dtype=np.uint8), image), (
        "a job on a missing array wrote to the TCDM")
    assert not env.analog.errors, env.analog.errors


# --------------------------------------------------------------------------- measurement only
@cocotb.test()
async def standard_conv_timing(dut):
    """The standard conv (3x3, 16x16 out, 32 -> 64), bit-exact, timed; not in the regression.

    Run by ``tb/bench/overlap.py``; its result (:func:`tb.env.params.save_result`) is
    ``{layer_cycles, jobs, phases, model_*}``.
    """
    from sim_models.perf import mapping_cycles, mapping_cycles_overlapped
    env = await _env(dut)
    rng = _rng()
    case = make_case("conv", rng, env.p, h=16, w=16, cin=32, cout=64)
    spans = BusySpans(env).start()
    stalled0 = [f() for f in env.stalled]
    cycles = await run_case(env, case)
    p = _params(env)
    out = {"ports": env.p.ports, "overlap": env.p.overlap, "layer_cycles": sum(spans.spans),
           "jobs": cycles["jobs"], "phases": cycles,
           "stalled": sum(f() - s for f, s in zip(env.stalled, stalled0, strict=True)),
           "model_sequential": mapping_cycles(case.mapping, p).total,
           "model_overlapped": mapping_cycles_overlapped(case.mapping, p).total}
    dut._log.info("standard conv timing: %s", out)
    params.save_result(out)


@cocotb.test()
async def pointwise_job_timing(dut):
    """Pointwise expand (32 -> 192) and project (192 -> 32), 16 jobs each, bit-exact: the RTL's
    layer time equals the cycle model's (no competing traffic) and, on the overlapped engine, the
    cycles per job approach the COMPUTE bound (``mvm_cycles``). Result (``save_result``):
    ``{name: {jobs, layer_cycles, model, per_job, mvm_cycles}}``."""
    env = await _env(dut)
    rng = _rng()
    spans = BusySpans(env).start()
    model_of = layer_cycles_overlapped if env.p.overlap else layer_cycles
    out = {}
    for name, cin, cout in (("expand", 32, 192), ("project", 192, 32)):
        case = make_case("pointwise", rng, env.p, h=4, w=4, cin=cin, cout=cout)
        n_spans = len(spans.spans)
        cycles = await run_case(env, case)
        got = sum(spans.spans[n_spans:])
        want = sum(model_of(j, _params(env)).total for j in case.mapping.jobs)
        out[name] = {"jobs": cycles["jobs"], "layer_cycles": got, "model": want,
                     "per_job": got / cycles["jobs"], "mvm_cycles": env.mvm_cycles}
        dut._log.info("pointwise %s %d -> %d: %s", name, cin, cout, out[name])
        assert got == want, f"{name}: RTL layer time {got} != model {want}"
    params.save_result(out)
