"""The text report of ``ima-sim run`` (tb/cli/run.py ``format_report``) on a synthetic result:
it names the layers the cores computed and says their checks prove the data movement."""

from tb.cli.run import format_report


def _result(core_phases):
    return {"layer": "bottleneck", "mapping": "HYBRID", "ports": 4, "seed": 0, "overlap": False,
            "shape": {"h": 16, "w": 16, "cin": 32, "cout": 32, "k": 3, "stride": 1, "pad": 1,
                      "expand": 6},
            "cycles": 1000, "phases": {"pointwise1": 400, "depthwise": 600},
            "ima": {"jobs": 2, "streamin": 10, "compute": 36, "streamout": 8}, "tcdm_stalled": 3,
            "clock_hz": 250e6, "macs": 10, "gops": 1.0, "energy_uj": 1.0, "tops_per_w": 1.0, "power_mw": 1.0,
            "pcm_devices": 4, "pcm_area_mm2": 0.1, "gops_per_mm2": 1.0, "gops_per_mm2_cluster": 1.0,
            "checks": {"e": {"passed": True, "mismatches": 0}, "d": {"passed": True, "mismatches": 0}},
            "sim_wall_s": 1.0, "build_wall_s": 0.1, "sim_cpu_s": 0.9, "sim_cycles_per_s": 1000.0,
            "passed": True,
            "core_phases": core_phases}


def test_report_says_what_the_cores_checks_prove():
    text = format_report(_result(["hwc2chw", "depthwise", "residual"]))
    assert ("(the cores compute hwc2chw, depthwise, residual with the golden arithmetic on the bytes "
            "they really loaded through the RTL: those checks prove the data movement)") in text
    assert "checks vs golden: e PASS, d PASS" in text and text.endswith("PASS")
    assert "simulation: 1.0 s wall (0.1 s build), 0.9 s CPU, 1,000 cycles/s" in text


def test_report_without_core_layers_has_no_note():
    assert "golden arithmetic" not in format_report(_result([]))


# ------------------------------------------------------------------ the depth-wise accelerator
def _args(*argv):
    import argparse

    from tb.cli.run import _run_args
    p = argparse.ArgumentParser()
    _run_args(p)
    return p.parse_args(list(argv))


def test_imadw_builds_the_cluster_with_the_dwa():
    import pytest

    from hw.config import preset
    from tb.cli.run import config_from_args
    cfg = config_from_args(_args("--mapping", "IMADW"))
    assert cfg.dwa and cfg.dwa_arrangement == preset().dwa_arrangement
    assert config_from_args(_args("--mapping", "IMADW", "--dwa-arrangement", "separate")).dwa_arrangement \
        == "separate"
    assert not config_from_args(_args("--mapping", "HYBRID")).dwa          # today's cluster
    assert config_from_args(_args("--mapping", "HYBRID", "--dwa")).dwa
    with pytest.raises(ValueError, match="drop --no-dwa"):
        config_from_args(_args("--mapping", "IMADW", "--no-dwa"))


def test_report_shows_the_dwa():
    res = _result(["residual"])
    res.update(mapping="IMADW", dwa_arrangement="shared",
               dwa={"jobs": 1, "cycles": 14331, "mac_cycles": 12288, "stalled": 0},
               dwa_model={"jobs": 1, "macs": 442368, "engine_cycles": 14331},
               dwa_mac_per_cycle=442368 / 14331)
    text = format_report(res)
    assert "depth-wise accelerator (shared ports)" in text
    assert ("DWA: 1 job(s); busy 14,331 cycles (model engine_cycles 14,331: equal), MAC array 12,288 "
            "cycles, stalled 0; 30.9 MAC/cycle (peak 36)") in text


# ------------------------------------------------------------------ --preset
def test_preset_and_single_overrides():
    """``--preset jetcas2022`` is the preset; each option given overrides one parameter of it."""
    from hw.config import preset
    from tb.cli.run import config_from_args
    assert config_from_args(_args("--preset", "jetcas2022")) == preset("jetcas2022")
    c = config_from_args(_args("--preset", "jetcas2022", "--ports", "2"))
    assert c == preset("jetcas2022").with_(ports=2)
    assert not config_from_args(_args("--preset", "jetcas2022", "--no-overlap")).ima.overlap
    assert not config_from_args(_args("--preset", "jetcas2022", "--mapping", "SW", "--no-dwa")).dwa
    assert config_from_args(_args("--mapping", "SW")) == preset()               # the default preset
    assert config_from_args(_args("--overlap")) == preset().with_(overlap=True)


def test_bad_preset_is_one_line_exit_2(capsys, tmp_path):
    import pytest

    from tb.cli.main import main
    dump = tmp_path / "x.npz"
    with pytest.raises(SystemExit) as e:
        main(["run", "--preset", "nope", "--dump", str(dump)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ima-sim: error: --preset must be one of aicas2021, jetcas2022, not 'nope'"]
    assert not dump.exists()


class _Stop(Exception):
    pass


def test_bfm_option_reaches_the_cocotb_run(monkeypatch):
    """``ima-sim run --bfm python`` hands ``bfm`` to the cluster run's options (what
    tb.cocotb_tests.cluster gives ClusterEnv); without the option nothing is passed (the
    environment's default, tb.env.paths.DEFAULT_BFM)."""
    import tb.build.cluster
    from tb.cli.main import main
    seen = []

    def fake(cfg, module, options, **kw):
        seen.append(options)
        raise _Stop

    monkeypatch.setattr(tb.build.cluster, "simulate", fake)
    for argv, want in ((["--bfm", "python"], "python"), (["--bfm", "engine"], "engine"), ([], None)):
        try:
            main(["run", "--layer", "fc", "--cin", "8", "--cout", "4", *argv])
        except _Stop:
            pass
        assert seen[-1].get("bfm") == want, argv
    assert len(seen) == 3
