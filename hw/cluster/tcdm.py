"""TCDM: ``banks`` word-interleaved 32-bit SRAM banks, one :class:`amaranth.lib.memory.Memory` each.

Address mapping (byte address ``addr`` of a TCDM master, ``B = banks``)::

    addr[1:0]                      byte in word (ignored; ``be`` selects bytes on writes)
    addr[2 : 2+log2(B)]            bank
    addr[2+log2(B) : ...]          word inside the bank (``log2(size_bytes / (4*B))`` bits)

Bits above ``log2(size_bytes)`` are ignored (the TCDM aliases every ``size_bytes``): the cluster's
address decoder has already selected L1 before a request reaches the interconnect.

The banks are single-ported: one access per bank per cycle, read data one cycle after the access
(synchronous read port), writes with byte enables (write granularity 8).

In Verilog each bank's storage is the array ``bank<i>`` inside the Tcdm instance (``tcdm`` in
:class:`~hw.cluster.subsystem.TcdmSubsystem`), e.g. ``dut.tcdm.bank3[k]``; the testbench backdoor
(:mod:`tb.bfm.backdoor`) reads and writes it directly.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from hw.config import preset

__all__ = ["BankSignature", "Tcdm", "check_tcdm_params"]

#: Default geometry (banks, size) of the default preset, :mod:`hw.config`.
_DEFAULT = preset()


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_tcdm_params(banks, size_bytes, *, data_width=32):
    """Validate the TCDM geometry; raise :class:`ValueError` naming the bad parameter.

    Returns ``(bank_bits, words_per_bank, word_bits)``.
    """
    if not _is_int(banks) or banks <= 0 or banks & (banks - 1):
        raise ValueError(f"banks must be a positive power of two, not {banks!r}")
    if not _is_int(size_bytes) or size_bytes <= 0:
        raise ValueError(f"size_bytes must be a positive integer, not {size_bytes!r}")
    word_bytes = data_width // 8
    if size_bytes % (banks * word_bytes):
        raise ValueError(f"size_bytes must be a multiple of banks * {word_bytes} = "
                         f"{banks * word_bytes}, not {size_bytes!r}")
    if size_bytes & (size_bytes - 1):
        raise ValueError(f"size_bytes must be a power of two (word-in-bank is an address "
                         f"bit field), not {size_bytes!r}")
    words_per_bank = size_bytes // (banks * word_bytes)
    return exact_log2(banks), words_per_bank, exact_log2(words_per_bank)


class BankSignature(wiring.Signature):
    """Port of one single-ported SRAM bank, seen from the interconnect (initiator).

    Members
    -------
    en : Out(1)      an access this cycle
    we : Out(1)      1 = write
    addr : Out(word_bits)   word address inside the bank
    be : Out(4)      byte enables of a write
    wdata : Out(32)
    rdata : In(32)   read data, one cycle after a read access (holds until the next read)
    """

    def __init__(self, word_bits, data_width=32):
        if not _is_int(word_bits) or word_bits < 0:
            raise ValueError(f"word_bits must be a non-negative integer, not {word_bits!r}")
        self._word_bits = word_bits
        super().__init__({
            "en": Out(1),
            "we": Out(1),
            "addr": Out(word_bits),
            "be": Out(data_width // 8),
            "wdata": Out(data_width),
            "rdata": In(data_width),
        })

    @property
    def word_bits(self):
        return self._word_bits

    def __eq__(self, other):
        return type(other) is type(self) and other.word_bits == self.word_bits


class Tcdm(wiring.Component):
    """``banks`` single-ported 32-bit SRAM banks holding ``size_bytes`` together.

    Parameters
    ----------
    banks : int
        Number of banks, a power of two (default 16).
    size_bytes : int
        Total size, a power of two and a multiple of ``4 * banks`` (default 512 KiB).

    Interface attributes
    --------------------
    banks : In(BankSignature(word_bits)).array(banks)
        One port per bank, driven by the interconnect.

    Raises
    ------
    ValueError
        On a bad ``banks`` or ``size_bytes``.
    """

    def __init__(self, *, banks=_DEFAULT.banks, size_bytes=_DEFAULT.tcdm_bytes):
        self.bank_bits, self.words_per_bank, self.word_bits = check_tcdm_params(banks, size_bytes)
        self.n_banks = banks
        self.size_bytes = size_bytes
        super().__init__({"banks": In(BankSignature(self.word_bits)).array(banks)})

    def elaborate(self, platform):
        m = Module()
        for i, port in enumerate(self.banks):
            mem = Memory(shape=32, depth=self.words_per_bank, init=[])
            m.submodules[f"bank{i}"] = mem
            wp = mem.write_port(granularity=8)
            rp = mem.read_port()  # synchronous, non-transparent
            m.d.comb += [
                wp.addr.eq(port.addr),
                wp.data.eq(port.wdata),
                wp.en.eq(port.be & (port.en & port.we).replicate(4)),
                rp.addr.eq(port.addr),
                rp.en.eq(port.en & ~port.we),
                port.rdata.eq(rp.data),
            ]
        return m
