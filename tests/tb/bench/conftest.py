"""Synthetic sweep results for the bench tests (tb/bench/analysis.py, tb/bench/report.py): rows
shaped like a full sweep's, with figures chosen so that every agreement check has a known verdict.
"""

import pytest

from tb.bench.analysis import csv_row, read_csv, write_csv
from tb.bench.plan import Run, shapes

BN_DEV = {"HYBRID": 24576, "IMA8": 52224, "IMA16": 79872}     # C = 32, t = 6 (exact counts)


def _res(cycles, phases=None, devices=0, gops=1.0, tw=1.0, gpm=None, gpmc=1.0, jobs=0):
    return {"passed": True, "cycles": cycles, "phases": phases or {}, "macs": 1000,
            "gops": gops, "tops_per_w": tw, "gops_per_mm2": gpm, "gops_per_mm2_cluster": gpmc,
            "pcm_devices": devices, "ima": {"jobs": jobs, "streamin": 0, "compute": 0, "streamout": 0},
            "sim_wall_s": 1.0, "run_wall_s": 0.5, "sim_cycles_per_s": cycles / 0.5}


def _bn_phases(pw1, dw, pw2, hwc=0, res=100):
    return {"pointwise1": pw1, "hwc2chw": hwc, "depthwise": dw, "pointwise2": pw2, "residual": res}


def synthetic_rows(conv_sw=300_000, conv_ima=None, hybrid_dw=40_000, ima16_dw=80_000):
    conv_ima = conv_ima or {1: 29_400, 2: 16_000, 4: 12_000, 8: 9_500, 16: 8_170}
    sh = shapes(False)
    rows = [csv_row(Run("conv", "SW", 4, sh["conv"]), _res(conv_sw, {"conv": conv_sw}))]
    for p, c in conv_ima.items():
        rows.append(csv_row(Run("conv", "IMA", p, sh["conv"]), _res(c, {"conv": c}, 36864, jobs=256),
                            model_ima_cycles=c - 100))
    sw_ph = _bn_phases(100_000, 70_000, 100_000, hwc=30_000)
    rows.append(csv_row(Run("bottleneck", "SW", 4, sh["bottleneck"]), _res(sum(sw_ph.values()), sw_ph)))
    for p in (1, 2, 4, 8, 16):
        f = {1: 3.0, 2: 1.8, 4: 1.0, 8: 0.9, 16: 0.85}[p]
        dw8 = {1: 120_000, 2: 90_000, 4: 88_000, 8: 87_000, 16: 87_000}[p]
        dw16 = {1: 160_000, 2: 110_000, 4: ima16_dw, 8: ima16_dw, 16: ima16_dw}[p]
        for m, dw, hwc in (("HYBRID", hybrid_dw, 25_000), ("IMA8", dw8, 0), ("IMA16", dw16, 0)):
            ph = _bn_phases(int(20_000 * f), dw, int(20_000 * f), hwc=hwc)
            cyc = sum(ph.values())
            rows.append(csv_row(Run("bottleneck", m, p, sh["bottleneck"]),
                                _res(cyc, ph, BN_DEV[m], gops=1e6 / cyc, tw=2.0 - abs(p - 4) / 16,
                                     gpm=1e6 / cyc / BN_DEV[m], gpmc=1e6 / cyc / (1 + BN_DEV[m] / 1e5))))
    return rows


def synthetic_dwa_rows(dwa_cycles=4_000, model_cycles=4_000, mpc=27.6, s2_dw=1_500):
    """Rows of the depth-wise accelerator's series: IMADW bottleneck at every port count (its
    depth-wise phase ``dwa_cycles + 500``) and the stride-2 depth-wise layer in SW and IMADW."""
    sh = shapes(False)
    rows = []
    for p in (1, 2, 4, 8, 16):
        f = {1: 3.0, 2: 1.8, 4: 1.0, 8: 0.9, 16: 0.85}[p]
        ph = _bn_phases(int(20_000 * f), dwa_cycles + 500, int(20_000 * f))
        cyc = sum(ph.values())
        res = _res(cyc, ph, 24576, gops=1e6 / cyc, tw=6.0, gpm=1e6 / cyc / 24576, gpmc=1.0)
        res.update(dwa={"jobs": 1, "cycles": dwa_cycles, "mac_cycles": dwa_cycles - 100, "stalled": 0},
                   dwa_model={"jobs": 1, "macs": int(mpc * dwa_cycles), "engine_cycles": model_cycles},
                   dwa_mac_per_cycle=mpc, dwa_arrangement="shared")
        rows.append(csv_row(Run("bottleneck", "IMADW", p, sh["bottleneck"]), res))
    sw_ph = {"hwc2chw": 10_000, "depthwise": 30_000}
    rows.append(csv_row(Run("dw_s2", "SW", 4, sh["dw_s2"]), _res(40_000, sw_ph)))
    res = _res(s2_dw + 400, {"depthwise": s2_dw + 400})
    res.update(dwa={"jobs": 1, "cycles": s2_dw, "mac_cycles": s2_dw - 50, "stalled": 0},
               dwa_model={"jobs": 1, "macs": 27_648, "engine_cycles": s2_dw},
               dwa_mac_per_cycle=27_648 / s2_dw, dwa_arrangement="shared")
    rows.append(csv_row(Run("dw_s2", "IMADW", 4, sh["dw_s2"]), res))
    return rows


def synthetic_garofalo_rows(sw=1_000_000, imadw=90_000):
    """The Garofalo block: the bottleneck's five mappings under jetcas2022 at 4/4 (SW any), with
    cycles giving round speed-ups (IMA8 2x, IMA16 4x, HYBRID 5x, IMADW sw/imadw) and TOPS/W
    1, 2, 3, 4, 10."""
    from tb.bench.plan import garofalo_runs
    rows = []
    cyc = {"SW": sw, "IMA8": sw // 2, "IMA16": sw // 4, "HYBRID": sw // 5, "IMADW": imadw}
    tw = {"SW": 1.0, "IMA8": 2.0, "IMA16": 3.0, "HYBRID": 4.0, "IMADW": 10.0}
    for run in garofalo_runs():
        c = cyc[run.mapping]
        ph = _bn_phases(c // 4, c // 2, c // 4 - 100, res=100)
        dev = {**BN_DEV, "IMADW": BN_DEV["HYBRID"]}.get(run.mapping, 0)
        rows.append(csv_row(run, _res(c, ph, dev, gops=1e6 / c, tw=tw[run.mapping],
                                      gpm=1e6 / c / dev if dev else None)))
    return rows


@pytest.fixture
def make_garofalo_rows():
    return synthetic_garofalo_rows


@pytest.fixture
def make_dwa_rows():
    """The synthetic IMADW rows builder (append to ``make_rows()``)."""
    return synthetic_dwa_rows


@pytest.fixture
def make_rows():
    """The synthetic rows builder: ``make_rows(conv_sw=..., hybrid_dw=..., ima16_dw=...)``."""
    return synthetic_rows


@pytest.fixture
def roundtrip_rows(tmp_path):
    """The synthetic rows plus a failed run, written to a CSV and read back (the --rerender path)."""
    rows = synthetic_rows()
    rows.append(csv_row(Run("bottleneck", "HYBRID", 2, shapes(True)["bottleneck"]),
                        {"error": "RuntimeError: x"}))
    path = tmp_path / "s.csv"
    write_csv(path, rows)
    return rows, read_csv(path)


@pytest.fixture
def by_name():
    """{check name: Check} of a list of checks."""
    return lambda checks: {c.name: c for c in checks}
