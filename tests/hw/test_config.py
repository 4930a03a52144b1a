"""hw/config.py: the presets (data, the defaults), the flat view, build keys, the MVM latency."""

import math

import pytest

from hw.config import DEFAULT_PRESET, PRESET_DATA, PRESETS, ClusterConfig, ImaConfig, preset
from sim_models.crossbar import latency_cycles
from sim_models.mapping import TCDM_BYTES


def test_aicas2021_is_todays_configuration():
    """docs/spec.md sections 1-2 and 8: 8 cores, 16 banks, 512 KiB, 250 MHz, 70 ns = 18 cycles,
    crossbar 2048 x 512, DAC 512 / ADC 256 bytes, 4/4 ports, sequential engine."""
    c = preset("aicas2021")
    assert (c.n_cores, c.banks, c.tcdm_bytes, c.dma_ports, c.masters) == (8, 16, 512 * 1024, 1, 17)
    i = c.ima
    assert (i.ports, i.rows, i.cols, i.dac_depth, i.adc_depth) == (4, 2048, 512, 512, 256)
    assert (i.clock_hz, i.mvm_ns, i.mvm_cycles, i.overlap) == (250e6, 70.0, 18, False)
    assert DEFAULT_PRESET == "aicas2021"
    assert ClusterConfig() == c and ImaConfig() == c.ima        # the defaults are the preset


def test_presets_are_the_data():
    for name, data in PRESET_DATA.items():
        assert PRESETS[name].flat() == dict(data)


def test_unknown_preset_is_named():
    with pytest.raises(ValueError, match="preset must be one of aicas2021"):
        preset("nope")


def test_mvm_latency_one_formula():
    """ImaConfig.mvm_cycles is sim_models.crossbar.latency_cycles, and equals the formula it
    replaced (ceil(ns * clock - 1e-9)) on every configuration used."""
    def old(ns, hz):
        return math.ceil(ns * 1e-9 * hz - 1e-9)
    for hz, ns, cycles in ((250e6, 70.0, 18), (500e6, 130.0, 65), (100e6, 70.0, 7),
                           (250e6, 68.0, 17)):
        cfg = ImaConfig(clock_hz=hz, mvm_ns=ns)
        assert cfg.mvm_cycles == latency_cycles(hz, ns) == old(ns, hz) == cycles


def test_with_routes_flat_parameters():
    c = preset().with_(ports=2, overlap=True, banks=32, tcdm_bytes=64 * 1024, n_cores=4)
    assert (c.ima.ports, c.ima.overlap, c.banks) == (2, True, 32)
    assert c.tcdm_bytes == c.ima.tcdm_bytes == 64 * 1024 and c.n_cores == c.ima.n_cores == 4
    assert ClusterConfig.from_flat(c.flat()) == c
    with pytest.raises(ValueError, match="unknown configuration parameter.*bogus"):
        preset().with_(bogus=1)
    with pytest.raises(ValueError, match="ports"):
        preset().with_(ports=0)


def test_build_params_keep_todays_keys():
    """The build directories keep their names: the always-named parameters, others on change."""
    key = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes")
    assert preset().build_params(key) == dict(ports=4, rows=2048, cols=512, dac_depth=512,
                                              adc_depth=256, tcdm_bytes=512 * 1024)
    assert preset().with_(overlap=True).build_params(key)["overlap"] is True
    assert preset().with_(banks=32).build_params(())== {"banks": 32}


def test_model_allocator_default_is_the_presets_tcdm():
    assert TCDM_BYTES == preset().tcdm_bytes
