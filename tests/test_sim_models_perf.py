"""Tests of sim_models.perf: chunk counting and the paper's 106-cycle sanity check."""

import numpy as np
import pytest

from sim_models import mapping as mp
from sim_models import perf
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

ADC = (1, 0, 0, 255)


@pytest.mark.parametrize("addr,length,words", [(0, 4, 1), (1, 4, 2), (3, 1, 1), (3, 2, 2),
                                               (0, 96, 24), (2, 96, 25), (4, 8, 2), (6, 8, 3)])
def test_words_touched(addr, length, words):
    assert perf.words_touched(addr, length) == words


def _conv():
    w = np.zeros((64, 3, 3, 32), np.int8)
    return mp.map_conv((16, 16, 32), w, ADC, pad=1)


def test_conv_job_is_106_cycles_at_one_port():
    """BRIEF.md section 5: 72 input words + 18 compute + 16 output words = 106 cycles/job."""
    p = perf.mapping_cycles(_conv(), ports=1)
    assert (p.jobs, p.per_job) == (256, 106)
    assert (p.streamin, p.compute, p.streamout) == (256 * 72, 256 * 18, 256 * 16)


def test_ports_and_overheads():
    job = _conv().jobs[0]
    totals = [perf.layer_cycles(job, ports=n).total for n in (1, 2, 4, 8, 16)]
    assert totals == sorted(totals, reverse=True)
    assert perf.layer_cycles(job, ports=16).per_job == 6 + 18 + 1      # 3 runs of 24 words
    base = perf.layer_cycles(job, ports=4)
    more = perf.layer_cycles(job, ports=4, streamin_overhead=2, streamout_overhead=3,
                             job_overhead=1, layer_overhead=50)
    assert more.total - base.total == 256 * (2 + 3 + 1) + 50
    with pytest.raises(ValueError, match="ports"):
        perf.layer_cycles(job, ports=0)


def test_unaligned_runs_count_touched_words():
    # 5-byte runs at stride 5: bases 0, 5, 10 -> 2, 2, 2 words at 1 port; 1 each at 2 ports
    job = LayerJob(0, 100, Walk3D(5, 3, 5), Walk3D(3), 0, 0, 15, 3,
                   loops=(JobLoop(2, src_stride=1, dst_stride=3), JobLoop(), JobLoop()))
    sin, comp, sout = perf.job_phase_cycles(job, perf.PerfParams(ports=1))
    # job 0: runs at 0,5,10 -> 2+2+2; job 1: runs at 1,6,11 -> 2+2+2 (1..5, 6..10, 11..15)
    assert sin.tolist() == [6, 6] and comp.tolist() == [18, 18]
    assert sout.tolist() == [1, 2]          # 100..102 -> 1 word, 103..105 -> 2 words


def test_depthwise_saturation_ports():
    """IMA8's depthwise stops gaining at 2 ports, IMA16's at 4 (BRIEF.md section 5)."""
    w = np.zeros((192, 3, 3), np.int8)
    cyc = {}
    for cj in (8, 16):
        m = mp.map_depthwise((16, 16, 192), w, ADC, c_job=cj, layout="packed")
        cyc[cj] = [perf.mapping_cycles(m, ports=n).total for n in (1, 2, 4, 8)]
    assert cyc[8][1] < cyc[8][0] and cyc[8][1] == cyc[8][2] == cyc[8][3]
    assert cyc[16][2] < cyc[16][1] and cyc[16][2] == cyc[16][3]
