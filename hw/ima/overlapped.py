"""The overlapped job sequencer (``ImaConfig.overlap``): STREAMIN, COMPUTE and STREAMOUT of
consecutive jobs run at the same time ("beyond the paper": the AICAS 2021 IMA runs them one
after the other).

Buffers
    *DAC*: the Source's DAC buffer (``source.dac``) plus a hold bank ``dac_hold`` of the same
    size. In the COMPUTE start cycle the analog core sees ``source.dac`` and the sequencer copies
    it into ``dac_hold``, which drives ``mvm.dac`` until the MVM's ``done`` (the boundary contract
    asks for a stable vector for the whole MVM, see :mod:`hw.ima.analog`). From that same cycle
    the Source may stream the next job into its buffer (its first byte lands 3 cycles later).
    *ADC*: a stage ``adc_stage`` that takes ``mvm.adc`` on ``done``, and the Sink's buffer
    ``adc_buf``, loaded from the stage when the Sink starts; so job i's result waits in the stage
    while the Sink still drains job i-1.
Three sides, each with its own :class:`~hw.ima.jobloops.JobLoops`
    * source side (``si``): source address offsets; steps when the Source is started;
    * compute side (``cp``): crossbar window offsets; steps on the MVM's ``done`` (the window
      stays stable from ``start`` to ``done``);
    * sink side (``so``): destination offsets; steps when the Sink is started.
    Jobs flow in order, so the k-th start on each side is job k of the layer and needs no queue.
Hand-over rules (one cycle each, all registered flags; ``start``/``go`` are combinational)::

    src_go  = run & jobs left & ((Source idle & DAC buffer free) | cp_go)
    cp_go   = run & (DAC buffer full | source.done) & core idle & (ADC stage free | so_go)
    so_go   = run & ADC stage full & (Sink idle | sink.done)
    done    = run & sink.done & the last job issued to the Sink

    "core idle" becomes true in the cycle after the core's ``done``, so a new MVM starts at the
    earliest one cycle after the previous one ended (COMPUTE-bound: one job per ``mvm_cycles``).
Cycle timing without contention (job i: ``S_i`` = C_in + 4, ``L`` = mvm cycles,
``O_i`` = C_out + 3, the same per-job phase lengths as the sequential engine)::

    g_0 = 1                    (engine start in cycle 0)
    c_i = max(g_i + S_i - 1, c_{i-1} + L, s_{i-1})      COMPUTE start (= source done at best)
    g_i = c_{i-1}                                        STREAMIN start of job i >= 1
    s_i = max(c_i + L, s_{i-1} + O_{i-1} - 1)           STREAMOUT start
    end = s_{n-1} + O_{n-1} - 1                          ``done`` pulse; busy for ``end`` cycles

  which :func:`sim_models.perf.layer_cycles_overlapped` evaluates.
Abort (SOFT_CLEAR)
    Source and Sink stop at once (no further requests), every flag clears, ``busy`` drops. An
    MVM already started still completes inside the core: its ``done`` is ignored, and the next
    layer's first MVM waits for it (``cp_busy``), so the core never sees ``start`` while busy.
Statistics (same meaning as in the sequential engine: cycles a unit is occupied by a job)
    ``stat.streamin``, ``stat.compute`` and ``stat.streamout`` add one in every cycle in which
    the Source, the analog core and the Sink are occupied: from a job's start cycle to its done
    cycle, so a cycle in which one job's phase ends and the next one's starts (``src_go`` or
    ``so_go`` in the unit's ``done`` cycle) counts once. Each is at most the layer time (the
    length of ``stat.busy``); the three run side by side, so their sum can exceed it. The energy of
    :mod:`sim_models.energy` is per cycle of a unit at work, and its event check (idle + the
    busiest phase <= the run) relies on this bound; the sum over jobs of each job's phase length
    does not have it (on a STREAMIN-bound layer every job's first cycle is the previous one's
    last). :func:`sim_models.perf.layer_cycles_overlapped` gives the figures without
    contention. ``stat.jobs`` counts completed STREAMOUTs.
"""

from amaranth import Module, Mux, Signal

from hw.ima.jobloops import JobLoops
from hw.ima.jobregs import u16
from hw.ima.sequencer import Sequencer

__all__ = ["OverlappedSequencer"]


class OverlappedSequencer(Sequencer):
    """STREAMIN, COMPUTE and STREAMOUT of consecutive jobs side by side (interface:
    :class:`~hw.ima.sequencer.SequencerSignature`).

    Parameters
    ----------
    cfg : ImaConfig
    """

    def elaborate(self, platform):
        m = Module()
        cfg, j, source, sink, mvm, stat = (self._cfg, self.job, self.source, self.sink,
                                           self.mvm, self.stat)
        m.submodules.si = si = JobLoops(("src",))
        m.submodules.cp = cp = JobLoops(("row", "col"))
        m.submodules.so = so = JobLoops(("dst",))

        run = Signal()                          # a layer is in progress
        in_busy = Signal()                      # the Source streams a job (after its start cycle)
        in_full = Signal()                      # the DAC buffer holds a complete, unsampled job
        cp_busy = Signal()                      # the core runs an MVM (also one of an aborted layer)
        cp_live = Signal()                      # ... and its result is wanted
        out_full = Signal()                     # the ADC stage holds a result not yet in the Sink
        so_busy = Signal()                      # the Sink drains a job (after its start cycle)
        dac_hold = Signal(8 * cfg.dac_depth)
        adc_stage = Signal(8 * cfg.adc_depth)
        adc_buf = Signal(8 * cfg.adc_depth)

        src_go, cp_go, so_go = Signal(), Signal(), Signal()
        active = run & ~self.abort
        m.d.comb += [
            si.job.eq(j), cp.job.eq(j), so.job.eq(j),
            so_go.eq(active & out_full & (~so_busy | sink.done)),
            cp_go.eq(active & (in_full | source.done) & ~cp_busy & (~out_full | so_go)),
            src_go.eq(active & ~si.end & ((~in_busy & ~in_full) | cp_go)),
            source.start.eq(src_go), mvm.start.eq(cp_go), sink.start.eq(so_go),
            source.base.eq(j.j_src_addr + si.offset.src),
            sink.base.eq(j.j_dst_addr + so.offset.dst),
            mvm.row.eq(u16(j.j_start_y) + cp.offset.row),
            mvm.col.eq(u16(j.j_start_x) + cp.offset.col),
            mvm.dac.eq(Mux(cp_go, source.dac, dac_hold)),
            sink.adc.eq(adc_buf),
            stat.busy.eq(run),
        ]

        # Source side.
        with m.If(src_go):
            m.d.sync += in_busy.eq(1)
            m.d.comb += si.step.eq(1)
        with m.Elif(source.done):
            m.d.sync += in_busy.eq(0)
        with m.If(cp_go):
            m.d.sync += [in_full.eq(0), dac_hold.eq(source.dac), cp_busy.eq(1), cp_live.eq(1)]
        with m.Elif(source.done):
            m.d.sync += in_full.eq(1)

        # Compute side.
        with m.If(mvm.done):
            m.d.sync += [cp_busy.eq(0), cp_live.eq(0)]
        with m.If(mvm.done & cp_live):
            m.d.sync += [adc_stage.eq(mvm.adc), out_full.eq(1)]
            m.d.comb += cp.step.eq(1)
        with m.Elif(so_go):
            m.d.sync += out_full.eq(0)

        # Sink side.
        with m.If(so_go):
            m.d.sync += [so_busy.eq(1), adc_buf.eq(adc_stage)]
            m.d.comb += so.step.eq(1)
        with m.Elif(sink.done):
            m.d.sync += so_busy.eq(0)
        with m.If(run & sink.done & ~self.abort):
            m.d.sync += stat.jobs.eq(stat.jobs + 1)
            with m.If(so.end):
                m.d.comb += self.done.eq(1)
                m.d.sync += run.eq(0)

        # Start and abort (abort wins; cp_busy survives an abort, see the module docstring).
        with m.If(self.abort):
            m.d.sync += [run.eq(0), in_busy.eq(0), in_full.eq(0), cp_live.eq(0), out_full.eq(0),
                         so_busy.eq(0)]
        with m.Elif(self.start & ~run):
            m.d.sync += [run.eq(1), in_busy.eq(0), in_full.eq(0), out_full.eq(0), so_busy.eq(0)]
            m.d.comb += [si.reset.eq(1), cp.reset.eq(1), so.reset.eq(1)]

        # Statistics: cycles in which each unit is occupied (see the module docstring).
        m.d.sync += [
            stat.streamin.eq(stat.streamin + (src_go | in_busy)),
            stat.compute.eq(stat.compute + (cp_go | cp_live)),
            stat.streamout.eq(stat.streamout + (so_go | so_busy)),
        ]
        return m
