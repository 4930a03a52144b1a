"""sim_models.compiler: units and phases per layer, row / column pieces, Tile&Pack placements, the
TCDM allocation (buffers never overlap while live: checked from the phases' own byte ranges),
the program's TCDM size, determinism, and the ValueErrors.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import numpy as np
import pytest

from sim_models.compiler import ALIGN, compile_graph
from sim_models.graph import INPUT, Graph, Layer
from sim_models.mapping import Buffer, check_disjoint
from tb.build.runner import pick_seed


def chain(net_builder, rng, rows=32):
    """A MobileNetV2-like chain on small arrays: stem conv, two bottlenecks (one residual), head."""
    b = net_builder(rng, (16, 16, 3), rows)
    b.add("stem", "conv", "input", cout=16, kernel=3, stride=2, pad=1)
    b.add("b1_exp", "pointwise", "stem", cout=48)                       # 48 cols: 2 column tiles
    b.add("b1_dw", "depthwise", "b1_exp", kernel=3, pad=1)
    b.add("b1_proj", "pointwise", "b1_dw", cout=16, signed=True)        # 48 rows: 2 row pieces
    b.add("b1_add", "add", ("stem", "b1_proj"))
    b.add("b2_exp", "pointwise", "b1_add", cout=48)
    b.add("b2_dw", "depthwise", "b2_exp", kernel=3, stride=2, pad=1)
    b.add("b2_proj", "pointwise", "b2_dw", cout=24)
    b.add("head", "pointwise", "b2_proj", cout=64)
    b.add("pool", "avgpool", "head", out_hw=(1, 1))
    b.add("fc", "fc", "pool", cout=10)                                   # 64 rows: 2 row pieces
    return b


# ------------------------------------------------------------------ the allocation invariant
def _range(buf: Buffer):
    return buf.addr, buf.addr + buf.nbytes


def _phase_io(ph):
    """``(reads, writes)``: byte ranges ``[lo, hi)`` a phase touches, from its own description."""
    a = ph.args
    if ph.kind == "ima":
        rd = [j.byte_range(j.src_addr, j.src, "src_stride") for j in a["layer"].jobs]
        wr = [j.byte_range(j.dst_addr, j.dst, "dst_stride") for j in a["layer"].jobs]
        return rd, wr
    if ph.kind == "dwa":
        r = a["job"].regions()
        return [r["input"], r["weights"]], [r["output"]]
    if ph.kind == "sw_zero_ring":
        return [], [_range(a["buf"])]
    if ph.kind == "sw_residual":
        return [_range(a["x_buf"]), _range(a["p_buf"])], [_range(a["y_buf"])]
    if ph.kind == "sw_add_partials":
        return [_range(p) for p in a["parts"]], [_range(a["dst"])]
    if ph.kind == "sw_concat":
        return [_range(p) for p in a["srcs"]], [_range(a["dst"])]
    if ph.kind == "sw_hwc_to_chw":
        return [_range(a["src"])], [(a["dst_addr"], a["dst_addr"] + a["src"].nbytes)]
    if ph.kind == "sw_depthwise_chw":
        chw = (a["chw_addr"], a["chw_addr"] + int(np.prod(a["padded_shape"])))
        return [chw, _range(a["w_buf"])], [_range(a["dst"])]
    srcs = [_range(a["src"])] + ([_range(a["w_buf"])] if "w_buf" in a else [])
    return srcs, [_range(a["dst"])]


def check_allocation(prog):
    """Every pair of buffers live at the same step is disjoint; every byte a step reads or writes
    lies in a buffer live at that step, and it writes only buffers that start there; lifetimes
    cover the graph's uses; addresses aligned; everything below ``peak`` <= ``tcdm_bytes``."""
    bufs, life = prog.buffers, prog.lifetimes
    names = list(bufs)
    for i, a in enumerate(names):
        assert bufs[a].addr % ALIGN == 0, a
        assert bufs[a].addr + bufs[a].nbytes <= prog.peak <= prog.tcdm_bytes
        for b in names[i + 1:]:
            (f1, l1), (f2, l2) = life[a], life[b]
            if f1 <= l2 and f2 <= l1:
                (a0, a1), (b0, b1) = _range(bufs[a]), _range(bufs[b])
                assert a1 <= b0 or b1 <= a0, f"{a} {bufs[a]} and {b} {bufs[b]} overlap while live"
    for i, layer in enumerate(prog.graph.layers):
        assert life[layer.name][0] == i
        for t in layer.inputs:
            assert life[t][0] <= i <= life[t][1], (layer.name, t)
    assert life[INPUT][0] == 0
    for i, step in enumerate(prog.steps):
        live = [n for n in names if life[n][0] <= i <= life[n][1]]
        for ph in step.phases:
            rd, wr = _phase_io(ph)
            for lo, hi in rd:
                assert any(bufs[n].addr <= lo and hi <= bufs[n].addr + bufs[n].nbytes for n in live), \
                    f"{ph.name} reads [{lo:#x}, {hi:#x}) outside every live buffer"
            for lo, hi in wr:
                owner = [n for n in live if bufs[n].addr <= lo and hi <= bufs[n].addr + bufs[n].nbytes]
                assert owner and life[owner[0]][0] == i, f"{ph.name} writes [{lo:#x}, {hi:#x}) into {owner}"


def test_chain_structure_and_allocation(net_builder, hw):
    seed = pick_seed()
    b = chain(net_builder, np.random.default_rng(seed))
    prog = compile_graph(b.graph(), b.x, hw(32))
    check_allocation(prog)
    units = {s.layer: s.unit for s in prog.steps}
    assert units == {"stem": "ima", "b1_exp": "ima", "b1_dw": "dwa", "b1_proj": "ima", "b1_add": "cores",
                     "b2_exp": "ima", "b2_dw": "dwa", "b2_proj": "ima", "head": "ima", "pool": "cores",
                     "fc": "cores"}
    kinds = {s.layer: [(ph.name, ph.kind) for ph in s.phases] for s in prog.steps}
    assert kinds["b1_proj"] == [("b1_proj.r0", "ima"), ("b1_proj.r1", "ima"),
                                ("b1_proj.sum", "sw_add_partials")]
    assert kinds["b1_add"] == [("b1_add", "sw_residual")]
    assert kinds["pool"] == [("pool", "sw_avgpool")]
    assert kinds["fc"] == [("fc.r0", "sw_fc"), ("fc.r1", "sw_fc"), ("fc.sum", "sw_add_partials")]
    assert [k for _, k in kinds["b1_dw"]][-1] == "dwa"
    # row pieces read their channel slice and write int8 partials with the partial ADC
    proj = prog.graph.layer("b1_proj")
    r0, r1 = (ph.args["layer"] for ph in prog.steps[3].phases[:2])
    assert (r0.params["in_slice"], r1.params["in_slice"]) == ((0, 32), (32, 48))
    assert r0.dst.dtype == "int8" and r0.adc == proj.partial_adc
    assert r1.jobs[0].src_addr == prog.buffers["b1_dw"].addr + 32 and r1.jobs[0].height == 16
    assert prog.steps[3].phases[2].args["adc"] == proj.adc
    # column tiles: b1_exp's 48 columns in two pieces on two arrays
    exp = prog.steps[1].phases[-1].args["layer"]
    assert sorted((j.width, j.dst_addr - exp.dst.interior_addr) for j in exp.jobs) == [(16, 32), (32, 0)]
    assert len(prog.steps[1].arrays) == 2
    # placements: every tile of the floorplan, disjoint, weights equal to the layer's matrix
    assert len(prog.placements) == len(prog.floorplan.placements)
    check_disjoint(prog.placements, 32, 32, prog.arrays)
    assert prog.arrays == prog.floorplan.arrays_used
    img = np.zeros((prog.arrays, 32, 32), np.int8)
    for p in prog.placements:
        img[p.array, p.row:p.row + p.height, p.col:p.col + p.width] = p.weights
    for lay in prog.graph.layers:
        if units[lay.name] == "ima":
            assert np.array_equal(prog.floorplan.gather(img, lay.name), lay.weight_matrix), lay.name
    # macs, expected tensors, the image (input and resident weights), the TCDM size
    assert sum(s.macs for s in prog.steps) == prog.graph.macs
    assert all(np.array_equal(s.expected, b.tensors[s.layer]) for s in prog.steps)
    assert np.array_equal(prog.buffers[INPUT].read(prog.image), b.x)
    dw = prog.graph.layer("b1_dw").weights
    assert np.array_equal(prog.buffers["b1_dw.w"].read(prog.image), dw.transpose(1, 2, 0))
    fcw = prog.graph.layer("fc").weights
    assert np.array_equal(prog.buffers["fc.w1"].read(prog.image), fcw[:, 32:])
    assert prog.tcdm_bytes & (prog.tcdm_bytes - 1) == 0 and prog.tcdm_bytes // 2 < prog.peak
    assert not prog.image[prog.used:].any()
    # memory is reused: the peak is well below the sum of all buffers
    assert prog.peak < 0.7 * sum(buf.nbytes for buf in prog.buffers.values())


def test_deterministic_and_sized(net_builder, hw):
    seed = pick_seed()
    b = chain(net_builder, np.random.default_rng(seed))
    p1 = compile_graph(b.graph(), b.x, hw(32))
    p2 = compile_graph(b.graph(), b.x, hw(32), tcdm_bytes=3 * p1.tcdm_bytes)
    assert p1.buffers == p2.buffers
    assert [(ph.name, ph.kind) for ph in p1.phases] == [(ph.name, ph.kind) for ph in p2.phases]
    assert p2.tcdm_bytes == p2.image.size == 3 * p1.tcdm_bytes
    s = p1.summary()
    assert s["dwa_jobs"] == 2 and s["phases"] == len(p1.phases) and s["peak_bytes"] == p1.peak
    assert s["ima_jobs"] == sum(lm.num_jobs for lm in (ph.args["layer"] for ph in p1.phases
                                                        if ph.kind == "ima"))
    # on 64x64 arrays only the 64-row fc... is not split (64 rows fit): the graph needs no splits
    b64 = chain(net_builder, np.random.default_rng(seed), rows=64)
    p64 = compile_graph(b64.graph(), b64.x, hw(64))
    assert not any(ph.kind == "sw_add_partials" for ph in p64.phases)
    assert p64.arrays < p1.arrays
    check_allocation(p64)


def _layer(**kw):
    base = dict(name="l", kind="pointwise", inputs=("input",), in_shape=(4, 4, 8), out_shape=(4, 4, 8),
                weights=np.ones((8, 8), np.int8), adc=(1, 0, 0, 255))
    base.update(kw)
    return Layer(**base)


@pytest.mark.parametrize("layers,kw,msg", [
    ([_layer()], dict(fc_unit="dsp"), "fc_unit must be one of"),
    ([_layer()], dict(arrays=0), "arrays must be a positive integer"),
    ([_layer()], dict(tcdm_bytes=64), "tcdm_bytes 64 is smaller than the program's peak"),
    ([_layer(), _layer(name="m", inputs=("l",))], dict(arrays=1, rows=8),
     "arrays: Tile&Pack: layer 'm'"),
    ([_layer(kind="conv", weights=np.ones((8, 3, 3, 8), np.int8), kernel=3, pad=1)], dict(rows=32),
     "layer l: a 3x3 conv with 72 crossbar rows does not fit"),
    ([_layer(weights=np.ones((8, 40), np.int8), in_shape=(4, 4, 40), row_splits=(16, 32),
             partial_adc=(1, 0, -128, 127))], dict(rows=32, shape=(4, 4, 40)),
     r"layer l: on 32-row arrays its 40 crossbar rows need row_splits \(32,\)"),
    ([_layer(weights=np.ones((8, 40), np.int8), in_shape=(4, 4, 40))], dict(rows=32, shape=(4, 4, 40)),
     r"need row_splits \(32,\)"),
    ([_layer(kind="depthwise", weights=np.ones((8, 5, 5), np.int8), kernel=5, pad=2, w_bits=8)], {},
     "layer l: only 3x3 depth-wise"),
    ([_layer(adc=(1, 0, -128, 127)), _layer(name="m", inputs=("l",))], {},
     "layer m: its input 'l' is int8; the ima reads unsigned"),
    ([_layer(w_bits=8)], {}, "layer l: the IMA holds 4-bit weights"),
    ([_layer(kind="depthwise", weights=np.ones((8, 3, 3), np.int8), kernel=3, pad=1, w_bits=8),
      _layer(name="f", kind="fc", inputs=("input",), out_shape=(1, 1, 4), in_shape=(4, 4, 8),
             weights=np.ones((4, 128), np.int8), w_bits=8)], {},
     "layer f: reads 'input' flat, but a KxK layer reads it padded"),
    ([_layer(name="f", kind="fc", out_shape=(1, 1, 8), weights=np.ones((8, 128), np.int8), w_bits=8),
      _layer(kind="depthwise", inputs=("f",), in_shape=(1, 1, 8), out_shape=(1, 1, 8),
             weights=np.ones((8, 3, 3), np.int8), kernel=3, pad=1, w_bits=8)], {},
     "layer f: the cores' fc kernel writes a flat output"),
    ([_layer(), _layer(name="a", kind="add", inputs=("input", "m"), weights=None, adc=None),
      ], {}, "not an earlier tensor"),
    ([_layer(kind="depthwise", weights=np.ones((8, 3, 3), np.int8), kernel=3, stride=3, w_bits=8,
             out_shape=(1, 1, 8))], {}, "layer l: stride must be 1 or 2"),
    # software layers (sw_layers): names, row pieces, padding the kernel cannot read
    ([_layer()], dict(sw_layers={"l", "nope"}), "sw_layers: no layer named 'nope'"),
    ([_layer()], dict(sw_layers="l"), "sw_layers must be a collection of layer names"),
    ([_layer()], dict(ima_of={"l": -1}), "ima_of: IMA indices are integers >= 0, not -1"),
    ([_layer()], dict(ima_of={"l": 0, "x": 1}), "ima_of: 'x' not on the IMA"),
    ([_layer()], dict(ima_of={"l": 1}, sw_layers=["l"]), "ima_of: 'l' not on the IMA"),
    ([_layer(weights=np.ones((8, 40), np.int8), in_shape=(4, 4, 40), row_splits=(32,),
             partial_adc=(1, 0, -128, 127))], dict(rows=32, shape=(4, 4, 40), sw_layers=["l"]),
     r"layer l: on the cores a pointwise layer runs whole; its row_splits \(32,\)"),
    ([_layer(kind="conv", weights=np.ones((8, 1, 1, 8), np.int8), kernel=1, pad=0),
      _layer(name="d", kind="depthwise", weights=np.ones((8, 3, 3), np.int8), kernel=3, pad=1,
             w_bits=8)], dict(sw_layers=["l"]),
     "layer l: the cores' conv kernel reads its input 'input' with padding 0, but the buffer is "
     "padded by 1"),
])
def test_errors_name_the_problem(layers, kw, msg, hw):
    rows = kw.pop("rows", 32)
    shape = kw.pop("shape", (4, 4, 8))
    with pytest.raises(ValueError, match=msg):
        g = Graph("g", shape, layers)
        compile_graph(g, np.zeros(shape, np.uint8), hw(rows), **kw)


def test_bad_input_is_an_error(hw):
    g = Graph("g", (4, 4, 8), [_layer()])
    with pytest.raises(ValueError, match="input must be uint8"):
        compile_graph(g, np.zeros((4, 4, 8), np.int8), hw(32))


@pytest.mark.parametrize("fc_unit", ["cores", "ima"])
def test_reduced_mobilenetv2_end_to_end(fc_unit, hw):
    """MobileNetV2 at 96x96, width 0.35 on 256x256 arrays: compiled, allocation invariant, and
    executed at job level == the golden graph run, every layer."""
    from sim_models.netexec import check_program
    from sim_models.nets.mobilenetv2 import mobilenetv2_graph

    seed = pick_seed()
    g = mobilenetv2_graph(96, 0.35, seed=seed % 1000)
    x = np.random.default_rng(seed).integers(0, 256, g.input_shape, dtype=np.uint8)
    prog = compile_graph(g, x, hw(256), fc_unit=fc_unit)
    check_allocation(prog)
    s = prog.summary()
    assert s["units"] == {"ima": 35 + (fc_unit == "ima"), "dwa": 17, "cores": 12 - (fc_unit == "ima")}
    assert s["dwa_jobs"] == 17 and s["layers"] == len(g.layers) == 64
    assert any(ph.kind == "sw_add_partials" for ph in prog.phases)      # conv_last, fc: > 256 rows
    res = check_program(prog)
    assert [r for r in res if not r[1]] == [] and len(res) == 64


def test_software_layers_run_bit_exact(hw):
    """``sw_layers``: a random set of the reduced MobileNetV2's crossbar and depth-wise layers
    forced onto the cores (built without row splits: a layer on the cores runs whole) -- the
    forced layers get the cores' kernels (the depth-wise through HWC->CHW), their weights
    resident, the allocation stays valid, and the job-level run equals the golden graph."""
    from sim_models.netexec import check_program
    from sim_models.nets.mobilenetv2 import mobilenetv2_graph

    seed = pick_seed()
    rng = np.random.default_rng(seed)
    g = mobilenetv2_graph(32, 0.35, 10, seed % 1000, rows=None)
    x = rng.integers(0, 256, g.input_shape, dtype=np.uint8)
    xbar = [lay.name for lay in g.layers if lay.kind in ("conv", "pointwise")]
    big = {lay.name for lay in g.layers if lay.xbar_shape and lay.xbar_shape[0] > 256}
    sw = set(rng.choice(xbar, 20, replace=False)) | big | {lay.name for lay in g.layers
                                                           if lay.kind == "depthwise"}
    prog = compile_graph(g, x, hw(256), sw_layers=sw)
    check_allocation(prog)
    units = {s.layer: s.unit for s in prog.steps}
    assert all(units[n] == "cores" for n in sw), seed
    assert {n for n, u in units.items() if u == "ima"} == set(xbar) - sw, seed
    kinds = {ph.kind for s in prog.steps if s.layer in sw for ph in s.phases}
    assert {"sw_pointwise", "sw_hwc_to_chw", "sw_depthwise_chw"} <= kinds, (seed, kinds)
    for name in sw:                                 # the weights resident, in the kernels' layout
        w = g.layer(name).weights
        b = prog.buffers[f"{name}.w"]
        assert np.array_equal(prog.image[b.addr:b.addr + b.nbytes].view(np.int8), w.reshape(-1)), name
    res = check_program(prog)
    assert [r for r in res if not r[1]] == [] and len(res) == len(g.layers), seed
    # everything on the cores (the study's baseline) runs too, a strided 3x3 conv among them
    prog = compile_graph(g, x, hw(256), sw_layers={lay.name for lay in g.layers})
    assert prog.summary()["units"] == {"ima": 0, "dwa": 0, "cores": len(g.layers)}
    assert any(ph.kind == "sw_conv" for ph in prog.phases)
    assert all(r[1] for r in check_program(prog)), seed


def test_private_imas(hw):
    """``ima_of`` (tight coupling): each IMA's layers Tile&Packed on its own crossbars (here
    two IMAs of one array each, which one array could not hold together), placements numbered
    ``k * arrays + a``, the LayerJobs on their local array, every IMA phase naming its IMA; the
    job-level run on the per-IMA crossbars equals the golden graph."""
    from sim_models.netexec import check_program
    from sim_models.nets.mobilenetv2 import mobilenetv2_graph

    seed = pick_seed()
    g = mobilenetv2_graph(32, 0.35, 10, seed % 1000, rows=None)
    x = np.random.default_rng(seed).integers(0, 256, g.input_shape, dtype=np.uint8)
    on = [lay.name for lay in g.layers[:48] if lay.kind in ("conv", "pointwise")]
    ima_of = {n: i % 2 for i, n in enumerate(on)}
    sw = {lay.name for lay in g.layers} - set(on)
    with pytest.raises(ValueError, match="arrays: Tile&Pack"):      # one array holds not all
        compile_graph(g, x, hw(256), arrays=1, sw_layers=sw)
    prog = compile_graph(g, x, hw(256), arrays=1, sw_layers=sw, ima_of=ima_of)
    check_allocation(prog)
    assert prog.imas == 2 and prog.arrays == 1
    for p in prog.placements:
        assert p.array == ima_of[p.name.split("[")[0]], p.name
    for s in prog.steps:
        for ph in s.phases:
            if ph.kind == "ima":
                assert ph.args["layers"] == {ima_of[s.layer]: ph.args["layer"]}
                assert all(j.array == 0 for j in ph.args["layer"].jobs)
    res = check_program(prog)
    assert [r for r in res if not r[1]] == [] and len(res) == len(g.layers), seed
    # without ima_of: today's program (no IMA named in the phases, imas 1)
    one = compile_graph(g, x, hw(256), sw_layers=sw)
    assert one.imas == 1 and all("layers" not in ph.args for ph in one.phases)


def test_reduced_mobilenetv1_end_to_end(hw):
    """MobileNetV1 (no residuals; every kind it has is on the RTL path) at 32x32, width 0.25:
    compiled, allocation invariant, executed at job level == the golden graph, every layer."""
    from sim_models.netexec import check_program
    from sim_models.nets import ZOO

    seed = pick_seed()
    g = ZOO["mobilenetv1"](resolution=32, width=0.25, classes=10, seed=seed % 1000)
    x = np.random.default_rng(seed).integers(0, 256, g.input_shape, dtype=np.uint8)
    prog = compile_graph(g, x, hw(256))
    check_allocation(prog)
    assert prog.summary()["units"] == {"ima": 14, "dwa": 13, "cores": 2}
    res = check_program(prog)
    assert [r for r in res if not r[1]] == [] and len(res) == 29


def test_resnet_stem_7x7_stride_2(hw):
    """ResNet's stem (7x7, stride 2, pad 3: 147 crossbar rows) is on the RTL path: compiled and
    executed at job level == the golden graph."""
    from sim_models.netexec import check_program
    from sim_models.nets.builder import NetSpec

    seed = pick_seed()
    net = NetSpec("stem", (32, 32, 3))
    net.conv("conv1", 16, 7, 2, 3)
    net.avgpool("avgpool")
    net.fc("fc", 10, linear=True)
    g = net.graph(seed=seed % 1000)
    x = np.random.default_rng(seed).integers(0, 256, g.input_shape, dtype=np.uint8)
    prog = compile_graph(g, x, hw(256))
    assert g.layer("conv1").xbar_shape == (147, 16) and prog.summary()["ima_jobs"] == 16 * 16
    assert all(ok for _, ok, _ in check_program(prog))


def test_reduced_squeezenet_end_to_end(hw):
    """SqueezeNet 1.1 at 32x32, width 0.25 (max pools, fire modules' concatenations, a 3x3 stem
    without padding): compiled, allocation invariant, executed at job level == the golden graph,
    every layer; the max pools' inputs need no padding ring, the concatenations read two
    buffers."""
    from sim_models.netexec import check_program
    from sim_models.nets import ZOO

    seed = pick_seed()
    g = ZOO["squeezenet1_1"](resolution=32, width=0.25, classes=10, seed=seed % 1000)
    x = np.random.default_rng(seed).integers(0, 256, g.input_shape, dtype=np.uint8)
    prog = compile_graph(g, x, hw(256))
    check_allocation(prog)
    kinds = [ph.kind for ph in prog.phases]
    assert kinds.count("sw_maxpool") == 3 and kinds.count("sw_concat") == 8
    assert prog.buffers["conv1"].pad == 0 and prog.buffers["fire2_squeeze"].pad == 1
    assert prog.summary()["units"] == {"ima": 26, "dwa": 0, "cores": 12}
    res = check_program(prog)
    assert [r for r in res if not r[1]] == [] and len(res) == len(g.layers) == 38


def test_resnet_and_vgg_need_row_split_kxk(hw):
    """ResNet's and VGG's 3x3 convolutions on more than 28 channels have more than 256 crossbar
    rows: the compiler names the first (the streamer cannot walk a KxK row piece)."""
    from sim_models.nets import ZOO
    for name, first, rows in (("resnet18", "s2b1_conv2", 432), ("vgg16", "conv2_2", 288)):
        g = ZOO[name](resolution=32, width=0.25 if name == "vgg16" else 0.35, classes=10)
        with pytest.raises(ValueError, match=f"layer {first}: a 3x3 conv with {rows} crossbar rows"):
            compile_graph(g, np.zeros(g.input_shape, np.uint8), hw(256))
    bare = ZOO["squeezenet1_1"](resolution=32, width=0.125, classes=10, weights=False)
    with pytest.raises(ValueError, match="shape-only"):
        compile_graph(bare, np.zeros(bare.input_shape, np.uint8), hw(256))
