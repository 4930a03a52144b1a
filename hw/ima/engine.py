"""The IMA engine: runs every job of a layer, STREAMIN -> COMPUTE -> STREAMOUT, job after job.

For each job the engine derives the job's source/destination bases and crossbar window from the
three job loops (running offsets, no multipliers), starts the streamer's source (TCDM -> DAC
buffer), hands the DAC vector and window to the analog core and waits for its ``done``, latches
the ADC vector into the ADC buffer, and starts the sink (ADC buffer -> TCDM). Semantics are those
of :class:`sim_models.jobconfig.LayerJob` and its executor.

The engine owns the streamer (N load ports, N store ports) and exposes per-phase cycle counters
so reports can break a layer's time down the way the papers do.

With ``ImaConfig.overlap`` the job sequencing is replaced by the overlapped one of
:mod:`hw.ima.overlap` (double-buffered DAC and ADC, STREAMIN of job i+1 and STREAMOUT of job i-1
during COMPUTE of job i); the default is the sequential FSM below, phase after phase.
"""

from amaranth import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.config import ImaConfig
from hw.ima.analog import AnalogCoreSignature
from hw.ima.jobregs import JobRegsLayout, s16, u16
from hw.ima.overlap import elaborate_overlapped
from hw.hwpe.streamer.sink import Sink
from hw.hwpe.streamer.source import Source
from hw.signatures import TcdmSignature

__all__ = ["Engine"]

LOOPS = ("alpha", "beta", "gamma")


class Engine(wiring.Component):
    """Job sequencer around the streamer and the analog core.

    Parameters
    ----------
    cfg : ImaConfig
        Design parameters (ports, buffer depths).

    Interface attributes
    --------------------
    job : In(JobRegsLayout)
        The layer configuration, held stable while ``busy``.
    start : In(1)
        Pulse: run the layer (the configuration has been checked).
    abort : In(1)
        Soft clear: return to idle at once; the streamer issues no further requests.
    busy : Out(1)
    done : Out(1)
        One-cycle pulse when the last job's STREAMOUT has completed.
    tcdm_load, tcdm_store : Out(TcdmSignature()).array(N)
    ac : Out(AnalogCoreSignature)
        MVM channel of the analog-core boundary (programming/readback are the controller's).
    stat_streamin, stat_compute, stat_streamout, stat_jobs : Out(32)
        Cycles spent in each phase and jobs completed, since reset. With ``overlap`` a phase
        counter adds the number of jobs in that phase each cycle, i.e. it is still the sum over
        jobs of each job's phase length (the wall-clock time is the length of ``busy``).
    """

    def __init__(self, cfg: ImaConfig):
        self._cfg = cfg.validate()
        super().__init__({
            "job": In(JobRegsLayout),
            "start": In(1), "abort": In(1), "busy": Out(1), "done": Out(1),
            "tcdm_load": Out(TcdmSignature()).array(cfg.ports),
            "tcdm_store": Out(TcdmSignature()).array(cfg.ports),
            "ac": Out(AnalogCoreSignature(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth)),
            "stat_streamin": Out(32), "stat_compute": Out(32), "stat_streamout": Out(32),
            "stat_jobs": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, j = self._cfg, self.job
        m.submodules.source = source = Source(ports=cfg.ports, depth=cfg.dac_depth)
        m.submodules.sink = sink = Sink(ports=cfg.ports, depth=cfg.adc_depth)
        for k in range(cfg.ports):
            connect(m, flipped(self.tcdm_load[k]), source.tcdm[k])
            connect(m, flipped(self.tcdm_store[k]), sink.tcdm[k])

        # Walk shapes, window size and ADC transfer: the same for every job of the layer.
        m.d.comb += [
            source.cfg.len0.eq(u16(j.src_len0)), source.cfg.len1.eq(u16(j.src_len1)),
            source.cfg.len2.eq(u16(j.src_len2)),
            source.cfg.stride1.eq(j.src_stride1), source.cfg.stride2.eq(j.src_stride2),
            sink.cfg.len0.eq(u16(j.dst_len0)), sink.cfg.len1.eq(u16(j.dst_len1)),
            sink.cfg.len2.eq(u16(j.dst_len2)),
            sink.cfg.stride1.eq(j.dst_stride1), sink.cfg.stride2.eq(j.dst_stride2),
            source.abort.eq(self.abort), sink.abort.eq(self.abort),
            self.ac.height.eq(u16(j.j_height)), self.ac.width.eq(u16(j.j_width)),
            self.ac.adc_m.eq(j.adc_mul[:16]), self.ac.adc_s.eq(j.adc_shift[:5]),
            self.ac.adc_lo.eq(j.adc_low[:10]), self.ac.adc_hi.eq(j.adc_high[:10]),
        ]
        if cfg.overlap:
            return elaborate_overlapped(m, self, source, sink)

        # Job-loop counters and running offsets (offset_k = count_k * stride_k).
        count = {lp: Signal(16, name=f"{lp}_count") for lp in LOOPS}
        off = {(lp, what): Signal(signed(48) if what in ("in", "out") else signed(24),
                                  name=f"{lp}_{what}_off")
               for lp in LOOPS for what in ("in", "out", "row", "col")}
        stride = {(lp, "in"): getattr(j, f"{lp}_in_stride").as_signed() for lp in LOOPS}
        stride.update({(lp, "out"): getattr(j, f"{lp}_out_stride").as_signed() for lp in LOOPS})
        stride.update({(lp, "row"): s16(getattr(j, f"{lp}_row_stride")) for lp in LOOPS})
        stride.update({(lp, "col"): s16(getattr(j, f"{lp}_col_stride")) for lp in LOOPS})

        def total(what):
            return sum(off[(lp, what)] for lp in LOOPS)

        # Per job: walk bases and window from the loop offsets; DAC vector straight from the
        # source buffer (stable: the source is idle during COMPUTE).
        adc_buf = Signal(8 * cfg.adc_depth)
        m.d.comb += [
            source.cfg.base.eq(j.j_src_addr + total("in")),
            sink.cfg.base.eq(j.j_dst_addr + total("out")),
            self.ac.row.eq(u16(j.j_start_y) + total("row")),
            self.ac.col.eq(u16(j.j_start_x) + total("col")),
            self.ac.dac.eq(source.dac),
            sink.adc.eq(adc_buf),
        ]

        last = {lp: count[lp] == u16(getattr(j, f"{lp}_length")) - 1 for lp in LOOPS}

        def reset_loops():
            stmts = [count[lp].eq(0) for lp in LOOPS]
            stmts += [o.eq(0) for o in off.values()]
            return stmts

        def step_loop(lp):
            return [count[lp].eq(count[lp] + 1)] + [
                off[(lp, w)].eq(off[(lp, w)] + stride[(lp, w)]) for w in ("in", "out", "row", "col")]

        def clear_loop(lp):
            return [count[lp].eq(0)] + [off[(lp, w)].eq(0) for w in ("in", "out", "row", "col")]

        def phase(name, start, done, next_state, on_done=()):
            """``<name>_START`` pulses ``start`` for one cycle, ``<name>`` waits for ``done``;
            an abort returns to IDLE from either."""
            with m.State(f"{name}_START"):
                with m.If(self.abort):
                    m.next = "IDLE"
                with m.Else():
                    m.d.comb += start.eq(1)
                    m.next = name
            if next_state is None:
                return
            with m.State(name):
                with m.If(self.abort):
                    m.next = "IDLE"
                with m.Elif(done):
                    m.d.sync += list(on_done)
                    m.next = next_state

        with m.FSM(name="engine") as fsm:
            with m.State("IDLE"):
                with m.If(self.start & ~self.abort):
                    m.d.sync += reset_loops()
                    m.next = "STREAMIN_START"
            phase("STREAMIN", source.start, source.done, "COMPUTE_START")
            phase("COMPUTE", self.ac.start, self.ac.done, "STREAMOUT_START",
                  on_done=[adc_buf.eq(self.ac.adc)])
            phase("STREAMOUT", sink.start, sink.done, None)      # its wait state ends the job
            with m.State("STREAMOUT"):
                with m.If(self.abort):
                    m.next = "IDLE"
                with m.Elif(sink.done):
                    m.d.sync += self.stat_jobs.eq(self.stat_jobs + 1)
                    with m.If(last["alpha"] & last["beta"] & last["gamma"]):
                        m.d.comb += self.done.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        with m.If(~last["alpha"]):
                            m.d.sync += step_loop("alpha")
                        with m.Elif(~last["beta"]):
                            m.d.sync += clear_loop("alpha") + step_loop("beta")
                        with m.Else():
                            m.d.sync += clear_loop("alpha") + clear_loop("beta") + step_loop("gamma")
                        m.next = "STREAMIN_START"
        for phase, states in (("streamin", ("STREAMIN_START", "STREAMIN")),
                              ("compute", ("COMPUTE_START", "COMPUTE")),
                              ("streamout", ("STREAMOUT_START", "STREAMOUT"))):
            counter = getattr(self, f"stat_{phase}")
            with m.If(fsm.ongoing(states[0]) | fsm.ongoing(states[1])):
                m.d.comb += self.busy.eq(1)
                m.d.sync += counter.eq(counter + 1)
        return m
