"""Formal properties of the logarithmic interconnect (:class:`~hw.cluster.interconnect.LogInterconnect`).

:class:`InterconnectProps` wraps a small interconnect (``masters`` x ``banks``, two words per
bank) with a behavioural model of the banks and states, as Amaranth ``Assert`` s, the properties
of issue 17 item 1; every property has a ``Cover`` showing it is reachable (not vacuous). The
masters' request ports are free inputs of the wrapper: the solver drives any request pattern,
any address (all 32 bits), any write data, in every cycle. The only assumption is the reset in
cycle 0 (:func:`hw.props.reset_in_cycle_0`). Property groups (``props``):

``grant``
    No grant without a request; at most one grant per bank per cycle (no two masters granted on
    the same bank).
``rvalid``
    ``r_valid`` is high exactly in the cycles after a granted access (reads and writes, see the
    interconnect's docstring), and only then.
``rdata``
    A granted access reaches its bank with its word address, ``we``, ``be`` and write data, and
    no bank is accessed without a grant (so the bank model holds what the masters wrote); the
    read data a master receives is the bank's word at the granted address as it was when the
    read was granted.
``fair``
    Round-robin fairness: a master that keeps requesting one bank (its ``req`` high, its address
    on the same bank, in consecutive cycles) is granted after at most ``masters - 1`` stall
    cycles. The stall counter is bounded, so this is a safety property, proved for every state by
    k-induction (``mode prove``), not only from reset. Its ``Cover`` reaches the bound: the
    bound is tight.

:class:`FixedPriorityInterconnect` is the deliberately broken variant (the lowest-numbered
requester always wins): the fairness proof must fail on it, which shows the proof bites.
"""

from amaranth.hdl import Array, Assert, Cover, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, flipped

from hw.cluster.interconnect import LogInterconnect, check_masters
from hw.cluster.tcdm import check_tcdm_params
from hw.props import reset_in_cycle_0
from hw.signatures import TcdmSignature

__all__ = ["InterconnectProps", "FixedPriorityInterconnect", "PROPS"]

#: The property groups of :class:`InterconnectProps`.
PROPS = ("grant", "rvalid", "rdata", "fair")

#: Words per bank in the property instances (one address bit inside a bank: aliasing across the
#: rest of the 32-bit address is part of what is checked).
WORDS_PER_BANK = 2


class FixedPriorityInterconnect(LogInterconnect):
    """The interconnect with a fixed-priority arbiter per bank (master 0 always wins): starves a
    master whenever a lower-numbered one keeps requesting its bank. Only for the formal flow's
    negative check; never used in the design."""

    def arbitrate(self, m, requests, *, name):
        grant = Signal(len(requests), name=f"{name}_grant")
        m.d.comb += grant.eq(requests & (~requests + 1))     # lowest set bit
        return grant


class InterconnectProps(wiring.Component):
    """An interconnect of ``masters`` x ``banks`` (two 32-bit words per bank) with its properties.

    Parameters
    ----------
    masters : int
        Number of masters (>= 2).
    banks : int
        Number of banks, a power of two.
    props : tuple of str
        The property groups to assert (subset of :data:`PROPS`); their covers come with them.
    interconnect : type
        The interconnect class (:class:`LogInterconnect` or a broken variant).

    Interface attributes
    --------------------
    masters : In(TcdmSignature()).array(masters)
        Free inputs: the solver plays every master.
    stat_clear : In(1)
        Free input (the statistics clear).

    Raises
    ------
    ValueError
        On a bad ``masters``, ``banks`` or ``props``.
    """

    def __init__(self, masters, banks, *, props=PROPS, interconnect=LogInterconnect):
        check_masters(masters)
        if masters < 2:
            raise ValueError(f"masters must be at least 2 (arbitration), not {masters!r}")
        self.size_bytes = banks * 4 * WORDS_PER_BANK
        self.bank_bits, _, self.word_bits = check_tcdm_params(banks, self.size_bytes)
        bad = [p for p in props if p not in PROPS]
        if bad or not props:
            raise ValueError(f"props must be a non-empty subset of {PROPS}, not {props!r}")
        self.n_masters, self.n_banks = masters, banks
        self.props = tuple(props)
        self._cls = interconnect
        super().__init__({
            "masters": In(TcdmSignature()).array(masters),
            "stat_clear": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        M, B, W = self.n_masters, self.n_banks, WORDS_PER_BANK
        bb, wb = self.bank_bits, self.word_bits
        m.submodules.dut = dut = self._cls(masters=M, banks=B, size_bytes=self.size_bytes)
        for i in range(M):
            wiring.connect(m, flipped(self.masters[i]), dut.masters[i])
        m.d.comb += dut.stat.clear.eq(self.stat_clear)
        reset_in_cycle_0(m)

        # Behavioural banks: W words each (reset-less, like SRAM), written under byte enables,
        # read data registered and held until the next read (BankSignature's contract).
        words = []
        for b, port in enumerate(dut.banks):
            ws = [Signal(32, reset_less=True, name=f"mem_b{b}_w{w}") for w in range(W)]
            rdata = Signal(32, reset_less=True, name=f"mem_b{b}_rdata")
            m.d.comb += port.rdata.eq(rdata)
            for w, word in enumerate(ws):
                with m.If(port.en & port.we & (port.addr == w)):
                    for k in range(4):
                        with m.If(port.be[k]):
                            m.d.sync += word[8 * k:8 * k + 8].eq(port.wdata[8 * k:8 * k + 8])
            with m.If(port.en & ~port.we):
                m.d.sync += rdata.eq(Array(ws)[port.addr])
            words.append(Array(ws))
        bank_words = Array(words)

        ports = [dut.masters[i] for i in range(M)]
        bank = [p.addr[2:2 + bb] for p in ports]
        word = [p.addr[2 + bb:2 + bb + wb] for p in ports]

        if "grant" in self.props:
            for i, p in enumerate(ports):
                m.d.comb += [Assert(~p.gnt | p.req, f"grant without request (master {i})"),
                             Cover(p.gnt & (ports[(i + 1) % M].req & (bank[(i + 1) % M] == bank[i])))]
                for j in range(i + 1, M):
                    m.d.comb += Assert(~(p.gnt & ports[j].gnt & (bank[i] == bank[j])),
                                       f"masters {i} and {j} granted on one bank")
            m.d.comb += Cover(ports[0].req & ports[1].req & (bank[0] == bank[1])
                              & ports[1].gnt)

        if "rvalid" in self.props:
            for i, p in enumerate(ports):
                past_gnt = Signal(name=f"past_gnt_{i}")
                m.d.sync += past_gnt.eq(p.gnt)
                m.d.comb += [Assert(p.r_valid == past_gnt, f"r_valid not one cycle after the "
                                                           f"grant (master {i})"),
                             Cover(p.r_valid)]

        if "rdata" in self.props:
            for b, bp in enumerate(dut.banks):
                served = [p.gnt & (bank[i] == b) for i, p in enumerate(ports)]
                m.d.comb += Assert(~bp.en | sum(served).bool(), f"bank {b} accessed without a grant")
            for i, p in enumerate(ports):
                bp = Array(dut.banks)[bank[i]]
                with m.If(p.gnt):
                    m.d.comb += Assert(bp.en & (bp.addr == word[i]) & (bp.we == p.we)
                                       & (~p.we | ((bp.be == p.be) & (bp.wdata == p.wdata))),
                                       f"granted access of master {i} not at its bank word")
                rd = Signal(name=f"rd_{i}")
                expect = Signal(32, name=f"expect_{i}")
                m.d.sync += [rd.eq(p.gnt & ~p.we), expect.eq(bank_words[bank[i]][word[i]])]
                with m.If(rd):
                    m.d.comb += Assert(p.r_data == expect, f"read data of master {i} is not the "
                                                           f"bank word at the granted address")
                m.d.comb += Cover(rd & (p.r_data == expect) & (expect == 0xC0FFEE00 + i))

        if "fair" in self.props:
            for i, p in enumerate(ports):
                wait = Signal(range(M + 2), name=f"wait_{i}")   # consecutive stalls on one bank
                wait_bank = Signal(max(bb, 1), name=f"wait_bank_{i}")
                with m.If(p.req & ~p.gnt):
                    m.d.sync += wait_bank.eq(bank[i])
                    with m.If((wait != 0) & (wait_bank == bank[i])):
                        m.d.sync += wait.eq(wait + 1)
                    with m.Else():
                        m.d.sync += wait.eq(1)
                with m.Else():
                    m.d.sync += wait.eq(0)
                m.d.comb += [Assert(wait <= M - 1, f"master {i} stalled {M} cycles on one bank"),
                             Cover(p.gnt & (wait == M - 1))]
        return m
