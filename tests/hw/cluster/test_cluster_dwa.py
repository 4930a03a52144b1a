"""The cluster with the depth-wise accelerator (hw/cluster/cluster.py, ``cfg.dwa``): its ports in
both arrangements, today's ports without it, and, in Amaranth's simulator on a small cluster, the
cores' peripheral map: the IMA at 0 and the DWA at ``DWA_BASE``, each with its own ACQUIRE lock
given to the core the decoder names by ``id``; and one small job through the whole cluster in
each arrangement, bit-exact against ``sim_models.dwa.execute``. (Whole workloads on the DWA run
in cocotb, through ``ima-sim run --mapping IMADW``.)
"""

import random

import numpy as np
import pytest
from amaranth.lib import wiring
from amaranth.sim import Simulator

from hw.cluster.cluster import Cluster
from hw.cluster.periph import DWA_BASE, dwa_base
from hw.config import preset
from hw.dwa.regmap import DWA_MAP, INFO, encode_job
from hw.dwa.regmap import REG as DREG
from hw.dwa.stats import DwaStatsSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.regmap import REG as IREG
from hw.signatures import TcdmStatsSignature
from sim_models.dwa import DwJob, execute
from sim_models.dwa_perf import engine_cycles
from tb.build.runner import pick_seed

SMALL = dict(ports=2, rows=64, cols=32, dac_depth=16, adc_depth=8, tcdm_bytes=4096)
ARRANGEMENTS = ("shared", "separate")


def test_without_dwa_the_ports_are_todays():
    dut = Cluster(preset())
    assert "dwa_evt" not in dut.signature.members and "dwa_stat" not in dut.signature.members
    assert dut.core_periph[0].addr.shape().width == IMA_MAP.addr_width


@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_ports_with_dwa(arrangement):
    cfg = preset().with_(dwa=True, dwa_arrangement=arrangement)
    dut = Cluster(cfg)
    members = dut.signature.members
    assert members["dwa_evt"].flow == wiring.Out and len(dut.dwa_evt) == cfg.n_cores
    assert members["dwa_stat"].signature == DwaStatsSignature()
    assert members["tcdm_stat"].signature == TcdmStatsSignature(cfg.masters)
    assert cfg.masters == preset().masters + (cfg.ima.ports if arrangement == "separate" else 0)
    assert dut.core_periph[0].addr.shape().width == IMA_MAP.addr_width + 1



@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_peripheral_map(arrangement, periph_access):
    cfg = preset().with_(dwa=True, dwa_arrangement=arrangement, **SMALL)
    dut = Cluster(cfg)
    sim = Simulator(dut)
    sim.add_clock(1e-8)

    async def tb(ctx):
        await ctx.tick()
        info = await periph_access(ctx, dut, 0, DWA_BASE + DREG.INFO)
        assert INFO.unpack(info) == {"ports": cfg.ima.ports, "cores": cfg.n_cores, "group": 16}
        # the two ACQUIRE locks are independent, each held by the core that read it
        assert await periph_access(ctx, dut, 5, IREG.ACQUIRE, signed=True) >= 0
        assert await periph_access(ctx, dut, 2, DWA_BASE + DREG.ACQUIRE, signed=True) >= 0
        assert await periph_access(ctx, dut, 5, DWA_BASE + DREG.ACQUIRE, signed=True) == -2
        assert await periph_access(ctx, dut, 2, IREG.ACQUIRE, signed=True) == -2
        # the lock holder writes a job register of the DWA and reads it back; the IMA's register
        # at the same offset is untouched
        ima_before = await periph_access(ctx, dut, 5, DREG.DW_CHANNELS)
        await periph_access(ctx, dut, 2, DWA_BASE + DREG.DW_CHANNELS, wdata=37)
        assert await periph_access(ctx, dut, 2, DWA_BASE + DREG.DW_CHANNELS) == 37
        assert await periph_access(ctx, dut, 5, DREG.DW_CHANNELS) == ima_before != 37
        # the DWA's 128-byte map repeats in the upper half of its 256-byte region
        alias = DWA_BASE + (1 << DWA_MAP.addr_width) + DREG.DW_CHANNELS
        assert await periph_access(ctx, dut, 2, alias) == 37
        assert ctx.get(dut.dwa_evt) == 0 and ctx.get(dut.evt) == 0
        assert ctx.get(dut.dwa_stat.busy) == 0

    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("imas", [1, 2])
@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_a_job_through_the_cluster(arrangement, imas, periph_access, tcdm_access):
    """A small job (5 channels: a partial group, misaligned buffers) programmed by core 3 at
    DWA_BASE (with two private IMAs, ``imas=2``: at ``dwa_base(2)``, after them): output
    bit-exact against ``sim_models.dwa.execute`` on the TCDM image (every other byte unchanged),
    the event on core 3's line, the DWA's traffic on the masters of its arrangement (IMA 0's
    load masters when shared, its own when separate), and ``dwa_stat.cycles`` equal to the
    cycle model without contention."""
    rng = np.random.default_rng(random.Random(pick_seed()).getrandbits(32))
    cfg = preset().with_(dwa=True, dwa_arrangement=arrangement, imas=imas, **SMALL)
    base = dwa_base(imas)
    assert base == DWA_BASE or imas > 1
    n, core, span = cfg.ima.ports, 3, 0x200
    job = DwJob(in_addr=0x003, in_row_stride=4 * 5 + 3, out_addr=0x142, out_row_stride=2 * 5 + 1,
                w_addr=0x0C1, channels=5, out_h=2, out_w=2, stride=1, adc_m=3, adc_s=4,
                adc_lo=-20, adc_hi=200).validate(cfg.tcdm_bytes)
    image = rng.integers(0, 256, span, dtype=np.uint8)
    expect = image.copy()
    execute(job, expect)
    dut = Cluster(cfg)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    masters = cfg.master_ranges()

    async def tb(ctx):
        dma = dut.dma[0]
        words = image.view("<u4")
        for i, w in enumerate(words):
            await tcdm_access(ctx, dma, 4 * i, wdata=int(w))
        assert await periph_access(ctx, dut, core, base + DREG.ACQUIRE, signed=True) >= 0
        for offset, value in encode_job(job):
            await periph_access(ctx, dut, core, base + offset, wdata=value)
        ctx.set(dut.tcdm_stat.clear, 1)
        await ctx.tick()
        ctx.set(dut.tcdm_stat.clear, 0)
        await periph_access(ctx, dut, core, base + DREG.TRIGGER, wdata=0)
        for _ in range(engine_cycles(job, n) + 50):
            if ctx.get(dut.dwa_evt):
                break
            await ctx.tick()
        else:
            raise AssertionError("no DWA event")
        assert ctx.get(dut.dwa_evt) == 1 << core and ctx.get(dut.evt) == 0
        assert imas == 1 or ctx.get(dut.evt1) == 0
        assert await periph_access(ctx, dut, core, base + DREG.ERROR) == 0
        assert ctx.get(dut.dwa_stat.jobs) == 1
        assert ctx.get(dut.dwa_stat.cycles) == engine_cycles(job, n)
        granted = [ctx.get(dut.tcdm_stat.granted[m]) for m in range(cfg.masters)]
        dwa_masters = cfg.ima_masters(0)["load"] if arrangement == "shared" else masters["dwa"]
        assert all(granted[m] > 0 for m in dwa_masters), granted
        others = [m for m in range(cfg.masters) if m not in dwa_masters]
        assert all(granted[m] == 0 for m in others), granted
        got = np.array([await tcdm_access(ctx, dma, 4 * i) for i in range(span // 4)], "<u4")
        got = got.view(np.uint8)
        bad = np.flatnonzero(got != expect)
        assert bad.size == 0, f"{bad.size} bytes differ, first at 0x{bad[0]:03X}"

    sim.add_testbench(tb)
    sim.run()
