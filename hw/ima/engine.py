"""The IMA engine: the streamer's Source and Sink and one job sequencer, wired together.

The engine runs every job of a layer, STREAMIN -> COMPUTE -> STREAMOUT: the streamer's
:class:`~hw.hwpe.streamer.source.Source` reads a job's input vector from the TCDM into the DAC
buffer (N load ports), the analog core multiplies it on the job's crossbar window, and the
:class:`~hw.hwpe.streamer.sink.Sink` writes the ADC vector back (N store ports). Semantics are
those of :class:`sim_models.jobconfig.LayerJob` and its executor. With
``ImaConfig.data_interface == "shared"`` the Source and the Sink share N ports through a
:class:`~hw.hwpe.streamer.shared_port.SharedPort` (round robin by chunk): ``tcdm_load`` carries
the reads and the writes and ``tcdm_store`` is empty.

The job sequencing is a :class:`~hw.ima.sequencer.Sequencer`, chosen by ``ImaConfig.overlap``:
:class:`~hw.ima.sequential.SequentialSequencer` (the default, the paper's FSM, phase after
phase) or :class:`~hw.ima.overlapped.OverlappedSequencer` (double-buffered DAC and ADC, STREAMIN
of job i+1 and STREAMOUT of job i-1 during COMPUTE of job i). What is the same for every job of
a layer -- walk lengths and strides, the window size, the ADC transfer parameters -- the engine
drives here, from the job registers; the sequencer drives the per-job bases, window position,
starts and vectors, and counts the statistics.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.config import ImaConfig
from hw.hwpe.streamer.shared_port import SharedPort
from hw.hwpe.streamer.sink import Sink
from hw.hwpe.streamer.source import Source
from hw.ima.analog import AnalogCoreSignature
from hw.ima.jobregs import JobRegsLayout, u16
from hw.ima.overlapped import OverlappedSequencer
from hw.ima.sequential import SequentialSequencer
from hw.ima.stats import ImaStatsSignature
from hw.signatures import TcdmSignature

__all__ = ["Engine"]


class Engine(wiring.Component):
    """Source + Sink + the job sequencer chosen by ``cfg.overlap``.

    Parameters
    ----------
    cfg : ImaConfig
        Design parameters (ports, buffer depths, ``overlap``).

    Interface attributes
    --------------------
    job : In(JobRegsLayout)
        The layer configuration, held stable while ``stat.busy``.
    start : In(1)
        Pulse: run the layer (the configuration has been checked).
    abort : In(1)
        Soft clear: return to idle at once; the streamer issues no further requests.
    done : Out(1)
        One-cycle pulse when the last job's STREAMOUT has completed.
    tcdm_load, tcdm_store : Out(TcdmSignature()).array(N), .array(cfg.store_ports)
        N load and N store ports (``"split"``), or the N shared ports and none (``"shared"``).
    ac : Out(AnalogCoreSignature)
        MVM channel of the analog-core boundary (programming/readback are the controller's).
    stat : Out(ImaStatsSignature())
        ``busy`` and the per-phase cycle and job counters (see :mod:`hw.ima.stats`).
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "job": In(JobRegsLayout),
            "start": In(1), "abort": In(1), "done": Out(1),
            "tcdm_load": Out(TcdmSignature()).array(cfg.ports),
            "tcdm_store": Out(TcdmSignature()).array(cfg.store_ports),
            "ac": Out(AnalogCoreSignature(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth)),
            "stat": Out(ImaStatsSignature()),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, j, ac = self._cfg, self.job, self.ac
        m.submodules.source = source = Source(ports=cfg.ports, depth=cfg.dac_depth)
        m.submodules.sink = sink = Sink(ports=cfg.ports, depth=cfg.adc_depth)
        sequencer_cls = OverlappedSequencer if cfg.overlap else SequentialSequencer
        m.submodules.sequencer = seq = sequencer_cls(cfg)
        if cfg.data_interface == "shared":
            m.submodules.shared_port = sp = SharedPort(cfg.ports)
            for k in range(cfg.ports):
                connect(m, source.tcdm[k], sp.src[k])
                connect(m, sink.tcdm[k], sp.snk[k])
                connect(m, flipped(self.tcdm_load[k]), sp.out[k])
        else:
            for k in range(cfg.ports):
                connect(m, flipped(self.tcdm_load[k]), source.tcdm[k])
                connect(m, flipped(self.tcdm_store[k]), sink.tcdm[k])

        # The same for every job of the layer: walk shapes, window size, ADC transfer.
        m.d.comb += [
            source.cfg.len0.eq(u16(j.src_len0)), source.cfg.len1.eq(u16(j.src_len1)),
            source.cfg.len2.eq(u16(j.src_len2)),
            source.cfg.stride1.eq(j.src_stride1), source.cfg.stride2.eq(j.src_stride2),
            sink.cfg.len0.eq(u16(j.dst_len0)), sink.cfg.len1.eq(u16(j.dst_len1)),
            sink.cfg.len2.eq(u16(j.dst_len2)),
            sink.cfg.stride1.eq(j.dst_stride1), sink.cfg.stride2.eq(j.dst_stride2),
            source.abort.eq(self.abort), sink.abort.eq(self.abort),
            ac.height.eq(u16(j.j_height)), ac.width.eq(u16(j.j_width)),
            ac.adc_m.eq(j.adc_mul[:16]), ac.adc_s.eq(j.adc_shift[:5]),
            ac.adc_lo.eq(j.adc_low[:10]), ac.adc_hi.eq(j.adc_high[:10]),
        ]

        # Per job: the sequencer.
        m.d.comb += [
            seq.job.eq(j), seq.start.eq(self.start), seq.abort.eq(self.abort),
            self.done.eq(seq.done),
            source.start.eq(seq.source.start), source.cfg.base.eq(seq.source.base),
            seq.source.done.eq(source.done), seq.source.dac.eq(source.dac),
            sink.start.eq(seq.sink.start), sink.cfg.base.eq(seq.sink.base),
            seq.sink.done.eq(sink.done), sink.adc.eq(seq.sink.adc),
            ac.start.eq(seq.mvm.start), ac.row.eq(seq.mvm.row), ac.col.eq(seq.mvm.col),
            ac.dac.eq(seq.mvm.dac), seq.mvm.done.eq(ac.done), seq.mvm.adc.eq(ac.adc),
        ]
        connect(m, flipped(self.stat), seq.stat)
        return m
