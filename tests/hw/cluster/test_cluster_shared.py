"""The cluster with the IMA's shared data interface (``data_interface="shared"``, Garofalo et al.
2022, Sec. III-B): the IMA's N ports carry its reads and writes (N TCDM masters instead of 2N),
and with the depth-wise accelerator in the ``"shared"`` arrangement the DWA's N ports share the
same N masters through :class:`hw.cluster.portmux.PortMux`. The reduced bottleneck (8x8) runs
bit-exactly on the pipelined IMA in HYBRID and IMADW, with the protocol monitors on the IMA's and
the DWA's ports and their counts checked against the RTL's (tb/env/cluster.py), on one build.
"""

import pytest

from hw.cluster.cluster import Cluster
from hw.config import preset
from hw.ima.top import Ima
from hw.signatures import TcdmStatsSignature
from tb.build.runner import pick_seed

SHARED = dict(data_interface="shared", overlap=True, dwa=True)


def test_masters_and_ports():
    cfg = preset().with_(**SHARED)
    rng = cfg.master_ranges()
    assert len(rng["ima_load"]) == cfg.ima.ports and len(rng["ima_store"]) == 0
    assert cfg.masters == preset().masters - cfg.ima.ports
    dut = Cluster(cfg)
    assert dut.signature.members["tcdm_stat"].signature == TcdmStatsSignature(cfg.masters)
    ima = Ima(cfg.ima)
    assert len(ima.tcdm_load) == cfg.ima.ports and len(ima.tcdm_store) == 0


@pytest.mark.parametrize("mapping", ["HYBRID", "IMADW"])
def test_bottleneck_small_shared(mapping):
    from sim_models.workloads import RunSpec
    from tb.cli.run import simulate
    spec = RunSpec(layer="bottleneck", mapping=mapping, seed=pick_seed(), h=8, w=8)
    res = simulate(spec, preset().with_(**SHARED))
    assert res["passed"] and all(c["passed"] for c in res["checks"].values()), res["checks"]
    # the fast model on the same workload and cluster: every phase within 5 %, the total within 2 %
    from tb.cli.estimate import estimate_run
    from tb.cli.fastmodel_rtl import check_bounds, format_rows, phase_rows
    est = estimate_run(spec, preset().with_(**SHARED))
    rows = phase_rows(res, est)
    print(format_rows(rows, f"fast model vs RTL: shared ports, overlapped engine, {mapping}"))
    check_bounds(rows, "cycles per phase")
    assert res["ima"]["jobs"] > 0
    if mapping == "IMADW":
        assert res["dwa"]["jobs"] > 0
