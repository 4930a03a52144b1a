"""tb/env/net.py on the host side: a layer's record (bit-exact or not, mismatches counted, a wrong
shape never passes) and the program's round trip to the simulator process. The runner itself
runs in tests/tb/bfm/test_kernels.py and tests/tb/cli/test_net.py."""

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest

from sim_models.mapping import Buffer
from tb.env.net import layer_record, load_program, run_images, save_program


def _step(expected):
    return SimpleNamespace(layer="l", kind="pointwise", unit="ima", macs=10, expected=expected)


def test_layer_record():
    exp = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    r = layer_record(_step(exp), 1000, 1.5, 500e6, exp.copy())
    assert r == {"name": "l", "kind": "pointwise", "unit": "ima", "macs": 10, "cycles": 1000,
                 "time_ms": 1000 / 500e6 * 1e3, "energy_uj": 1.5, "passed": True, "mismatches": 0}
    bad = exp.copy()
    bad[1, 1, :2] += 1
    r = layer_record(_step(exp), 1000, 1.5, 500e6, bad)
    assert not r["passed"] and r["mismatches"] == 2
    r = layer_record(_step(exp), 1000, 1.5, 500e6, exp.reshape(4, 3))
    assert not r["passed"] and r["mismatches"] == exp.size


def test_program_round_trip(tmp_path):
    prog = SimpleNamespace(image=np.arange(16, dtype=np.uint8), used=16, placements=[],
                           steps=[SimpleNamespace(out=Buffer("y", 4, (2, 2, 1), pad=0))])
    save_program(prog, tmp_path / "p.pkl")
    back = load_program(tmp_path / "p.pkl")
    assert np.array_equal(back.image, prog.image) and back.steps[0].out == prog.steps[0].out


def test_run_images_refuses_private_imas():
    """A program of private IMAs (compile_graph's ima_of) cannot run on IMA 0's crossbar sets:
    a ValueError naming imas before anything touches the simulator (env None here)."""
    with pytest.raises(ValueError, match=r"uses 2 private IMAs \(imas\)"):
        asyncio.run(run_images(None, SimpleNamespace(imas=2), None, np.zeros((1, 2, 2, 3)), [[]]))
