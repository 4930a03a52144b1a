"""The DWA top's control side (controller + checker, wired by :class:`hw.dwa.top.Dwa`) in
Amaranth's simulator, with the engine replaced by a probe the testbench drives: INFO, the job
registers reaching the engine as the DwJob written, the TRIGGER -> engine start and done -> event
timing (:data:`hw.dwa.top.CONTROL_OVERHEAD`), a bad job that never starts the engine, SOFT_CLEAR
aborting the engine; and the ValueErrors of bad parameters. The data path is tested in cocotb
(tests/hw/dwa/test_dwa_rtl.py)."""

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

import hw.dwa.top as top_module
from hw.config import preset
from hw.dwa.controller import DwaController
from hw.dwa.jobregs import DwJobLayout
from hw.dwa.regmap import ERR, INFO, JOB_REGISTERS, REG, encode_job
from hw.dwa.stats import DwaStatsSignature
from hw.dwa.top import DONE_TO_EVENT, TRIGGER_TO_START, Dwa
from hw.signatures import TcdmSignature
from sim_models.dwa import GROUP, DwJob

N_CORES = 4
PORTS = 2


class ProbeEngine(wiring.Component):
    """The engine's interface, nothing inside: the testbench reads start/abort/job and drives
    done/busy."""

    last = None         # the instance the top elaborated

    def __init__(self, ports):
        ProbeEngine.last = self
        super().__init__({"job": In(DwJobLayout), "start": In(1), "abort": In(1), "done": Out(1),
                          "busy": Out(1), "tcdm": Out(TcdmSignature()).array(ports),
                          "stat": Out(DwaStatsSignature())})

    def elaborate(self, platform):
        return Module()


def _run(tb, monkeypatch):
    monkeypatch.setattr(top_module, "DwaEngine", ProbeEngine)
    dut = Dwa(ports=PORTS, n_cores=N_CORES, tcdm_bytes=4096)
    m = Module()
    m.submodules.dwa = dut
    sim = Simulator(m)
    sim.add_clock(1e-8)

    async def bench(ctx):
        await tb(ctx, dut, ProbeEngine.last)
    sim.add_testbench(bench)
    sim.run()


class Bus:
    """Peripheral-bus accesses (granted at once: the DWA never stalls) counting cycles."""

    def __init__(self, ctx, bus):
        self.ctx, self.bus, self.cycle = ctx, bus, 0

    async def tick(self):
        await self.ctx.tick()
        self.cycle += 1

    async def access(self, addr, we=0, wdata=0, core=0):
        ctx, bus = self.ctx, self.bus
        for sig, v in ((bus.req, 1), (bus.addr, addr), (bus.we, we), (bus.wdata, wdata),
                       (bus.be, 0xF), (bus.id, core)):
            ctx.set(sig, v)
        assert ctx.get(bus.gnt)
        granted = self.cycle
        await self.tick()
        ctx.set(bus.req, 0)
        assert ctx.get(bus.r_valid)
        return ctx.get(bus.r_data), granted


JOB = DwJob(in_addr=0x101, in_row_stride=40, out_addr=0x803, out_row_stride=33, w_addr=0x600,
            channels=11, out_h=3, out_w=3, stride=2, adc_m=-7, adc_s=5, adc_lo=-20, adc_hi=100)


def test_job_timing_and_errors(monkeypatch):
    async def tb(ctx, dut, eng):
        bus = Bus(ctx, dut.ctrl)
        info, _ = await bus.access(REG.INFO)
        assert INFO.unpack(info) == {"ports": PORTS, "cores": N_CORES, "group": GROUP}

        async def run(job, core, engine_cycles):
            """Configure and trigger ``job``; return (start cycle, event cycle) after TRIGGER."""
            assert (await bus.access(REG.ACQUIRE, core=core))[0] < 0x8000
            for offset, value in encode_job(job):
                await bus.access(offset, 1, value, core)
            _, t = await bus.access(REG.TRIGGER, 1, 0, core)
            start = event = None
            while event is None:
                if ctx.get(eng.start):
                    assert start is None
                    start = bus.cycle
                    for r in JOB_REGISTERS:                 # the job as written, while it runs
                        assert ctx.get(getattr(eng.job, r.job_path)) == dict(encode_job(job))[r.offset]
                if start is not None and bus.cycle == start + engine_cycles:
                    ctx.set(eng.done, 1)
                evt = ctx.get(dut.evt)
                await bus.tick()
                ctx.set(eng.done, 0)
                if evt:
                    assert evt == 1 << core
                    event = bus.cycle - 1
                assert bus.cycle < t + 200
            return (None if start is None else start - t), event - t

        start, event = await run(JOB, 2, engine_cycles=30)
        assert start == TRIGGER_TO_START
        assert event == TRIGGER_TO_START + 30 + DONE_TO_EVENT
        assert (await bus.access(REG.ERROR))[0] == 0

        from dataclasses import replace
        start, event = await run(replace(JOB, stride=3), 1, engine_cycles=30)
        assert start is None and event == TRIGGER_TO_START + DONE_TO_EVENT
        assert (await bus.access(REG.ERROR))[0] == ERR.STRIDE
        start, event = await run(replace(JOB, in_addr=4096 - 5), 1, engine_cycles=30)
        assert start is None
        assert (await bus.access(REG.ERROR))[0] == ERR.ADDRESS

        # SOFT_CLEAR while the engine runs: eng.abort in the write's cycle, ABORTED, idle.
        await bus.access(REG.ACQUIRE, core=0)
        for offset, value in encode_job(JOB):
            await bus.access(offset, 1, value, 0)
        await bus.access(REG.TRIGGER, 1, 0, 0)
        for _ in range(TRIGGER_TO_START + 3):
            await bus.tick()
        ctx.set(dut.ctrl.req, 1)
        ctx.set(dut.ctrl.addr, REG.SOFT_CLEAR)
        ctx.set(dut.ctrl.we, 1)
        assert ctx.get(eng.abort)
        await bus.tick()
        ctx.set(dut.ctrl.req, 0)
        assert (await bus.access(REG.ERROR))[0] == ERR.ABORTED
        assert (await bus.access(REG.STATUS))[0] == 0

    _run(tb, monkeypatch)


@pytest.mark.parametrize("kw,name", [(dict(ports=0), "ports"), (dict(ports=17), "ports"),
                                     (dict(ports=True), "ports"), (dict(n_cores=0), "n_cores"),
                                     (dict(n_cores=17), "n_cores"), (dict(tcdm_bytes=2), "tcdm_bytes"),
                                     (dict(tcdm_bytes=1.5), "tcdm_bytes")])
def test_bad_parameters(kw, name):
    with pytest.raises(ValueError, match=name):
        Dwa(**kw)


def test_controller_bad_parameters():
    with pytest.raises(ValueError, match="ports"):
        DwaController(ports=0, n_cores=1)
    with pytest.raises(ValueError, match="n_cores"):
        DwaController(ports=1, n_cores=0)


def test_for_cluster_and_defaults():
    cfg = preset().with_(ports=2, n_cores=4, tcdm_bytes=1 << 16, dwa=True)
    d = Dwa.for_cluster(cfg)
    assert (d.ports, d.n_cores, d.tcdm_bytes) == (cfg.dwa_ports, 4, 1 << 16)
    d = Dwa()
    assert (d.ports, d.n_cores, d.tcdm_bytes) == (preset().ima.ports, preset().n_cores,
                                                  preset().tcdm_bytes)
    assert len(d.tcdm) == d.ports and len(d.evt) == d.n_cores
