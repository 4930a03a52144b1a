"""The three job loops of a layer: counters and running offsets, no multipliers.

A layer's jobs are the iterations of three nested loops (``alpha`` innermost, then ``beta``,
``gamma``; :class:`sim_models.jobconfig.JobLoop`). Each loop adds its strides to the job's source
and destination bases and to its crossbar window; :class:`JobLoops` keeps, per loop, the
iteration count and the running offsets ``count * stride`` and gives their sums. Both job
sequencers use it: the sequential one with one instance for all four quantities, the overlapped
one with one instance per side (Source, analog core, Sink), each stepping when its side takes the
next job.
"""

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.ima.jobregs import JobRegsLayout, s16, u16

__all__ = ["JobLoops", "LOOPS", "QUANTITIES"]

#: The loops, innermost first.
LOOPS = ("alpha", "beta", "gamma")

#: Offset quantities: name -> (stride register infix, offset register shape). ``src``/``dst``
#: are byte offsets of the source/destination bases (32-bit signed strides), ``row``/``col``
#: window offsets (16-bit signed strides).
QUANTITIES = {"src": ("in", signed(48)), "dst": ("out", signed(48)),
              "row": ("row", signed(24)), "col": ("col", signed(24))}


class JobLoops(wiring.Component):
    """Counters and running offsets of the three job loops for some offset quantities.

    Parameters
    ----------
    quantities : tuple of str
        Which offsets to keep, among ``src``, ``dst``, ``row``, ``col`` (see :data:`QUANTITIES`).

    Interface attributes
    --------------------
    job : In(JobRegsLayout)
        The layer configuration (loop lengths and strides), stable while the loops run.
    reset : In(1)
        Back to job 0 in the next cycle (counts and offsets 0, ``end`` low). Wins over ``step``.
    step : In(1)
        Advance to the next job (alpha innermost); on the last job set ``end`` instead.
    last : Out(1)
        The current job is the layer's last (every loop at its last iteration).
    end : Out(1)
        A step was taken on the last job (the side has no job left).
    offset : Out(StructLayout)
        Per quantity, the sum over the loops of the running offsets (full width, signed).

    Raises
    ------
    ValueError
        If ``quantities`` is empty or names an unknown quantity.
    """

    def __init__(self, quantities):
        quantities = tuple(quantities)
        if not quantities or any(q not in QUANTITIES for q in quantities):
            raise ValueError(f"quantities must be a non-empty tuple of {tuple(QUANTITIES)}, "
                             f"not {quantities!r}")
        self._quantities = quantities
        # The sum of three offsets needs two more bits than one offset.
        offset = data.StructLayout({q: signed(QUANTITIES[q][1].width + 2) for q in quantities})
        super().__init__({
            "job": In(JobRegsLayout), "reset": In(1), "step": In(1),
            "last": Out(1), "end": Out(1), "offset": Out(offset),
        })

    @property
    def quantities(self):
        return self._quantities

    def _stride(self, loop, q):
        reg = getattr(self.job, f"{loop}_{QUANTITIES[q][0]}_stride")
        return reg.as_signed() if q in ("src", "dst") else s16(reg)

    def elaborate(self, platform):
        m = Module()
        qs = self._quantities
        count = {lp: Signal(16, name=f"{lp}_count") for lp in LOOPS}
        off = {(lp, q): Signal(QUANTITIES[q][1], name=f"{lp}_{q}_off") for lp in LOOPS for q in qs}
        last = {lp: count[lp] == u16(getattr(self.job, f"{lp}_length")) - 1 for lp in LOOPS}
        m.d.comb += [getattr(self.offset, q).eq(sum(off[(lp, q)] for lp in LOOPS)) for q in qs]
        m.d.comb += self.last.eq(last["alpha"] & last["beta"] & last["gamma"])

        def inc(lp):
            return [count[lp].eq(count[lp] + 1)] + [
                off[(lp, q)].eq(off[(lp, q)] + self._stride(lp, q)) for q in qs]

        def clear(lp):
            return [count[lp].eq(0)] + [off[(lp, q)].eq(0) for q in qs]

        with m.If(self.reset):
            m.d.sync += clear("alpha") + clear("beta") + clear("gamma") + [self.end.eq(0)]
        with m.Elif(self.step):
            with m.If(~last["alpha"]):
                m.d.sync += inc("alpha")
            with m.Elif(~last["beta"]):
                m.d.sync += clear("alpha") + inc("beta")
            with m.Elif(~last["gamma"]):
                m.d.sync += clear("alpha") + clear("beta") + inc("gamma")
            with m.Else():
                m.d.sync += self.end.eq(1)
        return m
