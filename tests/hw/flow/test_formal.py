"""The formal flow (hw/flow/formal.py) and the property modules next to the blocks.

Runs the ``fast`` proofs of :data:`hw.flow.formal.PROOFS` with SymbiYosys (the rest run in
``make formal``) and the deliberately broken fixed-priority interconnect, whose fairness proof
must FAIL with a counterexample in which one master requests its bank for ``M`` cycles and is
never granted. The first yowasp call of a fresh checkout compiles the WebAssembly Yosys (about
90 s of CPU, cached in the project's ``.cache``). Also the runner's parsing, the table and the
CLI's bad options, without any solver."""

import pytest

from hw.flow import formal
from hw.flow.formal import BROKEN, PROOFS, Proof, ProofResult, run, select, vcd_steps

FAST = [p for p in PROOFS if p.fast]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("formal")


@pytest.mark.parametrize("proof", FAST, ids=[p.name for p in FAST])
def test_fast_proof_passes(proof, work):
    r = run(proof, work)
    print(formal._line(r))
    assert r.status == "PASS", f"{proof.name}: {r.status} at {r.failed} (log {work})"
    if proof.mode == "prove":
        assert r.induction is not None and 0 <= r.induction <= proof.depth


def test_fixed_priority_arbiter_fails_the_fairness_proof(work):
    """The proofs bite: with a fixed-priority arbiter a master starves, and the counterexample
    shows it -- a master whose request stays on one bank for M cycles without a grant."""
    (proof,) = BROKEN
    r = run(proof, work)
    print(formal._line(r))
    assert r.status == "FAIL" and r.ok
    assert r.trace is not None and r.trace.is_file()
    assert any("interconnect_props.py" in f for f in r.failed)
    M = 4
    names = [f"masters__{i}__{s}" for i in range(M) for s in ("req", "gnt", "addr")]
    tr = vcd_steps(r.trace, names)
    steps = len(tr[names[0]])
    print("counterexample (step: req/gnt/bank of masters 0..3):")
    for s in range(steps):
        print(f"  {s}: " + "  ".join(
            f"{tr[f'masters__{i}__req'][s]}/{tr[f'masters__{i}__gnt'][s]}/"
            f"{(tr[f'masters__{i}__addr'][s] or 0) >> 2 & 3}" for i in range(M)))
    starved = []
    for i in range(M):
        req, gnt, addr = (tr[f"masters__{i}__{k}"] for k in ("req", "gnt", "addr"))
        streak = 0
        for s in range(1, steps):                     # step 0 is the reset cycle
            stalled = bool(req[s]) and not gnt[s]
            same_bank = (addr[s] or 0) >> 2 & 3 == (addr[s - 1] or 0) >> 2 & 3
            streak = streak + 1 if stalled and (streak == 0 or same_bank) else int(stalled)
            if streak >= M:
                starved.append(i)
    assert starved, "the counterexample shows no master stalled M cycles"


def test_the_fast_set_covers_every_block_and_the_broken_variant():
    blocks = {p.block for p in FAST}
    assert blocks == {"LogInterconnect", "HwpeCtrl", "AddressGen"}
    assert select(fast=True) == tuple(FAST) + BROKEN
    assert {p.name for p in select(["hwpe_ctrl.*"])} == {p.name for p in PROOFS
                                                         if p.name.startswith("hwpe_ctrl.")}
    with pytest.raises(ValueError, match="no proof named 'nope'"):
        select(["nope"])
    # Every property has a cover run, and the interconnect's fairness is unbounded (prove).
    assert {p.name.split(".")[0] for p in PROOFS if p.mode == "cover"} == {
        "interconnect_4x4", "interconnect_5x8", "hwpe_ctrl", "addressgen_p2"}
    assert all(p.mode == "prove" for p in PROOFS if p.name.endswith(".fair"))


@pytest.mark.parametrize("kw, match", [
    ({"name": "a b"}, "name"), ({"mode": "sim"}, "mode"), ({"depth": 0}, "depth"),
    ({"expect": "MAYBE"}, "expect"), ({"solver": "abc"}, "solver"),
])
def test_bad_proof_parameters(kw, match):
    args = {"name": "x.y", "block": "B", "mode": "bmc", "depth": 3, "build": None, **kw}
    with pytest.raises(ValueError, match=match):
        Proof(**args)


def test_bad_property_module_parameters():
    from hw.cluster.interconnect_props import InterconnectProps
    from hw.hwpe.ctrl_props import CtrlProps
    from hw.hwpe.streamer.addressgen_props import AddressGenProps
    for make, match in [
        (lambda: InterconnectProps(1, 4), "masters"),
        (lambda: InterconnectProps(4, 3), "banks"),
        (lambda: InterconnectProps(4, 4, props=("speed",)), "props"),
        (lambda: CtrlProps(n_cores=1), "n_cores"),
        (lambda: CtrlProps(props=()), "props"),
        (lambda: AddressGenProps(ports=0), "ports"),
        (lambda: AddressGenProps(props=("nope",)), "props"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()


_LOG_PROVE = """\
SBY 1 [p] engine_0.induction: ##   0:00:00  Trying induction in step 5..
SBY 1 [p] engine_0.induction: ##   0:00:00  Trying induction in step 4..
SBY 1 [p] engine_0.induction: ##   0:00:00  Trying induction in step 3..
SBY 1 [p] engine_0.induction: ##   0:00:04  Temporal induction successful.
SBY 1 [p] DONE (PASS, rc=0)
"""
_LOG_FAIL = """\
SBY 1 [p] summary: counterexample trace: p/engine_0/trace.vcd
SBY 1 [p] summary:   failed assertion top._witness_.check_9 at /x/props.py:12
SBY 1 [p] DONE (FAIL, rc=2)
"""
_LOG_COVER = """\
SBY 1 [p] engine_0: ##   0:00:00  Reached cover statement in step 2 at top: /x/p.py:3 (_witness_.c1)
SBY 1 [p] engine_0: ##   0:00:00  Reached cover statement in step 2 at top: /x/p.py:3 (_witness_.c2)
SBY 1 [p] engine_0: ##   0:00:00  Unreached cover statement at top: /x/p.py:9 (_witness_.c3)
SBY 1 [p] DONE (FAIL, rc=2)
"""


@pytest.mark.parametrize("mode, log, status, induction, covers, failed, trace", [
    ("prove", _LOG_PROVE, "PASS", 2, 0, [], None),
    ("bmc", _LOG_FAIL, "FAIL", None, 0, ["/x/props.py:12"], "p/engine_0/trace.vcd"),
    ("cover", _LOG_COVER, "FAIL", None, 2, ["/x/p.py:9"], None),
    ("bmc", "crashed\n", "ERROR", None, 0, [], None),
])
def test_parse_sby_logs(tmp_path, mode, log, status, induction, covers, failed, trace):
    p = Proof("p.q", "B", mode, 5, None)
    r = formal._parse(p, log, tmp_path / "p")
    assert (r.status, r.induction, r.covers, r.failed) == (status, induction, covers, failed)
    assert r.trace == (tmp_path / trace if trace else None)
    assert isinstance(r, ProofResult) and r.ok == (status == "PASS")


def test_sby_file_and_report_table(tmp_path):
    p = Proof("a.b", "Blk", "prove", 4, None, solver="yices")
    text = formal.sby_text(p, "a__b.il", timeout=30)
    for line in ("mode prove", "depth 4", "timeout 30", "smtbmc yices", "read_rtlil a__b.il",
                 "prep -top top"):
        assert line in text.splitlines()
    r = ProofResult(p, "PASS", 1.25, tmp_path, induction=3)
    assert "| `a.b` | Blk | prove | k=3 (depth 4) | PASS | 1.2 |" in formal.table([r])


def test_vcd_steps_samples_each_step(tmp_path):
    vcd = tmp_path / "t.vcd"
    vcd.write_text("$scope module top $end\n$var wire 1 ! req $end\n$scope module dut $end\n"
                   "$var wire 3 \" st $end\n$upscope $end\n$upscope $end\n$enddefinitions $end\n"
                   "#0\n0!\nb000 \"\n#5\n#10\n1!\nb101 \"\n#15\n#20\n0!\n#25\n")
    assert vcd_steps(vcd, ["req", "dut.st"]) == {"req": [0, 1, 0], "dut.st": [0, 5, 5]}
    with pytest.raises(ValueError, match="no signal 'gnt'"):
        vcd_steps(vcd, ["gnt"])


@pytest.mark.parametrize("argv, match", [
    (["formal", "nope"], "no proof named 'nope'"),
    (["formal", "--timeout", "0"], "--timeout"),
    (["formal", "--timeout", "x"], "--timeout"),
])
def test_cli_bad_options_one_line_exit_2(argv, match, capsys, tmp_path, monkeypatch):
    from tb.cli.main import main
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(argv + ["-o", str(tmp_path / "out")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert match in err[-1] and "Traceback" not in "".join(err)
    assert not (tmp_path / "out").exists()


def test_cli_list(capsys):
    from tb.cli.main import main
    assert main(["formal", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(p.name in out for p in PROOFS + BROKEN)
