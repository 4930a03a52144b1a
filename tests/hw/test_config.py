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


# ------------------------------------------------------------------ jetcas2022 (Garofalo et al. 2022)
def test_every_preset_validates_and_has_every_key():
    keys = set(PRESET_DATA[DEFAULT_PRESET])
    for name, data in PRESET_DATA.items():
        assert set(data) == keys, name
        assert PRESETS[name].validate() is PRESETS[name]
        assert ClusterConfig.from_flat(PRESETS[name].flat(), base=name) == PRESETS[name]


def test_jetcas2022_is_garofalos_cluster():
    """JETCAS 2022 (papers/garofalo2022-notes.md): 500 MHz, 32 banks of a 512 KiB TCDM, 130 ns =
    65 cycles, 256x256 crossbar, pipelined engine, 8 cores, 4 x 32-bit ports (128 bit), the
    depth-wise accelerator sharing the IMA's ports, the measured software depth-wise cost set."""
    c = preset("jetcas2022")
    assert c.flat() == {"ports": 4, "rows": 256, "cols": 256, "dac_depth": 256, "adc_depth": 256,
                        "n_cores": 8, "tcdm_bytes": 512 * 1024, "clock_hz": 500e6, "mvm_ns": 130.0,
                        "overlap": True, "data_interface": "shared", "arrays": 1, "banks": 32,
                        "dma_ports": 1, "dwa": True,
                        "dwa_arrangement": "shared", "sw_cost": "garofalo2022", "imas": 1}
    assert c.ima.mvm_cycles == 65 and c.dwa_ports == 4 and c.ima.store_ports == 0
    # the build key names every parameter that differs from the default preset
    assert c.build_params() == {"rows": 256, "cols": 256, "dac_depth": 256, "clock_hz": 500e6,
                                "mvm_ns": 130.0, "overlap": True, "data_interface": "shared",
                                "banks": 32, "dwa": True, "sw_cost": "garofalo2022"}


def test_jetcas2022_single_parameters_override():
    c = preset("jetcas2022").with_(ports=2, overlap=False, dwa_arrangement="separate", banks=16)
    assert (c.ima.ports, c.ima.overlap, c.dwa_arrangement, c.banks) == (2, False, "separate", 16)
    assert (c.ima.clock_hz, c.ima.rows, c.sw_cost) == (500e6, 256, "garofalo2022")   # the rest kept
    with pytest.raises(ValueError, match="dac_depth"):
        preset("jetcas2022").with_(dac_depth=512)                 # deeper than the 256 rows


def test_default_preset_unchanged_by_jetcas2022():
    assert preset() is PRESETS["aicas2021"] and preset().sw_cost == "pulpnn"
    assert preset().build_params() == {}
    assert list(PRESETS) == ["aicas2021", "jetcas2022"]


def test_sw_cost_is_validated():
    with pytest.raises(ValueError, match="sw_cost must be one of pulpnn, garofalo2022"):
        preset().with_(sw_cost="fast")


def test_arrays_parameter():
    """ImaConfig.arrays: 1 in both presets (one array: today's IMA), 1..64, a flat parameter."""
    assert preset().ima.arrays == preset("jetcas2022").ima.arrays == 1
    c = preset("jetcas2022").with_(arrays=4)
    assert c.ima.arrays == 4 and c.build_params()["arrays"] == 4
    for bad in (0, 65, 2.0, True):
        with pytest.raises(ValueError, match="arrays"):
            ImaConfig(arrays=bad)
