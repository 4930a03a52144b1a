"""The coupling / balancing scheduler (sim_models/balance.py) on hand-computed schedules.

Layer costs are given directly as :class:`LayerWork` (so every number below is checkable by
hand): ``sw_core_cycles`` is what one core alone would take for the whole layer, ``ima_cycles``
what one IMA takes; a chunk of share ``s`` costs ``s`` times that.
"""

import dataclasses

import pytest

from sim_models import balance, coverage
from sim_models.balance import LayerWork, Portion
from sim_models.graph import Layer

IDLE = 0.5          # pJ per idle core-cycle in these cases


def _sw(name, index, units, core_cycles, energy=0.0, inputs=()):
    return LayerWork(name, index, inputs, units, core_cycles, energy, None, None,
                     (Portion("sw", 1.0),))


def _ima(name, index, units, core_cycles, ima_cycles, owner, energy=(0.0, 0.0), inputs=()):
    return LayerWork(name, index, inputs, units, core_cycles, energy[0], ima_cycles, energy[1],
                     (Portion("ima", 1.0, owner),))


def _run(work, coupling="loose", balancing="static", images=1, **kw):
    return balance.schedule(work, coupling=coupling, balancing=balancing, cores=8, images=images,
                            core_idle_pj=IDLE, **kw)


def test_static_split_of_a_software_layer():
    # 8 rows, 800 core-cycles: one row = 100 cycles per core, all 8 busy
    r = _run([_sw("L", 0, 8, 800.0, energy=1000.0)])
    assert (r.cycles, r.core_busy, r.sw_chunks) == (100.0, 800.0, 8)
    assert r.energy_pj == pytest.approx(1000.0)
    # 7 rows on 8 cores: one core idle for the whole 100 cycles -> 100 idle core-cycles
    r = _run([_sw("L", 0, 7, 700.0, energy=1000.0)], static_pj_per_cycle=2.0)
    assert (r.cycles, r.core_busy, r.sw_chunks) == (100.0, 700.0, 7)
    assert r.energy_pj == pytest.approx(1000.0 + 100 * IDLE + 2.0 * 100)


def test_static_software_portion_lasts_the_all_core_run():
    """With the layer's all-core wall time known (``sw_cycles``, as build_work gives it), a static
    software portion lasts exactly that (the fast model's run: the kernels' own split), not the
    largest core's share of ``sw_core_cycles``: 7 rows whose 8-core run is 100 cycles
    (``sw_core_cycles`` = 8 x 100) last 100, where 800 / 7 per row would give 114.3."""
    lw = LayerWork("L", 0, (), 7, 800.0, 1000.0, None, None, (Portion("sw", 1.0),), 100.0)
    r = _run([lw, LayerWork("M", 1, (0,), 8, 400.0, 0.0, None, None, (Portion("sw", 1.0),), 50.0)])
    assert r.cycles == 150.0 and r.core_busy == pytest.approx(1200.0)
    assert r.spans == {(0, "L"): (0.0, 100.0), (0, "M"): (100.0, 150.0)}
    assert _run([dataclasses.replace(lw, sw_cycles=None)]).cycles == pytest.approx(800 / 7)


def test_static_barrier_puts_images_one_after_another():
    work = [_sw("L0", 0, 8, 800.0), _sw("L1", 1, 8, 400.0, inputs=(0,))]
    assert _run(work, images=3).cycles == 3 * (100 + 50)


def test_layer_level_assignment_pipelines_images():
    # L0 (800 core-cycles) -> core 0, L1 (400) -> core 1 (the least loaded): a 2-stage pipeline
    work = [_sw("L0", 0, 8, 800.0), _sw("L1", 1, 8, 400.0, inputs=(0,))]
    assert _run(work, balancing="layer", images=1).cycles == 1200.0
    assert _run(work, balancing="layer", images=2).cycles == 2000.0   # 800 + 800 + 400
    r = _run(work, balancing="layer", images=2)
    assert r.per_core[:2] == [1600.0, 800.0] and sum(r.per_core[2:]) == 0


def test_steal_cuts_layers_in_chunks():
    # 32 rows, 3200 core-cycles: 16 chunks of 2 rows (200 cycles each), 2 per core
    r = _run([_sw("L", 0, 32, 3200.0)], balancing="steal")
    assert (r.cycles, r.sw_chunks) == (400.0, 16)


@pytest.mark.parametrize("coupling", ["tight", "loose"])
def test_static_offload(coupling):
    # the whole layer on tiles: 80 IMA cycles in one chunk, offloaded by the owner under tight
    # coupling, by core 0 under loose coupling (the RTL's HAL: core 0 offloads a layer's jobs)
    r = _run([_ima("L", 0, 8, 1600.0, 80.0, owner=3, energy=(0.0, 40.0))], coupling=coupling)
    assert r.cycles == pytest.approx(80.0)
    assert r.ima_chunks == 1 and r.ima_busy == pytest.approx(80.0)
    k = 3 if coupling == "tight" else 0
    assert r.per_core[k] == pytest.approx(80.0) and sum(r.per_core) == pytest.approx(80.0)
    assert r.spans == {(0, "L"): (0.0, 80.0)}
    # the IMA's energy plus 8 * 80 - 80 idle core-cycles
    assert r.energy_pj == pytest.approx(40.0 + (640 - 80) * IDLE)


def test_tight_steal_by_hand():
    """Core 0 owns the tiles: 8 chunks of 100 IMA cycles or 200 software cycles each.
    t = 0: core 0 offloads chunk 1 (IMA busy until 100). Cores 1..6 each steal the last chunk
    into software, since 200 < the IMA's backlog (100 + 100 per chunk left: 800, 700, .., 300);
    core 7 sees one chunk left, 0 + 200 is not < 100 + 100, so it waits. t = 100: core 0 offloads
    the last chunk (100 + 100 <= 100 + 200). Makespan 200; 2 chunks on the IMA, 6 stolen."""
    work = [_ima("L", 0, 8, 1600.0, 800.0, owner=0)]
    r = _run(work, coupling="tight", balancing="steal", chunks_per_core=1)
    assert (r.cycles, r.ima_chunks, r.sw_chunks, r.stolen) == (200.0, 2, 6, 6)
    # without stealing the owner does all 8 on its IMA: 800 cycles
    assert _run(work, coupling="tight", balancing="static").cycles == 800.0


def test_loose_steal_uses_the_shared_ima_first():
    """Any core may offload. 8 chunks of 10 IMA / 200 software cycles: each core's offload
    ends before software would (10, 20, .., 80 <= 200): all 8 on the IMA, makespan 80."""
    r = _run([_ima("L", 0, 8, 1600.0, 80.0, owner=0)], coupling="loose", balancing="steal",
             chunks_per_core=1)
    assert (r.cycles, r.ima_chunks, r.stolen) == (80.0, 8, 0)


def test_dependencies_are_kept():
    # two branches after L0 (400 cycles on 8 cores): L1 (100) and L2 (50), then their add (10).
    # static: one after another; steal: L1's 8 chunks first (layer order), then L2's, then add.
    # layer-level: L0 3200 on core 0, L1 800 on core 1, L2 400 on core 2 (in parallel), add 80.
    work = [_sw("L0", 0, 8, 3200.0), _sw("L1", 1, 8, 800.0, inputs=(0,)),
            _sw("L2", 2, 8, 400.0, inputs=(0,)), _sw("add", 3, 8, 80.0, inputs=(1, 2))]
    assert _run(work, balancing="static").cycles == 400 + 100 + 50 + 10
    assert _run(work, balancing="steal").cycles == 400 + 100 + 50 + 10
    assert _run(work, balancing="layer").cycles == 3200 + 800 + 80


def test_build_work_portions_from_the_placement():
    net = [Layer("P", "pointwise", ("input",), (4, 4, 300), (4, 4, 300), adc=(1, 0, 0, 255),
                 shape_only=True),
           Layer("Q", "add", ("input", "P"), (4, 4, 300), (4, 4, 300))]
    pl = coverage.place(net, 2, "order", coupling="loose", granularity="columns")
    assert [(u.col0, b) for u, b in pl.of_layer("P")] == [(0, 0), (256, None)]
    work = balance.build_work(net, pl, lambda lay, e: (100.0, 10.0) if e == "sw" else (30.0, 3.0))
    p = work[0]
    assert p.units == 4 and p.sw_core_cycles == 800.0 and p.ima_cycles == 30.0
    assert p.sw_cycles == 100.0
    assert [(x.engine, round(x.share, 4), x.owner) for x in p.portions] == [
        ("ima", round(256 / 300, 4), 0), ("sw", round(44 / 300, 4), None)]
    assert work[1].inputs == (0,) and work[1].portions == (Portion("sw", 1.0),)
    assert balance.software_baseline(net, lambda lay, e: (100.0, 10.0)) == (200.0, 20.0)


@pytest.mark.parametrize("kw, needle", [(dict(coupling="medium"), "coupling"),
                                        (dict(balancing="random"), "balancing"),
                                        (dict(cores=0), "cores"), (dict(images=0), "images")])
def test_bad_parameters_name_themselves(kw, needle):
    args = dict(coupling="loose", balancing="static", cores=8, images=1)
    args.update(kw)
    with pytest.raises(ValueError, match=needle):
        balance.schedule([_sw("L", 0, 8, 800.0)], **args)


def test_idle_imas_cost_their_cycles():
    """``ima_idle_pj`` charges every IMA's cycles outside its chunks over the makespan, as
    energy_report counts K IMAs: one IMA layer of 200 cycles then a software layer of 100 (8 rows
    on 8 cores). Loose: 1 IMA idle for 100 cycles; tight: 8 IMAs, IMA 3 busy 200 of 300 cycles,
    the other 7 idle throughout; ``imas=4`` (only 4 cores have tiles) 4 x 300 - 200. Dynamic energy
    and cycles are unchanged; ``imas`` outside 0..the coupling's IMAs is named."""
    def work(owner):
        return [_ima("A", 0, 8, 800.0, 200.0, owner, energy=(0.0, 50.0)),
                _sw("B", 1, 8, 800.0, inputs=(0,))]
    base = _run(work(0))
    assert base.cycles == 300.0 and base.ima_busy == 200.0
    r = _run(work(0), ima_idle_pj=0.1)
    assert r.cycles == base.cycles and r.energy_pj == pytest.approx(base.energy_pj + 0.1 * 100)
    t0 = _run(work(3), coupling="tight")
    assert t0.cycles == 300.0
    t = _run(work(3), coupling="tight", ima_idle_pj=0.1)
    assert t.energy_pj == pytest.approx(t0.energy_pj + 0.1 * (8 * 300 - 200))
    t4 = _run(work(3), coupling="tight", ima_idle_pj=0.1, imas=4)
    assert t4.energy_pj == pytest.approx(t0.energy_pj + 0.1 * (4 * 300 - 200))
    for coupling, bad in (("loose", 2), ("tight", 9), ("loose", -1)):
        with pytest.raises(ValueError, match="imas must be an integer in 0.."):
            _run(work(0), coupling=coupling, imas=bad)
