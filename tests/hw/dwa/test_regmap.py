"""The DWA register table: the HWPE block at its fixed offsets, job registers covering every
DwJob field, encode/decode round trip, and the job-register struct."""

from dataclasses import fields

from hypothesis import given, settings
from hypothesis import strategies as st

from hw.dwa import regmap
from hw.dwa.jobregs import DwJobLayout
from sim_models.dwa import DwJob


def test_hwpe_block_and_job_registers():
    regs = list(regmap.DWA_MAP)
    assert [r.name for r in regs[:7]] == ["TRIGGER", "ACQUIRE", "FINISHED", "STATUS", "RUNNING_JOB",
                                          "SOFT_CLEAR", "ERROR"]
    assert [r.offset for r in regs[:7]] == [0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18]
    assert all(r.offset >= 0x40 for r in regmap.JOB_REGISTERS)
    # every DwJob field has exactly one job register, and the struct has one field per register
    assert sorted(r.job_path for r in regmap.JOB_REGISTERS) == sorted(f.name for f in fields(DwJob))
    assert list(DwJobLayout.members) == [r.job_path for r in regmap.JOB_REGISTERS]
    assert set(regmap.CHECK_CAUSES) <= {f.name for f in regmap.DWA_MAP["ERROR"].fields}


u32 = st.integers(0, 2**32 - 1)


@settings(max_examples=200, deadline=None)
@given(u32, u32, u32, u32, u32, st.integers(1, 0xFFFF), st.integers(1, 0xFFFF),
       st.integers(1, 0xFFFF), st.sampled_from([1, 2]), st.integers(-2**15, 2**15 - 1),
       st.integers(0, 31), st.integers(-128, 255), st.integers(-128, 255))
def test_encode_decode_roundtrip(ia, irs, oa, ors, wa, c, h, w, s, m, sh, lo, hi):
    job = DwJob(ia, irs, oa, ors, wa, c, h, w, s, m, sh, lo, hi)
    writes = regmap.encode_job(job)
    assert all(0 <= v < 2**32 for _, v in writes)
    assert regmap.decode_job(dict(writes)) == job
