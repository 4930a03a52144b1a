"""The DWA HAL: what a core's driver does to run a depth-wise layer on the accelerator.

Follows the programming model of the DWA's register map (:data:`hw.dwa.regmap.DWA_MAP`): acquire
(with retry), write the job registers of a :class:`sim_models.dwa.DwJob`, trigger, wait for the
core's end-of-job event, read ERROR. Offsets come only from :mod:`hw.dwa.regmap`; the HWPE part
is :class:`tb.bfm.hwpe_hal.HwpeHal`. In the cluster the DWA's registers sit at
``hw.cluster.periph.DWA_BASE`` (``base``); alone on its test top at 0.
"""

from hw.dwa.regmap import REG, encode_job
from tb.bfm.hwpe_hal import HwpeHal

__all__ = ["DwaHal"]


class DwaHal(HwpeHal):
    """Driver of one DWA for the cores of a cluster.

    Parameters
    ----------
    periph : tb.bfm.periph.PeriphMaster
    events : tb.bfm.periph.EventLines
        The DWA's end-of-job event lines.
    clk : the clock (for retry back-off)
    base : int
        Bus address of the DWA's register 0 (``base + REG.X`` for register X).
    """

    def __init__(self, periph, events, clk, *, base=0):
        super().__init__(periph, events, clk, REG, base=base)

    async def configure(self, core, job):
        """Write the job registers of ``job`` (a :class:`sim_models.dwa.DwJob`)."""
        for offset, value in encode_job(job):
            await self.periph.write(self.base + offset, value, core)

    async def run_job(self, core, job, timeout_cycles=None):
        """Acquire, configure, trigger, wait: one whole layer. Returns ERROR (0 = success)."""
        await self.acquire(core)
        await self.configure(core, job)
        await self.trigger(core)
        return await self.wait_end(core, timeout_cycles)
