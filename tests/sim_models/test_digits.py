"""sim_models.nets.digits: the seeded numpy training is bit-reproducible, its hand-written
backward pass matches finite differences, the committed weights file is what the script's
quantisation gives, and the accuracies reported in docs/accuracy.md are pinned.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import hashlib

import numpy as np
import pytest

from sim_models.graph import run_golden
from sim_models.nets import digits
from tb.build.runner import pick_seed


@pytest.fixture(scope="module")
def data():
    return digits.load_data()


def test_split(data):
    assert data.x_train.shape == (1437, 8, 8, 1) and data.x_test.shape == (360, 8, 8, 1)
    assert data.x_train.dtype == np.uint8 and data.x_train.max() == 255
    assert sorted(np.bincount(data.y_test))[0] >= 35           # stratified: ~36 per class


def test_training_is_bit_reproducible(data, tmp_path):
    seed = pick_seed()
    digests = []
    for s in (seed, seed, seed + 1):
        params = digits.train(s, epochs=2, qat_epochs=1, data=data)
        graph = digits.quantise(params, data.x_train[:200])
        digests.append(digits.save(tmp_path / f"w{len(digests)}.npz", params, graph, s))
    assert digests[0] == digests[1] != digests[2]
    assert hashlib.sha256((tmp_path / "w0.npz").read_bytes()).hexdigest() == digests[0]


def test_backward_matches_finite_differences(data):
    seed = pick_seed()
    rng = np.random.default_rng(seed)
    params = digits.init_params(seed)
    idx = rng.choice(len(data.y_train), 6, replace=False)
    x, y = data.x_train[idx], data.y_train[idx]
    _, grads = digits._grads(params, x, y, quant=False)

    def loss(p):
        lg = digits.forward(p, x)
        lg = lg - lg.max(axis=1, keepdims=True)
        return float((np.log(np.exp(lg).sum(axis=1)) - lg[np.arange(len(y)), y]).mean())
    for name in params:
        for _ in range(4):
            i = tuple(int(rng.integers(n)) for n in params[name].shape)
            p1 = {k: v.copy() for k, v in params.items()}
            p2 = {k: v.copy() for k, v in params.items()}
            p1[name][i] += 1e-6
            p2[name][i] -= 1e-6
            num = (loss(p1) - loss(p2)) / 2e-6
            assert grads[name][i] == pytest.approx(num, rel=1e-4, abs=1e-7), (name, i)


def test_committed_file_is_the_quantised_trained_net(data):
    params, graph = digits.load_params(), digits.load_graph()
    again = digits.quantise(params, data.x_train)
    for a, b in zip(graph.layers, again.layers, strict=True):
        assert a.name == b.name and a.kind == b.kind and a.w_bits == b.w_bits
        assert np.array_equal(a.weights, b.weights) and a.adc == b.adc, a.name
    assert [(lay.kind, lay.w_bits) for lay in graph.layers] == [
        ("conv", 4), ("depthwise", 8), ("pointwise", 4), ("fc", 4)]
    for lay in graph.layers:          # the grids are used in full, the ADC is a 16-bit multiplier
        assert np.abs(lay.weights).max() == (7 if lay.w_bits == 4 else 127)
        assert 0 < lay.adc[0] < 1 << 15 and 0 <= lay.adc[1] <= 31


def test_reported_accuracies(data):
    """The figures of docs/accuracy.md (seed 0): float 98.33 %, integer 97.78 %."""
    params, graph = digits.load_params(), digits.load_graph()
    assert digits.float_accuracy(params, data.x_test, data.y_test) == pytest.approx(354 / 360)
    pred = [run_golden(graph, xi).tensors["fc"].argmax() for xi in data.x_test]
    assert np.mean(np.array(pred) == data.y_test) == pytest.approx(352 / 360)


@pytest.mark.parametrize("kw, msg", [(dict(epochs=0), "epochs must be"),
                                     (dict(epochs=2, qat_epochs=3), "qat_epochs must be")])
def test_train_rejects(data, kw, msg):
    with pytest.raises(ValueError, match=msg):
        digits.train(0, data=data, **kw)


def test_script(tmp_path, capsys):
    out = tmp_path / "w.npz"
    assert digits.main(["--seed", "3", "--epochs", "1", "--qat-epochs", "0", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy: float" in text and "integer model" in text and str(out) in text
    assert [lay.name for lay in digits.load_graph(out).layers] == ["conv", "dw", "pw", "fc"]


@pytest.mark.parametrize("args, msg", [(["--epochs", "0"], "epochs must be"),
                                       (["-o", "no/such/dir/w.npz"], "no such directory")])
def test_script_rejects(tmp_path, capsys, monkeypatch, args, msg):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        digits.main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
