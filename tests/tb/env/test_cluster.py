"""tb/env/cluster.py on the host side: :func:`check_crossbars`, the guard of
``ClusterEnv.use_crossbars`` -- the crossbars handed to the analog core model must hold the weights
the cluster programmed, and every MVM on them must be reproducible (ideal, or frozen without ADC
noise). The swap itself runs in tests/tb/cli/test_accuracy.py (``--rtl``). And, on a fake test top,
``ClusterEnv.check_monitors`` with the RTL checkers: a reported rule break (injected) fails the run
with its rule, port and cycle, counters that differ from the interconnect's fail it, and the
``bfm`` / ``monitors`` options are refused by name when bad or unavailable on the top."""

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


class _Sig:
    """Stands in for a cocotb handle: ``dut[name]`` of a fake top and :func:`tb.bfm.sig.reader`."""

    def __init__(self, value=0):
        self.value = value

    def __len__(self):
        return 32


class _FakeTop(dict):
    def __missing__(self, name):
        self[name] = sig = _Sig()
        return sig


def _rtl_env(cfg, errors=None, counts=None):
    """A ClusterEnv on a fake test top whose RTL checkers report ``errors`` ({port index: bits})
    and ``counts`` ({port index: (granted, stalled)}); the interconnect counts the same grants."""
    from tb.env.cluster import ClusterEnv
    dut = _FakeTop()
    dut["eng_sel"] = _Sig()
    dut.cluster = dut
    dut.clk = _Sig()
    for j, (g, s) in (counts or {}).items():
        dut[f"chk__{j}__granted"].value, dut[f"chk__{j}__stalled"].value = g, s
        dut[f"tcdm_stat__granted__{cfg.n_cores + j}"].value = g
        dut[f"tcdm_stat__stalled__{cfg.n_cores + j}"].value = s
    for j, bits in (errors or {}).items():
        dut[f"chk__{j}__err"].value = bits
        dut[f"chk__{j}__first_cycle"].value = 1234
    return ClusterEnv(dut, cfg), dut


@pytest.fixture
def fake_reader(monkeypatch):
    import tb.env.cluster as env_mod
    monkeypatch.setattr(env_mod, "reader", lambda h: (lambda: h.value))


def test_rtl_checker_errors_fail_the_run(fake_reader):
    """A rule break reported by the RTL checker of IMA store port 1 fails check_monitors with
    the rule's name, the port and the cycle; a clean report with matching counters passes."""
    from hw.config import preset
    from hw.verif.checker import ERR_MISSING_RVALID
    cfg = preset().with_(ports=2)
    env, _ = _rtl_env(cfg, counts={0: (5, 2), 3: (7, 0)})
    assert env.monitor_kind == "rtl"
    env.check_monitors()
    env, _ = _rtl_env(cfg, errors={3: ERR_MISSING_RVALID})
    with pytest.raises(AssertionError, match=r"ima\.tcdm_store__1: missing r_valid .* cycle 1234"):
        env.check_monitors()


def test_rtl_checker_counts_must_match_the_interconnect(fake_reader):
    from hw.config import preset
    cfg = preset().with_(ports=2)
    env, dut = _rtl_env(cfg, counts={1: (9, 3)})
    dut[f"tcdm_stat__stalled__{cfg.n_cores + 1}"].value = 4
    with pytest.raises(AssertionError, match=r"rtl monitor saw 9 grants / 3 stall cycles, the RTL "
                                             r"counted 9 / 4 on master 9"):
        env.check_monitors()


def test_bad_bfm_and_monitors_options(fake_reader):
    from hw.config import preset
    from tb.env.cluster import ClusterEnv
    _, top = _rtl_env(preset())
    with pytest.raises(ValueError, match="bfm must be one of"):
        ClusterEnv(top, preset(), bfm="fast")
    with pytest.raises(ValueError, match="monitors must be"):
        ClusterEnv(top, preset(), bfm="python", monitors="verilog")
    bare = _Bare()                      # a bare Cluster top: no engines, no checkers
    bare.clk = _Sig()
    with pytest.raises(ValueError, match="bfm='engine' needs the cluster test top"):
        ClusterEnv(bare, preset())
    with pytest.raises(ValueError, match="monitors='rtl' needs the cluster test top"):
        ClusterEnv(bare, preset(), bfm="python", monitors="rtl")
    assert ClusterEnv(bare, preset(), bfm="python").monitor_kind == "python"


class _Bare(_FakeTop):
    """A top without ``eng_sel`` (what a bare Cluster build looks like to the env)."""

    def __getitem__(self, name):
        if name == "eng_sel":
            raise AttributeError(name)
        return super().__getitem__(name)
