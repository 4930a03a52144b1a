"""LayerJob.problems / causes (sim_models/jobconfig.py): every rule with its ERROR cause, the
first one being validate's message; judged on what the checker's datapath sees."""

from dataclasses import replace

import pytest

from sim_models.jobconfig import CAUSES, JobLoop, LayerJob, Walk3D

LIMITS = dict(rows=64, cols=32, tcdm_bytes=4096, dac_depth=32, adc_depth=16, arrays=2)
GOOD = LayerJob(src_addr=0x100, dst_addr=0x800, src=Walk3D(4, 2, 40, 2, 100), dst=Walk3D(4, 2, 8),
                row=8, col=4, height=16, width=8, adc_m=3, adc_s=2, adc_lo=-5, adc_hi=200,
                loops=(JobLoop(2, 16, 8, 1, 2), JobLoop(), JobLoop()), array=1)


def loop0(**kw):
    return (replace(GOOD.loops[0], **kw), *GOOD.loops[1:])


CASES = [
    ({"height": 0, "src": Walk3D(0)}, {"length"}),
    ({"width": 0x10008}, {"length"}),                        # 16-bit field with upper bits
    ({"src": Walk3D(4, 2, 40, 3, 100)}, {"length"}),         # 24 bytes for a height of 16
    ({"loops": loop0(count=0, row_stride=9)}, {"length", "window"}),  # count 0: one step of -9
    ({"row": 0x10000}, {"window"}),
    ({"row": 60}, {"window"}),
    ({"height": 33, "src": Walk3D(33)}, {"window"}),         # beyond the DAC buffer
    ({"loops": loop0(col_stride=0x8000)}, {"window"}),       # not a signed 16-bit stride
    ({"loops": loop0(row_stride=-9)}, {"window"}),
    ({"src_addr": 4000}, {"address"}),
    ({"dst": Walk3D(4, 2, -0x900)}, {"address"}),
    ({"adc_m": 1 << 15}, {"adc"}),
    ({"adc_s": 32}, {"adc"}),
    ({"adc_lo": 201}, {"adc"}),
    ({"array": 2}, {"array"}),
    ({"array": 1 << 16}, {"array"}),
    ({"adc_s": 40, "array": 7, "row": 70}, {"adc", "array", "window"}),
]


def test_good_is_valid():
    assert GOOD.problems(**LIMITS) == [] and GOOD.causes(**LIMITS) == frozenset()
    assert GOOD.validate(**LIMITS) is GOOD


@pytest.mark.parametrize("change, causes", CASES)
def test_each_rule_names_its_cause(change, causes):
    job = replace(GOOD, **change)
    assert job.causes(**LIMITS) == causes
    assert causes <= set(CAUSES)
    first = job.problems(**LIMITS)[0][1]
    with pytest.raises(ValueError) as e:
        job.validate(**LIMITS)
    assert str(e.value) == first


def test_validate_messages_unchanged():
    """The first message is still the one validate always gave (tests elsewhere match them)."""
    with pytest.raises(ValueError, match="height must be >= 1, not 0"):
        replace(GOOD, height=0).validate(**LIMITS)
    with pytest.raises(ValueError, match="array 2 does not exist: the IMA has 2"):
        replace(GOOD, array=2).validate(**LIMITS)
    with pytest.raises(ValueError, match="must be an integer"):
        replace(GOOD, row=1.5).validate(**LIMITS)
    with pytest.raises(ValueError, match="off the 64-row array"):
        replace(GOOD, row=60).validate(**LIMITS)
