"""The DWA alone on the TCDM, in cocotb + Verilator (tb/cocotb_tests/dwa.py), at N = 4 and 1 ports.

One Verilator build per configuration (cached under sim_build/dwa_tb/), one simulator start per
configuration running many jobs. N = 4: control, every error case, random jobs with and without
grant stalls, SOFT_CLEAR mid-job. N = 1: the data path (random jobs with and without stalls).
Seeds are printed; replay with IMA_SEED=<seed>.
"""

import pytest

from hw.config import preset
from tb.build.dwa import build_dwa_tb
from tb.build.runner import pick_seed, run

#: (ports, cocotb testcase or None = the whole module, options)
CASES = [(4, None, {"jobs": 20, "stalled_jobs": 8, "aborts": 6}),
         (1, "random_jobs", {"jobs": 12, "stalled_jobs": 6})]


def _config(ports):
    # The jobs use < 8 KiB: a 16 KiB TCDM keeps the build small and the whole-image compares cheap.
    return preset().with_(ports=ports, tcdm_bytes=16 * 1024)


@pytest.mark.parametrize("ports,testcase,options", CASES,
                         ids=[f"N{n}-{t or 'all'}" for n, t, _ in CASES])
def test_dwa(ports, testcase, options):
    cfg = _config(ports)
    runner, top = build_dwa_tb(cfg)
    run(runner, top, "tb.cocotb_tests.dwa", seed=pick_seed(), testcase=testcase, config=cfg,
        options=options)
