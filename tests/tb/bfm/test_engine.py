"""Exactness of the RTL request engines (issue 15): the core BFMs on the engines
(``bfm="engine"``, :mod:`tb.bfm.engine`) against the per-access driver (``bfm="python"``,
:class:`tb.bfm.tcdm.TcdmMaster`) on one cluster build (the regression's N = 4 build).

* port level: the same seeded traffic of all eight cores (loads, stores with partial byte
  enables, compute gaps, one call per core longer than the engines' ring) gives the identical
  per-cycle (req, gnt, addr, we, be, wdata) trace on core 0's port, the same return cycle of
  every call, the same grants / stall cycles on every master, the loads equal to the image and
  the stores equal to a numpy replay;
* workloads: the same run gives identical cycles per phase, per-master grants and stall cycles,
  energy events, IMA counters and outputs (compared with each other and, by the run itself,
  with the golden model). A small HYBRID bottleneck here; the default shapes (HYBRID 16x16,
  SW, conv on the IMA at 16/16) with ``IMA_SLOW=1`` (``make bench``).
"""

import os
from dataclasses import asdict

import numpy as np
import pytest

from hw.config import preset
from sim_models.workloads import RunSpec
from tb.build import runner
from tb.build.cluster import TOP, build_cluster

EXACT = ("cycles", "phases", "tcdm_stalled", "tcdm_masters", "energy_events", "ima", "dwa",
         "mvms")


def _trace(bfm, seed, registered=None):
    cfg = preset().with_(ports=4)
    return runner.run(build_cluster(cfg), TOP, "tb.cocotb_tests.engine_trace", seed=seed,
                      config=cfg, options={"bfm": bfm, "seed": seed, "batches": 5, "long": 1500,
                                           "engine_registered": registered},
                      log_level="WARNING")


def test_port_trace_is_identical_on_both_paths():
    """The engine path twice: with the engines' write pointer taken at the next edge (one
    wake-up per batch, the default) and at once (two); calls are made at an engine's flag, at a
    rising edge's clock callback, after a timer to mid-cycle and from a ReadOnly phase
    (tb.cocotb_tests.engine_trace)."""
    seed = runner.pick_seed() % 100_000
    ref = _trace("python", seed)
    for registered in (True, False):
        eng = _trace("engine", seed, registered)
        for res in (ref, eng):
            assert res["stores_ok"]
            assert res["loads"] == res["want_loads"]
            assert sum(res["stalled"][:8]) > 0, "no bank conflict: the check would be too weak"
            assert len(res["trace"]) > 1500
        assert eng["trace"] == ref["trace"], registered
        assert eng["done"] == ref["done"], registered
        assert (eng["granted"], eng["stalled"]) == (ref["granted"], ref["stalled"]), registered
        assert eng["dump_sha"] == ref["dump_sha"], registered
        # resumptions of EngineMaster.run: one per batch, one per ring refill (a long call per
        # core), at most one per ReadOnly start; without the registered pointer twice that
        refills = 8
        if registered:
            assert eng["batches"] + refills <= eng["wakeups"], eng["wakeups"]
            assert eng["wakeups"] <= eng["batches"] + refills + eng["ro_calls"], eng["wakeups"]
        else:
            assert eng["wakeups"] == 2 * (eng["batches"] + refills), eng["wakeups"]


def _run_both(spec, cfg):
    out = {}
    r = build_cluster(cfg)
    for bfm in ("python", "engine"):
        res = runner.run(r, TOP, "tb.cocotb_tests.cluster", seed=spec.seed, config=cfg,
                         options={"spec": asdict(spec), "dump": True, "bfm": bfm,
                                  "monitors": "python" if bfm == "python" else "rtl"},
                         log_level="WARNING")
        assert res["passed"], (bfm, res["checks"])
        out[bfm] = res
    ref, eng = out["python"], out["engine"]
    for key in EXACT:
        assert eng[key] == ref[key], (key, ref[key], eng[key])
    assert ref["arrays"].keys() == eng["arrays"].keys() and ref["arrays"]
    for name, arr in ref["arrays"].items():
        np.testing.assert_array_equal(eng["arrays"][name], arr, err_msg=name)
    return ref, eng


def test_bottleneck_small_is_identical_on_both_paths():
    seed = runner.pick_seed() % 1000
    _run_both(RunSpec(layer="bottleneck", mapping="HYBRID", h=4, w=4, seed=seed),
              preset().with_(ports=4))


_SLOW = pytest.mark.skipif(not os.environ.get("IMA_SLOW"), reason="minutes per run: IMA_SLOW=1")


@pytest.mark.slow
@_SLOW
@pytest.mark.parametrize("layer,mapping,ports", [("bottleneck", "HYBRID", 4), ("bottleneck", "SW", 4),
                                                 ("conv", "IMA", 16)])
def test_default_shapes_are_identical_on_both_paths(layer, mapping, ports):
    seed = runner.pick_seed() % 1000
    _run_both(RunSpec(layer=layer, mapping=mapping, seed=seed), preset().with_(ports=ports))
