"""sim_models.accuracy: the batched engine and the job-level executor on ideal and noisy
crossbars, the digits CNN's accuracy under PCM non-idealities, and the noise draws of its
programmed arrays against the cited equations (Nandakumar et al., ICECS 2019, via IBM aihwkit's
``PCMLikeNoiseModel``).

Small random graphs are seeded (printed, replay with ``IMA_SEED=<n>``). The digits study uses
the programming seeds 0..9 of the published table (docs/accuracy.md): those tests pin the
behaviour of that table; the random statistics of the draws are checked under a random seed in
``test_noise_draws_of_the_programmed_net`` and in test_crossbar.py.
"""

import math

import numpy as np
import pytest

from sim_models.accuracy import DRIFT_TIMES, AnalogNet, NoisePoint, default_points
from sim_models.graph import run_golden
from sim_models.nets import digits
from tb.build.runner import pick_seed

YEAR = DRIFT_TIMES[-1]


def small_net(net_builder, seed):
    """conv (27 rows x 40 cols: column tiles on 32x32 arrays), a pointwise with 40 rows (a row
    split), depth-wise, residual add, global pool and an fc on the IMA."""
    b = net_builder(np.random.default_rng(seed), (6, 6, 3), 32)
    b.add("conv", "conv", "input", cout=40, kernel=3, pad=1)
    b.add("pw", "pointwise", "conv", cout=40)
    b.add("dw", "depthwise", "pw", kernel=3, pad=1)
    b.add("res", "add", ("conv", "dw"))
    b.add("pool", "avgpool", "res", out_hw=(1, 1))
    b.add("fc", "fc", "pool", cout=10, signed=True)
    return b.graph(), b.x


def _images(seed, x0, n):
    rng = np.random.default_rng(seed + 1)
    return np.concatenate([x0[None], rng.integers(0, 256, (n - 1, *x0.shape), dtype=np.uint8)])


def test_ideal_engines_equal_golden(net_builder):
    seed = pick_seed()
    g, x0 = small_net(net_builder, seed)
    x = _images(seed, x0, 5)
    net = AnalogNet(g, 32, 32)
    assert net.arrays > 1 and any(lay.row_splits for lay in g.layers)
    xb = net.crossbars()
    batched, jobs = net.run(x, xb), net.run_jobs(x, xb)
    for i, xi in enumerate(x):
        ref = run_golden(g, xi).tensors
        for lay in g.layers:
            assert np.array_equal(batched[lay.name][i], ref[lay.name]), (lay.name, i)
            assert np.array_equal(jobs[lay.name][i], ref[lay.name]), (lay.name, i)
    assert len(np.unique(batched["fc"])) > 3                 # not saturated


def test_noisy_engines_agree_bit_for_bit(net_builder):
    seed = pick_seed()
    g, x0 = small_net(net_builder, seed)
    x = _images(seed, x0, 4)
    net = AnalogNet(g, 32, 32)
    xb = net.crossbars(seed, **NoisePoint("prog+read+drift", 86400.0, True).crossbar_kwargs())
    for c in xb:
        c.freeze()
    batched, jobs = net.run(x, xb), net.run_jobs(x, xb)
    for lay in g.layers:
        assert np.array_equal(batched[lay.name], jobs[lay.name]), lay.name
    gold = np.stack([run_golden(g, xi).tensors["conv"] for xi in x])
    assert (batched["conv"] != gold).any()                   # the noise is there


# ---------------------------------------------------------------- the digits CNN
@pytest.fixture(scope="module")
def dig():
    return digits.load_data(), AnalogNet(digits.load_graph())


def test_digits_ideal_crossbars_equal_the_integer_model(dig):
    data, net = dig
    ideal = net.logits(data.x_test, net.crossbars())
    assert np.array_equal(ideal, net.golden_logits(data.x_test))
    assert (ideal.argmax(axis=1) == data.y_test).mean() == pytest.approx(352 / 360)


def test_seed_replay(dig):
    data, net = dig
    x, y = data.x_test[:60], data.y_test[:60]
    kw = NoisePoint("prog+read+drift", 3600.0).crossbar_kwargs()
    runs = []
    for s in (4, 4, 5):
        xb = net.crossbars(s, **kw)
        for c in xb:
            c.freeze()
        runs.append(net.logits(x, xb))
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    pts = default_points()[:3]
    assert net.sweep(pts, x, y, [7, 8]) == net.sweep(pts, x, y, [7, 8])


@pytest.fixture(scope="module")
def drift_study(dig):
    """Per drift time (and at 1 year with compensation too): accuracy and RMS logit deviation
    from the ideal run, per programming seed 0..9, on all 360 test images."""
    data, net = dig
    ideal = net.logits(data.x_test, net.crossbars()).astype(float)
    out = {}
    for s in range(10):
        xb = net.crossbars(s, **NoisePoint("prog+read+drift", 1.0).crossbar_kwargs())
        for t in DRIFT_TIMES:
            for c in xb:
                c.t_inference = t
                c.freeze()
            for comp in (False, True) if t == YEAR else (False,):
                for c in xb:
                    c.drift_compensation = comp
                lg = net.logits(data.x_test, xb)
                out.setdefault((t, comp), []).append(
                    ((lg.argmax(axis=1) == data.y_test).mean(), np.sqrt(((lg - ideal) ** 2).mean())))
    return {k: np.array(v) for k, v in out.items()}


def test_drift_degrades_monotonically_in_time_on_average(drift_study):
    dev = [drift_study[(t, False)][:, 1].mean() for t in DRIFT_TIMES]
    acc = [drift_study[(t, False)][:, 0].mean() for t in DRIFT_TIMES]
    print("RMS logit deviation", dev, "accuracy", acc)
    assert all(b > a for a, b in zip(dev, dev[1:], strict=False))
    assert acc[-1] < acc[0] - 0.005


def test_compensation_improves_the_one_year_accuracy(drift_study):
    plain, comp = drift_study[(YEAR, False)], drift_study[(YEAR, True)]
    print("1 year: accuracy", plain[:, 0].mean(), "->", comp[:, 0].mean(),
          "; RMS logit deviation", plain[:, 1].mean(), "->", comp[:, 1].mean())
    assert comp[:, 0].mean() > plain[:, 0].mean() + 0.002
    assert comp[:, 1].mean() < 0.5 * plain[:, 1].mean()


def test_noise_draws_of_the_programmed_net(dig):
    """Programmed conductances of the digits net's array against the cited programming-noise
    law, per weight level (both devices of a pair): mean target, std ``sigma_prog(g)``; the zero
    devices are ``max(N(0, sigma_prog(0)), 0)``, mean ``sigma_prog(0) / sqrt(2 pi)``."""
    seed = pick_seed()
    _, net = dig
    xb = net.crossbars(seed, **NoisePoint("prog").crossbar_kwargs())[0]
    w = xb.weights
    used = np.zeros(w.shape, dtype=bool)
    for p in net.program.placements:
        used[p.row:p.row + p.height, p.col:p.col + p.width] = True
    gp, gm = xb.conductance_map("+", read_noise=False), xb.conductance_map("-", read_noise=False)
    g_on = np.concatenate([gp[used & (w > 0)], gm[used & (w < 0)]])
    lvl = np.concatenate([w[used & (w > 0)], -w[used & (w < 0)]]).astype(float)
    zero = np.concatenate([gm[used & (w >= 0)], gp[used & (w <= 0)]])

    def sig(g):                       # aihwkit PCMLikeNoiseModel, g_max 25 uS, written out again
        return 0.26348 + 1.9650 * (g / 25.0) - 1.1731 * (g / 25.0) ** 2
    checked = 0
    for k in range(1, 8):
        g = g_on[lvl == k]
        if g.size < 100:
            continue
        target = k * 25.0 / 7
        assert abs(g.mean() - target) < 5 * sig(target) / math.sqrt(g.size), k
        assert g.std() == pytest.approx(sig(target), rel=5 / math.sqrt(2 * g.size)), k
        checked += 1
    assert checked >= 3
    s0 = sig(0.0)
    assert abs(zero.mean() - s0 / math.sqrt(2 * math.pi)) < 5 * s0 / math.sqrt(zero.size)
    assert (zero >= 0).all() and (zero == 0).mean() == pytest.approx(0.5, abs=5 * 0.5 / math.sqrt(zero.size))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("kw, msg", [
    (dict(noise="drift"), "noise must be one of"),
    (dict(noise="prog", t_s=5.0), "no drift"),
    (dict(noise="prog+read+drift", t_s=-1.0), "t_s must be"),
    (dict(noise="prog+read+drift", t_s=float("inf")), "t_s must be"),
])
def test_noise_point_rejects(kw, msg):
    with pytest.raises(ValueError, match=msg):
        NoisePoint(**kw)


def test_analog_net_rejects(dig):
    data, net = dig
    xb = net.crossbars()
    with pytest.raises(ValueError, match="engine must be one of"):
        net.logits(data.x_test[:2], xb, engine="rtl")
    with pytest.raises(ValueError, match="xbars must hold 1"):
        net.logits(data.x_test[:2], xb * 2)
    with pytest.raises(ValueError, match="uint8 batch"):
        net.logits(data.x_test[:2].astype(np.int64), xb)
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        AnalogNet(net.graph, rows=0)
    with pytest.raises(ValueError, match="seeds must name"):
        net.sweep(default_points()[:1], data.x_test[:2], data.y_test[:2], [])
