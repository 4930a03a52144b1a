"""tb/env/params.py: the one host -> cocotb parameter file, and the result back."""

import json

import numpy as np

from hw.config import preset
from tb.env import params


def test_round_trip(tmp_path, monkeypatch):
    cfg = preset().with_(ports=2, overlap=True)
    path = params.write(tmp_path, cfg, {"layers": "conv", "ops": 3})
    monkeypatch.setenv(params.ENV_VAR, str(path))
    params.load.cache_clear()
    try:
        p = params.load()
        assert p.cluster_config() == cfg and p.option("ops") == 3 and p.option("x", 7) == 7
        assert p.result == str(tmp_path.resolve() / params.RESULT_FILE)
        params.save_result({"cycles": 5}, {"y": np.arange(3, dtype=np.uint8)})
    finally:
        params.load.cache_clear()
    res = params.read_result(tmp_path)
    assert res["cycles"] == 5 and res["arrays"]["y"].tolist() == [0, 1, 2]
    # writing again clears the previous result
    params.write(tmp_path, {"masters": 4}, None)
    assert params.read_result(tmp_path) is None
    assert json.loads(path.read_text())["config"] == {"masters": 4}


def test_no_parameters_outside_a_run(monkeypatch):
    monkeypatch.delenv(params.ENV_VAR, raising=False)
    params.load.cache_clear()
    try:
        assert params.load() == params.RunParams()
    finally:
        params.load.cache_clear()
