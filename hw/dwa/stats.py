"""The depth-wise accelerator's activity and statistics bundle (cf. :mod:`hw.ima.stats`).

Driven by the :class:`~hw.dwa.engine.DwaEngine`, forwarded with one ``connect`` by the DWA top
(``stat__busy`` ...) and the cluster (``dwa_stat__busy`` ...).
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

__all__ = ["DwaStatsSignature", "DWA_STAT_COUNTERS"]

#: The counters of the bundle (all but ``busy``), in report order.
DWA_STAT_COUNTERS = ("cycles", "mac_cycles", "stalled", "jobs")


class DwaStatsSignature(wiring.Signature):
    """Activity and statistics of the DWA, seen from the DWA (every member is an output).

    Members
    -------
    busy : Out(1)
        The engine runs a job (from its start cycle to its done cycle).
    cycles : Out(32)
        Cycles with ``busy`` high, since reset.
    mac_cycles : Out(32)
        Cycles in which the MAC array works on a window (at most ``cycles``), since reset.
    stalled : Out(32)
        Cycles in which a data port requests and is not granted, since reset.
    jobs : Out(32)
        Jobs (layers) completed since reset.
    """

    def __init__(self):
        super().__init__({"busy": Out(1), **{name: Out(32) for name in DWA_STAT_COUNTERS}})

    def __eq__(self, other):
        return type(other) is type(self)

    def __repr__(self):
        return "DwaStatsSignature()"
