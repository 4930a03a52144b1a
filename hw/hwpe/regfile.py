"""A register file generated from a :class:`hw.hwpe.regs.RegisterMap`.

Bus side (``bus``: ``In(map.bus_signature())``, the HWPE peripheral port):

* ``gnt = req & ~stall``, combinational in the request cycle; a register declared with
  ``stall=True`` has a ``stall`` input that withholds the grant of reads (if it has readable
  fields) or writes (if it has writable fields) addressed to it. Nothing else stalls.
* ``r_valid`` one cycle after every granted access, with ``r_data``: the register's readable
  fields (0 for write-only fields and unmapped words; after a write, the value before it, which
  the protocol leaves undefined); 0 when not valid.

Block side (``regs``: one sub-interface per register, named after it in lower case; one member
per field, named after the field):

* ``R`` field: ``In(width)``, the value the block shows.
* ``RW`` field: ``Out(width)``, the stored value (written under byte enables).
* ``W1C`` field: ``Out(width)``, the stored value; per register ``set`` / ``clr`` inputs
  (32-bit masks at the fields' positions) set / clear bits: next = (value & ~bus ones & ~clr) | set.
* ``W`` field: ``Out(width)``, the written bits, valid with ``w_stb``.
* ``w_stb``: ``Out(1)`` if the register has writable fields: a write to it took effect this cycle.
* ``r_stb``: ``Out(1)`` if it has readable fields: a read of it was granted this cycle.

``job_we`` (``In(1)``) gates writes to the map's ``job`` registers (the HWPE rule: only the core
holding the lock configures a job); ``w_data`` (``Out(32)``) is the bus write data, for blocks
that act on a value in the cycle it is written.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.hwpe.regs import WORD_BITS, Access, RegisterMap
from hw.signatures import PERIPH_ID_WIDTH

__all__ = ["RegisterFile", "register_signature"]


def register_signature(reg):
    """The block-side signature of one register (seen from the register file)."""
    members = {}
    for f in reg.fields:
        members[f.name] = In(f.width) if f.access is Access.R else Out(f.width)
    if any(f.access is Access.W1C for f in reg.fields):
        members["set"] = In(WORD_BITS)
        members["clr"] = In(WORD_BITS)
    if reg.writable:
        members["w_stb"] = Out(1)
    if reg.readable:
        members["r_stb"] = Out(1)
    if reg.stall:
        members["stall"] = In(1)
    return wiring.Signature(members)


class RegisterFile(wiring.Component):
    """Storage, read mux, W1C and strobes of a register map.

    Parameters
    ----------
    regmap : RegisterMap
    id_width : int
        Width of the bus's initiator id (not used inside; it is part of the port).

    Interface attributes
    --------------------
    bus : In(regmap.bus_signature(id_width))
    regs : Out(Signature({reg.name.lower(): register_signature(reg)}))
    job_we : In(1)
        Writes to ``job`` registers take effect only while high.
    w_data : Out(32)
        The bus write data.

    Raises
    ------
    ValueError
        If ``regmap`` is not a RegisterMap.
    """

    def __init__(self, regmap, *, id_width=PERIPH_ID_WIDTH):
        if not isinstance(regmap, RegisterMap):
            raise ValueError(f"regmap must be a RegisterMap, not {regmap!r}")
        self.regmap = regmap
        super().__init__({
            "bus": In(regmap.bus_signature(id_width=id_width)),
            "regs": Out(wiring.Signature({r.name.lower(): Out(register_signature(r))
                                          for r in regmap})),
            "job_we": In(1),
            "w_data": Out(WORD_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        bus, rmap = self.bus, self.regmap
        word = bus.addr[2:rmap.addr_width]
        ports = {r.name: getattr(self.regs, r.name.lower()) for r in rmap}
        sel = {r.name: word == r.offset // 4 for r in rmap}

        # -- grant (combinational), response one cycle later --
        stall = Const(0)
        for r in rmap:
            if r.stall:
                kinds = (bus.we if r.writable else 0) | (~bus.we if r.readable else 0)
                stall = stall | (sel[r.name] & kinds & ports[r.name].stall)
        granted = Signal()
        rdata = Signal(WORD_BITS)
        m.d.comb += [granted.eq(bus.req & ~stall), bus.gnt.eq(granted), self.w_data.eq(bus.wdata)]
        m.d.sync += [bus.r_valid.eq(granted), bus.r_data.eq(Mux(granted, rdata, 0))]
        wr = granted & bus.we
        rd = granted & ~bus.we
        be_mask = Cat(*[bus.be[i].replicate(8) for i in range(WORD_BITS // 8)])

        # -- storage, write strobes --
        words = {}
        for r in rmap:
            p = ports[r.name]
            w_ok = wr & sel[r.name] & (self.job_we if r.group == "job" else 1)
            if r.writable:
                m.d.comb += p.w_stb.eq(w_ok)
            if r.readable:
                m.d.comb += p.r_stb.eq(rd & sel[r.name])
            value = Signal(WORD_BITS, name=f"{r.name.lower()}_word")
            words[r.name] = value
            for f in r.fields:
                port = getattr(p, f.name)
                if f.access is Access.R:
                    m.d.comb += f.slice(value).eq(port)
                elif f.access is Access.W:
                    m.d.comb += port.eq(f.slice(bus.wdata))
                else:
                    store = Signal(f.width, init=f.put(f.reset) >> f.lsb,
                                   name=f"{r.name.lower()}_{f.name}")
                    m.d.comb += port.eq(store)
                    if f.access.readable:
                        m.d.comb += f.slice(value).eq(store)
                    if f.access is Access.RW:
                        be = f.slice(be_mask)
                        with m.If(w_ok):
                            m.d.sync += store.eq((store & ~be) | (f.slice(bus.wdata) & be))
                    else:                                          # W1C
                        ones = Mux(w_ok, f.slice(bus.wdata), 0)
                        clr, setb = f.slice(p.clr), f.slice(p.set)
                        with m.If(w_ok | clr.any() | setb.any()):
                            m.d.sync += store.eq((store & ~ones & ~clr) | setb)

        # -- read mux --
        with m.Switch(word):
            for r in rmap:
                if r.readable:
                    with m.Case(r.offset // 4):
                        m.d.comb += rdata.eq(words[r.name])
            with m.Default():
                m.d.comb += rdata.eq(0)
        return m
