"""Core-side driver of the RTL request engine (:class:`hw.verif.engine.RequestEngine`, issue 15).

:class:`EngineMaster` runs one batch of TCDM accesses of a core (the words of one
``load_words`` / ``store_bytes`` call) on the core's engine in the cluster's test top
(:mod:`tb.build.cluster_top`): it writes the requests into the engine's ring memories with one
``vpi_put_value_array`` per memory (none for a control or write-data block the ring already
holds: a load after a load writes its addresses only; a VPI array put costs tens of microseconds
in Verilator, the top own-time entry of the profile) and moves the engine's write pointer -- at
once with the registered pointer (below), else at the first rising edge after the call (a
scheduled write, applied in that edge's ReadWrite phase) -- so that the first request is on the
port in the same cycle as the per-access driver :class:`tb.bfm.tcdm.TcdmMaster` would put it
there, then sleeps until the engine's ``flag`` rises and reads the responses back in bulk right
there. A batch costs one scheduler wake-up (two with ``registered=False``) instead of about two
per access; a batch longer than the ring costs one (two) more per half ring, with no gap on the
port.

Why no ReadOnly phase after the flag: ``flag`` is computed by the model, so its value-change
callback runs after the model's evaluation of the time step (cocotb's Verilator loop: eval, then
the value-change callbacks), when everything the batch reads is final for the cycle: the
response pointer is a register, ``r_valid`` / ``r_data`` come from the banks' registered read
ports, and nothing another coroutine may still write in this step's ReadWrite phase reaches them
without a clock edge. Returning there instead of in ReadOnly changes no simulated value; a caller
that writes a signal after the call still has to await an edge first, as it had to from
ReadOnly (and the run's wall time has one wake-up less per batch).

**Registered pointer** (``registered=True``, the default under Verilator: the engine's
``wr_reg = 1``, :class:`hw.verif.engine.RequestEngine`): the engine takes ``wr_ptr`` at the next
rising edge, so the batch is written *in the time step of the call* -- no wake-up at the edge
that starts it: **one wake-up per batch** (the ``flag``), and a ring refill of a long batch is
written right at its ``flag`` too. Where in a time step the pointer may be written decides the
write's kind:

* ``clk`` high in a rising edge's time step (a whole number of periods): a Verilator inertial
  put (the GPI's deposit without cocotb's ReadWrite scheduling), which Verilator applies right
  after the time step's next evaluation. That is after the edge's evaluation whether the caller
  woke before it (a coroutine resumed by ``RisingEdge(clk)``: cocotb's Verilator loop runs the
  clock's value-change callbacks before ``eval()``, where an immediate write would be sampled
  by the very edge) or after it (at an engine's ``flag``, a model output). No Python callback
  either way (a cocotb scheduled write costs a ReadWrite callback);
* anywhere else (``clk`` low, e.g. a falling edge's time step after a timer to mid-cycle; or a
  timer that ran before the clock's own callback of the same time): an immediate write
  (``vpiNoDelay``), taken by the next rising edge to be evaluated. An immediate write also
  requests an evaluation of its time step, which an inertial one does not -- what a Verilator
  main that skips idle falling edges needs to see;
* in a ReadOnly phase: nothing may be written; the call first waits for the next time step
  (:func:`tb.bfm.backdoor.writable`: the falling edge), then writes at once.

In every case the first request is on the port in the cycle that starts at the first rising
edge after the call, as with ``registered=False`` (the engine's ``wr_reg = 0``, the pointer
taken at once and written at that edge after waking there) and with ``TcdmMaster``. The ring
puts (``vpi_put_value_array``, immediate, no evaluation requested) touch only slots beyond the
engine's pointer, which the port does not show, so they can go in any phase but ReadOnly.
``thr`` is written with the pointer; it moves ``flag`` a cycle before the pointer does, which
no batch can observe (a batch awaits the flag's *rise*, and ``flag`` is high when a batch starts
and, at a refill, stays low: at least ``depth // 2`` accesses are still outstanding).

Timing rule shared with :class:`~tb.bfm.tcdm.TcdmMaster` (which the exactness tests check on the
port, tests/tb/bfm/test_engine.py): a batch submitted at simulation time ``t`` presents its first
request in the cycle that starts at the first rising edge after ``t``; requests follow one per
cycle while granted; the call returns in the time step of the cycle of the last response, with
that cycle's values final (``TcdmMaster``: in its ReadOnly phase).
"""

import numpy as np
from cocotb import simulator
from cocotb.simtime import convert
from cocotb.triggers import RisingEdge

from tb.bfm.backdoor import in_read_only, open_memories, writable
from tb.bfm.clock import CLK_PERIOD_NS
from tb.bfm.sig import four_state, port, reader
from tb.bfm.tcdm import TcdmProtocolError

__all__ = ["EngineMaster", "DEFAULT_REGISTERED"]

#: Run the engines with their registered write pointer (``wr_reg = 1``, one wake-up per batch)
#: unless told otherwise; never under a 4-state simulator, whose inertial puts are not
#: Verilator's (the engine path is 2-state test logic there anyway).
DEFAULT_REGISTERED = True
_DEPOSIT, _NO_DELAY = 0, 3      # cocotb.handle._GPISetAction: inertial put / immediate put

_MEMS = ("req_addr", "req_ctl", "req_wdata", "rsp_data")


class EngineMaster:
    """Core ``idx``'s engine: ``await run(addr, ctl, wdata, read=...)`` runs one batch.

    Parameters
    ----------
    dut : cocotb handle of a :class:`tb.build.cluster_top.ClusterTestTop`
    idx : int
        The core.
    depth : int
        The engines' ring depth (as built).
    clk : handle, optional
    registered : bool, optional
        The engine's ``wr_reg`` (which the caller sets before the first batch, as
        :class:`tb.env.cluster.ClusterEnv` does); default :data:`DEFAULT_REGISTERED` under
        Verilator, ``False`` under a 4-state simulator.
    """

    def __init__(self, dut, idx, depth, clk=None, *, registered=None):
        self.idx = idx
        self.clk = clk if clk is not None else dut.clk
        self.depth = depth
        self._mask = 2 * depth - 1
        prefix = f"eng__{idx}"
        self.registered = (DEFAULT_REGISTERED and not four_state()) if registered is None \
            else bool(registered)
        self._wr = port(dut, prefix, "wr_ptr")
        self._thr = port(dut, prefix, "thr")
        self._clk_now = reader(self.clk)
        self._period = convert(CLK_PERIOD_NS, "ns", to="step")   # the clock period in steps
        self._wr_set = self._wr._handle.set_signal_val_int
        self._thr_set = self._thr._handle.set_signal_val_int
        self._flag = RisingEdge(port(dut, prefix, "flag"))
        self._rsp_ptr = reader(port(dut, prefix, "rsp_ptr"))
        self._r_valid = reader(port(dut, f"core_tcdm__{idx}", "r_valid"))
        self._r_data = reader(port(dut, f"core_tcdm__{idx}", "r_data"))
        inst = dut[f"engine{idx}"]
        mems, self.method = open_memories([inst[n] for n in _MEMS], depth)
        self._addr, self._ctl, self._wdata, self._rsp = mems
        # what each slot of the control and write-data rings holds (only the testbench writes
        # them; read once here, after reset): a block that would write the same words again is
        # skipped (a load batch after a load batch writes its addresses only)
        self._shadow = {id(self._ctl): self._ctl.get(0, depth).astype(np.uint32),
                        id(self._wdata): self._wdata.get(0, depth).astype(np.uint32)}
        self.puts = self.puts_skipped = 0
        self._sent = 0                  # requests written since reset (modulo 2 * depth)
        self._thr_now = 0               # what ``thr`` holds (ClusterEnv.start writes 0)
        self.batches = 0
        self.wakeups = 0                # resumptions of ``run`` (the flag's and any edge's)

    def _put(self, first, addr, ctl, wdata):
        """Requests ``first, first+1, ...`` into their ring slots (two blocks if it wraps)."""
        d = self.depth
        s = first % d
        k = min(len(addr), d - s)
        for mem, words in ((self._addr, addr), (self._ctl, ctl), (self._wdata, wdata)):
            self._put_block(mem, s, words[:k])
            if k < len(words):
                self._put_block(mem, 0, words[k:])

    def _put_block(self, mem, at, words):
        """One ``vpi_put_value_array`` of ``words`` at slot ``at``, unless the slots already hold
        them (the control and write-data rings, by their shadow)."""
        shadow = self._shadow.get(id(mem))
        if shadow is not None:
            held = shadow[at:at + len(words)]
            if held.tobytes() == words.tobytes():     # both uint32: ~10x cheaper than array_equal
                self.puts_skipped += 1
                return
            held[:] = words
        self.puts += 1
        mem.put(at, words)

    def _get(self, first, n, out, at):
        """Responses ``first .. first+n-1`` from the ring into ``out[at:]``."""
        d = self.depth
        s = first % d
        k = min(n, d - s)
        out[at:at + k] = self._rsp.get(s, k)
        if k < n:
            out[at + k:at + n] = self._rsp.get(0, n - k)

    async def run(self, addr, ctl, wdata, *, read):
        """Issue the batch (uint32 arrays of equal length: byte address, control word
        :func:`hw.verif.engine.ctl_word`, write data); returns the response data (uint32 array)
        if ``read``, else ``None``."""
        n = len(addr)
        if n == 0:
            return np.zeros(0, dtype=np.uint32) if read else None
        d, mask = self.depth, self._mask
        out = np.empty(n, dtype=np.uint32) if read else None
        base = self._sent
        sent = got = 0
        self.batches += 1
        if not self.registered:
            await RisingEdge(self.clk)
            self.wakeups += 1
        elif in_read_only():
            await writable()
            self.wakeups += 1
        while True:
            hi = min(n, got + d)
            self._put(base + sent, addr[sent:hi], ctl[sent:hi], wdata[sent:hi])
            sent = hi
            thr = 0 if sent == n else d // 2
            if self.registered:
                self._publish(thr, (base + sent) & mask)
            else:
                if thr != self._thr_now:        # one scheduled write less per ordinary batch
                    self._thr.value = self._thr_now = thr
                self._wr.value = (base + sent) & mask
            await self._flag                # after the model's evaluation: values final
            self.wakeups += 1
            done = (self._rsp_ptr() - base - got) & mask     # captured in earlier cycles
            if read and done:
                self._get(base + got, done, out, got)
            got += done
            if self._r_valid():                              # this cycle's response
                if read:
                    out[got] = self._r_data()
                got += 1
            if sent == n:
                break
            if not self.registered:
                await RisingEdge(self.clk)
                self.wakeups += 1
        if got != n:
            raise TcdmProtocolError(f"core {self.idx} engine: {got} responses for {n} requests")
        self._sent = (base + n) & mask
        return out

    def _publish(self, thr, wr):
        """Registered pointer: write ``thr`` (if it changes) and ``wr_ptr`` now, so that the
        engine takes the pointer at the next rising edge (the module's docstring: an inertial
        put in a rising edge's time step, an immediate one anywhere else)."""
        action = _NO_DELAY
        if self._clk_now():
            high, low = simulator.get_sim_time()
            if (high << 32 | low) % self._period == 0:      # a rising edge's time step
                action = _DEPOSIT
        if thr != self._thr_now:
            self._thr_set(action, thr)
            self._thr_now = thr
        self._wr_set(action, wr)
