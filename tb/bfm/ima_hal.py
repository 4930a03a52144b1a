"""The IMA HAL: what a core's driver does, as coroutines over the peripheral-bus BFM.

Follows the register programming model of ``docs/registers.md``: acquire (with retry), program
weights through SUBMIT_PLOT, configure a layer (the job registers of a
:class:`sim_models.jobconfig.LayerJob`), trigger, wait for the core's end-of-job event, read
ERROR. Register offsets and field masks come from the one table in :mod:`hw.ima.regmap`.
"""

import numpy as np

from hw.ima.regmap import PR_VAL, REG, STATUS, SUBMIT_PLOT, encode_layer, pack_weights, register
from tb.bfm.hwpe_hal import HwpeHal

__all__ = ["ImaHal", "pack_weight_rows", "STATUS_PROG_PENDING"]

STATUS_PROG_PENDING = STATUS.field("prog_pending").mask
P_START_Y, PR_ADDR_Y = register("P_START_Y"), register("PR_ADDR_Y")


def pack_weight_rows(weights):
    """SUBMIT_PLOT words for a 2D window: each row in ceil(width/8) words, 4-bit two's complement."""
    w = np.asarray(weights, dtype=np.int64)
    height, width = w.shape
    per_word = len(SUBMIT_PLOT.fields)
    return [pack_weights(w[r, c0:c0 + per_word].tolist())
            for r in range(height) for c0 in range(0, width, per_word)]


class ImaHal(HwpeHal):
    """Driver of one IMA for the cores of a cluster (ACQUIRE, TRIGGER, events, SOFT_CLEAR:
    :class:`tb.bfm.hwpe_hal.HwpeHal`).

    Parameters
    ----------
    periph : tb.bfm.periph.PeriphMaster
    events : tb.bfm.periph.EventLines
    clk : the clock (for retry back-off)
    arrays : int
        Crossbars of the IMA (``ImaConfig.arrays``). With one array :meth:`configure` writes
        J_ARRAY only while it may hold something other than its reset value 0 (a layer naming
        another array -- which the IMA rejects with ERROR.ARRAY -- and the layer after it), so
        a valid layer costs the bus writes it always did.
    base : int
        Bus address of the IMA's register 0: 0 for the one IMA of a cluster, IMA ``k``'s
        region :func:`hw.cluster.periph.ima_base` ``(k)`` in a cluster of ``imas`` > 1.
    """

    def __init__(self, periph, events, clk, *, arrays=1, base=0):
        super().__init__(periph, events, clk, REG, base=base)
        self.arrays = arrays
        self._j_array_dirty = False     # J_ARRAY may be non-zero (single-array IMA only)

    async def configure(self, core, layer):
        skip = self.arrays == 1 and layer.array == 0 and not self._j_array_dirty
        for offset, value in encode_layer(layer):
            if offset == REG.J_ARRAY and skip:
                continue
            await self.periph.write(self.base + offset, value, core)
        self._j_array_dirty = layer.array != 0

    async def run_layer(self, core, layer, timeout_cycles=None):
        """Acquire, configure, trigger, wait: one whole layer. Returns ERROR."""
        await self.acquire(core)
        await self.configure(core, layer)
        await self.trigger(core)
        return await self.wait_end(core, timeout_cycles)

    async def program(self, core, row, col, weights, array=0):
        """Program a 2D weight window of crossbar ``array`` through P_START_X/Y (P_START_Y.array),
        P_WIDTH, P_HEIGHT and SUBMIT_PLOT."""
        w = np.asarray(weights)
        await self.periph.write(self.addr("P_WIDTH"), w.shape[1], core)
        await self.periph.write(self.addr("P_HEIGHT"), w.shape[0], core)
        await self.periph.write(self.addr("P_START_X"), col, core)
        await self.periph.write(self.addr("P_START_Y"), P_START_Y.pack(row=row, array=array), core)
        for word in pack_weight_rows(w):
            await self.periph.write(self.addr("SUBMIT_PLOT"), word, core)
        while await self.periph.read(self.addr("STATUS"), core) & STATUS_PROG_PENDING:
            pass

    async def read_conductance(self, core, row, col, array=0):
        """(G+, G-) of the device pair at (row, col) of crossbar ``array``, in nS."""
        await self.periph.write(self.addr("PR_ADDR_X"), col, core)
        await self.periph.write(self.addr("PR_ADDR_Y"), PR_ADDR_Y.pack(row=row, array=array), core)
        v = PR_VAL.unpack(await self.periph.read(self.addr("PR_VAL"), core))
        return v["g_pos"], v["g_neg"]
