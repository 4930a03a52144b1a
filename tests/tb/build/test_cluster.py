"""The cluster's build keys (tb/build/cluster.py): today's directories keep their names, a
cluster with the depth-wise accelerator gets one directory per arrangement (no build here)."""

from hw.config import preset
from tb.build.cluster import build_params
from tb.build.runner import build_dir


def test_default_key_unchanged():
    assert build_params(preset()) == {"ports": 4, "rows": 2048, "cols": 512, "dac_depth": 512,
                                      "adc_depth": 256, "tcdm_bytes": 512 * 1024}


def test_dwa_clusters_have_their_own_directories():
    base = preset().with_(ports=4)
    shared = base.with_(dwa=True)
    separate = base.with_(dwa=True, dwa_arrangement="separate")
    keys = [build_params(c) for c in (base, shared, separate)]
    assert keys[1] == {**keys[0], "dwa": True}
    assert keys[2] == {**keys[0], "dwa": True, "dwa_arrangement": "separate"}
    dirs = {build_dir("cluster", k) for k in keys}
    assert len(dirs) == 3
    # without the accelerator the arrangement changes nothing: the same directory as today
    assert build_params(base.with_(dwa_arrangement="separate")) == keys[0]
