"""sim_models.dwa: the DwJob contract (validation, regions), the weight layout and the byte-image
executor against an independent direct-loop reference."""

import numpy as np
import pytest

from sim_models import golden
from sim_models.dwa import DwJob, execute, weights_to_tcdm


def _direct(xp, w, job):
    """Independent reference: explicit loops over the padded input, no shared golden code."""
    out = np.empty((job.out_h, job.out_w, job.channels), np.int64)
    for oy in range(job.out_h):
        for ox in range(job.out_w):
            for c in range(job.channels):
                acc = sum(int(xp[oy * job.stride + ky, ox * job.stride + kx, c]) * int(w[c, ky, kx])
                          for ky in range(3) for kx in range(3))
                v = acc * job.adc_m + ((1 << (job.adc_s - 1)) if job.adc_s else 0)
                out[oy, ox, c] = min(max(v >> job.adc_s, job.adc_lo), job.adc_hi)
    return out


@pytest.mark.parametrize("stride,c,h,w,misalign", [(1, 5, 4, 3, 1), (2, 18, 5, 7, 3), (1, 16, 3, 3, 0)])
def test_execute_matches_direct_loops(stride, c, h, w, misalign):
    seed = 1234 + c
    print("seed", seed)
    rng = np.random.default_rng(seed)
    x = golden.random_activations(rng, (h, w, c))
    wt = rng.integers(-128, 128, (c, 3, 3)).astype(np.int8)
    xp = golden.pad_hwc(x, 1)
    ho, wo = (h + 2 - 3) // stride + 1, (w + 2 - 3) // stride + 1
    in_addr = 64 + misalign
    w_addr = in_addr + xp.nbytes + 8 + misalign
    out_addr = w_addr + 9 * c + 3
    row_pitch = wo * c + 4                     # a gap between output rows must stay untouched
    job = DwJob(in_addr, (w + 2) * c, out_addr, row_pitch, w_addr, c, ho, wo, stride,
                adc_m=-3 if c % 2 else 5, adc_s=6, adc_lo=-128, adc_hi=127)
    image = rng.integers(0, 256, 4096).astype(np.uint8)
    image[in_addr:in_addr + xp.nbytes] = xp.reshape(-1)
    image[w_addr:w_addr + 9 * c] = weights_to_tcdm(wt).reshape(-1).view(np.uint8)
    before = image.copy()
    job.validate(len(image))
    execute(job, image)
    ref = _direct(xp, wt, job).astype(np.uint8)
    written = np.zeros(len(image), bool)
    for oy in range(ho):
        a = out_addr + oy * row_pitch
        assert np.array_equal(image[a:a + wo * c], ref[oy].reshape(-1))
        written[a:a + wo * c] = True
    assert np.array_equal(image[~written], before[~written])


def test_validate_names_the_bad_field():
    good = DwJob(0, 48, 1000, 48, 2000, 16, 2, 2)
    assert good.in_h == 4 and good.in_w == 4 and good.groups == 1 and good.macs == 2 * 2 * 16 * 9
    for change, name in [(dict(channels=0), "channels"), (dict(out_h=0), "out_h"),
                         (dict(stride=3), "stride"), (dict(adc_s=32), "adc_s"),
                         (dict(adc_m=1 << 15), "adc_m"), (dict(adc_lo=10, adc_hi=5), "adc_lo")]:
        with pytest.raises(ValueError, match=name):
            DwJob(**{**good.as_dict(), **change}).validate()
    with pytest.raises(ValueError, match="output"):
        DwJob(**{**good.as_dict(), "out_addr": 4096 - 10}).validate(4096)
    lo, hi = good.regions()["input"]
    assert (lo, hi) == (0, 3 * 48 + 4 * 16)
    DwJob(**{**good.as_dict(), "in_addr": 4096 - hi}).validate(4096)       # last byte fits
    with pytest.raises(ValueError, match="input"):
        DwJob(**{**good.as_dict(), "in_addr": 4096 - hi + 1}).validate(4096)


def test_weights_layout():
    w = np.arange(2 * 9).reshape(2, 3, 3).astype(np.int8)
    t = weights_to_tcdm(w)
    assert t.shape == (3, 3, 2) and t[1, 2, 1] == w[1, 1, 2]
    with pytest.raises(ValueError, match="shape"):
        weights_to_tcdm(np.zeros((2, 9)))


def test_overlapping_output_rows_store_in_the_accelerators_order():
    """Regression (register fuzzer, dwa seed 1 index 62): with ``out_row_stride < out_w * C``
    output rows overlap and the last store wins; the accelerator stores per 16-channel group,
    per column, per row, and so must the reference (a row-major reference disagreed with the RTL).
    Checked against direct loops in that order; disjoint rows give the row-major result."""
    rng = np.random.default_rng(62)
    job = DwJob(in_addr=1448, in_row_stride=229, out_addr=17, out_row_stride=102, w_addr=4013,
                channels=17, out_h=2, out_w=16, stride=2, adc_m=1, adc_s=11, adc_lo=2, adc_hi=224)
    image = rng.integers(0, 256, 8192, dtype=np.uint8)
    got = image.copy()
    execute(job.validate(8192), got)
    c = job.channels
    xp = np.stack([image[job.in_addr + y * job.in_row_stride:][:job.in_w * c].reshape(job.in_w, c)
                   for y in range(job.in_h)])
    wt = image[job.w_addr:job.w_addr + 9 * c].view(np.int8).reshape(3, 3, c).transpose(2, 0, 1)
    out = golden.depthwise(xp, wt, job.adc_m, job.adc_s, job.adc_lo, job.adc_hi, job.stride)
    out = out.astype(np.int64).astype(np.uint8)
    want, row_major = image.copy(), image.copy()
    for g in range(2):
        for ox in range(job.out_w):
            for oy in range(job.out_h):
                for ch in range(16 * g, min(c, 16 * g + 16)):
                    want[job.out_addr + oy * job.out_row_stride + ox * c + ch] = out[oy, ox, ch]
    for oy in range(job.out_h):
        a = job.out_addr + oy * job.out_row_stride
        row_major[a:a + job.out_w * c] = out[oy].reshape(-1)
    assert np.array_equal(got, want)
    assert not np.array_equal(got, row_major)       # the order matters for this job
