"""The sequential job sequencer: the AICAS 2021 IMA's FSM, STREAMIN -> COMPUTE -> STREAMOUT.

For each job: start the Source with the job's source base and wait for its ``done``; start the
MVM on the job's window with the DAC vector straight from the Source's buffer (stable: the
Source is idle during COMPUTE) and latch the ADC vector on the core's ``done``; start the Sink
with the job's destination base and wait for its ``done``; then step the job loops or, after the
last job, pulse ``done``. Each phase is a one-cycle ``<PHASE>_START`` state that pulses the
unit's ``start`` and a wait state; an abort returns to IDLE from any of them.

Statistics: a phase counter adds one in each cycle of its two states, so the three counters
are disjoint and sum to the length of ``busy``.
"""

from amaranth import Module, Signal

from hw.ima.jobloops import JobLoops
from hw.ima.jobregs import u16
from hw.ima.sequencer import Sequencer

__all__ = ["SequentialSequencer"]


class SequentialSequencer(Sequencer):
    """One phase at a time, job after job (interface: :class:`~hw.ima.sequencer.SequencerSignature`).

    Parameters
    ----------
    cfg : ImaConfig
    """

    def elaborate(self, platform):
        m = Module()
        cfg, j, src, snk, mvm, stat = (self._cfg, self.job, self.source, self.sink, self.mvm,
                                      self.stat)
        m.submodules.loops = loops = JobLoops(("src", "dst", "row", "col"))
        adc_buf = Signal(8 * cfg.adc_depth)
        m.d.comb += [
            loops.job.eq(j),
            src.base.eq(j.j_src_addr + loops.offset.src),
            snk.base.eq(j.j_dst_addr + loops.offset.dst),
            mvm.row.eq(u16(j.j_start_y) + loops.offset.row),
            mvm.col.eq(u16(j.j_start_x) + loops.offset.col),
            mvm.dac.eq(src.dac),
            snk.adc.eq(adc_buf),
        ]

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
                    m.d.comb += loops.reset.eq(1)
                    m.next = "STREAMIN_START"
            phase("STREAMIN", src.start, src.done, "COMPUTE_START")
            phase("COMPUTE", mvm.start, mvm.done, "STREAMOUT_START", on_done=[adc_buf.eq(mvm.adc)])
            phase("STREAMOUT", snk.start, snk.done, None)      # its wait state ends the job
            with m.State("STREAMOUT"):
                with m.If(self.abort):
                    m.next = "IDLE"
                with m.Elif(snk.done):
                    m.d.sync += stat.jobs.eq(stat.jobs + 1)
                    with m.If(loops.last):
                        m.d.comb += self.done.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.comb += loops.step.eq(1)
                        m.next = "STREAMIN_START"
        for name, states in (("streamin", ("STREAMIN_START", "STREAMIN")),
                             ("compute", ("COMPUTE_START", "COMPUTE")),
                             ("streamout", ("STREAMOUT_START", "STREAMOUT"))):
            counter = getattr(stat, name)
            with m.If(fsm.ongoing(states[0]) | fsm.ongoing(states[1])):
                m.d.comb += stat.busy.eq(1)
                m.d.sync += counter.eq(counter + 1)
        return m
