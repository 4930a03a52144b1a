"""What the cluster tests in Amaranth's simulator share: one word access on a core's
peripheral bus or on a TCDM master port."""

import pytest


async def _request(ctx, port, addr, wdata, who):
    """Present one word request on ``port`` (a read when ``wdata`` is None, else a write) until
    it is granted, within 20 cycles (else fail naming ``who``), then drop ``req``."""
    ctx.set(port.req, 1)
    ctx.set(port.addr, addr)
    ctx.set(port.we, wdata is not None)
    ctx.set(port.be, 0xF)
    ctx.set(port.wdata, wdata or 0)
    for _ in range(20):
        granted = ctx.get(port.gnt)
        await ctx.tick()
        if granted:
            break
    else:
        raise AssertionError(f"{who}: no grant for address 0x{addr:03X}")
    ctx.set(port.req, 0)


async def _periph_access(ctx, dut, core, addr, *, wdata=None, signed=False):
    """One peripheral access by ``core`` of ``dut`` (a :class:`hw.cluster.cluster.Cluster`): a
    read when ``wdata`` is None, else a write; returns the read data (as a signed 32-bit value
    with ``signed``, e.g. ACQUIRE's -2 for a refused lock). Fails if the access is not granted
    within 20 cycles or gets no ``r_valid`` in the cycle after its grant."""
    port = dut.core_periph[core]
    await _request(ctx, port, addr, wdata, f"core {core}")
    assert ctx.get(port.r_valid), f"core {core}: no r_valid after 0x{addr:03X}"
    v = ctx.get(port.r_data)
    return v - (1 << 32) if signed and v >> 31 else v


async def _tcdm_access(ctx, port, addr, *, wdata=None):
    """One word access on a TCDM master ``port`` of the testbench (e.g. the DMA port); returns
    the read data. Fails if the access is not granted within 20 cycles."""
    await _request(ctx, port, addr, wdata, "TCDM port")
    return ctx.get(port.r_data)


@pytest.fixture
def periph_access():
    """:func:`_periph_access`: ``await periph_access(ctx, dut, core, addr, wdata=None,
    signed=False)``."""
    return _periph_access


@pytest.fixture
def tcdm_access():
    """:func:`_tcdm_access`: ``await tcdm_access(ctx, port, addr, wdata=None)``."""
    return _tcdm_access
