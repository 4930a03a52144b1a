"""sim_models.netexec: compiled small networks executed at job level == the golden graph run,
layer by layer (every kind, row and column splits on 32x32 arrays, residual, fc on the cores and
on the IMA), padding rings on reused (dirty) memory, given crossbars.

Seeded: the seed is printed and replayable with ``IMA_SEED=<n>``.
"""

import numpy as np
import pytest

from sim_models.compiler import compile_graph
from sim_models.crossbar import Crossbar
from sim_models.netexec import check_program, execute_program, program_crossbars, run_phase
from sim_models.workloads import Phase
from tb.build.runner import pick_seed


def every_kind(net_builder, rng, rows=32):
    """conv 3x3/s2, pointwise with row + column splits, DWA s1 and s2, a signed projection, a
    residual add, a non-global and a global pool, an fc with row + column splits, pad-0 layers
    reading a padded buffer."""
    b = net_builder(rng, (12, 12, 3), rows)
    b.add("conv", "conv", "input", cout=40, kernel=3, stride=2, pad=1)          # 27 rows, 40 cols
    b.add("exp", "pointwise", "conv", cout=72)                                  # 40 rows: split
    b.add("dw", "depthwise", "exp", kernel=3, pad=1)
    b.add("proj", "pointwise", "dw", cout=40, signed=True)                      # 72 rows: 3 pieces
    b.add("res", "add", ("conv", "proj"))
    b.add("dw2", "depthwise", "res", kernel=3, stride=2, pad=1)
    b.add("pw3", "pointwise", "res", cout=8)              # reads the padded 'res' inside its ring
    b.add("dw3", "depthwise", "res", kernel=3, pad=0)     # same, on the DWA
    b.add("pool", "avgpool", "dw2", out_hw=(1, 1))
    b.add("pw2", "pointwise", "conv", cout=8)
    b.add("pool2", "avgpool", "pw2", out_hw=(3, 3))
    b.add("fc", "fc", "pool", cout=36)                                          # 40 rows, 36 cols
    b.add("fc8", "fc", "pool2", cout=5, w_bits=8)
    return b


@pytest.mark.parametrize("fc_unit", ["cores", "ima"])
def test_every_kind_matches_golden(net_builder, hw, fc_unit):
    seed = pick_seed()
    b = every_kind(net_builder, np.random.default_rng(seed))
    g = b.graph()
    if fc_unit == "ima":            # the 8-bit fc cannot go on the crossbars: drop it
        g.layers.pop()
    prog = compile_graph(g, b.x, hw(32), fc_unit=fc_unit)
    assert {s.unit for s in prog.steps} == {"ima", "dwa", "cores"}
    assert any(len(s.arrays) > 1 for s in prog.steps)                    # a layer over several arrays
    assert sum(ph.kind == "sw_add_partials" for ph in prog.phases) == 5     # exp proj pw2 pw3 fc
    outs = execute_program(prog)
    for step in prog.steps:
        assert np.array_equal(outs[step.layer], b.tensors[step.layer]), step.layer
        assert np.array_equal(step.expected, b.tensors[step.layer])
    assert all(ok for _, ok, _ in check_program(prog, outs))
    # the outputs are not trivially constant (a saturated layer would prove little)
    assert all(len(np.unique(o)) > 1 for k, o in outs.items() if o.size > 8), \
        [k for k, o in outs.items() if len(np.unique(o)) < 2]


def test_dirty_padding_ring_is_zeroed(net_builder, hw):
    """A padded buffer placed where an earlier tensor lived gets a ``sw_zero_ring`` phase; without
    it the layer reading the ring computes garbage (so the phase, and this test, matter)."""
    seed = pick_seed()
    b = net_builder(np.random.default_rng(seed), (8, 8, 16), rows=256)
    b.add("a", "pointwise", "input", cout=16)
    b.add("b", "pointwise", "a", cout=16)
    b.add("c", "pointwise", "b", cout=16)        # 'c' reuses the input's or 'a''s dirty bytes
    b.add("d", "depthwise", "c", kernel=3, pad=1)
    b.add("e", "conv", "d", cout=8, kernel=3, pad=1)
    prog = compile_graph(b.graph(), b.x, hw(256))
    rings = [(s, ph) for s in prog.steps for ph in s.phases if ph.kind == "sw_zero_ring"]
    assert rings, [(s.layer, s.out) for s in prog.steps]
    assert all(ok for _, ok, _ in check_program(prog))
    for step, ph in rings:
        step.phases.remove(ph)
        res = dict((name, ok) for name, ok, _ in check_program(prog))
        step.phases.insert(0, ph)
        consumers = [lay.name for lay in prog.graph.layers if step.layer in lay.inputs]
        assert not all(res[c] for c in consumers), f"dropping {ph.name} changed nothing"


def test_given_crossbars_are_used(net_builder, hw):
    seed = pick_seed()
    b = net_builder(np.random.default_rng(seed), (6, 6, 8))
    b.add("p", "pointwise", "input", cout=40)
    b.add("q", "pointwise", "p", cout=16)
    prog = compile_graph(b.graph(), b.x, hw(32))
    xbars = program_crossbars(prog)
    assert all(ok for _, ok, _ in check_program(prog, xbars=xbars, programmed=True))
    pl = next(p for p in prog.placements if p.name.startswith("q"))
    w = pl.weights.copy()
    w[:, 0] = np.where(w[:, 0] == 7, -7, 7)       # corrupt one column of q's weights
    xbars[pl.array].program(pl.row, pl.col, w)
    res = dict((n, ok) for n, ok, _ in check_program(prog, xbars=xbars, programmed=True))
    assert res == {"p": True, "q": False}
    with pytest.raises(ValueError, match="xbars"):
        execute_program(prog, [Crossbar(32, 32)] * (prog.arrays - 1))


def test_unknown_phase_kind_is_an_error():
    with pytest.raises(ValueError, match="phase x: unknown kind 'sw_nope'"):
        run_phase(Phase("x", "sw_nope", {}), np.zeros(16, np.uint8), [])


def test_a_graph_without_crossbar_layers(net_builder, hw):
    """Only cores layers: no floorplan, one (unused) array, no placements, still == golden."""
    seed = pick_seed()
    b = net_builder(np.random.default_rng(seed), (4, 6, 8))
    b.add("pool", "avgpool", "input", out_hw=(2, 3))
    b.add("fc", "fc", "pool", cout=5, w_bits=8)
    prog = compile_graph(b.graph(), b.x, hw(32))
    assert (prog.floorplan, prog.arrays, prog.placements) == (None, 1, [])
    assert [s.unit for s in prog.steps] == ["cores", "cores"]
    assert all(ok for _, ok, _ in check_program(prog))


def test_non_ideal_crossbars_run_the_program(net_builder, hw):
    """Seeded non-ideal crossbars (PCM programming / read noise): the outputs differ from the
    golden ones but stay close (issue 18 builds its statistics on this path)."""
    seed = pick_seed()
    b = net_builder(np.random.default_rng(seed), (6, 6, 8))
    b.add("p", "pointwise", "input", cout=40)
    b.add("q", "pointwise", "p", cout=16)
    prog = compile_graph(b.graph(), b.x, hw(32))
    xbars = program_crossbars(prog, ideal=False, seed=seed)
    assert all(not x.ideal for x in xbars) and len(xbars) == prog.arrays
    outs = execute_program(prog, xbars, programmed=True)
    for step in prog.steps:
        got, want = outs[step.layer].astype(float), step.expected.astype(float)
        assert np.any(got != want), step.layer
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.9, step.layer


def random_net(net_builder, rng, rows):
    """A random DAG of 6..12 layers: each reads the latest tensor or, at random, an earlier
    unsigned one of the right kind (several consumers with different paddings, long lifetimes),
    adds pair same-shape tensors, a pool and an fc may close it."""
    h = int(rng.integers(5, 10))
    b = net_builder(rng, (h, h, int(rng.integers(1, 40))), rows)
    names = ["input"]
    for i in range(int(rng.integers(6, 13))):
        uns = [t for t in names if b.tensors[t].dtype == np.uint8 and b.tensors[t].shape[0] >= 3]
        src = uns[-1] if rng.random() < 0.6 else uns[int(rng.integers(len(uns)))]
        shape = b.tensors[src].shape
        same = [t for t in names if t != src and b.tensors[t].shape == shape]
        kind = rng.choice(["pointwise", "conv", "depthwise", "add"] if same else
                          ["pointwise", "conv", "depthwise"])
        name = f"l{i}"
        if kind == "add":
            b.add(name, "add", (src, same[int(rng.integers(len(same)))]))
        elif kind == "depthwise":
            b.add(name, "depthwise", src, kernel=3, stride=int(rng.integers(1, 3)) if shape[0] > 4 else 1,
                  pad=int(rng.integers(0, 3)) if shape[0] > 4 else 1)
        elif kind == "conv" and 9 * shape[2] <= rows:
            b.add(name, "conv", src, cout=int(rng.integers(1, 2 * rows)), kernel=3,
                  pad=int(rng.integers(0, 2)), stride=int(rng.integers(1, 3)) if shape[0] > 4 else 1)
        else:
            b.add(name, "pointwise", src, cout=int(rng.integers(1, 2 * rows)), signed=rng.random() < 0.2)
        names.append(name)
    last = [t for t in names if b.tensors[t].dtype == np.uint8][-1]
    if rng.random() < 0.7:
        b.add("pool", "avgpool", last, out_hw=(1, 1))
        b.add("fc", "fc", "pool", cout=int(rng.integers(1, 2 * rows)))
    return b


@pytest.mark.parametrize("case", range(6))
def test_random_graphs_match_golden(net_builder, hw, case):
    """Random graphs on 16x16 or 32x32 arrays, fc on the cores or the IMA: every layer == golden."""
    seed = pick_seed() + case
    rng = np.random.default_rng(seed)
    rows = int(rng.choice([16, 32]))
    b = random_net(net_builder, rng, rows)
    prog = compile_graph(b.graph(), b.x, hw(rows), fc_unit=str(rng.choice(["cores", "ima"])))
    bad = [r for r in check_program(prog) if not r[1]]
    assert bad == [], f"seed {seed}: {bad}"
