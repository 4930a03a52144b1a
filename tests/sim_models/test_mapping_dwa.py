"""The IMADW mapping (sim_models.mapping ``map_depthwise_dwa`` / ``map_bottleneck(mapping="IMADW")``
and sim_models.workloads): the depth-wise accelerator's ``DwJob`` executed by
:func:`sim_models.dwa.execute` on the workload's TCDM image gives the golden outputs. Pure numpy.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import os
from dataclasses import dataclass

import numpy as np
import pytest

from sim_models import dwa, executor, golden
from sim_models import mapping as mp
from sim_models.crossbar import Crossbar
from sim_models.workloads import RunSpec, prepare

SEED = int(os.environ.get("IMA_SEED", "20261128"))


@pytest.fixture
def rng():
    print(f"IMA_SEED={SEED}")
    return np.random.default_rng(SEED)


@dataclass(frozen=True)
class Hw:
    """The hardware limits a workload needs (the default preset's)."""
    rows: int = 2048
    cols: int = 512
    dac_depth: int = 512
    adc_depth: int = 256
    tcdm_bytes: int = 512 * 1024


def run_workload(wl):
    """Execute a workload's phases in numpy, as the cluster does: IMA phases by the job-level
    executor, the DWA phase by ``dwa.execute`` on the image, the residual by the golden add."""
    image = wl.image.copy()
    xbar = Crossbar(wl.hw.rows, wl.hw.cols)
    for row, col, w in wl.placements:
        xbar.program(row, col, w)
    for ph in wl.phases:
        if ph.kind == "ima":
            executor.execute(image, xbar, ph.args["layer"].jobs)
        elif ph.kind == "dwa":
            dwa.execute(ph.args["job"], image)
        elif ph.kind == "sw_residual":
            a = ph.args
            a["y_buf"].write(image, golden.residual_add(a["x_buf"].read(image), a["p_buf"].read(image)))
        else:
            raise AssertionError(f"IMADW has no phase of kind {ph.kind!r}")
    return image


@pytest.mark.parametrize("h,w,c,t", [(8, 8, 16, 2), (5, 7, 6, 3), (16, 16, 32, 6)])
def test_bottleneck_imadw_workload_is_golden(h, w, c, t):
    wl = prepare(RunSpec(layer="bottleneck", mapping="IMADW", seed=SEED, h=h, w=w, cin=c, expand=t),
                 Hw())
    assert [(p.name, p.kind) for p in wl.phases] == [
        ("pointwise1", "ima"), ("depthwise", "dwa"), ("pointwise2", "ima"), ("residual", "sw_residual")]
    image = run_workload(wl)
    checks = wl.check(image)
    assert [n for n, _, _ in checks] == ["e", "d", "p", "y"]
    assert all(ok for _, ok, _ in checks), checks
    job = wl.phases[1].args["job"]
    assert (job.channels, job.out_h, job.out_w, job.stride) == (t * c, h, w, 1)
    # PCM devices: the two pointwise layers only (2 devices per weight)
    assert wl.pcm_devices == 2 * (c * t * c + t * c * c)
    assert wl.macs == h * w * (c * t * c + t * c * 9 + t * c * c)


def test_bottleneck_imadw_reads_e_in_place():
    """The DWA reads the expand output's padded buffer (no HWC->CHW copy) and writes ``d``."""
    wl = prepare(RunSpec(layer="bottleneck", mapping="IMADW", h=6, w=5, cin=8, expand=2), Hw())
    e, d = (next(b for n, b, _ in wl.checks if n == k) for k in "ed")
    job = wl.phases[1].args["job"]
    assert job.in_addr == e.addr and job.in_row_stride == (5 + 2) * 16
    assert job.out_addr == d.addr and job.out_row_stride == 5 * 16
    assert (job.in_h, job.in_w) == e.padded_shape[:2]


def test_bottleneck_mapping_executor_runs_dwa(rng):
    data = golden.make_bottleneck(int(rng.integers(1 << 30)), 6, 6, 8, 3)
    bm = mp.map_bottleneck(data.x.shape, data.w_exp, data.w_dw, data.w_proj, data.adc_exp,
                           data.adc_dw, data.adc_proj, mapping="IMADW")
    assert len(bm.dwa_layers) == 1 and len(bm.ima_layers) == 2
    assert bm.devices == 2 * (8 * 24 * 2)
    out, _, _ = executor.run_bottleneck(bm, data.x)
    ref = golden.bottleneck(data)
    for k in ("e", "d", "p", "y"):
        assert np.array_equal(out[k], ref[k]), k


@pytest.mark.parametrize("h,w,c,stride,pad", [
    (7, 9, 21, 2, 1), (6, 6, 1, 1, 1), (5, 5, 33, 2, 0), (4, 3, 16, 1, 2), (9, 8, 40, 2, 1)])
def test_depthwise_imadw_workload_is_golden(h, w, c, stride, pad):
    wl = prepare(RunSpec(layer="depthwise", mapping="IMADW", seed=SEED, h=h, w=w, cin=c,
                         stride=stride, pad=pad), Hw())
    (ph,) = wl.phases
    assert ph.kind == "dwa" and wl.pcm_devices == 0 and not wl.placements
    image = run_workload(wl)
    assert all(ok for _, ok, _ in wl.check(image))
    ho, wo = mp.conv_out_size(h, 3, stride, pad), mp.conv_out_size(w, 3, stride, pad)
    assert wl.macs == ph.args["job"].macs == ho * wo * c * 9


def test_dwa_writes_only_its_output(rng):
    """Every byte outside the output buffer is unchanged by the DWA phase."""
    wl = prepare(RunSpec(layer="depthwise", mapping="IMADW", h=5, w=6, cin=19, stride=2), Hw())
    before = wl.image.copy()
    after = run_workload(wl)
    lo, hi = wl.phases[0].args["job"].regions()["output"]
    mask = np.ones(before.size, bool)
    mask[lo:hi] = False
    assert np.array_equal(before[mask], after[mask])


def test_map_depthwise_dwa_int8_weights(rng):
    """The accelerator takes full signed 8-bit weights (the IMA only [-7, 7])."""
    x = golden.random_activations(rng, (5, 4, 18))
    w = rng.integers(-128, 128, size=(18, 3, 3)).astype(np.int8)
    adc = golden.choose_adc(golden.depthwise_acc(golden.pad_hwc(x, 1), w), 0, 255) + (0, 255)
    layer = mp.map_depthwise_dwa(x.shape, w, adc, stride=2)
    image = np.zeros(mp.TCDM_BYTES, np.uint8)
    layer.src.write(image, x)
    layer.load(image)
    dwa.execute(layer.job, image)
    assert np.array_equal(layer.dst.read(image), golden.depthwise(golden.pad_hwc(x, 1), w, *adc, stride=2))
    assert layer.devices == 0


@pytest.mark.parametrize("kwargs,message", [
    (dict(w_shape=(8, 5, 5)), r"shape \[8, 3, 3\]"),
    (dict(stride=3), "stride must be 1 or 2"),
    (dict(pad=3), "pad must be in 0..2"),
    (dict(big=True), "leave the TCDM"),
])
def test_map_depthwise_dwa_errors(kwargs, message):
    w = np.zeros(kwargs.get("w_shape", (8, 3, 3)), np.int8)
    if kwargs.get("big"):
        # the output buffer placed at the end of a small TCDM: the job leaves it
        src = mp.Buffer("in", 0, (4, 4, 8), pad=1)
        dst = mp.Buffer("out", 1000, (4, 4, 8))
        wb = mp.Buffer("w", 300, (3, 3, 8), "int8")
        with pytest.raises(ValueError, match=message):
            mp.map_depthwise_dwa((4, 4, 8), w, (1, 0, 0, 255), src=src, dst=dst, w_buf=wb,
                                 alloc=mp.TcdmAllocator(1024))
        return
    with pytest.raises(ValueError, match=message):
        mp.map_depthwise_dwa((4, 4, 8), w, (1, 0, 0, 255), stride=kwargs.get("stride", 1),
                             pad=kwargs.get("pad", 1))


@pytest.mark.parametrize("layer", ["conv", "pointwise", "fc"])
def test_imadw_is_an_error_for_other_layers(layer):
    with pytest.raises(ValueError, match=f"--mapping IMADW does not apply to --layer {layer}"):
        RunSpec(layer=layer, mapping="IMADW").validate()


def test_imadw_needs_k3():
    with pytest.raises(ValueError, match="--k must be 3"):
        RunSpec(layer="depthwise", mapping="IMADW", k=5).validate()


def test_imadw_does_not_fit_the_tcdm():
    with pytest.raises(ValueError, match="does not fit"):
        prepare(RunSpec(layer="depthwise", mapping="IMADW", h=200, w=200, cin=64), Hw())


def test_depthwise_imadw_random_shapes(rng):
    """Random shapes (H, W 1..9, C 1..40, stride 1|2, pad 0..2), seeded: golden every time."""
    for _ in range(25):
        stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, 3))
        h, w = (int(rng.integers(max(1, 3 - 2 * pad), 10)) for _ in range(2))
        c = int(rng.integers(1, 41))
        wl = prepare(RunSpec(layer="depthwise", mapping="IMADW", seed=int(rng.integers(1 << 30)),
                             h=h, w=w, cin=c, stride=stride, pad=pad), Hw())
        assert all(ok for _, ok, _ in wl.check(run_workload(wl))), (h, w, c, stride, pad)
