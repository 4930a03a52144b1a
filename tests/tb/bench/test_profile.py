"""``tb.bench.profile``: the profiled run builds the RTL its RunSpec asks for (no simulation)."""

import pytest

from sim_models.workloads import RunSpec
from tb.bench import profile
from tb.build import runner


class _Built(Exception):
    """Raised by the stand-in build to stop profile_run before any simulation."""


@pytest.mark.parametrize("spec", [
    RunSpec(layer="conv", mapping="IMA", ports=1, overlap=True),
    RunSpec(layer="bottleneck", mapping="HYBRID", ports=4),
    RunSpec(layer="conv", mapping="IMA", ports=2, dac_depth=256, adc_depth=128, overlap=True),
], ids=["conv-IMA-1-overlap", "bottleneck-HYBRID-4", "conv-IMA-2-depths-overlap"])
def test_profile_builds_the_specs_cluster(spec, monkeypatch, tmp_path):
    """The build parameters are the spec's own: ``--overlap`` reaches the build (it used to be
    dropped by a hand-made parameter dict, so ``--overlap`` profiled the sequential engine)."""
    seen = {}

    def fake_build(top, component, params, **kw):
        seen.update(top=top, params=params)
        raise _Built

    monkeypatch.setattr(runner, "build", fake_build)
    with pytest.raises(_Built):
        profile.profile_run(spec, str(tmp_path / "p.pstats"))
    assert seen["top"] == "cluster"
    assert seen["params"] == spec.cluster_params() == profile.build_params(spec)
    assert seen["params"].get("overlap", False) == spec.overlap
