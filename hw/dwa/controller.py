"""The DWA controller: the reusable HWPE blocks and the DWA's INFO register.

Built like the IMA's (:class:`hw.ima.controller.Controller`) from
:class:`hw.hwpe.regfile.RegisterFile` (generated from :data:`hw.dwa.regmap.DWA_MAP`) and
:class:`hw.hwpe.ctrl.HwpeCtrl` (ACQUIRE / TRIGGER / SOFT_CLEAR / ERROR and the checker and engine
handshakes), without the IMA's PCM programming: the DWA's weights are in the TCDM.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.dwa.jobregs import DwJobLayout
from hw.dwa.regmap import CHECK_CAUSES, DWA_MAP, JOB_REGISTERS
from hw.hwpe.ctrl import HwpeCtrl
from hw.hwpe.regfile import RegisterFile
from hw.signatures import PERIPH_ID_WIDTH
from sim_models.dwa import GROUP

__all__ = ["DwaController"]


class DwaController(wiring.Component):
    """The DWA's control side: the HWPE block and register file of :data:`DWA_MAP`.

    Parameters
    ----------
    ports : int
        32-bit TCDM data ports of the engine (shown in INFO.ports).
    n_cores : int
        Cores on the peripheral bus (event lines; INFO.cores).

    Interface attributes
    --------------------
    ctrl : In(DWA_MAP.bus_signature())
        Control port on the cores' peripheral bus.
    evt : Out(n_cores)
        End-of-job event lines: a one-cycle pulse to the core that offloaded the job.
    job : Out(DwJobLayout)
        The configuration for the engine and the checker (the job registers).
    eng_start, eng_abort : Out(1)
        Engine control (``eng_start`` in the checker's ``done`` cycle when it found no cause;
        ``eng_abort`` with a SOFT_CLEAR write).
    eng_busy, eng_done : In(1)
    chk_start : Out(1)
        Pulse: check the configuration (the cycle after TRIGGER).
    chk_done : In(1)
    chk_err : In(len(CHECK_CAUSES))
        Checker result, bit i = ERROR cause ``CHECK_CAUSES[i]``.

    Raises
    ------
    ValueError
        If ``ports`` is not in 1..255 or ``n_cores`` is out of the bus's range.
    """

    def __init__(self, *, ports, n_cores):
        if not isinstance(ports, int) or isinstance(ports, bool) or not 1 <= ports <= 255:
            raise ValueError(f"ports must be an integer in 1..255, not {ports!r}")
        if not isinstance(n_cores, int) or isinstance(n_cores, bool) \
                or not 1 <= n_cores <= 1 << PERIPH_ID_WIDTH:
            raise ValueError(f"n_cores must be an integer in 1..{1 << PERIPH_ID_WIDTH}, "
                             f"not {n_cores!r}")
        self.ports, self.n_cores = ports, n_cores
        super().__init__({
            "ctrl": In(DWA_MAP.bus_signature()),
            "evt": Out(n_cores),
            "job": Out(DwJobLayout),
            "eng_start": Out(1), "eng_abort": Out(1),
            "eng_busy": In(1), "eng_done": In(1),
            "chk_start": Out(1), "chk_done": In(1), "chk_err": In(len(CHECK_CAUSES)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.regfile = rf = RegisterFile(DWA_MAP)
        m.submodules.hwpe = hw = HwpeCtrl(DWA_MAP, n_cores=self.n_cores, chk_causes=CHECK_CAUSES)
        connect(m, flipped(self.ctrl), rf.bus)
        hw.attach(m, rf)
        hw.forward(m, self)
        regs = rf.regs
        m.d.comb += [
            regs.info.ports.eq(self.ports), regs.info.cores.eq(self.n_cores),
            regs.info.group.eq(GROUP),
        ]
        m.d.comb += [getattr(self.job, r.job_path).eq(getattr(regs, r.name.lower()).value)
                     for r in JOB_REGISTERS]
        return m
