"""What the IMA's and the DWA's testbench environments share: one accelerator on its test top
(:class:`tb.build.tops.ImaTestTop` / :class:`~tb.build.tops.DwaTestTop`) with a control port,
event lines, the TCDM's statistics and two testbench TCDM ports (``tb__0``, ``tb__1``).

:class:`BlockEnv` holds the steps both :meth:`start` sequences take -- hold reset with every
testbench-driven input idle, release it, attach the control BFMs and the HAL, attach the TCDM
masters, the backdoor and the protocol monitors -- so each environment's ``start`` is the list
of those steps with its own in between (the IMA's analog core, the DWA's job timer).
"""

from cocotb.triggers import ClockCycles

from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.clock import start_clock
from tb.bfm.periph import EventLines, PeriphMaster
from tb.bfm.sig import reader
from tb.bfm.tcdm import TcdmMaster
from tb.check.monitor import TcdmProtocolMonitor
from tb.env.tcdm import start_competing_reads

__all__ = ["BlockEnv"]

#: Testbench TCDM ports of the test tops: ``tb__0`` (preload/readback, checks), ``tb__1`` (the
#: competing master). The tops' own constant is :data:`tb.build.tops.TB_PORTS`, which this package
#: cannot import (:mod:`tb.build` imports :mod:`tb.env`); the tops' tests check the two agree.
_TB_PORTS = 2


class BlockEnv:
    """Base of :class:`tb.env.ima.ImaEnv` and :class:`tb.env.dwa.DwaEnv`.

    ``cfg`` is the configuration of the top built (a :class:`hw.config.ClusterConfig`);
    ``monitors``: TCDM protocol monitors on the block's ports and on the testbench ports.
    ``granted`` / ``stalled``: readers of the TCDM's per-master counters
    (the block's ``n_block`` masters, then the testbench's).
    """

    def __init__(self, dut, cfg, *, monitors, n_block):
        self.dut = dut
        self.cfg = cfg
        self.clk = dut.clk
        self.monitors_on = monitors
        self.monitors = []
        n = n_block + _TB_PORTS
        self.granted = [reader(dut[f"tcdm_stat__granted__{k}"]) for k in range(n)]
        self.stalled = [reader(dut[f"tcdm_stat__stalled__{k}"]) for k in range(n)]

    def _hold_reset(self):
        """Start the clock and assert reset with the control and testbench ports idle."""
        dut = self.dut
        start_clock(self.clk)
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        dut.ctrl__req.value = 0
        for k in range(_TB_PORTS):
            dut[f"tb__{k}__req"].value = 0

    async def _release_reset(self):
        """Three cycles of reset, then release it."""
        await ClockCycles(self.clk, 3)
        self.dut.rst.value = 0

    def _attach_control(self, hal, n_cores, **hal_args):
        """The control port's BFM (``periph``), the event lines (``events``, started) and the
        block's HAL ``hal(periph, events, clk, **hal_args)``."""
        self.periph = PeriphMaster(self.dut, "ctrl")
        self.events = EventLines(self.dut, "evt", n_cores).start()
        self.hal = hal(self.periph, self.events, self.clk, **hal_args)

    def _attach_tcdm(self, block, prefixes, tcdm_bytes):
        """The testbench's TCDM masters (``tb`` on ``tb__0``, ``competitor`` on ``tb__1``), the
        backdoor of the ``tcdm_bytes`` TCDM and, if ``monitors_on``, a protocol monitor on each
        port ``prefixes`` of instance ``block`` and on the testbench ports."""
        dut = self.dut
        self.tb = TcdmMaster(dut, "tb__0", self.clk)
        self.competitor = TcdmMaster(dut, "tb__1", self.clk)
        self.backdoor = TcdmBackdoor(dut.tcdm.tcdm, self.cfg.banks, tcdm_bytes)
        if self.monitors_on:
            for prefix in prefixes:
                self.monitors.append(TcdmProtocolMonitor(dut[block], prefix, self.clk))
            for k in range(_TB_PORTS):
                self.monitors.append(TcdmProtocolMonitor(dut, f"tb__{k}", self.clk))

    def _checked(self):
        """The monitors :meth:`check_monitors` asks for errors."""
        return self.monitors

    def check_monitors(self):
        for mon in self._checked():
            err = getattr(mon, "errors", None)
            assert not err, f"protocol errors on {mon}: {err}"

    def start_competitor(self, rng, lo, hi, *, density=1.0):
        """Random reads from ``tb__1`` over words in [lo, hi): bank conflicts for the block's
        ports."""
        return start_competing_reads(self.competitor, self.clk, rng, lo, hi, density=density)
