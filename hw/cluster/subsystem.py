"""TCDM subsystem: :class:`~hw.cluster.interconnect.LogInterconnect` + :class:`~hw.cluster.tcdm.Tcdm`.

This is the top of the interconnect testbenches and the block the cluster top instantiates::

    from hw.cluster.subsystem import TcdmSubsystem
    m.submodules.tcdm = tcdm = TcdmSubsystem(masters=17, banks=16, size_bytes=512 * 1024)
    connect(m, core0.tcdm, tcdm.masters[0])          # a master port: Out(TcdmSignature())
    connect(m, flipped(self.tb_tcdm), tcdm.masters[16])  # forwarding a port of your own

Verilog ports (as a top): ``masters__<i>__{req,gnt,addr,we,be,wdata,r_valid,r_data}``,
``stat__granted__<i>``, ``stat__stalled__<i>``, ``stat__clear``, ``clk``, ``rst``.
Bank storage: ``<instance>.tcdm.bank<b>`` (``words_per_bank`` x 32 bit).
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.cluster.interconnect import LogInterconnect, TcdmGeometry
from hw.cluster.tcdm import Tcdm
from hw.config import preset
from hw.signatures import TcdmSignature, TcdmStatsSignature

__all__ = ["TcdmSubsystem"]

#: Default geometry (banks, size) of the default preset, :mod:`hw.config`.
_DEFAULT = preset()


class TcdmSubsystem(TcdmGeometry, wiring.Component):
    """``masters`` TCDM master ports onto a ``banks``-bank, ``size_bytes`` TCDM.

    Parameters
    ----------
    masters : int
        Number of master ports (>= 1). The cluster uses 8 cores + 2N IMA ports + 1 DMA/testbench.
    banks : int
        Number of word-interleaved 32-bit banks, a power of two (default 16).
    size_bytes : int
        Total size, a power of two, multiple of ``4 * banks`` (default 512 KiB).

    Interface attributes
    --------------------
    masters : In(TcdmSignature()).array(masters)
    stat : Out(TcdmStatsSignature(masters))
        Per-master counters of granted accesses and of stalled cycles (``req & ~gnt``);
        ``stat.clear`` zeroes them synchronously.

    Raises
    ------
    ValueError
        On a bad ``masters``, ``banks`` or ``size_bytes`` (the message names it).
    """

    def __init__(self, *, masters, banks=_DEFAULT.banks, size_bytes=_DEFAULT.tcdm_bytes):
        self._set_geometry(masters, banks, size_bytes)
        super().__init__({
            "masters": In(TcdmSignature()).array(masters),
            "stat": Out(TcdmStatsSignature(masters)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.xbar = xbar = LogInterconnect(masters=self.n_masters, banks=self.n_banks,
                                                   size_bytes=self.size_bytes)
        m.submodules.tcdm = tcdm = Tcdm(banks=self.n_banks, size_bytes=self.size_bytes)
        for i in range(self.n_masters):
            connect(m, flipped(self.masters[i]), xbar.masters[i])
        connect(m, flipped(self.stat), xbar.stat)
        for b in range(self.n_banks):
            connect(m, xbar.banks[b], tcdm.banks[b])
        return m
