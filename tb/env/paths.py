"""The testbench paths a cluster run can take (issue 15), in a module light enough for the command
line's parser to import (:mod:`tb.env.cluster`, which uses them, pulls in cocotb and the RTL).
"""

__all__ = ["BFM_PATHS", "DEFAULT_BFM", "MONITOR_KINDS", "DEFAULT_MONITORS"]

#: How the core BFMs drive their TCDM ports: ``"engine"`` -- one batch per load / store call on
#: the test top's RTL request engines (:mod:`tb.bfm.engine`, one wake-up per batch);
#: ``"python"`` -- :class:`tb.bfm.tcdm.TcdmMaster`, one coroutine step per access (the reference,
#: and the path to use when debugging the port in a waveform). Identical cycles either way.
BFM_PATHS = ("engine", "python")
#: Default path (measured faster, docs/speed-plan.md).
DEFAULT_BFM = "engine"
#: Who checks the TCDM protocol on the accelerators' ports during a run: ``"rtl"`` -- the test
#: top's checkers (hw.verif.checker: sticky error bits and counters, read at the end, nothing per
#: cycle in Python); ``"python"`` -- tb.check.monitor.TcdmPortsMonitor (per cycle, and the
#: transaction source if one is wanted).
MONITOR_KINDS = ("rtl", "python")
#: What ``monitors=True`` means on the test top (a bare Cluster top has only the Python ones).
DEFAULT_MONITORS = "rtl"
