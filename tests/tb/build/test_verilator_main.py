"""The project's Verilator main (tb/build/verilator_main.cpp) and its model check
(tb/build/lazy_fall.py), issue 15, docs/speed-plan.md "Step 3e".

On a small design (tb.cocotb_tests.lazy_fall): the main's clock with lazy falling edges, the same
clock evaluating every edge, and cocotb's GPI clock give per-cycle records equal to a Python model
of the design, with writes at falling edges and a ``vpi_put_value_array`` after a rising edge; the
lazy clock skips falling edges (the counters say how many); without the array wrapper's report to
the main, the lazy clock shows a stale word (so the test can fail). The model check accepts the
shapes of generated code the main relies on and refuses a negedge trigger, a second clock and
logic reading the clock."""

import pytest

from tb.build import lazy_fall
from tb.build.runner import build, pick_seed, run
from tb.cocotb_tests.lazy_fall import DEPTH, LazyFallTop

CYCLES = 40


def _model(variant):
    """The records :func:`tb.cocotb_tests.lazy_fall.lazy_fall_trace` must see, from its initial
    state and actions: after each rising edge (a put in that time step's ReadWrite is not yet
    visible to the combinational read) and after each falling edge."""
    init = variant["init"]
    acc, cnt, a, mem = init["acc"], init["cnt"], init["a"], list(init["mem"])
    out = []
    for act in variant["actions"]:
        acc, cnt = (acc + a) & 0xFF, (cnt + 1) % DEPTH
        stale = mem[cnt]
        if act["put"] is not None:
            idx, word = act["put"]
            mem[idx] = word
        out.append([acc, cnt, (acc + a) & 0xFF, stale])
        if act["a"] is not None:
            a = act["a"]
        out.append([acc, cnt, (acc + a) & 0xFF, mem[cnt]])
    return out


@pytest.fixture(scope="module")
def results():
    seed = pick_seed()
    runner = build("lazy_fall", LazyFallTop, {})
    variants = [["main", True], ["main-eager", True], ["gpi", True], ["main", False]]
    res = run(runner, "lazy_fall", "tb.cocotb_tests.lazy_fall", seed=seed,
              options={"variants": variants, "cycles": CYCLES, "seed": seed})
    return {(v["impl"], v["notify"]): v for v in res["variants"]}


@pytest.mark.parametrize("impl", ["main", "main-eager", "gpi"])
def test_every_clock_matches_the_model(results, impl):
    v = results[(impl, True)]
    assert len(v["records"]) == 2 * CYCLES
    assert any(a["put"] for a in v["actions"]) and any(a["a"] is not None for a in v["actions"])
    assert v["records"] == _model(v)


def test_lazy_clock_skips_falling_edges_and_eager_does_not(results):
    lazy, eager, gpi = (results[(i, True)]["stats"] for i in ("main", "main-eager", "gpi"))
    assert lazy["edges"] >= 2 * CYCLES and eager["edges"] == lazy["edges"]
    assert eager["skipped"] == 0 and gpi["skipped"] == 0 and gpi["edges"] == 0
    # each skip replaces one eval() and changes nothing that follows: the same steps otherwise
    assert lazy["evals"] + lazy["skipped"] == eager["evals"]
    # a falling edge after a vpi_put_value_array (c % 3 == 0) is evaluated; every other one is
    # skipped (the one before the loop too), its writes (Deposit: inertial) evaluated after it
    puts = sum(1 for c in range(CYCLES) if c % 3 == 0)
    assert lazy["skipped"] >= CYCLES - puts


def test_without_the_array_report_a_lazy_fall_reads_a_stale_word(results):
    v = results[("main", False)]
    assert v["records"] != _model(v)


_ROOT_H = "VL_IN8(clk,0,0);\nCData __Vtrigprevexpr___TOP__t__DOT__clk__0;\n"
_COPY = "vlSelfRef.t__DOT__clk = vlSelfRef.clk;\n"
_RISE = ("vlSelfRef.__VactTriggered[0U] = (QData)((IData)(((IData)(vlSelfRef.t__DOT__clk)\n"
         "  & (~ (IData)(vlSelfRef.__Vtrigprevexpr___TOP__t__DOT__clk__0)))));\n"
         "vlSelfRef.__Vtrigprevexpr___TOP__t__DOT__clk__0 = vlSelfRef.t__DOT__clk;\n")
_FALL = _RISE.replace("((IData)(vlSelfRef.t__DOT__clk)\n  & (~ (IData)(vlSelfRef.__Vtrigprevexpr"
                      "___TOP__t__DOT__clk__0)))",
                      "((~ (IData)(vlSelfRef.t__DOT__clk))\n  & (IData)(vlSelfRef.__Vtrigprevexpr"
                      "___TOP__t__DOT__clk__0))")


@pytest.mark.parametrize("code, header, why", [
    (_COPY + _RISE, "", ""),
    (_COPY + _FALL, "", "not a rising edge"),
    (_COPY + _RISE + "vlSelfRef.y = (1U & (~ (IData)(vlSelfRef.t__DOT__clk)));\n", "",
     "read by logic"),
    (_COPY + _RISE.replace("t__DOT__clk__0", "t__DOT__clk2__0"),
     "CData __Vtrigprevexpr___TOP__t__DOT__clk2__0;\n", "not a rising edge of one copy"),
])
def test_model_check(tmp_path, code, header, why):
    """A rising-edge trigger on a copy of clk is accepted (and its stores emitted); a negedge, logic
    reading the clock or a trigger on another signal make the model unsupported, with the reason."""
    (tmp_path / "Vtop___024root.h").write_text(_ROOT_H + header)
    (tmp_path / "Vtop___024root__0.cpp").write_text(code)
    clock, lazy, reason, copies, prevs = lazy_fall.analyse(tmp_path)
    assert clock
    assert lazy is (why == "") and why in reason
    if lazy:
        assert copies == [("t__DOT__clk", "clk")]
        assert prevs == [("__Vtrigprevexpr___TOP__t__DOT__clk__0", "t__DOT__clk")]
        text = lazy_fall.header_text(tmp_path)
        assert "r.__Vtrigprevexpr___TOP__t__DOT__clk__0 = r.t__DOT__clk;" in text
        assert "#define IMA_LAZY_FALL_OK 1" in text


def test_model_without_clk(tmp_path):
    (tmp_path / "Vtop___024root.h").write_text("VL_IN8(a,0,0);\n")
    clock, lazy, reason, _, _ = lazy_fall.analyse(tmp_path)
    assert not clock and not lazy and "clk" in reason
