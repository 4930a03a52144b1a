"""The cluster with the depth-wise accelerator (hw/cluster/cluster.py, ``cfg.dwa``): its ports in
both arrangements, today's ports without it, and, in Amaranth's simulator on a small cluster, the
cores' peripheral map: the IMA at 0 and the DWA at ``DWA_BASE``, each with its own ACQUIRE lock
given to the core the decoder names by ``id``. (Whole workloads on the DWA run in cocotb, through
``ima-sim run --mapping IMADW``.)
"""

import pytest
from amaranth.lib import wiring
from amaranth.sim import Simulator

from hw.cluster.cluster import Cluster
from hw.cluster.periph import DWA_BASE
from hw.config import preset
from hw.dwa.regmap import DWA_MAP, INFO
from hw.dwa.regmap import REG as DREG
from hw.dwa.stats import DwaStatsSignature
from hw.ima.regmap import IMA_MAP
from hw.ima.regmap import REG as IREG
from hw.signatures import TcdmStatsSignature

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


def _as_int32(v):
    return v - (1 << 32) if v >> 31 else v


async def _access(ctx, dut, core, addr, *, wdata=None):
    """One peripheral access by ``core`` (read when ``wdata`` is None); returns the read data."""
    port = dut.core_periph[core]
    ctx.set(port.req, 1)
    ctx.set(port.addr, addr)
    ctx.set(port.we, wdata is not None)
    ctx.set(port.be, 0xF)
    ctx.set(port.wdata, wdata or 0)
    for _ in range(20):
        granted = ctx.get(port.gnt)
        await ctx.tick()
        if granted:
            break
    else:
        raise AssertionError(f"core {core}: no grant for address 0x{addr:03X}")
    ctx.set(port.req, 0)
    assert ctx.get(port.r_valid), f"core {core}: no r_valid after 0x{addr:03X}"
    return ctx.get(port.r_data)


@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_peripheral_map(arrangement):
    pytest.importorskip("hw.dwa.engine")
    cfg = preset().with_(dwa=True, dwa_arrangement=arrangement, **SMALL)
    dut = Cluster(cfg)
    sim = Simulator(dut)
    sim.add_clock(1e-8)

    async def tb(ctx):
        await ctx.tick()
        info = await _access(ctx, dut, 0, DWA_BASE + DREG.INFO)
        assert INFO.unpack(info) == {"ports": cfg.ima.ports, "cores": cfg.n_cores, "group": 16}
        # the two ACQUIRE locks are independent, each held by the core that read it
        assert _as_int32(await _access(ctx, dut, 5, IREG.ACQUIRE)) >= 0
        assert _as_int32(await _access(ctx, dut, 2, DWA_BASE + DREG.ACQUIRE)) >= 0
        assert _as_int32(await _access(ctx, dut, 5, DWA_BASE + DREG.ACQUIRE)) == -2
        assert _as_int32(await _access(ctx, dut, 2, IREG.ACQUIRE)) == -2
        # the lock holder writes a job register of the DWA and reads it back; the IMA's register
        # at the same offset is untouched
        ima_before = await _access(ctx, dut, 5, DREG.DW_CHANNELS)
        await _access(ctx, dut, 2, DWA_BASE + DREG.DW_CHANNELS, wdata=37)
        assert await _access(ctx, dut, 2, DWA_BASE + DREG.DW_CHANNELS) == 37
        assert await _access(ctx, dut, 5, DREG.DW_CHANNELS) == ima_before != 37
        # the DWA's 128-byte map repeats in the upper half of its 256-byte region
        alias = DWA_BASE + (1 << DWA_MAP.addr_width) + DREG.DW_CHANNELS
        assert await _access(ctx, dut, 2, alias) == 37
        assert ctx.get(dut.dwa_evt) == 0 and ctx.get(dut.evt) == 0
        assert ctx.get(dut.dwa_stat.busy) == 0

    sim.add_testbench(tb)
    sim.run()
