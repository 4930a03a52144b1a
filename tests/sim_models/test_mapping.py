"""Tests of sim_models.mapping: LayerJob shapes, allocator, packing, device counts, area ratios.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import os

import numpy as np
import pytest

from sim_models import golden as g
from sim_models import mapping as mp

SEED = int(os.environ.get("IMA_SEED", "20240611"))


@pytest.fixture
def rng():
    print(f"IMA_SEED={SEED}")
    return np.random.default_rng(SEED)


ADC = (1, 0, 0, 255)


def _bottleneck(mapping, rng, c=32, t=6, rows=256, cols=256, hw=16):
    w_exp = g.random_weights(rng, (t * c, c))
    w_dw = g.random_weights(rng, (t * c, 3, 3))
    w_proj = g.random_weights(rng, (c, t * c))
    return mp.map_bottleneck((hw, hw, c), w_exp, w_dw, w_proj, ADC, ADC, (1, 0, -128, 127),
                             mapping=mapping, rows=rows, cols=cols)


# --------------------------------------------------------------------- LayerJobs
def test_conv_layerjob_matches_paper_job(rng):
    w = g.random_weights(rng, (64, 3, 3, 32))
    m = mp.map_conv((16, 16, 32), w, ADC, pad=1)
    (job,) = m.jobs
    assert (job.height, job.width, job.num_jobs) == (288, 64, 256)
    assert job.src.len0 == 96 and job.src.len1 == 3 and job.src.stride1 == 18 * 32
    assert job.loops[0].count == 16 and job.loops[0].src_stride == 32
    assert job.loops[1].src_stride == 18 * 32 and job.loops[1].dst_stride == 16 * 64
    assert m.src.padded_shape == (18, 18, 32)
    m.validate(512, 256)
    # crossbar row (ky, kx, c) holds w[co, ky, kx, c]
    assert m.placements[0].weights[(1 * 3 + 2) * 32 + 5, 7] == w[7, 1, 2, 5]


def test_depthwise_remainder_gives_two_layerjobs(rng):
    w = g.random_weights(rng, (21, 3, 3))
    m = mp.map_depthwise((5, 6, 21), w, ADC, c_job=8, stride=2)
    assert [j.num_jobs for j in m.jobs] == [2 * 3 * 3, 3 * 3]
    assert [j.width for j in m.jobs] == [8, 5]
    assert [j.height for j in m.jobs] == [72, 45]
    assert m.jobs[1].row == 2 * 72 and m.jobs[1].col == 16
    assert m.weights_used == 2 * 72 * 8 + 45 * 5
    assert m.devices == mp.depthwise_devices(21, 3, 8)
    m.validate(256, 256)
    blk = m.placements[0].weights
    assert blk[(2 * 3 + 1) * 8 + 3, 3] == w[3, 2, 1] and blk[(2 * 3 + 1) * 8 + 3, 4] == 0


def test_depthwise_layouts(rng):
    w = g.random_weights(rng, (32, 3, 3))
    diag = mp.map_depthwise((4, 4, 32), w, ADC, c_job=16)
    packed = mp.map_depthwise((4, 4, 32), w, ADC, c_job=16, layout="packed")
    assert diag.footprint == (0, 0, 288, 32) and diag.jobs[0].loops[0].row_stride == 144
    assert packed.footprint == (0, 0, 144, 32) and packed.jobs[0].loops[0].row_stride == 0
    assert diag.devices == packed.devices == 2 * 9 * 32 * 16
    with pytest.raises(ValueError, match="layout"):
        mp.map_depthwise((4, 4, 32), w, ADC, layout="spiral")


def test_fc_is_one_job(rng):
    w = g.random_weights(rng, (10, 2 * 3 * 4))
    m = mp.map_fc((2, 3, 4), w, ADC)
    assert m.num_jobs == 1 and m.jobs[0].height == 24 and m.jobs[0].width == 10


# --------------------------------------------------------------------- errors
def test_mapping_errors(rng):
    w = g.random_weights(rng, (4, 3, 3, 2))
    with pytest.raises(ValueError, match="-8 excluded"):
        mp.map_conv((4, 4, 2), np.full((4, 3, 3, 2), -8, np.int8), ADC)
    with pytest.raises(ValueError, match="stride"):
        mp.map_conv((4, 4, 2), w, ADC, stride=3)
    with pytest.raises(ValueError, match="do not match"):
        mp.map_conv((4, 4, 3), w, ADC)
    with pytest.raises(ValueError, match="does not fit in the 524288-byte TCDM"):
        mp.map_conv((400, 400, 2), w, ADC)          # 320 KB in + 640 KB out
    with pytest.raises(ValueError, match="mapping"):
        _bottleneck("IMA4", rng)


def test_allocator(rng):
    a = mp.TcdmAllocator(1024, align=16)
    b1 = a.alloc("a", (3,))
    b2 = a.alloc("b", (2, 2, 1), pad=1)
    assert (b1.addr, b2.addr, b2.nbytes, b2.interior_addr) == (0, 16, 16, 16 + 5)
    assert a.alloc("c", (5,), align=64).addr == 64
    with pytest.raises(ValueError, match="already"):
        a.alloc("a", (1,))
    with pytest.raises(ValueError, match="does not fit"):
        a.alloc("big", (1000,))
    with pytest.raises(ValueError, match="power of two"):
        mp.TcdmAllocator(align=3)
    img = a.image()
    x = rng.integers(0, 256, (2, 2, 1), dtype=np.uint8)
    b2.write(img, x)
    assert (b2.read(img) == x).all() and b2.read(img, padded=True)[0].sum() == 0


# --------------------------------------------------------------------- packing
def test_packer_first_fit_and_errors():
    p = mp.XbarPacker(256, 256)
    assert p.place("expand", 32, 192) == (0, 0)
    assert p.place("project", 192, 32) == (0, 192)
    assert p.place("dw", 144, 192) == (32, 0)
    with pytest.raises(ValueError, match="does not fit the 256x256 array"):
        p.place("more", 100, 100)
    with pytest.raises(ValueError, match="overlaps"):
        p.place("explicit", 4, 4, row=0, col=0)


def test_bottleneck_does_not_fit_small_array(rng):
    with pytest.raises(ValueError, match="does not fit"):
        _bottleneck("IMA16", rng, rows=128, cols=256)


def test_check_disjoint():
    a = mp.Placement(0, 0, np.zeros((4, 4), np.int8), "a")
    b = mp.Placement(3, 3, np.zeros((4, 4), np.int8), "b")
    with pytest.raises(ValueError, match="a at .* overlaps b"):
        mp.check_disjoint([a, b], 8, 8)
    with pytest.raises(ValueError, match="does not fit the 6x6"):
        mp.check_disjoint([b], 6, 6)


# --------------------------------------------------------------------- device counts
def test_area_ratios_of_brief_section_4(rng):
    """PCM devices IMA16 / HYBRID = 1 + 72/C = 3.25, IMA8 / HYBRID = 1 + 36/C = 2.125 at C=32, t=6."""
    dev = {k: _bottleneck(k, rng).devices for k in ("HYBRID", "IMA8", "IMA16")}
    assert dev == {"HYBRID": 2 * 2 * 32 * 192, "IMA8": 2 * (2 * 32 * 192 + 9 * 192 * 8),
                   "IMA16": 2 * (2 * 32 * 192 + 9 * 192 * 16)}
    assert dev["IMA16"] / dev["HYBRID"] == 3.25
    assert dev["IMA8"] / dev["HYBRID"] == 2.125
    assert dev["IMA16"] / dev["HYBRID"] == 1 + 72 / 32


def test_device_count_table(rng):
    conv = mp.map_conv((16, 16, 32), g.random_weights(rng, (64, 3, 3, 32)), ADC, pad=1)
    pw = mp.map_pointwise((16, 16, 32), g.random_weights(rng, (192, 32)), ADC)
    w_dw = g.random_weights(rng, (192, 3, 3))
    dw8 = mp.map_depthwise((16, 16, 192), w_dw, ADC, c_job=8, layout="packed")
    dw16 = mp.map_depthwise((16, 16, 192), w_dw, ADC, c_job=16, layout="packed")
    table = {"conv": conv.devices, "pw": pw.devices, "dw8": dw8.devices, "dw16": dw16.devices}
    assert table == {"conv": 36864, "pw": 12288, "dw8": 27648, "dw16": 55296}
    assert dw8.devices == 2 * 9 * 192 * 8                 # N_xbar = K^2 C C_job, 2 devices each
    bm = _bottleneck("HYBRID", rng)
    assert bm.utilisation == pytest.approx(2 * 32 * 192 / 256 ** 2)


# --------------------------------------------------------------------- multi-array placements
def test_placements_on_different_arrays_may_share_a_window():
    a = mp.Placement(0, 0, np.zeros((4, 4), np.int8), "a", array=0)
    b = mp.Placement(2, 2, np.zeros((4, 4), np.int8), "b", array=1)
    mp.check_disjoint([a, b], 8, 8, arrays=2)          # same window, different arrays
    with pytest.raises(ValueError, match="b at .* on array 1 overlaps c"):
        mp.check_disjoint([a, b, mp.Placement(3, 3, np.zeros((2, 2), np.int8), "c", array=1)], 8, 8)
    with pytest.raises(ValueError, match="b is on array 1, but the IMA has 1 array"):
        mp.check_disjoint([a, b], 8, 8, arrays=1)


def test_column_tiles_split_a_pointwise_layer_across_arrays(rng):
    """Columns 0..69 of a pointwise layer as tiles of 32, 32, 6 on arrays 2, 0, 1: one LayerJob
    per tile (its array, window and channel offset), weights per tile, every column once."""
    w = g.random_weights(rng, (70, 20))
    tiles = [mp.ColumnTile(2, 5, 0, 0, 32), mp.ColumnTile(0, 0, 10, 32, 32),
             mp.ColumnTile(1, 40, 3, 64, 6)]
    m = mp.map_pointwise((3, 3, 20), w, ADC, tiles=tiles)
    assert [(j.array, j.row, j.col, j.width, j.dst_addr - m.dst.addr) for j in m.jobs] == [
        (2, 5, 0, 32, 0), (0, 0, 10, 32, 32), (1, 40, 3, 6, 64)]
    assert all(j.loops[0].dst_stride == 70 for j in m.jobs)
    assert m.arrays_used == [0, 1, 2]
    got = np.concatenate([p.weights for p in m.placements], axis=1)
    assert np.array_equal(got, w.T) and [p.array for p in m.placements] == [2, 0, 1]
    m.validate(64, 64, arrays=3)
    with pytest.raises(ValueError, match=r"pw\[0:32\] is on array 2, but the IMA has 2 array"):
        m.validate(64, 64, arrays=2)
    with pytest.raises(ValueError, match="cover 64 channels, the layer has 70"):
        mp.map_pointwise((3, 3, 20), w, ADC, tiles=tiles[:2])
    with pytest.raises(ValueError, match="once"):
        mp.map_pointwise((3, 3, 20), w, ADC, tiles=[tiles[0], mp.ColumnTile(0, 0, 0, 30, 40)])


def test_target_for():
    xs = ["x0", "x1"]
    assert mp.target_for(xs, 1) == "x1" and mp.target_for("x", 0) == "x"
    with pytest.raises(ValueError, match="array 2 does not exist: 2 array"):
        mp.target_for(xs, 2)
    with pytest.raises(ValueError, match="array 1 does not exist: one array"):
        mp.target_for("x", 1)


# --------------------------------------------------------------------- row pieces, wider rings
def _run(m, x, arrays=1, rows=128, cols=128, image=None):
    from sim_models.crossbar import Crossbar
    from sim_models.executor import execute
    xbars = [Crossbar(rows, cols) for _ in range(arrays)]
    m.program(xbars)
    image = np.zeros(1 << 16, np.uint8) if image is None else image
    if x is not None:
        m.src.write(image, x)
    execute(image, xbars, m.jobs)
    return m.dst.read(image)


def test_in_slice_maps_one_row_piece(rng):
    """Input channels 24..39 of a pointwise (stride 2) and inputs 100..159 of an fc with column
    tiles: each piece == golden on its slice of the inputs and weights."""
    x = g.random_activations(rng, (5, 5, 40))
    w = g.random_weights(rng, (12, 40))
    m = mp.map_pointwise((5, 5, 40), w, ADC, stride=2, in_slice=(24, 40))
    (job,) = m.jobs
    assert (job.height, job.src.len0, job.src_addr - m.src.addr) == (16, 16, 24)
    assert np.array_equal(m.placements[0].weights, w.T[24:40]) and m.params["in_slice"] == (24, 40)
    want = g.requant(g.pointwise_acc(x[:, :, 24:40], w[:, 24:40], 2), *ADC)
    assert np.array_equal(_run(m, x), want)
    xf = g.random_activations(rng, (160,))
    wf = g.random_weights(rng, (70, 160))
    tiles = [mp.ColumnTile(1, 0, 0, 0, 64), mp.ColumnTile(0, 3, 7, 64, 6)]
    mf = mp.map_fc((160,), wf, (1, 2, -128, 127), tiles=tiles, in_slice=(100, 160))
    assert [(j.array, j.height, j.width, j.src_addr - mf.src.addr, j.dst_addr - mf.dst.addr)
            for j in mf.jobs] == [(1, 60, 64, 100, 0), (0, 60, 6, 100, 64)]
    assert np.array_equal(_run(mf, xf, arrays=2), g.fully_connected(xf[100:], wf[:, 100:], 1, 2, -128, 127))
    with pytest.raises(ValueError, match="in_slice needs a 1x1 kernel"):
        mp.map_conv((5, 5, 4), g.random_weights(rng, (3, 3, 3, 4)), ADC, in_slice=(0, 2))
    with pytest.raises(ValueError, match=r"in_slice must be \(c0, c1\) with 0 <= c0 < c1 <= 40"):
        mp.map_pointwise((5, 5, 40), w, ADC, in_slice=(30, 50))


def test_a_wider_ring_serves_smaller_paddings(rng):
    """A buffer stored with pad 2 (ring filled with garbage) read by a pad-1 conv, a pointwise
    (pad 0) and a pad-0 / pad-1 depth-wise on the DWA: each starts inside the ring == golden."""
    x = g.random_activations(rng, (6, 7, 8))
    alloc = mp.TcdmAllocator(1 << 16)
    src = alloc.alloc("x", (6, 7, 8), pad=2)
    image = np.full(1 << 16, 0xA5, np.uint8)
    image[src.addr:src.addr + src.nbytes] = 0
    src.write(image, x)
    wc = g.random_weights(rng, (5, 3, 3, 8))
    m = mp.map_conv((6, 7, 8), wc, ADC, pad=1, src=src, alloc=alloc, name="c")
    assert m.jobs[0].src_addr == src.addr + (src.row_pitch + 8)
    assert np.array_equal(_run(m, None, image=image), g.conv2d(g.pad_hwc(x, 1), wc, *ADC))
    wp = g.random_weights(rng, (5, 8))
    m = mp.map_pointwise((6, 7, 8), wp, ADC, src=src, alloc=alloc, name="p")
    assert np.array_equal(_run(m, None, image=image), g.pointwise(x, wp, *ADC))
    from sim_models import dwa
    wd = rng.integers(-128, 128, (8, 3, 3)).astype(np.int8)
    for pad in (0, 1):
        dl = mp.map_depthwise_dwa((6, 7, 8), wd, ADC, pad=pad, src=src, alloc=alloc, name=f"d{pad}")
        dl.load(image)
        dwa.execute(dl.job, image)
        assert np.array_equal(dl.dst.read(image), g.depthwise(g.pad_hwc(x, pad), wd, *ADC)), pad
    with pytest.raises(ValueError, match="the layer needs .* pad 3 .or more"):
        mp.map_conv((6, 7, 8), g.random_weights(rng, (5, 7, 7, 8)), ADC, pad=3, src=src, alloc=alloc)
