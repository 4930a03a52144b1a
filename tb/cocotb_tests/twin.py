"""The IMA cocotb tests of tb/cocotb_tests/ima.py, run with the digital twin as the analog core.

Top: :class:`tb.build.tops.ImaTwinTestTop` (no ``ac__*`` ports: the twin sits inside). The tests
are the very same coroutines; only the environment differs:

* no Python analog-core model is started (``tb.env.ima.AnalogCoreModel`` is replaced by an inert
  stand-in in this process only);
* the analytic cycle model that layers_bit_exact compares with uses the twin's COMPUTE time;
* ``env.xbars`` (``env.xbar`` = array 0) are :class:`TwinArray` views of the twin's weight
  memory (``dut.twin.weights``; array ``k`` = rows ``k*rows ..``) through VPI: ``program()``
  writes weights there (the tests' backdoor programming) and ``weights`` reads them back, so the
  tests' own checks of the array state stay as they are.

Every layer output is still compared bit-exactly with the golden model.
"""

import dataclasses

import numpy as np

import tb.cocotb_tests.ima as _ima_tests
import tb.env.ima as _ima_env
from hw.ima.regmap import WEIGHT, pack_weights, unpack_weights
from hw.ima.twin import G_MAX_NS, mvm_cycles
from tb.cocotb_tests.ima import (  # noqa: F401 (cocotb tests)
    arrays_program_readback,
    arrays_split_layers,
    bad_configurations,
    layers_bit_exact,
    misaligned_with_stalls,
    program_and_readback,
    registers_and_acquire,
    soft_clear_mid_job,
)
from tb.env import params

_NO_DELAY = 3  # cocotb.handle._GPISetAction.NO_DELAY (vpiNoDelay)


def _twin_latency():
    """The twin's minimum COMPUTE latency in ImaTwinTestTop: its default, the configuration's
    MVM latency (70 ns at 250 MHz = 18 cycles in the default preset)."""
    return params.load().cluster_config().ima.mvm_cycles


class TwinArray:
    """Crossbar-like view of one array of ``dut.twin.weights`` (row words of ``4 * cols`` bits;
    array ``array`` starts at memory row ``array * rows``)."""

    #: uS per weight step, as sim_models.crossbar.Crossbar (g_max 25 uS / 7).
    g_step = G_MAX_NS / 7 / 1000

    def __init__(self, dut, rows, cols, array=0):
        self.mem, self.rows, self.cols = dut.twin.weights, rows, cols
        self._base = array * rows
        self._h = {}

    def _row(self, r):
        h = self._h.get(r)
        if h is None:
            h = self._h[r] = self.mem[self._base + r]
        return h

    def _get(self, r):
        return unpack_weights(self._row(r).value.to_unsigned(), self.cols)

    def program(self, row, col, weights):
        weights = np.asarray(weights, dtype=np.int64)
        if weights.ndim != 2 or weights.min(initial=0) < -7 or weights.max(initial=0) > 7:
            raise ValueError("weights must be a 2-D array of integers in [-7, 7]")
        h, w = weights.shape
        if row < 0 or col < 0 or row + h > self.rows or col + w > self.cols:
            raise ValueError(f"window ({row}, {col}, {h}, {w}) off the {self.rows}x{self.cols} twin")
        for i in range(h):
            cur = self._get(row + i)
            cur[col:col + w] = weights[i].tolist()
            v = pack_weights(cur)
            # Raw GPI write, applied at once (like tb.bfm.backdoor): the tests program the array
            # right after awaiting ReadOnly, where cocotb refuses ordinary writes. The twin
            # does not touch its weights while idle.
            self._row(row + i)._handle.set_signal_val_binstr(
                _NO_DELAY, f"{v:0{WEIGHT.width * self.cols}b}")

    @property
    def weights(self):
        return np.array([self._get(r) for r in range(self.rows)], dtype=np.int64)


class _NoAnalog:
    """Inert stand-in for tb.bfm.analog_core.AnalogCoreModel: the twin is the analog core."""

    def __init__(self, dut, xbar, **kw):
        self.mvms = self.mvm_cells = self.programmed = self.readbacks = 0
        self.log_mvms = []
        self.log_arrays = None      # not observed: the tests skip their per-MVM array check
        self.errors = []

    def start(self):
        return self

    def stop(self):
        pass


class TwinImaEnv(_ima_env.ImaEnv):
    def __init__(self, dut, cfg=None, **kw):
        super().__init__(dut, cfg, **kw)
        self.xbars = [TwinArray(dut, self.p.rows, self.p.cols, k) for k in range(self.p.arrays)]
        self.xbar = self.xbars[0]


_orig_layer_cycles = _ima_tests.layer_cycles


def _twin_layer_cycles(layer, *args, **kw):
    """The analytic model with the twin's COMPUTE time (``height + width + 7`` cycles per job
    when longer than its latency) instead of the Python crossbar's fixed latency, so
    layers_bit_exact keeps its cycle-for-cycle check of the other phases and checks the twin's
    latency too."""
    p = _orig_layer_cycles(layer, *args, **kw)
    comp = p.jobs * mvm_cycles(layer.height, layer.width, _twin_latency())
    return dataclasses.replace(p, compute=comp, total=p.total - p.compute + comp)


_ima_env.AnalogCoreModel = _NoAnalog
_ima_tests.ImaEnv = TwinImaEnv
_ima_tests.layer_cycles = _twin_layer_cycles
