"""hw.ima.sequencer: both job sequencers expose the one SequencerSignature; bad depths raise.

Their behaviour is tested through the IMA in tests/hw/ima/test_ima.py (cocotb + Verilator,
sequential and overlapped engines against sim_models.perf)."""

import pytest

from hw.config import ImaConfig
from hw.ima.overlapped import OverlappedSequencer
from hw.ima.sequencer import SequencerSignature
from hw.ima.sequential import SequentialSequencer
from hw.ima.stats import ImaStatsSignature


def test_both_sequencers_share_one_signature():
    cfg = ImaConfig(ports=2, rows=64, cols=32, dac_depth=16, adc_depth=8, tcdm_bytes=4096)
    want = SequencerSignature(dac_depth=16, adc_depth=8)
    for cls in (SequentialSequencer, OverlappedSequencer):
        seq = cls(cfg)
        assert seq.signature == want
        assert seq.signature.members["stat"].signature == ImaStatsSignature()
        assert seq.source.dac.shape().width == 8 * 16 and seq.sink.adc.shape().width == 8 * 8


@pytest.mark.parametrize("kw,name", [(dict(dac_depth=0, adc_depth=8), "dac_depth"),
                                     (dict(dac_depth=16, adc_depth=True), "adc_depth")])
def test_bad_depth_names_it(kw, name):
    with pytest.raises(ValueError, match=name):
        SequencerSignature(**kw)
