"""The IMA's activity and statistics bundle: ``busy`` and the per-phase cycle counters.

Defined once and used on every level that exposes it: the sequencers and the
:class:`~hw.ima.engine.Engine` drive it, :class:`~hw.ima.top.Ima`,
:class:`~hw.ima.with_analog.ImaWithAnalog`, the cluster top and the testbench tops forward it
with one ``connect``. As a port named ``stat`` it comes out in Verilog as ``stat__busy``,
``stat__streamin``, ``stat__compute``, ``stat__streamout``, ``stat__jobs`` (the cluster names its
port ``ima_stat``: ``ima_stat__busy`` ...).
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

__all__ = ["ImaStatsSignature", "STAT_COUNTERS"]

#: The counters of the bundle (all but ``busy``), in report order.
STAT_COUNTERS = ("streamin", "compute", "streamout", "jobs")


class ImaStatsSignature(wiring.Signature):
    """Activity and statistics of the IMA, seen from the IMA (every member is an output).

    Members
    -------
    busy : Out(1)
        A layer is in progress (its length is the layer's wall-clock time).
    streamin, compute, streamout : Out(32)
        Cycles, since reset, in which the Source, the analog core and the Sink are occupied by
        a job (from a job's start cycle to its done cycle; a cycle shared by the end of one job
        and the start of the next counts once). Each adds at most one per cycle, so none exceeds
        the cycles ``busy`` is high. In the sequential engine the three are disjoint and sum to
        the length of ``busy``; in the overlapped engine they run side by side.
    jobs : Out(32)
        Jobs completed (STREAMOUTs done) since reset.
    """

    def __init__(self):
        super().__init__({"busy": Out(1), **{name: Out(32) for name in STAT_COUNTERS}})

    def __eq__(self, other):
        return type(other) is type(self)

    def __repr__(self):
        return "ImaStatsSignature()"
