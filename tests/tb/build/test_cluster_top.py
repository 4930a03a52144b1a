"""The cluster's simulation test top (tb/build/cluster_top.py): every port of the cluster under
its own name and shape, plus the engines' control ports, the select bits, one checker report
per watched accelerator port and its own ``clk`` / ``rst`` (the registered reset,
tests/tb/build/test_reset.py); a bad engine depth is refused by name. (Its behaviour: the
exactness tests of tests/tb/bfm/test_engine.py; its blocks: tests/hw/verif/.)"""

import pytest
from amaranth import Shape
from amaranth.lib.wiring import In

from hw.cluster.cluster import Cluster
from hw.config import preset
from hw.verif.checker import checked_ports
from tb.build.cluster_top import ClusterTestTop


@pytest.mark.parametrize("flat", [dict(ports=4), dict(ports=2, dwa=True, dwa_arrangement="shared")])
def test_ports_are_the_clusters_plus_engines_and_checkers(flat):
    cfg = preset().with_(**flat)
    top, plain = ClusterTestTop(cfg), Cluster(cfg)
    members = dict(top.signature.members)
    for name, member in plain.signature.members.items():
        assert members.pop(name) == member, name
    assert set(members) == {"clk", "rst", "eng_sel", "eng", "chk"}
    assert members["clk"] == members["rst"] == In(1)
    assert Shape.cast(members["eng_sel"].shape).width == cfg.n_cores
    assert members["eng"].dimensions == (cfg.n_cores,)
    assert members["chk"].dimensions == (len(checked_ports(cfg)),)


@pytest.mark.parametrize("bad", [0, 3, 6, True, 8.0])
def test_bad_engine_depth(bad):
    with pytest.raises(ValueError, match="engine_depth"):
        ClusterTestTop(preset(), engine_depth=bad)
