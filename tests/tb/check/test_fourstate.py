"""Four-state simulation under Icarus Verilog (issue 17 item 5, docs/four-state.md).

Verilator is 2-state, so the monitors' X/Z checks (tb/check/monitor.py) assert nothing there.
Here the same testbenches run under Icarus with the checks on -- no X/Z on any TCDM request, on
a control, event or statistics output, or on a valid payload, from the cycle after reset -- and
the same runs under Verilator, with the same seed, must give identical outputs AND cycle counts:

- one IMA conv layer on :class:`tb.build.tops.ImaTestTop` (tb/cocotb_tests/fourstate.py),
  bit-exact against the golden model, TCDM image, phase counters, layer time, end cycle;
- one short cluster run (tb/cocotb_tests/cluster.py, a tiny bottleneck in HYBRID): the cores'
  loads and stores through the interconnect (depth-wise, layout, residual kernels) and core 0
  starting IMA jobs; cycles, phases, the IMA's counters, stalls, energy events, outputs;
- the checks bite: an X injected through the control port and an undriven address are reported.

The Verilator builds are the ones tests/hw/ima/test_ima.py (N = 4, 64 KiB) and
tests/hw/cluster/test_cluster.py (the default cluster) use. Icarus missing: these tests FAIL
(``make icarus`` installs it) unless ``IMA_NO_ICARUS=1``, which skips them.
"""

import os

import numpy as np
import pytest

from hw.config import preset
from tb.build.cluster import build_cluster
from tb.build.ima import build_ima_tb
from tb.build.runner import have_icarus, pick_seed, run

IMA_CFG = preset().with_(ports=4, tcdm_bytes=64 * 1024)       # tests/hw/ima/test_ima.py's N = 4
#: a tiny bottleneck in HYBRID: pointwise layers on the IMA (core 0 offloads), depth-wise, layout
#: change and residual on the 8 cores (their loads and stores through the interconnect)
CLUSTER_SPEC = dict(layer="bottleneck", mapping="HYBRID", h=2, w=2, cin=4, expand=2)


def require_icarus():
    """Fail (or, with IMA_NO_ICARUS=1, skip) when Icarus Verilog is not installed."""
    if have_icarus():
        return
    if os.environ.get("IMA_NO_ICARUS", "") == "1":
        pytest.skip("IMA_NO_ICARUS=1: four-state (Icarus) tests skipped")
    pytest.fail("Icarus Verilog (iverilog) is not installed: `make icarus` installs it "
                "(apt-get install iverilog); IMA_NO_ICARUS=1 skips the four-state tests",
                pytrace=False)


@pytest.fixture
def icarus():
    require_icarus()


def test_missing_icarus_fails_unless_skipped_explicitly(monkeypatch):
    """No silent skip: without Icarus the four-state tests fail with one line naming the fix."""
    monkeypatch.setitem(globals(), "have_icarus", lambda: False)
    monkeypatch.delenv("IMA_NO_ICARUS", raising=False)
    with pytest.raises(pytest.fail.Exception, match="Icarus Verilog .iverilog. is not installed"):
        require_icarus()
    monkeypatch.setenv("IMA_NO_ICARUS", "1")
    with pytest.raises(pytest.skip.Exception, match="IMA_NO_ICARUS=1"):
        require_icarus()


def _both(build, top, module, testcase, seed, config, options=None):
    """The same cocotb test, same seed, under Icarus then Verilator: the two results."""
    out = {}
    for sim in ("icarus", "verilator"):
        out[sim] = run(build(sim), top, module, seed=seed, testcase=testcase, config=config,
                       options=options)
    return out["icarus"], out["verilator"]


def _same_arrays(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), f"array {k!r} differs between Icarus and Verilator"


def test_ima_conv_four_state(icarus):
    seed = pick_seed()
    ic, vl = _both(lambda sim: build_ima_tb(IMA_CFG, simulator=sim)[0], "ima_tb",
                   "tb.cocotb_tests.fourstate", "conv_layer", seed, IMA_CFG)
    assert ic["four_state"] and not vl["four_state"]
    xz = ic.pop("xz")
    assert "xz" not in vl
    # the checks ran: every output of the list, every cycle from reset to the end, 10 TCDM ports
    assert xz["outputs"] >= 40 and xz["tcdm_ports"] == 2 * IMA_CFG.ima.ports + 2, xz
    assert xz["cycles"] >= ic["end_cycle"] - 5, xz
    for key in ("phases", "layer_time", "end_cycle", "jobs"):
        assert ic[key] == vl[key], f"{key}: Icarus {ic[key]} != Verilator {vl[key]}"
    _same_arrays(ic["arrays"], vl["arrays"])
    assert ic["phases"]["jobs"] > 0


def test_cluster_four_state(icarus):
    seed = pick_seed()
    cfg = preset()
    ic, vl = _both(lambda sim: build_cluster(cfg, simulator=sim), "cluster",
                   "tb.cocotb_tests.cluster", "run_workload", seed, cfg,
                   {"spec": CLUSTER_SPEC, "dump": True})
    xz = ic.pop("xz")
    assert "xz" not in vl
    assert xz["outputs"] >= 80 and xz["cycles"] >= ic["cycles"], xz
    assert xz["tcdm_ports"] == cfg.n_cores + cfg.dma_ports + 2 * cfg.ima.ports, xz
    assert ic["passed"] and vl["passed"]
    for key in ("cycles", "phases", "ima", "tcdm_stalled", "energy_events", "mvms", "checks"):
        assert ic[key] == vl[key], f"{key}: Icarus {ic[key]} != Verilator {vl[key]}"
    _same_arrays(ic["arrays"], vl["arrays"])
    assert ic["ima"]["jobs"] > 0 and set(ic["phases"]) >= {"depthwise", "residual"}


def test_x_injection_is_reported(icarus):
    """The checks bite (Icarus only): details in tb/cocotb_tests/fourstate.py ``x_injection``.

    In the same simulator start, the regression tests of two testbench bugs Icarus exposed: a
    TCDM backdoor write in a ReadOnly phase is refused (Icarus dropped it silently), and the
    analog core model's conductance read-back (``program_and_readback`` of
    tb/cocotb_tests/ima.py) reads the address once it has settled (it read cell (0, 0))."""
    runner, top = build_ima_tb(IMA_CFG, simulator="icarus")
    res = run(runner, top, "tb.cocotb_tests.fourstate", seed=pick_seed(), config=IMA_CFG,
              testcase=["backdoor_outside_read_only", "program_and_readback", "x_injection"])
    assert res["clean_before"] == []
    assert any("X/Z on ctrl__r_data" in e for e in res["periph"]), res
    assert any(e.startswith(f"tb__0 cycle {res['inject_cycle']}: X/Z on") for e in res["tcdm"]), res
