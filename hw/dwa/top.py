"""The depth-wise accelerator top: controller + configuration checker + engine.

Ports (Verilog names ``ctrl__req``, ``tcdm__0__req``, ``evt``, ``stat__busy`` ...):

* ``ctrl``: ``In(DWA_MAP.bus_signature())`` -- the register file on the cores' peripheral bus.
* ``evt``: end-of-job event, one line per core.
* ``tcdm[N]``: ``Out(TcdmSignature)`` -- N 32-bit master ports, used by both the loads and the
  stores of the engine (never both in one cycle).
* ``stat``: ``Out(DwaStatsSignature)`` -- busy and statistics counters, for reports.

Control timing (no contention; ``t`` = the cycle the TRIGGER write is granted): the checker
starts at ``t+1`` and is done at ``t+1+CHECK_STEPS+1``, which is the engine's ``start`` cycle;
the engine's ``done`` cycle ``d`` raises the core's event at ``d+1``. So TRIGGER -> event takes
``engine_cycles(job, N) + CONTROL_OVERHEAD`` cycles (:data:`CONTROL_OVERHEAD`). A bad
configuration never starts the engine: its event comes at ``t+1+CHECK_STEPS+2``.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.config import ClusterConfig, preset
from hw.dwa.checker import CHECK_STEPS, DwaConfigChecker
from hw.dwa.controller import DwaController
from hw.dwa.engine import DwaEngine
from hw.dwa.regmap import CHECK_CAUSES, DWA_MAP
from hw.dwa.stats import DwaStatsSignature
from hw.hwpe.ctrl import job_handshake
from hw.signatures import TcdmSignature

__all__ = ["Dwa", "TRIGGER_TO_START", "DONE_TO_EVENT", "CONTROL_OVERHEAD"]

#: Cycles from the granted TRIGGER write to the engine's ``start`` cycle (HwpeCtrl's registered
#: ``chk_start`` + the checker's ``CHECK_STEPS + 1``).
TRIGGER_TO_START = 1 + CHECK_STEPS + 1
#: Cycles from the engine's ``done`` cycle to the event pulse (HwpeCtrl's registered ``evt``).
DONE_TO_EVENT = 1
#: TRIGGER -> event = ``engine_cycles(job, N) + CONTROL_OVERHEAD`` (no contention).
CONTROL_OVERHEAD = TRIGGER_TO_START + DONE_TO_EVENT


def _check_int(name, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, not {value!r}")


class Dwa(wiring.Component):
    """The digital depth-wise accelerator (HWPE) with N 32-bit TCDM data ports.

    Parameters
    ----------
    ports : int, optional
        32-bit TCDM data ports N (1..16; default: the default preset's IMA ports, 4 = 128 bit).
    n_cores : int, optional
        Cores on the peripheral bus (1..16; default: the default preset's).
    tcdm_bytes : int, optional
        TCDM size; jobs touching bytes at or above it are rejected (ERROR.ADDRESS).

    Raises
    ------
    ValueError
        Naming the bad parameter.
    """

    def __init__(self, *, ports=None, n_cores=None, tcdm_bytes=None):
        d = preset()
        ports = d.ima.ports if ports is None else ports
        n_cores = d.n_cores if n_cores is None else n_cores
        tcdm_bytes = d.tcdm_bytes if tcdm_bytes is None else tcdm_bytes
        _check_int("ports", ports, 1, 16)
        _check_int("n_cores", n_cores, 1, 16)
        _check_int("tcdm_bytes", tcdm_bytes, 4, 1 << 32)
        self.ports, self.n_cores, self.tcdm_bytes = ports, n_cores, tcdm_bytes
        super().__init__({
            "ctrl": In(DWA_MAP.bus_signature()),
            "evt": Out(n_cores),
            "tcdm": Out(TcdmSignature()).array(ports),
            "stat": Out(DwaStatsSignature()),
        })

    @classmethod
    def for_cluster(cls, cfg: ClusterConfig):
        """The DWA of cluster ``cfg``: N = the IMA's ports (``cfg.dwa_ports`` when present),
        its cores and its TCDM."""
        return cls(ports=cfg.ima.ports, n_cores=cfg.n_cores, tcdm_bytes=cfg.tcdm_bytes)

    def elaborate(self, platform):
        m = Module()
        m.submodules.controller = ctl = DwaController(ports=self.ports, n_cores=self.n_cores)
        m.submodules.checker = chk = DwaConfigChecker(tcdm_bytes=self.tcdm_bytes)
        m.submodules.engine = eng = DwaEngine(self.ports)

        connect(m, flipped(self.ctrl), ctl.ctrl)
        for k in range(self.ports):
            connect(m, flipped(self.tcdm[k]), eng.tcdm[k])
        connect(m, flipped(self.stat), eng.stat)
        m.d.comb += [
            self.evt.eq(ctl.evt),
            *job_handshake(ctl, chk, eng, causes=CHECK_CAUSES, eng_busy=eng.busy),
        ]
        return m
