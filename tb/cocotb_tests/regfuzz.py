"""The register fuzzer's simulator side: random job configurations through all 8 cores' ports.

Top: :class:`tb.build.tops.ImaTwinTestTop` (the IMA with the digital twin) or
:class:`tb.build.tops.DwaTestTop`, built with ``cores=True`` (one control port per core through
the cluster's round-robin peripheral interconnect). What is drawn and predicted comes from
:mod:`tb.check.regfuzz`; here each configuration ``index`` of the shard runs as:

1. a fresh random TCDM image (backdoor, whole TCDM);
2. an ACQUIRE race: 1..8 cores read ACQUIRE in the same cycle; exactly one may get a job id
   >= 0, every other -2 (else: a double grant);
3. the winner writes every job register (in random order) while, in the same cycles, other
   cores write random values to job registers (must be ignored: they would change the result)
   and read ACQUIRE again (must be -2); sometimes a non-owner writes TRIGGER first (its event,
   ERROR.NO_ACQUIRE, the lock stays);
4. the owner writes TRIGGER; sometimes (always for a job whose bound exceeds
   :data:`tb.check.regfuzz.LONG_CYCLES`) any core writes SOFT_CLEAR at a random cycle;
5. checks: the owner's event within the configuration's cycle bound (else a hang); ERROR equal
   to the reference's causes (0 for a valid job, ABORTED if soft-cleared first); the whole TCDM
   equal to the numpy reference (valid job), unchanged (rejected job) or changed only inside the
   job's output bytes (soft-cleared job); no other event; then ERROR cleared and STATUS idle.

Options (:mod:`tb.env.params`): ``target`` ('ima' / 'dwa'), ``seed``, ``start``, ``count`` or
``indices`` (a list: replay those configurations), ``drop_cause`` (tests only: a reference that
forgets this cause). The counts come back as the result
(:class:`tb.check.regfuzz.Stats`); the test fails only on a harness error, so a shard always
reports what it saw.
"""

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, Event, First, ReadOnly, RisingEdge, Timer, ValueChange

from tb.bfm.backdoor import TcdmBackdoor
from tb.bfm.clock import CLK_PERIOD_NS, start_clock
from tb.bfm.sig import reader
from tb.bfm.task import BackgroundTask
from tb.check.regfuzz import LONG_CYCLES, Stats, make_target
from tb.env import params

PERIOD_NS = CLK_PERIOD_NS
_NO_DELAY = 3  # cocotb.handle._GPISetAction.NO_DELAY (vpiNoDelay)


def _s32(v):
    return v - (1 << 32) if v >> 31 else v


class CoreBus:
    """The cores' control ports (``cores__<k>__*``), driven together cycle by cycle.

    :meth:`run` takes one queue of ``(addr, we, data)`` per core; every core with a queue
    requests from the same cycle on (so several cores hit the block in one cycle), each op
    stays on its port until granted, and ``r_valid`` must follow each grant by exactly one
    cycle. Returns per core the read data (``None`` for writes) and the grant times (ns)."""

    def __init__(self, dut, n):
        self.clk, self.n = dut.clk, n
        # Setters that skip unchanged values (a write is deferred to the ReadWrite phase by
        # cocotb: an immediate one at the clock edge could reach the flip-flops of that edge).
        self.h = [{m: self._setter(dut[f"cores__{k}__{m}"]) for m in ("req", "addr", "we", "wdata")}
                  for k in range(n)]
        self.gnt = [reader(dut[f"cores__{k}__gnt"]) for k in range(n)]
        self.r_valid = [reader(dut[f"cores__{k}__r_valid"]) for k in range(n)]
        self.r_data = [reader(dut[f"cores__{k}__r_data"]) for k in range(n)]
        for k in range(n):
            self.h[k]["req"](0)
            dut[f"cores__{k}__be"].value = 0xF
            dut[f"cores__{k}__id"].value = k

    @staticmethod
    def _setter(handle):
        last = [None]

        def put(v):
            if v != last[0]:
                handle.value = v
                last[0] = v
        return put

    async def run(self, queues):
        await RisingEdge(self.clk)
        n = self.n
        head = {k: 0 for k in queues}
        out = {k: [] for k in queues}
        times = {k: [] for k in queues}
        respond = set()
        driving = set()
        while respond or any(head[k] < len(q) for k, q in queues.items()):
            for k, q in queues.items():
                if head[k] < len(q):
                    addr, we, data = q[head[k]]
                    h = self.h[k]
                    h["addr"](addr)
                    h["we"](we)
                    h["wdata"](data & 0xFFFFFFFF)
                    if k not in driving:
                        h["req"](1)
                        driving.add(k)
                elif k in driving:
                    self.h[k]["req"](0)
                    driving.discard(k)
            await ReadOnly()
            now = get_sim_time("ns")
            for k in respond:
                if not self.r_valid[k]():
                    raise AssertionError(f"core {k}: no r_valid one cycle after its grant")
                if out[k][-1] == "read":
                    out[k][-1] = self.r_data[k]()
            respond = set()
            for k in list(driving):
                if k < n and self.gnt[k]():
                    addr, we, data = queues[k][head[k]]
                    out[k].append(None if we else "read")
                    times[k].append(now)
                    head[k] += 1
                    respond.add(k)
            await RisingEdge(self.clk)
        for k in driving:
            self.h[k]["req"](0)
        return out, times


class EventLog(BackgroundTask):
    """Every end-of-job pulse on ``evt`` as ``(time ns, core)``; ``event`` is set on each."""

    def __init__(self, dut, n):
        self.clk, self.sig, self.n = dut.clk, dut.evt, n
        self.get = reader(dut.evt)
        self.log = []
        self.event = Event()

    async def _run(self):
        while True:
            await ValueChange(self.sig)
            await ReadOnly()
            while True:
                v = self.get()
                if not v:
                    break
                t = get_sim_time("ns")
                self.log += [(t, k) for k in range(self.n) if v >> k & 1]
                self.event.set()
                await RisingEdge(self.clk)
                await ReadOnly()


class Fuzzer:
    def __init__(self, dut, target, seed):
        self.dut, self.t, self.seed = dut, target, seed
        self.reg = target.regmap.offsets
        self.err = target.err
        self.n = target.cluster.n_cores
        self.stats = Stats()
        self.xbars = None

    async def start(self):
        dut = self.dut
        start_clock(dut.clk, PERIOD_NS)
        dut.rst.value = 1
        dut.tcdm_stat__clear.value = 0
        for k in range(2):
            dut[f"tb__{k}__req"].value = 0
        self.bus = CoreBus(dut, self.n)
        await ClockCycles(dut.clk, 3)
        dut.rst.value = 0
        await RisingEdge(dut.clk)
        self.events = EventLog(dut, self.n).start()
        self.backdoor = TcdmBackdoor(dut.tcdm.tcdm, self.t.cluster.banks, self.t.tcdm_bytes)
        if self.t.name == "ima":
            weights = self.t.weights(self.seed)
            self.xbars = self.t.crossbars(weights)
            self._program_twin(weights)
        await RisingEdge(dut.clk)

    def _program_twin(self, weights):
        """Backdoor the weights into the twin's memory (array k = rows k*rows ..)."""
        from hw.ima.regmap import WEIGHT, pack_weights
        mem, p = self.dut.twin.weights, self.t.p
        for k, w in enumerate(weights):
            for r in range(p.rows):
                v = pack_weights(w[r].tolist())
                mem[k * p.rows + r]._handle.set_signal_val_binstr(
                    _NO_DELAY, f"{v:0{WEIGHT.width * p.cols}b}")

    def _events_since(self, mark):
        return self.events.log[mark:]

    async def _wait_event(self, core, mark, cycles):
        """Wait until ``core`` has an event after ``mark`` or ``cycles`` pass; its time or None."""
        end = get_sim_time("ns") + cycles * PERIOD_NS
        while True:
            for t, k in self.events.log[mark:]:
                if k == core:
                    return t
            left = end - get_sim_time("ns")
            if left <= 0:
                return None
            self.events.event.clear()
            await First(self.events.event.wait(), Timer(left, unit="ns"))

    async def one(self, index):
        st, t, reg = self.stats, self.t, self.reg
        cfg = t.draw(self.seed, index)
        rng = cfg.meta["rng"]
        st.configs += 1
        st.count("kinds", cfg.kind)
        st.count_fields(t, cfg.regs)
        image = rng.integers(0, 256, t.tcdm_bytes, dtype=np.uint8)
        self.backdoor.load(0, image.tobytes())
        mark = len(self.events.log)

        # -- 1. ACQUIRE race --------------------------------------------------------------
        racers = [int(c) for c in rng.choice(self.n, size=int(rng.integers(1, self.n + 1)),
                                             replace=False)]
        st.races += len(racers) > 1
        vals, _ = await self.bus.run({c: [(reg.ACQUIRE, 0, 0)] for c in racers})
        got = {c: _s32(vals[c][0]) for c in racers}
        winners = [c for c, v in got.items() if v >= 0]
        if len(winners) != 1 or any(v != -2 for c, v in got.items() if c not in winners):
            st.double_grants += len(winners) > 1
            st.mismatches += len(winners) != 1
            st.fail(index, f"ACQUIRE race {got}")
            await self._recover()
            return
        owner = winners[0]
        others = [c for c in range(self.n) if c != owner]

        # -- 2. configuration, with intruders ---------------------------------------------
        queues = {owner: [(off, 1, v) for off, v in cfg.regs.items()]}
        intruders = [int(c) for c in rng.choice(others, size=int(rng.integers(0, 3)), replace=False)]
        for c in intruders:
            regs = t.job_registers
            queues[c] = [(regs[int(rng.integers(len(regs)))].offset, 1, int(rng.integers(0, 1 << 32))),
                         (reg.ACQUIRE, 0, 0)]
        vals, _ = await self.bus.run(queues)
        for c in intruders:
            if _s32(vals[c][1]) != -2:
                st.double_grants += _s32(vals[c][1]) >= 0
                st.mismatches += 1
                st.fail(index, f"core {c} ACQUIRE while core {owner} holds the lock: {_s32(vals[c][1])}")
        if others and rng.random() < 0.05:
            c = int(rng.choice(others))
            m2 = len(self.events.log)
            vals, _ = await self.bus.run({c: [(reg.TRIGGER, 1, 0), (reg.ERROR, 0, 0), (reg.STATUS, 0, 0)]})
            st.no_acquire += 1
            ev = await self._wait_event(c, m2, 4)
            if ev is None or not vals[c][1] & self.err.NO_ACQUIRE or not vals[c][2] & 2:
                st.mismatches += 1
                st.fail(index, f"TRIGGER by non-owner {c}: event {ev}, ERROR {vals[c][1]:#x}, "
                               f"STATUS {vals[c][2]:#x} (lock must stay)")
            mark = len(self.events.log)

        # -- 3. TRIGGER, maybe SOFT_CLEAR -------------------------------------------------
        _, times = await self.bus.run({owner: [(reg.TRIGGER, 1, 0)]})
        t_trig = times[owner][0]
        valid = not cfg.causes
        st.jobs += valid
        for c in cfg.causes:
            st.count("errors", c)
        clear_at = None
        if cfg.long or rng.random() < 0.1:
            clear_at = int(rng.integers(0, min(cfg.bound, LONG_CYCLES) + 1))
            st.soft_clears += 1
        wait = cfg.bound if clear_at is None else clear_at
        # +2: the event of the bound's last cycle is logged in that cycle's ReadOnly phase.
        t_end = await self._wait_event(owner, mark,
                                       wait + 2 - (get_sim_time("ns") - t_trig) // PERIOD_NS)
        t_clear = None
        if t_end is None and clear_at is not None:
            clearer = int(rng.integers(self.n))
            _, ct = await self.bus.run({clearer: [(reg.SOFT_CLEAR, 1, 0)]})
            t_clear = ct[clearer][0]
            t_end = await self._wait_event(owner, mark, 4)
        if t_end is None:
            st.hangs += 1
            st.fail(index, f"no event within {cfg.bound} cycles ({cfg.kind}, causes {sorted(cfg.causes)})")
            await self._recover()
            return
        cycles = (t_end - t_trig) / PERIOD_NS
        vals, _ = await self.bus.run({owner: [(reg.ERROR, 0, 0)]})
        error = vals[owner][0]
        # Soft-cleared while checked or running: ABORTED alone; a job that ended by itself
        # before the SOFT_CLEAR was granted had its ERROR cleared by it.
        aborted = t_clear is not None and t_end > t_clear
        want = (self.err.ABORTED if aborted else 0 if t_clear is not None
                else t.error_mask(cfg.causes))
        st.aborted += aborted
        if error != want:
            st.mismatches += 1
            st.fail(index, f"ERROR {error:#x} != reference {want:#x} (causes {sorted(cfg.causes)}, "
                           f"{cfg.kind}, soft clear {t_clear is not None}, job {cfg.job})")
        if not aborted:
            st.completed += valid
            if cycles > cfg.bound:
                st.hangs += 1
                st.fail(index, f"event after {cycles} cycles > bound {cfg.bound}")
            if valid:
                st.max_bound_ratio = max(st.max_bound_ratio, cycles / cfg.bound)
        self._check_image(index, cfg, image, valid and not aborted, aborted)
        extra = [(tm, k) for tm, k in self._events_since(mark) if not (k == owner and tm == t_end)]
        if extra:
            st.mismatches += 1
            st.fail(index, f"unexpected events {extra} (owner {owner} at {t_end})")

        # -- 4. back to idle ----------------------------------------------------------------
        vals, _ = await self.bus.run({owner: [(reg.ERROR, 1, 0xFFFFFFFF), (reg.STATUS, 0, 0),
                                              (reg.ERROR, 0, 0)]})
        if vals[owner][1] or vals[owner][2]:
            st.mismatches += 1
            st.fail(index, f"not idle after the job: STATUS {vals[owner][1]:#x}, ERROR {vals[owner][2]:#x}")
            await self._recover()

    def _check_image(self, index, cfg, image, completed, aborted):
        st, t = self.stats, self.t
        got = np.frombuffer(self.backdoor.dump(0, t.tcdm_bytes), dtype=np.uint8)
        changed = got != image
        if cfg.causes:
            allowed = np.zeros(t.tcdm_bytes, dtype=bool)
        else:
            allowed = t.written(cfg.job)
            if allowed is None:
                lo, hi = t.written_box(cfg.job)
                allowed = np.zeros(t.tcdm_bytes, dtype=bool)
                allowed[max(lo, 0):max(hi, 0)] = True
        stray = np.flatnonzero(changed & ~allowed)
        if stray.size:
            st.stray_writes += 1
            st.fail(index, f"{stray.size} bytes written outside the output, first {stray[:6].tolist()}"
                           f" ({cfg.kind}, causes {sorted(cfg.causes)}, aborted {aborted})")
            return
        if completed and not getattr(t, "overlaps", lambda j: False)(cfg.job):
            want = image.copy()
            try:
                t.execute(cfg.job, want, self.xbars)
            except (ValueError, OverflowError) as e:     # only with a broken reference (drop_cause)
                st.mismatches += 1
                st.fail(index, f"the reference cannot run the job: {e}")
                return
            bad = np.flatnonzero(got != want)
            if bad.size:
                st.mismatches += 1
                st.fail(index, f"output differs from the reference at {bad.size} bytes, first "
                               f"{[(int(a), int(got[a]), int(want[a])) for a in bad[:4]]} ({cfg.job})")

    async def _recover(self):
        """After a failure: SOFT_CLEAR from core 0, clear ERROR, so the next configuration
        starts from idle."""
        await self.bus.run({0: [(self.reg.SOFT_CLEAR, 1, 0), (self.reg.ERROR, 1, 0xFFFFFFFF)]})
        await ClockCycles(self.dut.clk, 8)


@cocotb.test()
async def fuzz(dut):
    run = params.load()
    target = make_target(run.option("target"), run.cluster_config())
    target.drop_cause = run.option("drop_cause")
    seed = int(run.option("seed"))
    indices = run.option("indices")
    if indices is None:
        start, count = int(run.option("start", 0)), int(run.option("count"))
        indices = range(start, start + count)
    fz = Fuzzer(dut, target, seed)
    await fz.start()
    for n, i in enumerate(indices, 1):
        await fz.one(int(i))
        if n % 10000 == 0:
            dut._log.info(f"{n} of {len(indices)} configurations, {fz.stats.bad} failures")
    params.save_result(fz.stats.as_dict())
