"""The HWPE part of an accelerator's HAL: ACQUIRE, TRIGGER, the end-of-job event, SOFT_CLEAR.

Every HWPE of the project (the IMA, the DWA) starts its register map with the same mandatory block
(:func:`hw.hwpe.ctrl.hwpe_registers`); :class:`HwpeHal` drives it over the peripheral-bus BFM, and
the accelerator HALs (:class:`tb.bfm.ima_hal.ImaHal`, :class:`tb.bfm.dwa_hal.DwaHal`) add their
own job registers. A register's bus address is ``base + offset`` (the accelerator's region on the
cores' peripheral bus).
"""

from cocotb.triggers import ClockCycles

__all__ = ["HwpeHal"]


class HwpeHal:
    """Driver of the HWPE block of one accelerator.

    Parameters
    ----------
    periph : tb.bfm.periph.PeriphMaster
    events : tb.bfm.periph.EventLines
        The accelerator's end-of-job event lines.
    clk : the clock (for retry back-off)
    reg : the register map's offsets (``REG`` of its regmap module: ``reg.ACQUIRE`` ...)
    base : int
        Bus address of the accelerator's register 0.
    """

    def __init__(self, periph, events, clk, reg, *, base=0):
        self.periph, self.events, self.clk = periph, events, clk
        self._reg, self.base = reg, base

    def addr(self, name):
        """Bus address of register ``name``."""
        return self.base + getattr(self._reg, name)

    async def acquire(self, core, *, retry=True, backoff=4, max_tries=100000):
        """Read ACQUIRE until it returns a job id >= 0 (or once, if ``retry`` is False)."""
        for _ in range(max_tries):
            job_id = await self.periph.read_signed(self.addr("ACQUIRE"), core)
            if job_id >= 0 or not retry:
                return job_id
            await ClockCycles(self.clk, backoff)
        raise TimeoutError(f"core {core}: ACQUIRE kept failing")

    async def trigger(self, core):
        await self.periph.write(self.addr("TRIGGER"), 0, core)

    async def wait_end(self, core, timeout_cycles=None):
        """Wait for the end-of-job event; return the ERROR register (0 = success)."""
        await self.events.wait(core, timeout_cycles)
        return await self.periph.read(self.addr("ERROR"), core)

    async def soft_clear(self, core):
        await self.periph.write(self.addr("SOFT_CLEAR"), 0, core)
