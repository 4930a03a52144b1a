"""tb/env/cluster.py on the host side: :func:`check_crossbars`, the guard of
``ClusterEnv.use_crossbars`` -- the crossbars handed to the analog core model must hold the weights
the cluster programmed, and every MVM on them must be reproducible (ideal, or frozen without ADC
noise). The swap itself runs in tests/tb/cli/test_accuracy.py (``--rtl``)."""

import pickle
import re

import numpy as np
import pytest

from sim_models.crossbar import Crossbar
from tb.env.cluster import check_crossbars

W = np.arange(-6, 6, dtype=np.int8).reshape(3, 4) % 8


def _xbar(**kw):
    xb = Crossbar(8, 8, **kw)
    xb.program(1, 2, W)
    return xb


def test_accepts_ideal_and_frozen_noisy():
    programmed = [_xbar()]
    check_crossbars(programmed, [_xbar()])
    noisy = _xbar(ideal=False, seed=3, t_inference=86400.0)
    noisy.freeze()
    check_crossbars(programmed, [noisy])


def test_frozen_mvm_is_reproducible_across_a_pickle():
    """What the RTL comparison relies on: a frozen crossbar sent to the simulator process gives
    the same ADC outputs as the host's, in any order and any number of times."""
    xb = _xbar(ideal=False, seed=5, t_inference=365 * 86400.0)
    xb.freeze()
    copy = pickle.loads(pickle.dumps(xb))
    rng = np.random.default_rng(0)
    xs = rng.integers(0, 256, (20, 3), dtype=np.uint8)
    a = [xb.mvm(x, 1, 2, 3, 4, 3, 4, -128, 127) for x in xs]
    b = [copy.mvm(x, 1, 2, 3, 4, 3, 4, -128, 127) for x in xs[::-1]][::-1]
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    thawed = _xbar(ideal=False, seed=5, t_inference=365 * 86400.0)    # fresh draws per read
    assert any(not np.array_equal(thawed.mvm(xs[0], 1, 2, 3, 4, 3, 4, -128, 127),
                                  thawed.mvm(xs[0], 1, 2, 3, 4, 3, 4, -128, 127)) for _ in range(20))


@pytest.mark.parametrize("case, msg", [
    ("count", "xbars must hold 1 crossbar(s), not 2"),
    ("size", "xbars[0] is 4x8, the cluster's array 8x8"),
    ("thawed", "xbars[0] must be ideal or frozen without ADC noise"),
    ("adc_noise", "xbars[0] must be ideal or frozen without ADC noise"),
    ("weights", "xbars[0] holds other weights than the cluster programmed (1 cells differ)"),
])
def test_refuses(case, msg):
    programmed = [_xbar()]
    if case == "count":
        given = [_xbar(), _xbar()]
    elif case == "size":
        given = [Crossbar(4, 8)]
    elif case in ("thawed", "adc_noise"):
        xb = _xbar(ideal=False, seed=1, adc_noise=0.5 if case == "adc_noise" else 0.0)
        if case == "adc_noise":
            xb.freeze()
        given = [xb]
    else:
        xb = _xbar()
        xb.program(7, 7, np.ones((1, 1), dtype=np.int8))
        given = [xb]
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_crossbars(programmed, given)
