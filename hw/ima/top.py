"""The IMA top: controller + config checker + engine (streamer inside) + analog-core boundary.

Ports (Verilog names come out as ``ctrl__req``, ``tcdm_load__0__req``, ``ac__start`` ...):

* ``ctrl``: ``In(PeriphSignature)`` -- the register file on the cores' peripheral bus.
* ``tcdm_load[N]``, ``tcdm_store[N]``: ``Out(TcdmSignature)`` -- N load and N store master ports;
  with ``data_interface="shared"`` ``tcdm_load[N]`` are the N ports the Source and the Sink
  share (reads and writes) and ``tcdm_store`` is empty (no ports in the Verilog).
* ``evt``: end-of-job event, one line per core.
* ``ac``: ``Out(AnalogCoreSignature)`` -- the analog core (a Python crossbar in cocotb, a
  black-box macro for ASIC, a digital twin for FPGA); with ``arrays > 1`` it carries the array
  index of each channel (the MVM's is ``J_ARRAY``).
* ``stat``: ``Out(ImaStatsSignature)`` -- ``busy``, per-phase cycle counters and jobs completed,
  for reports (``stat__busy``, ``stat__streamin`` ...).
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from hw.config import ImaConfig
from hw.hwpe.ctrl import job_handshake
from hw.ima.analog import AnalogCoreSignature
from hw.ima.controller import Controller
from hw.ima.engine import Engine
from hw.ima.jobregs import ConfigChecker
from hw.ima.regmap import CHECK_CAUSES, IMA_MAP
from hw.ima.stats import ImaStatsSignature
from hw.signatures import TcdmSignature

__all__ = ["Ima"]

_MVM_MEMBERS = ("start", "row", "col", "height", "width", "dac", "adc_m", "adc_s", "adc_lo",
                "adc_hi")
_PROG_MEMBERS = ("prog_valid", "prog_row", "prog_col", "prog_weights", "prog_count", "rd_start",
                 "rd_row", "rd_col")


class Ima(wiring.Component):
    """In-Memory Accelerator (HWPE-style) with N load + N store TCDM ports.

    Parameters
    ----------
    cfg : ImaConfig
        Design parameters; validated (``ValueError`` naming the parameter).
    """

    def __init__(self, cfg: ImaConfig = None, **overrides):
        cfg = (cfg or ImaConfig()).with_(**overrides) if overrides else (cfg or ImaConfig())
        self.cfg = cfg.validate()
        super().__init__({
            "ctrl": In(IMA_MAP.bus_signature()),
            "evt": Out(cfg.n_cores),
            "tcdm_load": Out(TcdmSignature()).array(cfg.ports),
            "tcdm_store": Out(TcdmSignature()).array(cfg.store_ports),
            "ac": Out(AnalogCoreSignature.for_ima(cfg)),
            "stat": Out(ImaStatsSignature()),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        m.submodules.controller = ctl = Controller(cfg)
        m.submodules.checker = chk = ConfigChecker(cfg)
        m.submodules.engine = eng = Engine(cfg)

        connect(m, flipped(self.ctrl), ctl.ctrl)
        for k in range(cfg.ports):
            connect(m, flipped(self.tcdm_load[k]), eng.tcdm_load[k])
            if k < cfg.store_ports:
                connect(m, flipped(self.tcdm_store[k]), eng.tcdm_store[k])
        m.d.comb += [
            self.evt.eq(ctl.evt),
            *job_handshake(ctl, chk, eng, causes=CHECK_CAUSES, eng_busy=eng.stat.busy),
        ]
        connect(m, flipped(self.stat), eng.stat)
        # The analog-core boundary: MVM channel from the engine, programming from the controller.
        m.d.comb += [getattr(self.ac, n).eq(getattr(eng.ac, n)) for n in _MVM_MEMBERS]
        m.d.comb += [getattr(self.ac, n).eq(getattr(ctl.ac, n)) for n in _PROG_MEMBERS]
        if cfg.arrays > 1:     # the job's array (J_ARRAY, stable while the engine is busy)
            m.d.comb += [self.ac.array.eq(ctl.job.j_array), self.ac.prog_array.eq(ctl.ac.prog_array),
                         self.ac.rd_array.eq(ctl.ac.rd_array)]
        m.d.comb += [eng.ac.done.eq(self.ac.done), eng.ac.adc.eq(self.ac.adc),
                     ctl.ac.prog_ready.eq(self.ac.prog_ready), ctl.ac.rd_done.eq(self.ac.rd_done),
                     ctl.ac.rd_value.eq(self.ac.rd_value)]
        return m
