"""Tests of sim_models.crossbar: ideal MVM bit-exactness, error cases, PCM noise statistics.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sim_models.crossbar import Crossbar, adc_transfer, latency_cycles

SEED = int(os.environ.get("IMA_SEED", "20240611"))
MAX_EXAMPLES = 60


@pytest.fixture
def rng():
    print(f"IMA_SEED={SEED}")
    return np.random.default_rng(SEED)


def _ref_adc(acc, m, s, lo, hi):
    """Independent scalar reference of the docs/spec.md ADC transfer (Python ints)."""
    v = acc * m + (2 ** (s - 1) if s else 0)
    return min(max(v // 2 ** s, lo), hi)


# --------------------------------------------------------------------- ideal mode
def test_latency_cycles():
    """The one MVM-latency formula (hw.config.ImaConfig.mvm_cycles calls it): the reference
    point (70 ns at 250 MHz, AICAS 2021) and JETCAS 2022's (130 ns at 500 MHz)."""
    assert latency_cycles(250e6, 70.0) == 18
    assert latency_cycles(500e6, 130.0) == 65
    assert latency_cycles(100e6, 70) == 7
    assert latency_cycles(250e6, 68) == 17


@pytest.mark.parametrize("acc,m,s,expect", [
    (3, 1, 0, 3), (3, 1, 1, 2), (-3, 1, 1, -1), (-4, 1, 2, -1), (-5, 1, 2, -1), (-6, 1, 2, -1),
    (-7, 1, 2, -2), (1000, 3, 4, 188), (10**7, 2**15 - 1, 31, 153), (-1000, -1, 0, 255)])
def test_adc_transfer_edges(acc, m, s, expect):
    assert adc_transfer(acc, m, s, -(1 << 40), 1 << 40) == _ref_adc(acc, m, s, -(1 << 40), 1 << 40)
    assert adc_transfer(acc, m, s, -128, 255) == expect


def test_ideal_mvm_property(record_property):
    count = 0

    @settings(max_examples=MAX_EXAMPLES, deadline=None)
    @seed(SEED)
    @given(st.data())
    def prop(data):
        nonlocal count
        count += 1
        rows, cols = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 40))
        h, w = data.draw(st.integers(1, rows)), data.draw(st.integers(1, cols))
        r, c = data.draw(st.integers(0, rows - h)), data.draw(st.integers(0, cols - w))
        m = data.draw(st.integers(-(1 << 15), (1 << 15) - 1))
        s = data.draw(st.integers(0, 31))
        lo, hi = data.draw(st.sampled_from([(0, 255), (-128, 127)]))
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
        wts = rng.integers(-7, 8, size=(rows, cols))
        x = rng.integers(0, 256, size=h, dtype=np.uint8)
        xb = Crossbar(rows, cols)
        xb.program(0, 0, wts)
        y = xb.mvm(x, r, c, h, w, m, s, lo, hi)
        for j in range(w):
            acc = sum(int(wts[r + i, c + j]) * int(x[i]) for i in range(h))
            assert y[j] == _ref_adc(acc, m, s, lo, hi)
    prop()
    print(f"ideal mvm: {count} hypothesis examples, seed {SEED}")
    record_property("hypothesis_examples", count)


def test_program_windows_and_readback():
    xb = Crossbar(8, 8)
    xb.program(2, 3, np.array([[3, -2], [0, 7]], dtype=np.int8))
    assert xb.read_conductance(2, 3, "+") == pytest.approx(3 * 25.0 / 7)
    assert xb.read_conductance(2, 3, "-") == 0.0
    assert xb.read_conductance(2, 4, "-") == pytest.approx(2 * 25.0 / 7)
    assert xb.read_conductance(3, 4, "+") == pytest.approx(25.0)
    assert xb.weights[2:4, 3:5].tolist() == [[3, -2], [0, 7]]
    assert xb.devices_programmed == 8


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize("w,msg", [
    (np.array([[1, -8]]), "-8"), (np.array([[8]]), "outside"), (np.array([[1.0]]), "integer dtype"),
    (np.array([1, 2]), "2D")])
def test_program_rejects_bad_weights(w, msg):
    with pytest.raises(ValueError, match=msg):
        Crossbar(4, 4).program(0, 0, w)


@pytest.mark.parametrize("row,col,shape", [(3, 0, (2, 1)), (0, 3, (1, 2)), (-1, 0, (1, 1))])
def test_program_rejects_window_off_array(row, col, shape):
    with pytest.raises(ValueError, match="off the 4x4 array"):
        Crossbar(4, 4).program(row, col, np.zeros(shape, dtype=np.int8))


def test_mvm_rejects_bad_inputs():
    xb = Crossbar(4, 4)
    with pytest.raises(ValueError, match="uint8"):
        xb.mvm(np.zeros(2, dtype=np.int64), 0, 0, 2, 2)
    with pytest.raises(ValueError, match="shape"):
        xb.mvm(np.zeros(3, dtype=np.uint8), 0, 0, 2, 2)
    with pytest.raises(ValueError, match="off the"):
        xb.mvm(np.zeros(2, dtype=np.uint8), 3, 0, 2, 2)
    with pytest.raises(ValueError, match="shift"):
        xb.mvm(np.zeros(2, dtype=np.uint8), 0, 0, 2, 2, 1, 32)
    with pytest.raises(ValueError, match="16-bit"):
        xb.mvm(np.zeros(2, dtype=np.uint8), 0, 0, 2, 2, 1 << 15, 0)
    with pytest.raises(ValueError, match="which"):
        xb.read_conductance(0, 0, "x")
    with pytest.raises(ValueError, match="rows"):
        Crossbar(0, 4)


# --------------------------------------------------------------------- PCM statistics
N = 256


def _uniform(weight, **kw):
    xb = Crossbar(N, N, ideal=False, seed=SEED, **kw)
    xb.program(0, 0, np.full((N, N), weight, dtype=np.int8))
    return xb


def _sig_prog(g):
    """aihwkit PCMLikeNoiseModel programming std (uS), g_max = 25 uS, written out again."""
    return 0.26348 + 1.9650 * (g / 25.0) - 1.1731 * (g / 25.0) ** 2


@pytest.mark.parametrize("weight", [7, 3, 1])
def test_programming_noise_statistics(weight):
    print(f"IMA_SEED={SEED}")
    g_t = weight * 25.0 / 7
    xb = _uniform(weight, read_noise_scale=0.0)
    g = xb.conductance_map("+", read_noise=False).ravel()
    sig = _sig_prog(g_t)
    n = g.size
    assert abs(g.mean() - g_t) < 5 * sig / math.sqrt(n)
    assert g.std() == pytest.approx(sig, rel=5 * math.sqrt(1 / (2 * n)) + 1e-3)


@pytest.mark.parametrize("weight", [7, 1])
def test_drift_exponent_statistics(weight):
    print(f"IMA_SEED={SEED}")
    gr = weight / 7
    mu = min(max(-0.0155 * math.log(gr) + 0.0244, 0.049), 0.1)
    sig = min(max(-0.0125 * math.log(gr) - 0.0059, 0.008), 0.045)
    xb = _uniform(weight, prog_noise_scale=0.0, read_noise_scale=0.0, t_inference=3600.0)
    nu = xb.drift_exponent_map("+").ravel()
    n = nu.size
    assert abs(nu.mean() - mu) < 5 * sig / math.sqrt(n) + 1e-4   # |.| folding bias < 1e-4 here
    assert nu.std() == pytest.approx(sig, rel=0.03)
    # and the drift law G(t) = G0 (t/t0)^-nu with t = t_inference + t0
    g = xb.conductance_map("+", read_noise=False).ravel()
    nu_back = -np.log(g / (weight * 25.0 / 7)) / math.log((3600.0 + 20.0) / 20.0)
    np.testing.assert_allclose(nu_back, nu, rtol=1e-9)


def test_read_noise_statistics():
    print(f"IMA_SEED={SEED}")
    xb = _uniform(7, prog_noise_scale=0.0, drift_scale=0.0, t_inference=100.0)
    g = xb.conductance_map("+").ravel()
    q = min(0.0088 / max(1.0 ** 0.65, 1e-3), 0.2)
    expect = q * math.sqrt(math.log((100.0 + 20.0 + 250e-9) / (2 * 250e-9)))
    rel = g / 25.0 - 1
    assert abs(rel.mean()) < 5 * expect / math.sqrt(rel.size)
    assert rel.std() == pytest.approx(expect, rel=0.03)


def test_global_drift_compensation():
    t = 1e6
    plain = _uniform(7, t_inference=t, read_noise_scale=0.0)
    comp = _uniform(7, t_inference=t, read_noise_scale=0.0, drift_compensation=True)
    w_plain = plain.effective_weights(0, 0, N, N).mean()
    w_comp = comp.effective_weights(0, 0, N, N).mean()
    assert w_plain < 0.7 * 7                       # (5e4)^-0.049 ~ 0.59
    assert w_comp == pytest.approx(7 * (1 + 0.0), rel=0.02)


def test_adc_offset_exact_without_pcm_noise():
    kw = dict(prog_noise_scale=0.0, read_noise_scale=0.0, drift_scale=0.0, adc_offset=2.0)
    xb = Crossbar(16, 16, ideal=False, seed=SEED, **kw)
    ideal = Crossbar(16, 16)
    rng = np.random.default_rng(SEED)
    w = rng.integers(-7, 8, size=(16, 16))
    xb.program(0, 0, w)
    ideal.program(0, 0, w)
    x = rng.integers(0, 256, 16, dtype=np.uint8)
    big = dict(m=1, s=4, lo=-128, hi=255)
    y0 = adc_transfer(x.astype(np.int64) @ ideal.weights.astype(np.int64), 1, 4,
                      -(1 << 40), 1 << 40)                  # unclamped
    assert (xb.mvm(x, 0, 0, 16, 16, **big) == np.clip(y0 + 2, -128, 255)).all()


def test_nonideal_mvm_error_is_bounded_and_seeded():
    print(f"IMA_SEED={SEED}")
    rng = np.random.default_rng(SEED)
    w = rng.integers(-7, 8, size=(128, 64))
    x = rng.integers(0, 256, size=(200, 128), dtype=np.uint8)
    acc = x.astype(np.int64) @ w
    s = 8
    m = int(round(127 * 2 ** s / np.abs(acc).max()))
    outs = []
    for _ in range(2):
        xb = Crossbar(128, 64, ideal=False, seed=SEED, t_inference=3600.0,
                      drift_compensation=True, adc_noise=0.5)
        xb.program(0, 0, w)
        outs.append(np.stack([xb.mvm(v, 0, 0, 128, 64, m, s, -128, 127) for v in x]))
    ref = np.clip((acc * m + 2 ** (s - 1)) >> s, -128, 127)
    err = outs[0] - ref
    assert (outs[0] == outs[1]).all()              # same seed, same result
    assert np.abs(err).max() > 0                   # noise is present
    assert np.sqrt((err.astype(float) ** 2).mean()) < 0.15 * ref.std()


# --------------------------------------------------------------------- frozen read, batches
def test_freeze_holds_one_read_until_thaw_or_program():
    print(f"IMA_SEED={SEED}")
    xb = _uniform(7, prog_noise_scale=0.0, t_inference=3600.0)
    xb.freeze()
    assert xb.frozen
    g = xb.conductance_map("+")
    assert (xb.conductance_map("+") == g).all()                 # no fresh read noise
    assert xb.read_conductance(3, 5, "+") == g[3, 5]
    # the frozen read is one draw of the read-noise law (same check as test_read_noise_statistics)
    drifted = xb.conductance_map("+", read_noise=False)
    q = min(0.0088 / max(1.0 ** 0.65, 1e-3), 0.2)
    expect = q * math.sqrt(math.log((3600.0 + 20.0 + 250e-9) / (2 * 250e-9)))
    rel = (g / drifted - 1).ravel()
    assert abs(rel.mean()) < 5 * expect / math.sqrt(rel.size)
    assert rel.std() == pytest.approx(expect, rel=0.03)
    xb.thaw()
    assert not xb.frozen and (xb.conductance_map("+") != g).any()
    xb.freeze()
    xb.program(0, 0, np.full((2, 2), 3))
    assert not xb.frozen


def test_freeze_keeps_the_compensation_of_its_time():
    xb = _uniform(7, t_inference=1e6, read_noise_scale=0.0, drift_compensation=True)
    alpha = xb.compensation_factor()
    xb.freeze()
    xb.t_inference = 1.0                      # takes effect at the next freeze only
    assert xb.compensation_factor() == alpha
    xb.freeze()
    assert xb.compensation_factor() < alpha


@pytest.mark.parametrize("mode", ["ideal", "per_read", "frozen"])
def test_batched_mvm_equals_calls_in_a_row(mode):
    print(f"IMA_SEED={SEED}")
    rng = np.random.default_rng(SEED)
    w = rng.integers(-7, 8, size=(40, 12))
    x = rng.integers(0, 256, size=(30, 40), dtype=np.uint8)
    adc = (3, 9, -128, 127)
    outs = []
    for batched in (True, False):
        kw = {} if mode == "ideal" else dict(ideal=False, seed=SEED, t_inference=86400.0,
                                              adc_noise=0.7, drift_compensation=True)
        xb = Crossbar(48, 16, **kw)
        xb.program(5, 2, w)
        if mode == "frozen":
            xb.freeze()
        y = xb.mvm(x, 5, 2, 40, 12, *adc) if batched else \
            np.stack([xb.mvm(v, 5, 2, 40, 12, *adc) for v in x])
        outs.append(y)
    assert outs[0].shape == (30, 12)
    assert (outs[0] == outs[1]).all()
    if mode == "ideal":
        ref = np.clip((x.astype(np.int64) @ w * 3 + 256) >> 9, -128, 127)
        assert (outs[0] == ref).all()


def test_mvm_rejects_a_batch_of_the_wrong_height():
    xb = Crossbar(8, 8)
    with pytest.raises(ValueError, match=r"shape \(8,\) or \(n, 8\)"):
        xb.mvm(np.zeros((3, 7), dtype=np.uint8), 0, 0, 8, 8)
    with pytest.raises(ValueError, match="shape"):
        xb.mvm(np.zeros((2, 3, 8), dtype=np.uint8), 0, 0, 8, 8)
