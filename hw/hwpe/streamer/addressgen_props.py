"""Formal properties of the streamer's address generator (:class:`~hw.hwpe.streamer.addressgen.AddressGen`).

:class:`AddressGenProps` wraps an AddressGen whose inputs are free (``cfg``, ``start``,
``abort``, the consumer's ``ready``) under these assumptions:

* reset in cycle 0;
* one walk at a time: ``start`` only while the generator is idle (``busy`` low) and not with
  ``abort`` (restarting a walk in progress is left to the simulation tests); ``abort`` and
  ``ready`` are otherwise free (back-pressure and soft clears at any time);
* *small widths*: a walk sampled by ``start`` has ``len0 <= 5`` bytes, ``len1, len2 <= 3`` runs,
  strides in ``[-32, 32]`` bytes and ``base < 128`` (:data:`LIMITS`), and stays at non-negative addresses (the
  RTL's widths are the real ones; only the values are bounded, so that a whole walk fits in a
  short BMC). Lengths of 0 (empty walks), misaligned bases, negative and overlapping strides are
  all allowed.

Property groups (``props``), each with its ``Cover`` s:

``range``
    Every byte a chunk enables (lane ``k``, ``mask`` bit ``b``: byte ``4*word + b``) lies inside
    the byte range the walk covers, ``[base + min offsets, base + max offsets + len0 - 1]``
    (an empty walk covers nothing, so it issues nothing).
``count``
    The bytes enabled by the accepted chunks (``valid & ready``) of a walk number exactly
    ``len0 * len1 * len2`` when its ``last`` chunk is accepted, fewer before, and no chunk is
    offered after it (until the next ``start``).

These are bounded (``bmc``) proofs (depths in :data:`hw.flow.formal.PROOFS`: a whole 2 x 2 walk
of one-chunk runs ends within them): the generator's loop state is wide and its invariants many,
and the range's inequalities over the 32-bit address arithmetic are what the solver finds hard
(measured: depth 7 takes about a minute with Yices, several with z3).
"""

from amaranth.hdl import Assert, Assume, Cat, Const, Cover, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from hw.props import reset_in_cycle_0

from .addressgen import AddressGen
from .layouts import Walk3DLayout
from .ports import check_ports

__all__ = ["AddressGenProps", "PROPS", "LIMITS"]

PROPS = ("range", "count")

#: Bounds on the walk values (see the module docstring).
LIMITS = {"len0": 5, "len1": 3, "len2": 3, "stride": 32, "base": 128}


class AddressGenProps(wiring.Component):
    """AddressGen with free inputs and the properties of ``props``.

    Parameters
    ----------
    ports : int
        Words per chunk (1..16).
    props : tuple of str
        Property groups to assert (subset of :data:`PROPS`).

    Interface attributes
    --------------------
    cfg : In(Walk3DLayout)
    start, abort, ready : In(1)

    Raises
    ------
    ValueError
        On a bad ``ports`` or ``props``.
    """

    def __init__(self, *, ports=2, props=PROPS):
        check_ports(ports)
        if not props or any(p not in PROPS for p in props):
            raise ValueError(f"props must be a non-empty subset of {PROPS}, not {props!r}")
        self.ports, self.props = ports, tuple(props)
        super().__init__({"cfg": In(Walk3DLayout), "start": In(1), "abort": In(1),
                          "ready": In(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = AddressGen(self.ports)
        m.d.comb += [dut.cfg.eq(self.cfg), dut.start.eq(self.start), dut.abort.eq(self.abort),
                     dut.chunk.ready.eq(self.ready)]
        reset_in_cycle_0(m)
        c, L = self.cfg, LIMITS

        # The walk's byte range [lo, hi] and length, from the configuration being started.
        # No multipliers (they swamp the solver): lengths are small, so (len-1)*stride is a sum.
        def span(length, stride, limit):
            ext = sum(Mux(length > i, stride, 0) for i in range(1, limit))   # last run's offset
            return Mux(ext < 0, ext, 0), Mux(ext > 0, ext, 0)
        lo1, hi1 = span(c.len1, c.stride1, L["len1"])
        lo2, hi2 = span(c.len2, c.stride2, L["len2"])
        nonempty = c.len0.any() & c.len1.any() & c.len2.any()
        lo_now, hi_now = Signal(signed(34)), Signal(signed(34))
        m.d.comb += [lo_now.eq(c.base + lo1 + lo2),             # empty walk: hi < lo
                     hi_now.eq(Mux(nonempty, c.base + hi1 + hi2 + c.len0 - 1, lo_now - 1))]
        with m.If(self.start):
            m.d.comb += [
                Assume(~dut.busy & ~self.abort),
                Assume(c.len0 <= L["len0"]), Assume(c.len1 <= L["len1"]),
                Assume(c.len2 <= L["len2"]), Assume(c.base < L["base"]),
                Assume((c.stride1 >= -L["stride"]) & (c.stride1 <= L["stride"])),
                Assume((c.stride2 >= -L["stride"]) & (c.stride2 <= L["stride"])),
                Assume(lo_now >= 0),
            ]
        go = self.start & ~self.abort
        lo, hi = Signal(signed(34)), Signal(signed(34))
        total, base, runs = Signal(16), Signal(32), Signal(8)
        with m.If(go):
            m.d.sync += [lo.eq(lo_now), hi.eq(hi_now), total.eq(c.len0[:4] * c.len1[:2] * c.len2[:2]),
                         base.eq(c.base), runs.eq(c.len1[:2] * c.len2[:2])]

        ch = dut.chunk
        lanes = ch.payload.lanes
        accepted = ch.valid & ch.ready
        nbytes = sum(lanes[k].mask[b] for k in range(self.ports) for b in range(4))

        if "range" in self.props:
            # The walks stay below 2**AW bytes (LIMITS): a lane's word must have no bit above
            # AW - 2, and the range is compared on AW-bit addresses (narrow arithmetic is what
            # keeps the solver fast; the high-bit check keeps it exact).
            aw = (L["base"] + 2 * (L["len1"] - 1) * L["stride"] + L["len0"]).bit_length() + 1
            for k in range(self.ports):
                lane = lanes[k]
                with m.If(ch.valid & lane.mask.any()):
                    m.d.comb += Assert(lane.word[aw - 2:] == 0, f"lane {k} beyond the walks")
                for b in range(4):
                    addr = Cat(Const(b, 2), lane.word[:aw - 2])
                    with m.If(ch.valid & lane.mask[b]):
                        m.d.comb += [Assert(addr >= lo[:aw], f"lane {k} byte {b} below the walk"),
                                     Assert(addr <= hi[:aw], f"lane {k} byte {b} above the walk")]
            m.d.comb += [
                Cover(ch.valid & (lanes[0].mask == 0b1100)),              # misaligned start
                Cover(ch.valid & lanes[0].mask[0] & (lanes[0].word * 4 == lo) & (hi - lo > 8)),
                Cover(ch.valid & (lo < base) & (hi > lo + 4)),            # walk below its base
            ]

        if "count" in self.props:
            count = Signal(16)
            on = Signal()                                # a walk's chunks are still to come
            with m.If(go):
                m.d.sync += [count.eq(0), on.eq(nonempty)]
            with m.Elif(self.abort):
                m.d.sync += on.eq(0)
            with m.Elif(accepted):
                m.d.sync += count.eq(count + nbytes)
                with m.If(ch.payload.last):
                    m.d.sync += on.eq(0)
            with m.If(accepted & ch.payload.last):
                m.d.comb += Assert(count + nbytes == total, "bytes of the walk != its length")
            with m.Elif(accepted):
                m.d.comb += Assert(count + nbytes < total, "walk longer than its length")
            m.d.comb += [
                Assert(~ch.valid | on, "a chunk offered outside a walk"),
                Cover(accepted & ch.payload.last & (total == 8) & (runs == 4)),  # a 2x2 walk
                Cover(accepted & ch.payload.last & (count != 0) & (base[0:2] != 0)),
            ]
        return m
