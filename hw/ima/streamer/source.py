"""IMA streamer source: 3D strided TCDM reads on N ports into the DAC buffer (STREAMIN)."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ...signatures import TcdmSignature
from .addressgen import AddressGen, check_depth, check_ports, issue_chunks
from .layouts import Walk3DLayout

__all__ = ["Source"]


class Source(wiring.Component):
    """Reads a 3D byte walk from the TCDM on ``ports`` read ports into a ``depth``-byte DAC buffer.

    Stream byte ``i`` of the walk (order of :meth:`sim_models.jobconfig.Walk3D.offsets`) lands in
    ``dac[8*i : 8*i+8]``.

    **Chunk scheme.** The :class:`~hw.ima.streamer.addressgen.AddressGen` cuts each run of
    ``len0`` contiguous bytes (start ``a``) into the aligned words ``a//4 .. (a+len0-1)//4`` and
    groups them in chunks of up to ``ports`` words; lane ``k`` of a chunk goes to port ``k``. A
    port holds ``req`` until it is granted; the chunk retires in the cycle its last lane is granted
    and the next chunk is requested in the following cycle. Each port remembers the stream
    position and byte mask of its granted read and, on ``r_valid`` one cycle later, rotates the
    word by ``pos mod 4`` bytes and writes its masked bytes into the two aligned DAC words it
    straddles (``pos//4`` and ``pos//4 + 1``), so each DAC word chooses among only ``2*ports``
    sources (realignment without a full crossbar).

    **Throughput.** Without contention one chunk issues per cycle. With
    ``C = sum over runs of ceil(words_in_run / ports)`` chunks and ``start`` high in cycle 0,
    ``done`` is high in cycle ``C + 3`` (fixed overhead: 3 cycles -- first chunk registered,
    one-cycle read latency, DAC register update). ``busy`` is high in cycles ``1 .. C + 2``.
    Each stalled cycle (a lane not granted) adds one cycle. An empty walk (a length of 0) gives
    ``done`` in cycle 2 with no request.

    ``start`` while busy restarts (responses of the old job are ignored); ``abort`` drops all
    requests in its own cycle, ignores responses still in flight and idles (no ``done``). DAC
    bytes at stream positions ``>= depth`` are dropped; bytes the job does not reach keep their
    old value.

    Parameters
    ----------
    ports : int
        Number of TCDM read ports ``N``, 1..16.
    depth : int
        DAC buffer size in bytes ``D``, 1..65535.

    Interface attributes
    --------------------
    cfg : In(Walk3DLayout)
        The walk; sampled in the ``start`` cycle.
    start : In(1)
        Pulse: latch ``cfg`` and begin.
    abort : In(1)
        Soft clear: idle at once, no new requests, ignore in-flight responses. Wins over ``start``.
    busy : Out(1)
        A job is in progress.
    done : Out(1)
        One-cycle pulse: every byte of the walk is in ``dac``.
    tcdm : Out(TcdmSignature()).array(ports)
        Read ports (``we = 0``).
    dac : Out(8 * depth)
        The DAC buffer (registers).
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
    OVERHEAD = 3

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
            "dac": Out(8 * depth),
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
        N, D = self._ports, self._depth
        W = (D + 3) // 4                       # DAC words
        QB = ceil_log2(W + 1)                  # bits of (word index + 1), in 0..W

        m.submodules.gen = gen = AddressGen(N)
        go = Signal()
        m.d.comb += [
            go.eq(self.start & ~self.abort),
            gen.cfg.eq(self.cfg),
            gen.start.eq(self.start),
            gen.abort.eq(self.abort),
        ]
        clear = go | self.abort
        req, gnt_now = issue_chunks(m, gen.chunk, self.tcdm, self.abort, clear, we=0)

        # Per port: what its granted read carries, used when r_valid comes one cycle later.
        words = [Signal(32, name=f"dac_w{i}") for i in range(W)]
        wmask_terms = [[] for _ in range(W)]
        wdata_terms = [[] for _ in range(W)]
        for k, port in enumerate(self.tcdm):
            lane = gen.chunk.payload.lanes[k]
            pend = Signal(name=f"pend_{k}")
            qb = Signal(QB, name=f"qb_{k}")        # DAC word index of byte 0, plus 1
            rot = Signal(2, name=f"rot_{k}")       # pos mod 4
            en_lo = Signal(4, name=f"en_lo_{k}")   # byte lanes of DAC word qb-1
            en_hi = Signal(4, name=f"en_hi_{k}")   # byte lanes of DAC word qb
            q = lane.pos >> 2
            s = lane.pos[0:2]
            rmask = (Cat(lane.mask, lane.mask) << s)[4:8]   # mask rotated left by s
            lo_lanes = (Const(0xF, 4) << s)[0:4]
            m.d.sync += [
                pend.eq(gnt_now[k] & (q >= -1) & (q < W) & ~clear),
                qb.eq((q + 1)[0:QB]),
                rot.eq(s),
                en_lo.eq(rmask & lo_lanes),
                en_hi.eq(rmask & ~lo_lanes),
            ]
            hit = Signal(1 << QB, name=f"hit_{k}")
            m.d.comb += hit.eq(Mux(pend & port.r_valid & ~clear, Const(1, 1) << qb, 0))
            data = Signal(32, name=f"rdata_rot_{k}")
            m.d.comb += data.eq((Cat(port.r_data, port.r_data) << (rot * 8))[32:64])
            bm_lo = Cat(*(en_lo[j].replicate(8) for j in range(4)))
            bm_hi = Cat(*(en_hi[j].replicate(8) for j in range(4)))
            d_lo = Signal(32, name=f"d_lo_{k}")
            d_hi = Signal(32, name=f"d_hi_{k}")
            m_lo = Signal(32, name=f"m_lo_{k}")
            m_hi = Signal(32, name=f"m_hi_{k}")
            m.d.comb += [m_lo.eq(bm_lo), m_hi.eq(bm_hi),
                         d_lo.eq(data & bm_lo), d_hi.eq(data & bm_hi)]
            for i in range(W):
                wmask_terms[i] += [Mux(hit[i + 1], m_lo, 0), Mux(hit[i], m_hi, 0)]
                wdata_terms[i] += [Mux(hit[i + 1], d_lo, 0), Mux(hit[i], d_hi, 0)]

        def _or(terms):
            acc = terms[0]
            for t in terms[1:]:
                acc = acc | t
            return acc

        for i in range(W):
            m.d.sync += words[i].eq((words[i] & ~_or(wmask_terms[i])) | _or(wdata_terms[i]))
        m.d.comb += self.dac.eq(Cat(*words)[:8 * D])

        # Job tracking.
        last_acc = gen.chunk.valid & gen.chunk.ready & gen.chunk.payload.last
        got_last = Signal()   # the last chunk was granted in the previous cycle
        m.d.sync += [got_last.eq(last_acc & ~clear), self.done.eq(got_last & ~clear)]
        nonempty = (self.cfg.len0 != 0) & (self.cfg.len1 != 0) & (self.cfg.len2 != 0)
        with m.If(got_last):
            m.d.sync += self.busy.eq(0)
        with m.If(go):
            m.d.sync += [self.busy.eq(1), got_last.eq(~nonempty)]
        with m.If(self.abort):
            m.d.sync += self.busy.eq(0)

        stall = _or([r & ~p.gnt for r, p in zip(req, self.tcdm)])
        with m.If(go):
            m.d.sync += [self.busy_cycles.eq(0), self.stall_cycles.eq(0)]
        with m.Else():
            with m.If(self.busy):
                m.d.sync += self.busy_cycles.eq(self.busy_cycles + 1)
            with m.If(stall):
                m.d.sync += self.stall_cycles.eq(self.stall_cycles + 1)
        return m
