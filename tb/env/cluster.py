"""The cluster testbench environment: 8 core BFMs, barrier, Python crossbar, backdoor, statistics,
protocol monitors on the IMA's (and the depth-wise accelerator's) TCDM ports.

Around a :class:`hw.cluster.cluster.Cluster` top. :meth:`ClusterEnv.run_phases` executes a
:class:`sim_models.workloads.Workload`'s phases (software kernels on all cores, or core 0 offloading a
layer to the IMA -- or, with ``cfg.dwa``, a depth-wise layer to the DWA -- while the others sleep at
the barrier) and times each phase in cycles.

With ``cfg.imas`` = K > 1 (one private IMA per core, :mod:`hw.cluster.cluster`) every IMA has its
analog core model on its own crossbars (``analogs[k]``, ``ima_xbars[k]``), its driver
(``hals[k]``: core ``k``'s peripheral port, IMA ``k``'s registers and event lines), its counters
(``ima_stats[k]``) and its TCDM ports watched; a phase ``Phase(name, "ima", {"layers": {k:
layer}})`` runs core ``k``'s layer (or list of layers, in order) on IMA ``k`` for every ``k``
given, all at once (``offload_cycles[k]``: when core ``k`` finished). Index 0 is
the one IMA of a one-IMA cluster (``analog``, ``hal``, ``xbars``, ``ima_stat``, ``events``).

Under a 4-state simulator (Icarus, :func:`tb.bfm.sig.four_state`) the monitors check X/Z too,
a further monitor watches the cores' and the DMA's TCDM ports (``core_monitor``) and an
:class:`~tb.check.monitor.OutputXzMonitor` the events, the peripheral responses, the statistics
and the analog core's strobes and payloads from the cycle after reset (``xz_monitor``).
"""

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from hw.cluster.cluster import ima_name
from hw.cluster.periph import dwa_base, ima_base
from hw.dwa.stats import DWA_STAT_COUNTERS
from hw.ima.stats import STAT_COUNTERS
from hw.verif.checker import ERROR_NAMES, checked_ports
from sim_models.crossbar import Crossbar
from sim_models.swcost import sw_cost
from tb.bfm import kernels
from tb.bfm.analog_core import AnalogCoreModel
from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.clock import start_clock
from tb.bfm.core import CLK_PERIOD_NS, Barrier, Core, now
from tb.bfm.engine import EngineMaster
from tb.bfm.ima_hal import ImaHal
from tb.bfm.periph import EventLines
from tb.bfm.sig import four_state, reader
from tb.check.monitor import (
    ANALOG_QUALIFIED,
    PERIPH_QUALIFIED,
    OutputXzMonitor,
    TcdmPortsMonitor,
    prefixed,
)
from tb.env.paths import BFM_PATHS, DEFAULT_BFM, DEFAULT_MONITORS, MONITOR_KINDS

__all__ = ["ClusterEnv", "check_crossbars", "BFM_PATHS", "DEFAULT_BFM", "MONITOR_KINDS",
           "DEFAULT_MONITORS"]

# the paths' names and defaults live in tb.env.paths (light enough for the CLI's parser)


def check_crossbars(programmed, given):
    """``ValueError`` unless ``given`` can stand in for the crossbars ``programmed``: as many, of
    the same size, holding the same integer weights, and deterministic per MVM -- ideal, or
    non-ideal but frozen (:meth:`~sim_models.crossbar.Crossbar.freeze`: one read for every MVM)
    without ADC noise -- so a replay of the same DAC vectors gives the same ADC outputs."""
    if len(given) != len(programmed):
        raise ValueError(f"xbars must hold {len(programmed)} crossbar(s), not {len(given)}")
    for k, (p, g) in enumerate(zip(programmed, given, strict=True)):
        if (g.rows, g.cols) != (p.rows, p.cols):
            raise ValueError(f"xbars[{k}] is {g.rows}x{g.cols}, the cluster's array {p.rows}x{p.cols}")
        if not g.ideal and (not g.frozen or g.adc_noise):
            raise ValueError(f"xbars[{k}] must be ideal or frozen without ADC noise (one read per "
                             "evaluation, see Crossbar.freeze), so every MVM is reproducible")
        if not (g.weights == p.weights).all():
            raise ValueError(f"xbars[{k}] holds other weights than the cluster programmed "
                             f"({int((g.weights != p.weights).sum())} cells differ)")


def _has(dut, name):
    try:
        dut[name]
    except (AttributeError, KeyError):
        return False
    return True


class ClusterEnv:
    """Everything a cluster run needs; ``cfg`` is the :class:`hw.config.ClusterConfig` built."""

    def __init__(self, dut, cfg, *, cost=None, monitors=True, bfm=None, xz=None,
                 engine_registered=None):
        # the cores' software costs: the configuration's set (cfg.sw_cost) unless given
        self.dut, self.cfg, self.cost = dut, cfg, cost if cost is not None else sw_cost(cfg.sw_cost)
        #: X/Z checks (default: under a 4-state simulator); with them the Python monitors and the
        #: per-access BFM path (the RTL checkers and the engines' ports are 2-state test logic)
        self.xz_on = four_state() if xz is None else xz
        self.xz_monitor = self.core_monitor = None
        if bfm is None:
            bfm = "python" if self.xz_on else DEFAULT_BFM
        if bfm not in BFM_PATHS:
            raise ValueError(f"bfm must be one of {BFM_PATHS}, not {bfm!r}")
        # the test top (tb.build.cluster_top) holds the cluster one level down, beside the engines
        self.has_engines = _has(dut, "eng_sel")
        if bfm == "engine" and not self.has_engines:
            raise ValueError("bfm='engine' needs the cluster test top with request engines "
                             "(tb.build.cluster.build_cluster)")
        self.bfm = bfm
        #: the engines' write pointer registered (``wr_reg``, one wake-up per batch) or not:
        #: :class:`tb.bfm.engine.EngineMaster`'s ``registered`` (None: its default)
        self.engine_registered = engine_registered
        self.root = dut.cluster if self.has_engines else dut
        if monitors is True:
            monitors = DEFAULT_MONITORS if self.has_engines and not self.xz_on else "python"
        if monitors not in (False, *MONITOR_KINDS):
            raise ValueError(f"monitors must be True, False or one of {MONITOR_KINDS}, "
                             f"not {monitors!r}")
        if monitors == "rtl" and not self.has_engines:
            raise ValueError("monitors='rtl' needs the cluster test top with RTL checkers "
                             "(tb.build.cluster.build_cluster)")
        self.monitor_kind = monitors or None
        self.monitors_on = self.monitor_kind is not None
        self.monitor = None
        self.ima_monitors = []          # the Python monitors of every IMA's ports (``monitor``: IMA 0)
        self.offload_cycles = {}        # core -> its cycles in the last "layers" phase
        if self.monitor_kind == "rtl":
            self._checked = [f"{inst}.{name}" for inst, name in checked_ports(cfg)]
            self._chk = [{f: reader(dut[f"chk__{j}__{f}"])
                          for f in ("err", "granted", "stalled", "first_cycle")}
                         for j in range(len(self._checked))]
        self.clk = dut.clk
        self.xbars = [Crossbar(cfg.ima.rows, cfg.ima.cols) for _ in range(cfg.ima.arrays)]
        self.xbar = self.xbars[0]       # array 0 (run plans place their layers there)
        #: the crossbars of every IMA (cfg.imas > 1: IMA k's own; entry 0 is ``xbars``)
        self.ima_xbars = [self.xbars] + [[Crossbar(cfg.ima.rows, cfg.ima.cols)
                                          for _ in range(cfg.ima.arrays)] for _ in range(1, cfg.imas)]
        self.granted = [reader(dut[f"tcdm_stat__granted__{k}"]) for k in range(cfg.masters)]
        self.stalled = [reader(dut[f"tcdm_stat__stalled__{k}"]) for k in range(cfg.masters)]
        #: every IMA's counters (entry k: IMA k's, ports ``ima_stat<k>__*``); ``ima_stat`` is IMA 0's
        self.ima_stats = [{k: reader(dut[f"{ima_name('ima_stat', q)}__{k}"])
                           for k in ("streamin", "compute", "streamout", "jobs")}
                          for q in range(cfg.imas)]
        self.ima_stat = self.ima_stats[0]
        # the depth-wise accelerator's counters (hw.dwa.stats.DWA_STAT_COUNTERS), when present
        self.dwa_stat = {k: reader(dut[f"dwa_stat__{k}"])
                         for k in ("cycles", "mac_cycles", "stalled", "jobs")} if cfg.dwa else {}
        self.dwa_monitor = None
        self.dwa_hal = self.dwa_events = None

    async def start(self):
        dut, cfg = self.dut, self.cfg
        start_clock(self.clk, CLK_PERIOD_NS)
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        for i in range(cfg.n_cores):
            dut[f"core_tcdm__{i}__req"].value = 0
            dut[f"core_periph__{i}__req"].value = 0
        if self.has_engines:
            dut.eng_sel.value = (1 << cfg.n_cores) - 1 if self.bfm == "engine" else 0
            for i in range(cfg.n_cores):
                for f in ("wr_ptr", "wr_reg", "thr", "fill_en"):
                    dut[f"eng__{i}__{f}"].value = 0
        for k in range(cfg.dma_ports):
            dut[f"dma__{k}__req"].value = 0
        #: one analog core model per IMA on its own crossbars (``analog`` is IMA 0's)
        self.analogs = [AnalogCoreModel(dut, xb if cfg.ima.arrays > 1 else xb[0],
                                        dac_depth=cfg.ima.dac_depth, adc_depth=cfg.ima.adc_depth,
                                        latency=cfg.ima.mvm_cycles, prefix=ima_name("ac", q))
                        for q, xb in enumerate(self.ima_xbars)]
        self.analog = self.analogs[0]
        await ClockCycles(self.clk, 3)
        dut.rst.value = 0
        for model in self.analogs:
            model.start()
        if self.xz_on:
            self.xz_monitor = OutputXzMonitor(dut, *self.xz_outputs())
            self.core_monitor = TcdmPortsMonitor(
                dut, [*(f"core_tcdm__{i}" for i in range(cfg.n_cores)),
                      *(f"dma__{k}" for k in range(cfg.dma_ports))],
                self.clk, period_ns=CLK_PERIOD_NS, check_xz=True)
        self.events = EventLines(dut, "evt", cfg.n_cores).start()
        if self.bfm == "engine":
            depth = 1 << (len(dut.eng__0__wr_ptr) - 1)
            self.cores = [Core(dut, i, self.events,
                               engine=EngineMaster(dut, i, depth, registered=self.engine_registered))
                          for i in range(cfg.n_cores)]
            for i, core in enumerate(self.cores):     # at rest since reset: taken at once
                dut[f"eng__{i}__wr_reg"].value = int(core.engine.registered)
        else:
            self.cores = [Core(dut, i, self.events) for i in range(cfg.n_cores)]
        self.hal = ImaHal(self.cores[0].periph, self.events, self.clk, arrays=cfg.ima.arrays)
        self._start_private_imas()
        if cfg.dwa:                     # its registers after the IMAs' on the same peripheral bus
            from tb.bfm.dwa_hal import DwaHal
            self.dwa_events = EventLines(dut, "dwa_evt", cfg.n_cores).start()
            self.dwa_hal = DwaHal(self.cores[0].periph, self.dwa_events, self.clk,
                                  base=dwa_base(cfg.imas))
        self.barrier = Barrier(cfg.n_cores, self.clk, self.cost.barrier_cycles)
        self.backdoor = TcdmBackdoor(self.root.tcdm.tcdm, cfg.banks, cfg.tcdm_bytes)
        if self.monitor_kind == "python":   # the IMA's 2N (shared: N) TCDM ports (instance ``ima``)
            names = ([f"tcdm_load__{k}" for k in range(cfg.ima.ports)]
                     + [f"tcdm_store__{k}" for k in range(cfg.ima.store_ports)])
            self.monitor = TcdmPortsMonitor(self.root.ima, names, self.clk, period_ns=CLK_PERIOD_NS,
                                            check_xz=self.xz_on)
            self.ima_monitors = [self.monitor] + [   # IMA k's ports (instance ``ima<k>``)
                TcdmPortsMonitor(getattr(self.root, ima_name("ima", q)), names, self.clk,
                                 period_ns=CLK_PERIOD_NS, check_xz=self.xz_on)
                for q in range(1, cfg.imas)]
            if cfg.dwa:                 # the DWA's N data ports (instance ``dwa``)
                self.dwa_monitor = TcdmPortsMonitor(
                    self.root.dwa, [f"tcdm__{k}" for k in range(cfg.dwa_ports)], self.clk,
                    period_ns=CLK_PERIOD_NS, check_xz=self.xz_on)
        await RisingEdge(self.clk)

    def xz_outputs(self):
        """``(always, qualified)`` of :class:`OutputXzMonitor` for the cluster top: the events, each
        core's peripheral handshake (read data with ``r_valid``), the statistics, the analog
        core's strobes (their payloads while they are 1)."""
        cfg = self.cfg
        always = ["evt", "ac__start", "ac__prog_valid", "ac__rd_start", "ima_stat__busy",
                  *(f"ima_stat__{n}" for n in STAT_COUNTERS),
                  *(f"tcdm_stat__{c}__{k}" for c in ("granted", "stalled") for k in range(cfg.masters))]
        qualified = prefixed("ac", ANALOG_QUALIFIED)
        for i in range(cfg.n_cores):
            always += [f"core_periph__{i}__gnt", f"core_periph__{i}__r_valid"]
            qualified |= prefixed(f"core_periph__{i}", PERIPH_QUALIFIED)
        if cfg.dwa:
            always += ["dwa_evt", *(f"dwa_stat__{n}" for n in DWA_STAT_COUNTERS)]
        for q in range(1, cfg.imas):    # IMA k's own events, analog core port and statistics
            ac, st = ima_name("ac", q), ima_name("ima_stat", q)
            always += [ima_name("evt", q), f"{ac}__start", f"{ac}__prog_valid", f"{ac}__rd_start",
                       f"{st}__busy", *(f"{st}__{n}" for n in STAT_COUNTERS)]
            qualified |= prefixed(ac, ANALOG_QUALIFIED)
        return always, qualified

    def check_xz(self):
        """Fail (AssertionError) if an X/Z check of a 4-state run saw an unknown value (the TCDM
        monitors' own X/Z breaks are reported by :meth:`check_monitors`)."""
        for mon in (self.xz_monitor, self.core_monitor):
            errors = mon.errors if mon is not None else []
            assert not errors, f"X/Z or protocol errors: {errors[:4]}"

    def _port_reports(self):
        """``[(name, errors, granted, stalled)]`` per watched accelerator port, IMA ports first
        then the DWA's (the order of :func:`hw.verif.checker.checked_ports`), from the
        Python monitors or the RTL checkers."""
        if self.monitor_kind == "python":
            dwa_ports = self.dwa_monitor.ports if self.dwa_monitor else []
            n, ports = self.cfg.ima.ports, [mon.ports for mon in self.ima_monitors]
            ima_ports = ([p for mon in ports for p in mon[:n]]      # checked_ports order: the
                         + [p for mon in ports for p in mon[n:]])   # loads, then the stores
            # several IMAs: their ports are told apart by the instance (ima.tcdm_load__0, ...)
            where = [f"{inst}." if self.cfg.imas > 1 else "" for inst, _ in checked_ports(self.cfg)]
            return [(w + m.prefix, list(m.errors), m.granted, m.stalled)
                    for w, m in zip(where, [*ima_ports, *dwa_ports], strict=True)]
        out = []
        for j, name in enumerate(self._checked):
            err, first = self._chk[j]["err"](), self._chk[j]["first_cycle"]()
            errors = [f"{name}: {text} (first rule break at cycle {first} since reset)"
                      for bit, text in ERROR_NAMES.items() if err & bit]
            out.append((name, errors, self._chk[j]["granted"](), self._chk[j]["stalled"]()))
        return out

    def check_monitors(self):
        """Fail (AssertionError) if a TCDM protocol monitor (Python or RTL) saw a rule broken, or
        counted other grants / stall cycles than the RTL's counters of the same master (IMA load
        port k is master ``n_cores + k``, store port k master ``n_cores + ports + k`` -- with the
        shared data interface only the N load ports exist; the DWA's port k is
        its own master in the ``separate`` arrangement and shares IMA load port k's master in the
        ``shared`` one, where the two monitors' counts add up to that master's)."""
        self.check_xz()
        if self.monitor_kind is None:
            return
        reports = self._port_reports()
        bad = {name: errors for name, errors, _, _ in reports if errors}
        assert not bad, f"TCDM protocol errors on the accelerators' ports: {bad}"
        n_ima = self.cfg.imas * (self.cfg.ima.ports + self.cfg.ima.store_ports)
        seen = {}                       # master index -> [(name, granted, stalled)]
        for i, rep in enumerate(reports[:n_ima]):
            seen.setdefault(self.cfg.n_cores + i, []).append(rep)
        if len(reports) > n_ima:
            ranges = self.cfg.master_ranges()
            owner = (ranges["dwa"] if self.cfg.dwa_arrangement == "separate"
                     else self.cfg.ima_masters(0)["load"])     # shared: IMA 0's load ports
            for k, rep in zip(owner, reports[n_ima:], strict=True):
                seen.setdefault(k, []).append(rep)
        for k, reps in seen.items():
            mon = (sum(r[2] for r in reps), sum(r[3] for r in reps))
            rtl = (self.granted[k](), self.stalled[k]())
            assert mon == rtl, (
                f"{'+'.join(r[0] for r in reps)}: {self.monitor_kind} monitor saw {mon[0]} grants / "
                f"{mon[1]} stall cycles, the RTL counted {rtl[0]} / {rtl[1]} on master {k}")

    # ------------------------------------------------------------------ data
    def preload(self, image, used):
        end = (used + 3) & ~3
        self.backdoor.load(0, image[:end].tobytes())

    def dump(self, n):
        return self.backdoor.dump(0, n)

    async def program_weights(self, placements, via_registers, *, ima=0):
        """Program ``(row, col, weights[, array])`` windows (array 0 when absent) into IMA ``ima``'s
        crossbars (through its registers by core ``ima``, or directly into the analog model)."""
        hal, xbars = self.hals[ima], self.ima_xbars[ima]
        for row, col, w, *array in placements:
            k = array[0] if array else 0
            if via_registers:
                await hal.program(ima, row, col, w, k)
            else:
                xbars[k].program(row, col, w)

    def use_crossbars(self, xbars):
        """Let the analog core model compute every later MVM on ``xbars`` (one
        :class:`sim_models.crossbar.Crossbar` per array, these very objects), e.g. frozen noisy
        crossbars the job-level executor runs on too. Call it after :meth:`program_weights`:
        ``xbars`` must hold exactly the weights programmed so far (:func:`check_crossbars`), so
        the swap changes the analog behaviour, never the RTL's program."""
        xbars = list(xbars)
        check_crossbars(self.xbars, xbars)
        self.xbars[:] = xbars
        self.xbar = self.xbars[0]
        self.analog.xbars[:] = xbars
        self.analog.xbar = xbars[0]

    # ------------------------------------------------------------------ execution
    async def _offload(self, core, layer):
        """Core 0: acquire, configure, trigger each LayerJob and sleep until its event."""
        if core.idx == 0:
            await self._run_on_ima(core, layer)
        await self.barrier.wait(core)

    async def _run_on_ima(self, core, layer):
        """Core ``k`` runs ``layer``'s LayerJobs on IMA ``k`` (IMA 0: the shared one of a one-IMA
        cluster): acquire, configure, trigger each, sleep until its event, read ERROR (non-zero
        fails the run)."""
        q = core.idx
        hal = self.hals[q]
        for job in layer.jobs:
            await hal.acquire(q)
            await hal.configure(q, job)
            await hal.trigger(q)
            await core.idle(hal.events.wait(q))
            err = await core.periph.read(hal.addr("ERROR"), q)
            if err:
                raise AssertionError(f"IMA {q} reported ERROR {err:#x} on layer {layer.name}")

    async def _offload_private(self, core, layers, t0):
        """Every core ``k`` of ``layers`` (``{k: layer or [layers]}``) runs its layer(s), in
        order, on its private IMA ``k``, all cores at once; the others sleep at the barrier.
        ``offload_cycles[k]``: the cycles from the phase's start ``t0`` to core ``k``'s last
        end-of-job event (its ERROR read included), before the barrier."""
        if core.idx in layers:
            mine = layers[core.idx]
            for layer in (mine if isinstance(mine, (list, tuple)) else [mine]):
                await self._run_on_ima(core, layer)
            self.offload_cycles[core.idx] = now() - t0
        await self.barrier.wait(core)

    def _start_private_imas(self):
        """The drivers of the IMAs (``hals[k]``, ``ima_events[k]``): IMA 0's are ``hal`` and
        ``events``; with ``cfg.imas`` > 1 IMA ``k``'s HAL drives its registers at
        :func:`hw.cluster.periph.ima_base` ``(k)`` through core ``k``'s peripheral port and waits
        on IMA ``k``'s own event lines (``evt<k>``): the tight coupling is this driver's
        convention, the hardware would let any core acquire any IMA."""
        cfg = self.cfg
        self.ima_events = [self.events] + [EventLines(self.dut, ima_name("evt", q), cfg.n_cores).start()
                                           for q in range(1, cfg.imas)]
        self.hals = [self.hal] + [ImaHal(self.cores[q].periph, self.ima_events[q], self.clk,
                                         arrays=cfg.ima.arrays, base=ima_base(q))
                                  for q in range(1, cfg.imas)]

    async def _offload_dwa(self, core, job):
        """Core 0: acquire the depth-wise accelerator, write the job, trigger and sleep until its
        event, read ERROR (non-zero fails the run); the other cores wait at the barrier."""
        if core.idx == 0:
            hal = self.dwa_hal
            if hal is None:
                raise AssertionError("a 'dwa' phase needs a cluster built with the depth-wise "
                                     "accelerator (ClusterConfig.dwa)")
            await hal.acquire(0)
            await hal.configure(0, job)
            await hal.trigger(0)
            await core.idle(self.dwa_events.wait(0))
            err = await core.periph.read(hal.addr("ERROR"))
            if err:
                raise AssertionError(f"DWA reported ERROR {err:#x} on job {job}")
        await self.barrier.wait(core)

    async def _software(self, core, kernel, args):
        await kernel(core, core.idx, self.cfg.n_cores, cost=self.cost, **args)
        await self.barrier.wait(core)

    async def run_phases(self, phases):
        """Run the phases in order; returns ``{name: cycles}``."""
        timing = {}
        for ph in phases:
            t0 = now()
            if ph.kind == "ima" and "layers" in ph.args:    # private IMAs (cfg.imas > 1), at once
                layers = dict(ph.args["layers"])
                bad = [k for k in layers if not (isinstance(k, int) and 0 <= k < self.cfg.imas)]
                if bad:
                    raise ValueError(f"layers of phase {ph.name!r} name IMA(s) {bad}; the cluster "
                                     f"has {self.cfg.imas} (imas)")
                self.offload_cycles = {}
                tasks = [cocotb.start_soon(self._offload_private(c, layers, t0)) for c in self.cores]
            elif ph.kind == "ima":
                tasks = [cocotb.start_soon(self._offload(c, ph.args["layer"])) for c in self.cores]
            elif ph.kind == "dwa":
                tasks = [cocotb.start_soon(self._offload_dwa(c, ph.args["job"])) for c in self.cores]
            else:
                kernel = getattr(kernels, ph.kind)
                tasks = [cocotb.start_soon(self._software(c, kernel, ph.args)) for c in self.cores]
            for t in tasks:
                await t
            timing[ph.name] = timing.get(ph.name, 0) + now() - t0
        return timing

    # ------------------------------------------------------------------ counters
    def counters(self):
        """A snapshot of the cumulative counters behind :meth:`events_for_energy` (the cores'
        idle cycles, TCDM grants, the IMA's phase counters, the MVMs so far, the DWA's counters),
        so that a run's part (one layer of a network) can be accounted on its own. ``ima`` and
        ``mvms`` are IMA 0's; ``ima_each`` and ``mvm_logs`` hold every IMA's (``cfg.imas``)."""
        each = [{k: f() for k, f in stat.items()} for stat in self.ima_stats]
        return {"idle": sum(c.idle_cycles for c in self.cores),
                "granted": sum(f() for f in self.granted),
                "ima": each[0],
                "mvms": len(self.analog.log_mvms),
                "dwa": self.dwa_stats(),
                "ima_each": each,
                "mvm_logs": [len(a.log_mvms) for a in self.analogs]}

    def ima_counters(self):
        """The IMAs' counters since reset for a run's result: ``ima`` (the statistics) and ``mvms``
        (the analog core's MVMs) -- with ``cfg.imas`` = K > 1 their sums over the K IMAs, and each
        IMA's in ``ima_each`` and ``mvms_each`` (index k: IMA k); with one IMA only ``ima`` and
        ``mvms``, as before."""
        each = [{k: f() for k, f in stat.items()} for stat in self.ima_stats]
        out = {"ima": {k: sum(d[k] for d in each) for k in each[0]},
               "mvms": sum(a.mvms for a in self.analogs)}
        if len(each) > 1:
            out.update(ima_each=each, mvms_each=[a.mvms for a in self.analogs])
        return out

    def events_for_energy(self, cycles, since=None):
        """The event counts of :func:`sim_models.energy.energy_report` for the last run of
        ``cycles`` cycles: everything since reset (the TCDM grants since their last clear), or,
        with ``since`` (a :meth:`counters` snapshot taken when the part began), since then.
        With ``cfg.imas`` = K > 1 the IMA keys add up the K IMAs (``ima_idle_cycles``: the sum
        of each IMA's idle cycles, so up to K * ``cycles``) and the MVM keys count every IMA's."""
        from sim_models.energy import mvm_events
        now_ = self.counters()
        base = since or {"idle": 0, "granted": 0, "dwa": dict.fromkeys(now_["dwa"], 0),
                         "ima_each": [dict.fromkeys(d, 0) for d in now_["ima_each"]],
                         "mvm_logs": [0] * len(self.analogs)}
        idle = now_["idle"] - base["idle"]
        each = [{k: v - b[k] for k, v in d.items()}
                for d, b in zip(now_["ima_each"], base["ima_each"], strict=True)]
        ima = {k: sum(d[k] for d in each) for k in each[0]}
        # Sequential engine: one phase at a time. Overlapped: the phases run together; each
        # counts the cycles its unit is occupied, so the IMA is busy for at least the longest
        # one (idle is then an upper bound).
        ima_idle = 0
        for d in each:
            phases = (d["streamin"], d["compute"], d["streamout"])
            busy = sum(phases) if not self.cfg.ima.overlap else max(phases)
            ima_idle += max(cycles - busy, 0)
        ev = {"cycles": cycles,
              "core_active_cycles": max(self.cfg.n_cores * cycles - idle, 0),
              "core_idle_cycles": idle,
              "tcdm_accesses": now_["granted"] - base["granted"],
              "ima_streamin_cycles": ima["streamin"], "ima_compute_cycles": ima["compute"],
              "ima_streamout_cycles": ima["streamout"],
              "ima_idle_cycles": ima_idle}
        windows = [(h, w) for a, n in zip(self.analogs, base["mvm_logs"], strict=True)
                   for (_, _, h, w) in a.log_mvms[n:]]
        if windows:
            ev.update(mvm_events(windows))
        if self.cfg.dwa:                # the DWA's activity (keys only with the DWA present)
            dwa = {k: v - base["dwa"][k] for k, v in now_["dwa"].items()}
            ev.update(dwa_busy_cycles=dwa["cycles"], dwa_mac_cycles=dwa["mac_cycles"],
                      dwa_idle_cycles=max(cycles - dwa["cycles"], 0))
        return ev

    def dwa_stats(self):
        """The depth-wise accelerator's counters (``cycles`` busy, ``mac_cycles``, ``stalled``,
        ``jobs``) since reset; ``{}`` without it."""
        return {k: f() for k, f in self.dwa_stat.items()}
