"""IMA streamer sink: the ADC buffer written to the TCDM by a 3D strided walk on N ports (STREAMOUT)."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib.wiring import In
from amaranth.utils import ceil_log2

from .addressgen import issue_chunks
from .walkport import WalkPort

__all__ = ["Sink"]


class Sink(WalkPort):
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

    Parameters, checks and the interface but for the buffer: :class:`~hw.hwpe.streamer.walkport.WalkPort`
    (``ports`` write ports, ``we = 1``; ``depth`` the ADC buffer's bytes; ``done`` the cycle after
    the last write was granted).

    Interface attributes
    --------------------
    adc : In(8 * depth)
        The ADC buffer, held stable for the whole job.
    """

    #: Cycles from the ``start`` cycle to the ``done`` cycle beyond the number of chunks.
    OVERHEAD = 2

    BUFFER = ("adc", In)

    def elaborate(self, platform):
        m = Module()
        D = self.depth
        W = (D + 3) // 4
        IB = ceil_log2(W + 2)

        gen, go, clear = self._start_walk(m)
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

        self._count_job_stats(m, req, go)
        return m
