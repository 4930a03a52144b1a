"""sim_models/swcost.py: the software cost sets -- PULP-NN's (unchanged) and Garofalo et al.'s
measured depth-wise (JETCAS 2022, Sec. IV-C: 29.7 MAC/cycle = 26x the software)."""

import math

import pytest

from sim_models.swcost import (
    DEFAULT_COST,
    DEFAULT_SW_COST,
    GAROFALO2022_DW_MAC_PER_CYCLE,
    SW_COSTS,
    SwCost,
    differences,
    sw_cost,
)


def test_pulpnn_set_is_todays():
    c = sw_cost("pulpnn")
    assert c is DEFAULT_COST is SW_COSTS[DEFAULT_SW_COST]
    assert c.depthwise(100, 3) == 100 * 13 + 50                   # 2K + 7 per output, + the call
    assert c.dw_cycles_per_output(3) == 13
    assert c.matmul(2200) == 1000 + 50 and c.hwc2chw(4) == 9 + 50 and c.residual(2) == 10 + 50


def test_garofalo2022_depthwise_is_the_papers_measurement():
    """29.7 / 26 MAC/cycle on 8 cores: 0.1428 MAC/cycle per core, 63 cycles per 3x3 output."""
    c = sw_cost("garofalo2022")
    assert GAROFALO2022_DW_MAC_PER_CYCLE == pytest.approx(1.1423, abs=1e-4)
    assert c.dw_mac_per_cycle == pytest.approx(29.7 / 26 / 8)
    assert c.dw_cycles_per_output(3) == pytest.approx(63.03, abs=0.01)
    assert c.depthwise(1000, 3) == math.ceil(9000 / (29.7 / 26 / 8)) + 50
    # 8 cores, each on 1/8 of the outputs: the layer runs at the paper's 1.14 MAC/cycle
    outputs = 16 * 16 * 192
    assert outputs * 9 / c.depthwise(outputs // 8, 3) == pytest.approx(29.7 / 26, rel=0.01)


def test_the_sets_differ_only_in_the_measured_constant():
    assert differences(sw_cost("pulpnn"), sw_cost("garofalo2022")) == {
        "dw_mac_per_cycle": (None, pytest.approx(29.7 / 26 / 8))}
    assert differences(DEFAULT_COST, DEFAULT_COST) == {}


def test_bad_names_and_values():
    with pytest.raises(ValueError, match="sw_cost must be one of pulpnn, garofalo2022, not 'x'"):
        sw_cost("x")
    with pytest.raises(ValueError, match="barrier_cycles"):
        SwCost(barrier_cycles=-1)
    with pytest.raises(ValueError, match="dw_mac_per_cycle"):
        SwCost(dw_mac_per_cycle=0.0)


def test_network_kernels_costs():
    """The derived instruction counts of the network kernels (tb/bfm/kernels.py), in both sets,
    call overhead included."""
    for c in (sw_cost("pulpnn"), sw_cost("garofalo2022")):
        assert c.avgpool(49 * 160, 160) == 2 * 49 * 160 + 5 * 160 + 50
        assert c.add_partials(100, 3) == 100 * (2 * 3 + 4) + 50
        assert c.add_partials(0, 5) == 50
        assert c.zero_fill(100, 5) == 25 + 2 * 5 + 50 and c.zero_fill(3, 1) == 1 + 2 + 50
    with pytest.raises(ValueError, match="zero_bytes_per_cycle"):
        SwCost(zero_bytes_per_cycle=0.0)


def test_maxpool_and_concat_costs_by_hand():
    """Max pool: per word of 4 outputs 9 p.lw + 8 pv.maxu.b + 1 p.sw = 18 cycles (3x3), 8 (2x2);
    concatenation: 0.5 cycles per byte + 2 per run; both plus the 50-cycle call."""
    c = DEFAULT_COST
    assert c.maxpool(10, 3) == 3 * 18 + 50 and c.maxpool(8, 2) == 2 * 8 + 50 and c.maxpool(0, 3) == 50
    assert c.concat(100, 8) == 50 + 16 + 50 and c.concat(3, 1) == 2 + 2 + 50
    assert sw_cost("garofalo2022").maxpool(10, 3) == c.maxpool(10, 3)
    with pytest.raises(ValueError, match="maxpool_lanes"):
        SwCost(maxpool_lanes=0)
