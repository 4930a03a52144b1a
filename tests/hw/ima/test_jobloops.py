"""hw.ima.jobloops.JobLoops in Amaranth's simulator: the offsets of every job of a layer equal
sim_models.jobconfig.LayerJob.jobs(); ``last`` on the last job, ``end`` after a step on it,
``reset`` back to job 0; a bad quantity list raises ValueError."""

import pytest
from amaranth.sim import Simulator

from hw.ima.jobloops import JobLoops
from hw.ima.regmap import JOB_REGISTERS, _get_path
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

LAYER = LayerJob(src_addr=0x100, dst_addr=0x2000, src=Walk3D(8), dst=Walk3D(4), row=3, col=5,
                 height=8, width=4,
                 loops=(JobLoop(3, 24, 4, 0, 4), JobLoop(2, -1000, 96, 8, -2),
                        JobLoop(2, 70000, -12, -3, 1)))


def _load(ctx, dut, layer):
    for r in JOB_REGISTERS:
        ctx.set(getattr(dut.job, r.name.lower()), _get_path(layer, r.job_path) & 0xFFFFFFFF)


def test_offsets_follow_the_layer_jobs():
    dut = JobLoops(("src", "dst", "row", "col"))
    want = list(LAYER.jobs())
    seen = []

    async def tb(ctx):
        _load(ctx, dut, LAYER)
        ctx.set(dut.reset, 1)
        await ctx.tick()
        ctx.set(dut.reset, 0)
        for i in range(len(want)):
            o = dut.offset
            seen.append((LAYER.src_addr + ctx.get(o.src), LAYER.dst_addr + ctx.get(o.dst),
                         LAYER.row + ctx.get(o.row), LAYER.col + ctx.get(o.col)))
            assert ctx.get(dut.last) == (i == len(want) - 1)
            assert not ctx.get(dut.end)
            ctx.set(dut.step, 1)
            await ctx.tick()
        ctx.set(dut.step, 0)
        assert ctx.get(dut.end) and ctx.get(dut.last)      # stepped on the last job
        ctx.set(dut.reset, 1)
        await ctx.tick()
        assert not ctx.get(dut.end) and ctx.get(dut.offset.src) == 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert seen == want


def test_one_side_keeps_only_its_quantities():
    dut = JobLoops(("row", "col"))
    assert set(dut.offset.shape().members) == {"row", "col"}


@pytest.mark.parametrize("bad", [(), ("src", "input"), ("in",)])
def test_bad_quantities_raise(bad):
    with pytest.raises(ValueError, match="quantities"):
        JobLoops(bad)
