"""What the streamer's Source and Sink share: a 3D byte walk between ``ports`` TCDM ports and a
``depth``-byte engine buffer, started, aborted and counted the same way.

:class:`WalkPort` is the base of :class:`~hw.hwpe.streamer.source.Source` (TCDM -> DAC buffer,
STREAMIN) and :class:`~hw.hwpe.streamer.sink.Sink` (ADC buffer -> TCDM, STREAMOUT): their
interface but for the buffer, their parameters and checks, and the two pieces of logic around
the address generator (:meth:`WalkPort._start_walk`, :meth:`WalkPort._count_job_stats`).
"""

from amaranth.hdl import Const, Signal
from amaranth.lib.wiring import In, Out

from ...signatures import TcdmSignature
from .addressgen import AddressGen
from .layouts import Walk3DLayout
from .ports import Ported, check_depth

__all__ = ["WalkPort"]


class WalkPort(Ported):
    """A 3D byte walk between ``ports`` TCDM ports and a ``depth``-byte buffer (base class).

    A subclass names its buffer by :attr:`BUFFER` and says what the walk does with it.

    Parameters
    ----------
    ports : int
        Number of TCDM ports ``N``, 1..16.
    depth : int
        Buffer size in bytes ``D``, 1..65535.

    Interface attributes
    --------------------
    cfg : In(Walk3DLayout)
        The walk; sampled in the ``start`` cycle.
    start : In(1)
        Pulse: latch ``cfg`` and begin.
    abort : In(1)
        Soft clear: idle at once, no new requests. Wins over ``start``.
    busy : Out(1)
        A job is in progress.
    done : Out(1)
        One-cycle pulse: the job is complete.
    tcdm : Out(TcdmSignature()).array(ports)
        The TCDM ports.
    <BUFFER name> : In or Out(8 * depth)
        The buffer (:attr:`BUFFER`).
    busy_cycles : Out(32)
        Cycles with ``busy`` high in the last/current job.
    stall_cycles : Out(32)
        Cycles of the last/current job with a port in ``req & ~gnt``.

    Raises
    ------
    ValueError
        If ``ports`` is not in 1..16 or ``depth`` is not a positive integer <= 65535.
    """

    #: ``(name, direction)`` of the buffer member (``("dac", Out)`` or ``("adc", In)``).
    BUFFER = None

    def __init__(self, ports=1, depth=256):
        self._depth = depth
        super().__init__(ports)

    def _members(self):
        check_depth(self._depth)            # after ``ports``, before a member is built from it
        name, direction = self.BUFFER
        return {
            "cfg": In(Walk3DLayout),
            "start": In(1),
            "abort": In(1),
            "busy": Out(1),
            "done": Out(1),
            "tcdm": Out(TcdmSignature()).array(self.ports),
            name: direction(8 * self._depth),
            "busy_cycles": Out(32),
            "stall_cycles": Out(32),
        }

    @property
    def depth(self):
        return self._depth

    def _start_walk(self, m):
        """The address generator (submodule ``gen``), started by ``start`` unless aborted.

        Returns ``(gen, go, clear)``: the generator, the accepted start, and the cycle condition
        that forgets a job's partial state (a new start or an abort).
        """
        m.submodules.gen = gen = AddressGen(len(self.tcdm))
        go = Signal()
        m.d.comb += [
            go.eq(self.start & ~self.abort),
            gen.cfg.eq(self.cfg),
            gen.start.eq(self.start),
            gen.abort.eq(self.abort),
        ]
        return gen, go, go | self.abort

    def _count_job_stats(self, m, req, go):
        """``busy_cycles`` / ``stall_cycles`` of the current job (reset at its start)."""
        stall = Const(0, 1)
        for r, port in zip(req, self.tcdm, strict=True):
            stall = stall | (r & ~port.gnt)
        with m.If(go):
            m.d.sync += [self.busy_cycles.eq(0), self.stall_cycles.eq(0)]
        with m.Else():
            with m.If(self.busy):
                m.d.sync += self.busy_cycles.eq(self.busy_cycles + 1)
            with m.If(stall):
                m.d.sync += self.stall_cycles.eq(self.stall_cycles + 1)
