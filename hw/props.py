"""Helpers shared by the formal property modules (``*_props.py`` next to the blocks, run by
:mod:`hw.flow.formal`)."""

from amaranth.hdl import Assume, ResetSignal, Signal

__all__ = ["reset_in_cycle_0"]


def reset_in_cycle_0(m):
    """Assume the sync domain's reset is high in the first cycle and low afterwards.

    Without it a proof starts from the registers' initial values only, and the reset input is
    free to fire at any time; with it the design starts where the silicon does. The flag is
    reset-less (a reset must not re-arm it). Returns the flag ``past_valid`` (high from cycle 1).
    """
    past_valid = Signal(reset_less=True, name="past_valid")
    m.d.sync += past_valid.eq(1)
    m.d.comb += Assume(ResetSignal() == ~past_valid)
    return past_valid
