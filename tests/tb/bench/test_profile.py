"""``tb.bench.profile``: the profiled run builds the RTL its options ask for (no simulation)."""

import argparse

import pytest

from hw.config import preset
from sim_models.workloads import RunSpec
from tb.bench import profile
from tb.build import cluster as cluster_build
from tb.cli.run import _run_args, config_from_args


class _Built(Exception):
    """Raised by the stand-in build to stop profile_run before any simulation."""


@pytest.mark.parametrize("argv", [
    ["--layer", "conv", "--mapping", "IMA", "--ports", "1", "--overlap"],
    ["--layer", "bottleneck", "--mapping", "HYBRID", "--ports", "4"],
], ids=["conv-IMA-1-overlap", "bottleneck-HYBRID-4"])
def test_profile_builds_the_runs_cluster(argv, monkeypatch, tmp_path):
    """The profile builds the cluster of the run's own options: ``--overlap`` reaches the build
    (a hand-made parameter dict used to drop it, so ``--overlap`` profiled the sequential RTL)."""
    p = argparse.ArgumentParser()
    _run_args(p)
    a = p.parse_args(argv)
    cfg = config_from_args(a)
    seen = {}

    def fake_build(config, **kw):
        seen["cfg"] = config
        raise _Built

    monkeypatch.setattr(cluster_build, "build_cluster", fake_build)
    with pytest.raises(_Built):
        profile.profile_run(RunSpec(layer=a.layer, mapping=a.mapping), cfg, str(tmp_path / "p.pstats"))
    assert seen["cfg"] == cfg
    assert seen["cfg"].ima.overlap == ("--overlap" in argv)
    assert seen["cfg"] == preset().with_(ports=a.ports, overlap=bool(a.overlap))
