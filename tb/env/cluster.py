"""The cluster testbench environment: 8 core BFMs, barrier, Python crossbar, backdoor, statistics,
protocol monitors on the IMA's TCDM ports.

Around a :class:`hw.cluster.cluster.Cluster` top. :meth:`ClusterEnv.run_phases` executes a
:class:`sim_models.workloads.Workload`'s phases (software kernels on all cores, or core 0 offloading a
layer to the IMA while the others sleep at the barrier) and times each phase in cycles.
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from hw.ima.regmap import REG
from sim_models.crossbar import Crossbar
from sim_models.swcost import DEFAULT_COST
from tb.bfm import kernels
from tb.bfm.analog_core import AnalogCoreModel
from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.core import CLK_PERIOD_NS, Barrier, Core, now
from tb.bfm.ima_hal import ImaHal
from tb.bfm.periph import EventLines
from tb.bfm.sig import reader
from tb.check.monitor import TcdmPortsMonitor

__all__ = ["ClusterEnv"]


class ClusterEnv:
    """Everything a cluster run needs; ``cfg`` is the :class:`hw.config.ClusterConfig` built."""

    def __init__(self, dut, cfg, *, cost=DEFAULT_COST, monitors=True):
        self.dut, self.cfg, self.cost = dut, cfg, cost
        self.monitors_on = monitors
        self.monitor = None
        self.clk = dut.clk
        self.xbar = Crossbar(cfg.ima.rows, cfg.ima.cols)
        self.granted = [reader(dut[f"tcdm_stat__granted__{k}"]) for k in range(cfg.masters)]
        self.stalled = [reader(dut[f"tcdm_stat__stalled__{k}"]) for k in range(cfg.masters)]
        self.ima_stat = {k: reader(dut[f"ima_stat__{k}"])
                         for k in ("streamin", "compute", "streamout", "jobs")}

    async def start(self):
        dut, cfg = self.dut, self.cfg
        Clock(self.clk, 4, unit="ns").start()
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        for i in range(cfg.n_cores):
            dut[f"core_tcdm__{i}__req"].value = 0
            dut[f"core_periph__{i}__req"].value = 0
        for k in range(cfg.dma_ports):
            dut[f"dma__{k}__req"].value = 0
        self.analog = AnalogCoreModel(dut, self.xbar, dac_depth=cfg.ima.dac_depth,
                                      adc_depth=cfg.ima.adc_depth, latency=cfg.ima.mvm_cycles)
        await ClockCycles(self.clk, 3)
        dut.rst.value = 0
        self.analog.start()
        self.events = EventLines(dut, "evt", cfg.n_cores).start()
        self.cores = [Core(dut, i, self.events) for i in range(cfg.n_cores)]
        self.hal = ImaHal(self.cores[0].periph, self.events, self.clk)
        self.barrier = Barrier(cfg.n_cores, self.clk, self.cost.barrier_cycles)
        self.backdoor = TcdmBackdoor(dut.tcdm.tcdm, cfg.banks, cfg.tcdm_bytes)
        if self.monitors_on:            # the IMA's 2N TCDM ports (instance ``ima`` in the top)
            self.monitor = TcdmPortsMonitor(dut.ima, [f"tcdm_{d}__{k}" for d in ("load", "store")
                                                      for k in range(cfg.ima.ports)],
                                            self.clk, period_ns=CLK_PERIOD_NS)
        await RisingEdge(self.clk)

    def check_monitors(self):
        """Fail (AssertionError) if a TCDM protocol monitor saw a rule broken, or counted other
        grants / stall cycles than the RTL's counters of the same port (IMA load port k is
        master ``n_cores + k``, store port k master ``n_cores + ports + k``)."""
        if self.monitor is None:
            return
        bad = {m.prefix: m.errors for m in self.monitor.ports if m.errors}
        assert not bad, f"TCDM protocol errors on the IMA's ports: {bad}"
        for i, m in enumerate(self.monitor.ports):
            k = self.cfg.n_cores + i
            rtl = (self.granted[k](), self.stalled[k]())
            assert (m.granted, m.stalled) == rtl, (
                f"{m.prefix}: monitor saw {m.granted} grants / {m.stalled} stall cycles, "
                f"the RTL counted {rtl[0]} / {rtl[1]}")

    # ------------------------------------------------------------------ data
    def preload(self, image, used):
        end = (used + 3) & ~3
        self.backdoor.load(0, image[:end].tobytes())

    def dump(self, n):
        return self.backdoor.dump(0, n)

    async def program_weights(self, placements, via_registers):
        for row, col, w in placements:
            if via_registers:
                await self.hal.program(0, row, col, w)
            else:
                self.xbar.program(row, col, w)

    # ------------------------------------------------------------------ execution
    async def _offload(self, core, layer):
        """Core 0: acquire, configure, trigger each LayerJob and sleep until its event."""
        if core.idx == 0:
            for job in layer.jobs:
                await self.hal.acquire(0)
                await self.hal.configure(0, job)
                await self.hal.trigger(0)
                await core.idle(self.events.wait(0))
                err = await core.periph.read(REG.ERROR)
                if err:
                    raise AssertionError(f"IMA reported ERROR {err:#x} on layer {layer.name}")
        await self.barrier.wait(core)

    async def _software(self, core, kernel, args):
        await kernel(core, core.idx, self.cfg.n_cores, cost=self.cost, **args)
        await self.barrier.wait(core)

    async def run_phases(self, phases):
        """Run the phases in order; returns ``{name: cycles}``."""
        timing = {}
        for ph in phases:
            t0 = now()
            if ph.kind == "ima":
                tasks = [cocotb.start_soon(self._offload(c, ph.args["layer"])) for c in self.cores]
            else:
                kernel = getattr(kernels, ph.kind)
                tasks = [cocotb.start_soon(self._software(c, kernel, ph.args)) for c in self.cores]
            for t in tasks:
                await t
            timing[ph.name] = timing.get(ph.name, 0) + now() - t0
        return timing

    # ------------------------------------------------------------------ counters
    def events_for_energy(self, cycles):
        """The event counts of :func:`sim_models.energy.energy_report` for the last run."""
        from sim_models.energy import mvm_events
        idle = sum(c.idle_cycles for c in self.cores)
        ima = {k: f() for k, f in self.ima_stat.items()}
        # Sequential engine: one phase at a time. Overlapped: the phases run together; each
        # counts the cycles its unit is occupied, so the IMA is busy for at least the longest
        # one (idle is then an upper bound).
        phases = (ima["streamin"], ima["compute"], ima["streamout"])
        busy = sum(phases) if not self.cfg.ima.overlap else max(phases)
        ev = {"cycles": cycles,
              "core_active_cycles": max(self.cfg.n_cores * cycles - idle, 0),
              "core_idle_cycles": idle,
              "tcdm_accesses": sum(f() for f in self.granted),
              "ima_streamin_cycles": ima["streamin"], "ima_compute_cycles": ima["compute"],
              "ima_streamout_cycles": ima["streamout"],
              "ima_idle_cycles": max(cycles - busy, 0)}
        windows = [(h, w) for (_, _, h, w) in self.analog.log_mvms]
        if windows:
            ev.update(mvm_events(windows))
        return ev
