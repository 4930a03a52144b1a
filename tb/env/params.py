"""The one way parameters travel from the host (pytest, ``ima-sim``) to a cocotb test, and results
back: a JSON file in the run directory, named by one environment variable.

Host side (:func:`tb.build.runner.run` calls :func:`write` and :func:`read_result`)::

    {"config":  {...},     # the hardware: ClusterConfig.flat() of a cluster / IMA top, or the
                           #   build parameters of another top (e.g. the TCDM's masters/banks/size)
     "options": {...},     # test options (layers to run, ops per master, the RunSpec, ...)
     "result":  "<run dir>/result.json"}   # where the test writes its result

Simulator side: :func:`load` (read once, cached) returns a :class:`RunParams`;
:func:`save_result` writes the test's result (a JSON object, plus named numpy arrays beside it in
``result.npz`` when a test returns arrays), which ``runner.run`` returns to the host.

Pure Python + numpy: imported on both sides. cocotb's own ``COCOTB_*`` variables and the
pytest-side knobs (``IMA_SEED``, ``IMA_FAST_BUILD``, ``IMA_SLOW``) are not part of this scheme.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ENV_VAR", "RunParams", "config_dict", "write", "load", "save_result", "read_result"]

#: The environment variable holding the path of the parameter file.
ENV_VAR = "TB_PARAMS"
PARAMS_FILE = "tb_params.json"
RESULT_FILE = "result.json"
ARRAYS_FILE = "result.npz"


@dataclass(frozen=True)
class RunParams:
    """What the host passed to a cocotb test."""
    config: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    result: str | None = None

    def cluster_config(self):
        """``config`` as a :class:`hw.config.ClusterConfig` (for the cluster and IMA tops)."""
        from hw.config import ClusterConfig
        return ClusterConfig.from_flat(self.config)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


def config_dict(config) -> dict:
    """The JSON form of a run's ``config``: ``ClusterConfig.flat()``, a plain dict, or ``{}``."""
    if config is None:
        return {}
    if hasattr(config, "flat"):                 # hw.config.ClusterConfig
        return config.flat()
    if isinstance(config, Mapping):
        return dict(config)
    raise ValueError(f"config must be a ClusterConfig, a mapping or None, not {config!r}")


def write(run_dir: str | os.PathLike, config=None, options: Mapping | None = None) -> Path:
    """Host side: write the parameter file into ``run_dir``; return its path (the value of
    :data:`ENV_VAR`). A stale result in ``run_dir`` is removed first."""
    run_dir = Path(run_dir).resolve()
    for name in (RESULT_FILE, ARRAYS_FILE):
        (run_dir / name).unlink(missing_ok=True)
    path = run_dir / PARAMS_FILE
    path.write_text(json.dumps({"config": config_dict(config), "options": dict(options or {}),
                                "result": str(run_dir / RESULT_FILE)}, sort_keys=True) + "\n")
    return path


@functools.cache
def load() -> RunParams:
    """Simulator side: the parameters of this run (read once; empty when run without any)."""
    path = os.environ.get(ENV_VAR)
    if not path:
        return RunParams()
    data = json.loads(Path(path).read_text())
    return RunParams(data.get("config", {}), data.get("options", {}), data.get("result"))


def save_result(result: Mapping, arrays: Mapping[str, np.ndarray] | None = None) -> None:
    """Simulator side: write the test's result (JSON-ready mapping) and optional named arrays."""
    path = load().result
    if path is None:
        return
    Path(path).write_text(json.dumps(result))
    if arrays:
        np.savez(Path(path).with_name(ARRAYS_FILE), **arrays)


def read_result(run_dir: str | os.PathLike) -> dict | None:
    """Host side: the result the test wrote into ``run_dir`` (``None`` if none); arrays it saved
    come back under the key ``"arrays"`` (name -> numpy array)."""
    run_dir = Path(run_dir)
    path = run_dir / RESULT_FILE
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    npz = run_dir / ARRAYS_FILE
    if npz.exists():
        with np.load(npz) as f:
            result["arrays"] = {k: f[k] for k in f.files}
    return result
