"""The overlapped job sequencer (``ImaConfig.overlap``): STREAMIN, COMPUTE and STREAMOUT of
consecutive jobs run at the same time ("beyond the paper": the AICAS 2021 IMA runs them one
after the other).

Buffers
    *DAC*: the Source's DAC buffer (``source.dac``) plus a hold bank ``dac_hold`` of the same
    size. In the COMPUTE start cycle the analog core sees ``source.dac`` and the engine copies it
    into ``dac_hold``, which drives ``ac.dac`` until the MVM's ``done`` (the boundary contract
    asks for a stable vector for the whole MVM, see :mod:`hw.ima.analog`). From that same cycle
    the Source may stream the next job into its buffer (its first byte lands 3 cycles later).
    *ADC*: a stage ``adc_stage`` that takes ``ac.adc`` on ``done``, and the Sink's buffer
    ``adc_buf``, loaded from the stage when the Sink starts; so job i's result waits in the stage
    while the Sink still drains job i-1.
Three sides, each with its own job-loop counters and running offsets
    * source side (``si_*``): source address offsets; steps when the Source is started;
    * compute side (``cp_*``): crossbar window offsets; steps on the MVM's ``done`` (the window
      stays stable from ``start`` to ``done``);
    * sink side (``so_*``): destination offsets; steps when the Sink is started.
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
Statistics (same meaning as in the sequential engine, so the same analytic sums hold)
    ``stat_streamin/compute/streamout`` add, every cycle, the number of jobs in that phase: the
    sum over jobs of each job's phase length (start cycle to done cycle inclusive), *not* the
    wall-clock time, which is smaller because phases overlap. ``stat_jobs`` counts completed
    STREAMOUTs. The wall-clock layer time is the length of ``busy``.
"""

from amaranth import Module, Mux, Signal, signed

from hw.ima.jobregs import s16, u16

__all__ = ["JobLoops", "elaborate_overlapped"]

LOOPS = ("alpha", "beta", "gamma")


class JobLoops:
    """Counters and running offsets of the three job loops for some quantities (one side).

    ``what`` names quantities among ``in``, ``out`` (48-bit byte offsets) and ``row``, ``col``
    (24-bit window offsets). ``step()`` advances to the next job (alpha innermost) or, on the
    last job, sets ``end``; ``reset()`` goes back to job 0.
    """

    def __init__(self, job, prefix, whats):
        self.job, self.whats = job, whats
        self.count = {lp: Signal(16, name=f"{prefix}_{lp}_count") for lp in LOOPS}
        self.off = {(lp, w): Signal(signed(48) if w in ("in", "out") else signed(24),
                                    name=f"{prefix}_{lp}_{w}_off")
                    for lp in LOOPS for w in whats}
        self.end = Signal(name=f"{prefix}_end")
        self.last = {lp: self.count[lp] == u16(getattr(job, f"{lp}_length")) - 1 for lp in LOOPS}

    def _stride(self, lp, w):
        j = self.job
        if w in ("in", "out"):
            return getattr(j, f"{lp}_{w}_stride").as_signed()
        return s16(getattr(j, f"{lp}_{w}_stride"))

    def total(self, w):
        return sum(self.off[(lp, w)] for lp in LOOPS)

    def reset(self):
        return ([c.eq(0) for c in self.count.values()] + [o.eq(0) for o in self.off.values()]
                + [self.end.eq(0)])

    def _inc(self, lp):
        return [self.count[lp].eq(self.count[lp] + 1)] + [
            self.off[(lp, w)].eq(self.off[(lp, w)] + self._stride(lp, w)) for w in self.whats]

    def _clear(self, lp):
        return [self.count[lp].eq(0)] + [self.off[(lp, w)].eq(0) for w in self.whats]

    def step(self, m):
        """Statements (added to ``m.d.sync`` under the caller's condition) for one step."""
        last = self.last
        with m.If(~last["alpha"]):
            m.d.sync += self._inc("alpha")
        with m.Elif(~last["beta"]):
            m.d.sync += self._clear("alpha") + self._inc("beta")
        with m.Elif(~last["gamma"]):
            m.d.sync += self._clear("alpha") + self._clear("beta") + self._inc("gamma")
        with m.Else():
            m.d.sync += self.end.eq(1)


def elaborate_overlapped(m: Module, eng, source, sink):
    """Add the overlapped sequencer of :class:`hw.ima.engine.Engine` ``eng`` to ``m``.

    The caller has instantiated ``source`` and ``sink``, connected their TCDM ports and driven
    their walk lengths/strides, ``abort`` and the ADC parameters of ``eng.ac``. This drives the
    walk bases, the starts, the window, ``ac.dac``, ``sink.adc``, ``busy``, ``done`` and the
    statistics.
    """
    cfg, j, ac = eng._cfg, eng.job, eng.ac
    si = JobLoops(j, "si", ("in",))
    cp = JobLoops(j, "cp", ("row", "col"))
    so = JobLoops(j, "so", ("out",))

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
    active = run & ~eng.abort
    m.d.comb += [
        so_go.eq(active & out_full & (~so_busy | sink.done)),
        cp_go.eq(active & (in_full | source.done) & ~cp_busy & (~out_full | so_go)),
        src_go.eq(active & ~si.end & ((~in_busy & ~in_full) | cp_go)),
        source.start.eq(src_go), ac.start.eq(cp_go), sink.start.eq(so_go),
        source.cfg.base.eq(j.j_src_addr + si.total("in")),
        sink.cfg.base.eq(j.j_dst_addr + so.total("out")),
        ac.row.eq(u16(j.j_start_y) + cp.total("row")),
        ac.col.eq(u16(j.j_start_x) + cp.total("col")),
        ac.dac.eq(Mux(cp_go, source.dac, dac_hold)),
        sink.adc.eq(adc_buf),
        eng.busy.eq(run),
    ]

    # Source side.
    with m.If(src_go):
        m.d.sync += in_busy.eq(1)
        si.step(m)
    with m.Elif(source.done):
        m.d.sync += in_busy.eq(0)
    with m.If(cp_go):
        m.d.sync += [in_full.eq(0), dac_hold.eq(source.dac), cp_busy.eq(1), cp_live.eq(1)]
    with m.Elif(source.done):
        m.d.sync += in_full.eq(1)

    # Compute side.
    with m.If(ac.done):
        m.d.sync += [cp_busy.eq(0), cp_live.eq(0)]
    with m.If(ac.done & cp_live):
        m.d.sync += [adc_stage.eq(ac.adc), out_full.eq(1)]
        cp.step(m)
    with m.Elif(so_go):
        m.d.sync += out_full.eq(0)

    # Sink side.
    with m.If(so_go):
        m.d.sync += [so_busy.eq(1), adc_buf.eq(adc_stage)]
        so.step(m)
    with m.Elif(sink.done):
        m.d.sync += so_busy.eq(0)
    with m.If(run & sink.done & ~eng.abort):
        m.d.sync += eng.stat_jobs.eq(eng.stat_jobs + 1)
        with m.If(so.end):
            m.d.comb += eng.done.eq(1)
            m.d.sync += run.eq(0)

    # Start and abort (abort wins; cp_busy survives an abort, see the module docstring).
    with m.If(eng.abort):
        m.d.sync += [run.eq(0), in_busy.eq(0), in_full.eq(0), cp_live.eq(0), out_full.eq(0),
                     so_busy.eq(0)]
    with m.Elif(eng.start & ~run):
        m.d.sync += [run.eq(1), in_busy.eq(0), in_full.eq(0), out_full.eq(0), so_busy.eq(0)]
        m.d.sync += si.reset() + cp.reset() + so.reset()

    # Statistics: jobs in each phase, summed every cycle (see the module docstring).
    m.d.sync += [
        eng.stat_streamin.eq(eng.stat_streamin + src_go + in_busy),
        eng.stat_compute.eq(eng.stat_compute + cp_go + cp_live),
        eng.stat_streamout.eq(eng.stat_streamout + so_go + so_busy),
    ]
    return m
