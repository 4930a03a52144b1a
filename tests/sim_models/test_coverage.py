"""Placement on under-provisioned tiles (sim_models/coverage.py): hand-computed cases.

The network of every case (shape-only layers, 256 x 256 tiles), in network order:

====  =========================================  ===========  ======  ======  ============
name  layer                                      rows x cols  tiles   params  MACs/weight
====  =========================================  ===========  ======  ======  ============
B     pointwise 300 -> 300 on 4 x 4              300 x 300    2x2=4   90000   16
A     conv 3x3 64 -> 64 on 8 x 8 (pad 1)         576 x 64     3x1=3   36864   64
C     fc 512 -> 10                               512 x 10     2x1=2   5120    1
D     depth-wise 3x3 on 8 x 8 x 64               (no tile)    --      576     --
====  =========================================  ===========  ======  ======  ============

All parameters: 90000 + 36864 + 5120 + 576 = 132560.
"""

import pytest

from sim_models import coverage
from sim_models.graph import Layer

ADC = (1, 0, 0, 255)
TOTAL = 132560


def _net():
    return [
        Layer("B", "pointwise", ("input",), (4, 4, 300), (4, 4, 300), adc=ADC, shape_only=True),
        Layer("A", "conv", ("B",), (8, 8, 64), (8, 8, 64), adc=ADC, kernel=3, pad=1, shape_only=True),
        Layer("C", "fc", ("A",), (1, 1, 512), (1, 1, 10), adc=ADC, shape_only=True),
        Layer("D", "depthwise", ("C",), (8, 8, 64), (8, 8, 64), adc=ADC, kernel=3, pad=1, w_bits=8,
              shape_only=True),
    ]


def _placed(pl):
    return sorted((u.layer, u.col0, pl.assigned[u.key]) for u in pl.placed)


def test_units_tiles_and_params():
    us = coverage.units(_net())
    assert [(u.layer, u.rows, u.cols, u.tiles, u.params) for u in us] == [
        ("B", 300, 300, 4, 90000), ("A", 576, 64, 3, 36864), ("C", 512, 10, 2, 5120)]
    assert [u.macs // u.params for u in us] == [16, 64, 1]
    assert coverage.total_params(_net()) == TOTAL
    assert coverage.tiles_for_full_coverage(_net()) == 9
    # column slabs: B is 256 + 44 output channels, 2 row tiles each
    cs = coverage.units(_net(), "columns")
    assert [(u.layer, u.col0, u.cols, u.tiles, u.params) for u in cs] == [
        ("B", 0, 256, 2, 76800), ("B", 256, 44, 2, 13200), ("A", 0, 64, 3, 36864),
        ("C", 0, 10, 2, 5120)]


@pytest.mark.parametrize("policy, tiles, want", [
    ("order", 4, [("B", 0, 0)]),                        # B first in network order fills the pool
    ("macs_per_weight", 4, [("A", 0, 0)]),              # A (64/weight) first; C needs 2, 1 left
    ("macs_per_weight", 5, [("A", 0, 0), ("C", 0, 0)]),
    ("order", 6, [("B", 0, 0), ("C", 0, 0)]),           # A (3) does not fit in the 2 left
    ("order", 9, [("A", 0, 0), ("B", 0, 0), ("C", 0, 0)]),
    ("order", 0, []),
])
def test_greedy_policies_loose(policy, tiles, want):
    pl = coverage.place(_net(), tiles, policy)
    assert _placed(pl) == want
    assert pl.coverage == pytest.approx(sum(u.params for u in pl.placed) / TOTAL)
    assert pl.tiles_used <= tiles


def test_coverage_figures():
    pl = coverage.place(_net(), 5, "macs_per_weight")
    assert pl.params_on_tiles == 36864 + 5120
    assert pl.coverage == pytest.approx(41984 / 132560)
    assert coverage.place(_net(), 9, "order").coverage == pytest.approx(131984 / 132560)


def test_tight_coupling_splits_the_tiles_over_the_cores():
    assert coverage.bins(10, "tight", 8) == [2, 2, 1, 1, 1, 1, 1, 1]
    assert coverage.bins(10, "loose", 8) == [10]
    # 8 tiles = 1 per core: no unit fits one core's tiles (the pool of 8 holds A, then B)
    assert _placed(coverage.place(_net(), 8, "macs_per_weight", coupling="tight")) == []
    assert _placed(coverage.place(_net(), 8, "macs_per_weight")) == [("A", 0, 0), ("B", 0, 0)]
    # 16 tiles = 2 per core: only the 2-tile C fits a core
    assert _placed(coverage.place(_net(), 16, "macs_per_weight", coupling="tight")) == [("C", 0, 0)]
    # column slabs of B fit too; each unit to the core with the most free tiles (lowest index)
    pl = coverage.place(_net(), 16, "macs_per_weight", coupling="tight", granularity="columns")
    assert _placed(pl) == [("B", 0, 0), ("B", 256, 1), ("C", 0, 2)]
    assert pl.coverage == pytest.approx((90000 + 5120) / TOTAL)
    assert [pl.used(b) for b in range(8)] == [2, 2, 2, 0, 0, 0, 0, 0]


def test_knapsack_maximises_the_value():
    value = {"A": 5.0, "B": 9.0, "C": 2.0}
    pl = coverage.place(_net(), 5, "knapsack", value=lambda u: value[u.layer])
    assert _placed(pl) == [("B", 0, 0)]                 # 9 > A + C = 7 (what MACs/weight takes)
    pl = coverage.place(_net(), 6, "knapsack", value=lambda u: value[u.layer])
    assert _placed(pl) == [("B", 0, 0), ("C", 0, 0)]   # 11 > A + C = 7
    # a unit that saves nothing (value <= 0) stays in software even with room to spare
    value["C"] = -1.0
    assert _placed(coverage.place(_net(), 9, "knapsack", value=lambda u: value[u.layer])) == \
        [("A", 0, 0), ("B", 0, 0)]


@pytest.mark.parametrize("kw, needle", [
    (dict(policy="random"), "policy"), (dict(coupling="medium"), "coupling"),
    (dict(tiles=-1), "tiles"), (dict(policy="knapsack"), "value"),
    (dict(granularity="rows"), "granularity"), (dict(cores=0), "cores"),
])
def test_bad_parameters_name_themselves(kw, needle):
    args = dict(tiles=4, policy="order")
    args.update(kw)
    with pytest.raises(ValueError, match=needle):
        coverage.place(_net(), args.pop("tiles"), args.pop("policy"), **args)
