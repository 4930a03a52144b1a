"""The mapping table of sim_models/workloads.py: each layer's default mapping (what ``ima-sim run``
uses without ``--mapping``) is one the layer supports, and the error for a mapping a layer does
not support lists the supported ones in the order of ``MAPPINGS``."""

import pytest

from sim_models.workloads import LAYER_MAPPINGS, LAYERS, MAPPINGS, RunSpec, default_mapping


def test_every_layer_has_a_supported_default():
    assert set(LAYER_MAPPINGS) == set(LAYERS)
    for layer in LAYERS:
        assert default_mapping(layer) in LAYER_MAPPINGS[layer]
        assert set(LAYER_MAPPINGS[layer]) <= set(MAPPINGS)
        RunSpec(layer=layer, mapping=default_mapping(layer)).validate()
    assert default_mapping("bottleneck") == RunSpec().mapping == "HYBRID"     # make sim's job
    assert [default_mapping(x) for x in ("conv", "pointwise", "fc", "depthwise")] == \
        ["IMA", "IMA", "IMA", "IMA8"]


def test_unknown_layer_and_unsupported_mapping_name_the_option():
    with pytest.raises(ValueError, match="--layer must be one of"):
        default_mapping("pool")
    with pytest.raises(ValueError, match=r"--mapping HYBRID does not apply to --layer conv "
                                         r"\(use one of SW, IMA\)"):
        RunSpec(layer="conv", mapping="HYBRID").validate()
    with pytest.raises(ValueError, match=r"\(use one of SW, IMA, IMA8, IMA16, IMADW\)"):
        RunSpec(layer="depthwise", mapping="HYBRID").validate()
