"""Testbench helpers for blocks with TCDM master ports on Amaranth's simulator (the unit tests of
the IMA streamer and of the DWA engine share them; cf. the simulation helpers Glasgow keeps next
to its gateware).

* :func:`simulate` -- run one async testbench on a block with a 100 MHz clock.
* :class:`ByteTcdm` -- a TCDM slave per port over a byte memory: seeded random grant stalls,
  reads answered one cycle after their grant, byte-enable writes, and the master side of the
  protocol checked (:mod:`hw.signatures`, rules 1-3).
"""

from amaranth.sim import Simulator

__all__ = ["ByteTcdm", "simulate"]


def simulate(dut, tb):
    """Run the async testbench ``tb(ctx)`` on ``dut`` with a clock of period 10 ns."""
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()


class ByteTcdm:
    """TCDM slave behind ``ports`` (a block's ``Out(TcdmSignature())`` ports) over ``mem`` (a
    ``bytearray``; word addresses must lie in it).

    Each :meth:`cycle` grants every request unless it is stalled (probability ``stall_p``, drawn
    from ``rng`` only while ``stall_p`` is non-zero), answers the reads granted in the previous
    cycle (``r_valid``, ``r_data``) and performs the granted writes byte by byte (``be``).

    It checks the master: a stalled request is held with the same address, ``we`` and, for a
    write, ``be`` and ``wdata`` (unless ``abort`` is passed for that cycle); loads and stores never
    in the same cycle; writes only to the byte addresses in ``allowed`` (when not ``None``;
    ``region`` names them in the message). ``writes`` counts bytes written, ``reqs`` requests seen.
    """

    def __init__(self, ports, mem, rng, stall_p=0.0, *, region="the allowed bytes"):
        self.ports, self.mem, self.rng, self.stall_p = ports, mem, rng, stall_p
        self.region = region
        self.pending = [None] * len(ports)   # read data to return this cycle
        self.stalled = [None] * len(ports)   # fields of a stalled request last cycle
        self.allowed = None
        self.writes = 0
        self.reqs = 0

    async def cycle(self, ctx, *, abort=False):
        """Drive one cycle (responses, grants); call before ``ctx.tick()``. Returns the number
        of requests seen."""
        for k, port in enumerate(self.ports):
            d = self.pending[k]
            ctx.set(port.r_valid, d is not None)
            ctx.set(port.r_data, d or 0)
            self.pending[k] = None
        nreq, kinds = 0, set()
        for k, port in enumerate(self.ports):
            if not ctx.get(port.req):
                assert self.stalled[k] is None or abort, f"port {k} dropped a stalled request"
                self.stalled[k] = None
                ctx.set(port.gnt, 0)
                continue
            nreq += 1
            addr, we = ctx.get(port.addr), ctx.get(port.we)
            be, wdata = (ctx.get(port.be), ctx.get(port.wdata)) if we else (0, 0)  # reads: don't care
            fields = (addr, we, be, wdata)
            kinds.add(we)
            if self.stalled[k] is not None:
                assert fields == self.stalled[k], f"port {k} changed {self.stalled[k]} -> {fields}"
            if self.stall_p and self.rng.random() < self.stall_p:
                ctx.set(port.gnt, 0)
                self.stalled[k] = fields
                continue
            ctx.set(port.gnt, 1)
            self.stalled[k] = None
            assert addr % 4 == 0 and 0 <= addr < len(self.mem)
            if we:
                for b in range(4):
                    if be >> b & 1:
                        assert self.allowed is None or addr + b in self.allowed, \
                            f"write to byte {addr + b:#x} outside {self.region}"
                        self.mem[addr + b] = wdata >> (8 * b) & 0xFF
                        self.writes += 1
            else:
                self.pending[k] = int.from_bytes(bytes(self.mem[addr:addr + 4]), "little")
        assert len(kinds) <= 1, "loads and stores in the same cycle"
        self.reqs += nreq
        return nreq
