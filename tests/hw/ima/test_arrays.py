"""The multi-array IMA (``ImaConfig.arrays``; Garofalo et al. 2022, Sec. VI).

cocotb + Verilator on one small build (3 arrays of 64 x 32, 2 ports, 16 KiB TCDM): programming
and conductance readback per array, a pointwise layer split over all arrays and a conv over two,
bit-exact; ERROR.ARRAY for a job / programming / readback on a missing array. Seeds are printed;
replay with IMA_SEED=<seed>.
"""

import pytest

from hw.config import preset
from tb.build.ima import build_ima_tb
from tb.build.runner import pick_seed, run

#: Small arrays keep the build small; three of them so that a layer spans more than two.
ARRAYS_CFG = dict(ports=2, rows=64, cols=32, dac_depth=64, adc_depth=32, tcdm_bytes=16 * 1024,
                  arrays=3)


@pytest.mark.parametrize("testcase", [("arrays_program_readback", "arrays_split_layers")],
                         ids=["program_readback+split_layers"])
def test_ima_arrays(testcase):
    cfg = preset().with_(**ARRAYS_CFG)
    runner, top = build_ima_tb(cfg)
    run(runner, top, "tb.cocotb_tests.ima", seed=pick_seed(), testcase=testcase, config=cfg)
