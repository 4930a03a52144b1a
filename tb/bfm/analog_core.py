"""The Python crossbar playing the IMA's analog core in cocotb (the ``ac__*`` boundary ports).

Three coroutines, one per channel of :class:`hw.ima.analog.AnalogCoreSignature`, each asleep on
its strobe's edge so an idle analog core costs no Python work per cycle:

* MVM: on ``ac__start`` (also in the cycle right after ``ac__done``) read the window, DAC vector
  and ADC parameters, run :meth:`sim_models.crossbar.Crossbar.mvm`, and pulse ``ac__done`` with
  the ADC vector so the COMPUTE phase (start pulse to done pulse, both included) lasts
  ``latency`` cycles (default: the crossbar's 70 ns at 250 MHz = 18 cycles).
* Programming: ``prog_ready`` is held high; every cycle with ``prog_valid`` is one transfer.
* Readback: ``rd_done`` one cycle after ``rd_start`` with G+ / G- in nS.

A multi-array IMA (``arrays > 1``) drives ``ac__array``, ``ac__prog_array`` and ``ac__rd_array``:
the model then holds one crossbar per index (``xbar`` is a list) and serves each channel from the
crossbar its index names (Garofalo et al. 2022, Sec. VI).

It also counts what the energy model needs: MVMs and the active rows x columns of each.
"""

import logging

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

from tb.bfm.core import CLK_PERIOD_NS, wait_cycles
from tb.bfm.sig import four_state, reader

__all__ = ["AnalogCoreModel"]


def _s(value, bits):
    return value - (1 << bits) if value >> (bits - 1) else value


class AnalogCoreModel:
    """Drive the analog-core side of an IMA top from a :class:`sim_models.crossbar.Crossbar`.

    Parameters
    ----------
    dut : cocotb top handle with ``ac__*`` ports and ``clk``
    xbar : sim_models.crossbar.Crossbar, or a list of them (one per array: the top must then
        have the ``array`` / ``prog_array`` / ``rd_array`` ports)
    dac_depth, adc_depth : int
        Byte widths of the DAC and ADC vectors.
    latency : int
        COMPUTE cycles (start pulse to done pulse inclusive), >= 2.
    prefix : str
        Port prefix (``"ac"``).
    """

    def __init__(self, dut, xbar, *, dac_depth, adc_depth, latency=18, prefix="ac"):
        if latency < 2:
            raise ValueError(f"latency must be >= 2 cycles, not {latency}")
        self.xbars = list(xbar) if isinstance(xbar, (list, tuple)) else [xbar]
        self.dut, self.xbar, self.latency = dut, self.xbars[0], latency
        self.dac_depth, self.adc_depth = dac_depth, adc_depth
        self.clk = dut.clk

        def p(name):
            return dut[f"{prefix}__{name}"]

        self._p = p
        names = ["row", "col", "height", "width", "adc_m", "adc_s", "adc_lo", "adc_hi",
                 "prog_valid", "prog_row", "prog_col", "prog_weights", "prog_count", "rd_row",
                 "rd_col"]
        if len(self.xbars) > 1:
            names += ["array", "prog_array", "rd_array"]
        self._rd = {n: reader(p(n)) for n in names}
        self.log = logging.getLogger(f"cocotb.{dut._name}.{prefix}")
        self.mvms = 0
        self.mvm_cells = 0          # sum over MVMs of active rows x columns
        self.programmed = 0         # weights programmed
        self.readbacks = 0
        self.log_mvms = []          # (row, col, height, width) per MVM, for tests
        self.log_arrays = []        # the array of each MVM (0 with one array)
        self._tasks = []
        self._bad = []              # protocol errors: an index naming no crossbar
        p("done").value = 0
        p("prog_ready").value = 1
        p("rd_done").value = 0

    def _array(self, member):
        """The crossbar the index port ``member`` names (array 0 without index ports)."""
        if len(self.xbars) == 1:
            return 0, self.xbars[0]
        k = self._rd[member]()
        if k >= len(self.xbars):
            self._bad.append(f"{member} = {k} with {len(self.xbars)} arrays")
            self.log.error("analog core: %s = %d, only %d arrays", member, k, len(self.xbars))
            k = 0
        return k, self.xbars[k]

    @property
    def errors(self):
        """Protocol errors seen (an index port naming no crossbar)."""
        return list(self._bad)

    def start(self):
        self._tasks = [cocotb.start_soon(self._mvm_loop()), cocotb.start_soon(self._prog_loop()),
                       cocotb.start_soon(self._rd_loop())]
        return self

    def stop(self):
        for t in self._tasks:
            t.cancel()
        self._tasks = []

    # ------------------------------------------------------------------ MVM
    async def _mvm_loop(self):
        """Four wake-ups per MVM under Verilator (seven before): ``start``'s rising edge, a
        timer and the clock edge at which ``done`` rises, the next edge (``done`` falls).

        Under Verilator a design signal's value-change callback runs after the model has
        evaluated the time step, so the window, DAC vector and ADC parameters (the job, loop and
        DAC-buffer registers) are final at ``start``'s edge without a ReadOnly phase. The loop
        waits for the next ``start`` from the clock edge at which ``done`` falls, whose callback
        runs before the model evaluates that edge, so a start in the cycle right after ``done``
        (the overlapped engine) is still a rising edge it sees: a start pulse lasts one cycle
        and never coincides with ``done`` (the engine is busy until then)."""
        rd, p = self._rd, self._p
        start, done, adc = p("start"), p("done"), p("adc")
        rise = RisingEdge(start)
        clk_rise = RisingEdge(self.clk)
        period = CLK_PERIOD_NS
        # an event-driven simulator (Icarus) may call back on start's edge before the other
        # outputs of that edge are updated: there, read in ReadOnly and wait cycle by cycle
        settle = four_state()
        start_now = reader(start)
        dac_h = p("dac")
        if settle:                      # may hold X / Z: cocotb's LogicArray says so
            def dac_value():
                return dac_h.value.to_unsigned()
        else:                           # 2-state: the GPI's bit string, no LogicArray per MVM
            dac_bits = dac_h._handle.get_signal_val_binstr

            def dac_value():
                return int(dac_bits(), 2)
        while True:
            if not settle:
                await rise
            else:
                # a start may come in the cycle right after done: look at the level first
                await ReadOnly()
                if not start_now():
                    await rise
                    await ReadOnly()
            row, col, h, w = rd["row"](), rd["col"](), rd["height"](), rd["width"]()
            m, s = _s(rd["adc_m"](), 16), rd["adc_s"]()
            lo, hi = _s(rd["adc_lo"](), 10), _s(rd["adc_hi"](), 10)
            dac = dac_value().to_bytes(self.dac_depth, "little")
            x = np.frombuffer(dac, dtype=np.uint8)[:h]
            k, xbar = self._array("array")
            y = xbar.mvm(x, row, col, h, w, m=m, s=s, lo=lo, hi=hi)
            out = np.zeros(self.adc_depth, dtype=np.uint8)
            out[:w] = np.asarray(y, dtype=np.int64) & 0xFF
            self.mvms += 1
            self.mvm_cells += h * w
            self.log_mvms.append((row, col, h, w))
            self.log_arrays.append(k)
            # start rose at the edge opening cycle c0 (this time step, after the edge); done must
            # be high in cycle c0 + latency - 1: written at the edge opening it, reached with a
            # timer to the middle of the cycle before (a falling-edge time, never a rising one)
            if not settle:
                await Timer((self.latency - 1) * period - period // 2, unit="ns")
                await clk_rise
            else:
                await wait_cycles(self.clk, self.latency - 1)
            adc.value = int.from_bytes(out.tobytes(), "little")
            done.value = 1
            await clk_rise
            done.value = 0

    # ------------------------------------------------------------------ programming
    async def _prog_loop(self):
        rd = self._rd
        valid = self._p("prog_valid")
        while True:
            if not rd["prog_valid"]():
                await RisingEdge(valid)
            await RisingEdge(self.clk)          # values seen here are the pre-edge ones
            if not rd["prog_valid"]():
                continue
            row, col, count = rd["prog_row"](), rd["prog_col"](), rd["prog_count"]()
            word = rd["prog_weights"]()
            weights = [_s((word >> (4 * k)) & 0xF, 4) for k in range(count)]
            self._array("prog_array")[1].program(row, col, np.array([weights], dtype=np.int64))
            self.programmed += count
            await FallingEdge(self.clk)         # let the controller drop or renew valid

    # ------------------------------------------------------------------ readback
    async def _rd_loop(self):
        rd, p = self._rd, self._p
        start, done, value = p("rd_start"), p("rd_done"), p("rd_value")
        while True:
            await RisingEdge(start)
            # read the address once the time step has settled: at the edge of rd_start an
            # event-driven simulator (Icarus) may not have updated rd_row / rd_col yet (they
            # change at the same clock edge), and the read-back returned cell (0, 0)'s value
            await ReadOnly()
            row, col = rd["rd_row"](), rd["rd_col"]()
            xbar = self._array("rd_array")[1]
            g_pos = round(xbar.read_conductance(row, col, "+") * 1000)
            g_neg = round(xbar.read_conductance(row, col, "-") * 1000)
            await RisingEdge(self.clk)
            value.value = (min(g_pos, 0xFFFF) & 0xFFFF) | ((min(g_neg, 0xFFFF) & 0xFFFF) << 16)
            done.value = 1
            self.readbacks += 1
            await RisingEdge(self.clk)
            done.value = 0
