"""sim_models/study.py: the tile sweep, the reading at 41 % coverage, a cost table's costs.

The points themselves (placement + schedule) are tested by hand in test_coverage.py and
test_balance.py, and end to end in tests/tb/cli/test_study.py.
"""

import pytest

from sim_models import coverage, study


def test_tile_sweep_spans_no_tiles_to_the_whole_network():
    layers = study.net_layers("mobilenetv2")
    full = coverage.tiles_for_full_coverage(layers)
    ts = study.tile_sweep(layers, points=4)
    top = 8 * -(-full // 8)
    assert ts[0] == 0 and ts[-1] == top and ts == sorted(set(ts))
    assert all(t % 8 == 0 for t in ts) and len(ts) <= 2 + 2 * 4
    assert {8 * round(top * i / 4 / 8) for i in (1, 2, 3)} <= set(ts)     # the even steps
    assert coverage.place(layers, ts[-1], "order").coverage == pytest.approx(
        sum(u.params for u in coverage.units(layers)) / coverage.total_params(layers))
    with pytest.raises(ValueError, match="points"):
        study.tile_sweep(layers, points=0)


def test_at_coverage_interpolates_on_the_curve():
    rows = [dict(coverage=0.0, speedup=1.0), dict(coverage=0.2, speedup=2.0),
            dict(coverage=0.6, speedup=4.0), dict(coverage=0.6, speedup=3.0)]
    assert study.at_coverage(rows, 0.41) == pytest.approx(2.0 + 0.21 / 0.4 * 2.0)
    assert study.at_coverage(rows, 0.2) == pytest.approx(2.0)
    assert study.at_coverage(rows[:2], 0.41) is None          # the curve stops at 20 %


def test_cost_table_of_a_network():
    from hw.config import preset
    from sim_models.fastmodel import layer_cost
    cfg = preset("jetcas2022")                    # 256 x 256 arrays, the study's tile
    t = study.cost_table("mobilenetv1", cfg, "jetcas2022")
    layers = study.net_layers("mobilenetv1")
    assert set(t.sw) == {lay.name for lay in layers}
    assert set(t.ima) == {lay.name for lay in layers if lay.xbar_shape is not None}
    first, last = layers[0], layers[-1]
    # the first conv's output is read padded by a 3x3 depth-wise layer: its ring zeroing is in
    ring = study.ring_cost(first, 1, cfg)
    assert study.ring_pads(layers)[first.name] == 1 and last.name not in study.ring_pads(layers)
    assert 100 < ring[0] < 5000 and ring[1] > 0
    c = layer_cost(first, "sw", cfg, 8)
    assert t.cost(first, "sw") == (c.cycles + ring[0], c.energy_pj + ring[1])
    assert t.cost(first, "ima") == (layer_cost(first, "ima", cfg, 1).cycles + ring[0],
                                    layer_cost(first, "ima", cfg, 1).energy_pj + ring[1])
    c = layer_cost(last, "sw", cfg, 8)
    assert t.cost(last, "sw") == (c.cycles, c.energy_pj)
    assert t.static_pj_per_cycle > 0 and t.core_idle_pj > 0
    # a cluster of K IMAs: K analog cores (fastmodel.static_pj's imas), K idle IMAs
    from sim_models.energy import EnergyParams
    from sim_models.fastmodel import static_pj
    assert t.static_pj_per_cycle == static_pj(1, cfg) == t.static_of(1)
    assert t.static_of(8) == pytest.approx(static_pj(1, cfg, imas=8), rel=1e-12)
    assert t.ima_idle_pj == EnergyParams().ima_idle_pj > 0
    with pytest.raises(ValueError, match="net"):
        study.net_layers("alexnet")
    with pytest.raises(ValueError, match="cost table"):
        study.run_point(study.Point("resnet18", 0, "order", "loose", "static"), t)


def test_fc_sum_of_partials_is_per_output():
    """An fc split over row pieces on the IMA: the cores' sum of partials costs per output byte
    (fastmodel.layer_phases gives the kernel an HWC (1, 1, C_out) view; a flat (C_out,) buffer
    made the kernel read C_out pixels of C_out channels -- C_out^2 bytes)."""
    from hw.config import preset
    from sim_models.fastmodel import layer_cost
    from sim_models.swcost import sw_cost
    cfg = preset("jetcas2022")
    fc = next(lay for lay in study.net_layers("mobilenetv2") if lay.kind == "fc")
    assert fc.xbar_shape == (1280, 1000)                       # 5 row pieces of 256
    want = sw_cost(cfg.sw_cost).add_partials(1000, 5)         # 1000 bytes x (2*5 + 4) + call
    got = layer_cost(fc, "ima", cfg, 1).phases["fc.sum"]
    assert want <= got <= want + 100, (got, want)


def test_points_pay_their_imas_idle_cycles_and_static_power():
    """run_point charges each IMA of the point (a bin with tiles: 1 loose, 8 tight at T = 16, 4
    tight at T = 4 on 8 cores) its idle cycles at the table's ``ima_idle_pj`` and its analog
    core's static power, as energy_report(imas=K) does on the RTL: against a table without them,
    the energy grows by ``ima_idle_pj * (K * cycles - IMA busy cycles)`` plus ``(K - 1) x`` one
    analog core's static energy (by hand from the row's ``ima_util``), nothing else changes."""
    import dataclasses

    from hw.config import preset
    cfg = preset("jetcas2022")
    t = study.cost_table("mobilenetv1", cfg, "jetcas2022")
    bare = dataclasses.replace(t, ima_idle_pj=0.0)
    hot = dataclasses.replace(t, ima_static_pj_per_cycle=3.0)
    for coupling, tiles, imas in (("tight", 16, 8), ("tight", 4, 4), ("loose", 16, 1)):
        pt = study.Point("mobilenetv1", tiles, "order", coupling, "static", images=1)
        a, b, c = study.run_point(pt, bare), study.run_point(pt, t), study.run_point(pt, hot)
        assert a["cycles"] == b["cycles"] == c["cycles"]
        assert a["baseline_energy_uj"] == b["baseline_energy_uj"] == c["baseline_energy_uj"]
        n_ima = 8 if coupling == "tight" else 1
        busy = b["ima_util"] * n_ima * b["cycles"]
        assert 0 < busy < imas * b["cycles"]
        assert b["energy_uj"] - a["energy_uj"] == pytest.approx(
            t.ima_idle_pj * (imas * b["cycles"] - busy) * 1e-6, rel=1e-6)
        assert c["energy_uj"] - b["energy_uj"] == pytest.approx(
            (imas - 1) * 3.0 * b["cycles"] * 1e-6, rel=1e-6, abs=1e-12)
