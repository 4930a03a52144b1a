"""IMA streamer sink: the ADC buffer written to the TCDM by a 3D strided walk on N ports (STREAMOUT)."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ...signatures import TcdmSignature
from .addressgen import (
    check_depth,
    check_ports,
    count_job_stats,
    issue_chunks,
    start_walk,
)
from .layouts import Walk3DLayout

__all__ = ["Sink"]


class Sink(wiring.Component):
    """Writes stream bytes of a ``depth``-byte ADC buffer to the TCDM along a 3D byte walk.

    Stream byte ``i`` (``adc[8*i : 8*i+8]``) goes to the ``i``-th address of the walk (order of
    :meth:`sim_models.jobconfig.Walk3D.offsets`). ``adc`` must stay stable during the job.

    **Chunk scheme.** As in :class:`~hw.hwpe.streamer.source.Source`: each run of ``len0``
    contiguous bytes is cut into its aligned words, grouped in chunks of up to ``ports`` words,
    lane ``k`` on port ``k``; a port holds ``req`` until granted, the chunk retires when its last
    lane is granted. A lane writes ``be = mask`` (partial at run edges; a byte with mask bit 0 is
    never written) and ``wdata`` = the stream bytes ``pos .. pos+3`` placed at byte lanes 0..3,
    gathered from the two aligned ADC words around ``pos`` and rotated by ``pos mod 4``.

    **Throughput.** With ``C = sum over runs of ceil(words_in_run / ports)`` chunks, no
    contention and ``start`` high in cycle 0, the chunks are requested in cycles ``2 .. C+1`` and
    ``done`` is high in cycle ``C + 2`` (fixed overhead: 2 cycles); ``busy`` is high in cycles
    ``1 .. C+1``. Each stalled cycle adds one. An empty walk gives ``done`` in cycle 2.

    ``start`` while busy restarts; ``abort`` drops all requests in its own cycle and idles (no
    ``done``). Bytes at stream positions ``>= depth`` are undefined (keep jobs within ``depth``).

    Parameters
    ----------
    ports : int
        Number of TCDM write ports ``N``, 1..16.
    depth : int
        ADC buffer size in bytes ``D``, 1..65535.

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
        One-cycle pulse, the cycle after the last write was granted.
    tcdm : Out(TcdmSignature()).array(ports)
        Write ports (``we = 1``).
    adc : In(8 * depth)
        The ADC buffer, held stable for the whole job.
    busy_cycles : Out(32)
        Cycles with ``busy`` high in the last/current job.
    stall_cycles : Out(32)
        Cycles of the last/current job with a port in ``req & ~gnt``.

    Raises
    ------
    ValueError
        If ``ports`` is not in 1..16 or ``depth`` is not a positive integer <= 65535.
    """

    #: Cycles from the ``start`` cycle to the ``done`` cycle beyond the number of chunks.
    OVERHEAD = 2

    def __init__(self, ports=1, depth=256):
        check_ports(ports)
        check_depth(depth)
        self._ports = ports
        self._depth = depth
        super().__init__({
            "cfg": In(Walk3DLayout),
            "start": In(1),
            "abort": In(1),
            "busy": Out(1),
            "done": Out(1),
            "tcdm": Out(TcdmSignature()).array(ports),
            "adc": In(8 * depth),
            "busy_cycles": Out(32),
            "stall_cycles": Out(32),
        })

    @property
    def ports(self):
        return self._ports

    @property
    def depth(self):
        return self._depth

    def elaborate(self, platform):
        m = Module()
        D = self._depth
        W = (D + 3) // 4
        IB = ceil_log2(W + 2)

        gen, go, clear = start_walk(m, self)
        req, _ = issue_chunks(m, gen.chunk, self.tcdm, self.abort, clear, we=1)

        # ADC words with one zero word on each side: padded word j+1 holds stream bytes 4j..4j+3.
        padded = Signal(32 * (1 << IB))
        m.d.comb += padded.eq(Cat(Const(0, 32), self.adc, Const(0, 32 * W - 8 * D)))
        for k, port in enumerate(self.tcdm):
            lane = gen.chunk.payload.lanes[k]
            idx = Signal(IB, name=f"idx_{k}")
            m.d.comb += idx.eq((lane.pos >> 2) + 1)
            lo = padded.word_select(idx, 32)
            hi = padded.word_select(idx + 1, 32)
            bm = Cat(*(lane.mask[j].replicate(8) for j in range(4)))
            m.d.comb += port.wdata.eq((Cat(lo, hi) >> (lane.pos[0:2] * 8))[0:32] & bm)

        last_acc = gen.chunk.valid & gen.chunk.ready & gen.chunk.payload.last
        nonempty = (self.cfg.len0 != 0) & (self.cfg.len1 != 0) & (self.cfg.len2 != 0)
        m.d.sync += self.done.eq(last_acc & ~clear)
        with m.If(last_acc):
            m.d.sync += self.busy.eq(0)
        with m.If(go):
            m.d.sync += [self.busy.eq(1), self.done.eq(0)]
        empty_go = Signal()
        m.d.sync += empty_go.eq(go & ~nonempty)
        with m.If(empty_go):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        with m.If(self.abort):
            m.d.sync += [self.busy.eq(0), self.done.eq(0)]

        count_job_stats(m, self, req, go)
        return m
