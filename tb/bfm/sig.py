"""Small helpers for fast signal access from cocotb (the hot path of every BFM and monitor).

``handle.value`` builds a :class:`cocotb.types.LogicArray` on every read (several microseconds);
the BFMs read control lines every cycle, so they use :func:`reader`, which returns a bound
callable giving the value as an unsigned ``int`` straight from the GPI handle.  Verilator is
2-state, so nothing is lost; :func:`has_xz` does the (slower) 4-state check when wanted.
"""

__all__ = ["port", "reader", "has_xz"]


def port(dut, prefix, name):
    """The handle of Verilog port ``<prefix>__<name>`` (Amaranth joins paths with ``__``)."""
    full = f"{prefix}__{name}" if prefix else name
    try:
        return dut[full]
    except (KeyError, AttributeError):
        raise AttributeError(f"{dut._name} has no signal {full!r}") from None


def reader(handle):
    """Return ``f()`` -> current value of ``handle`` as an unsigned int (width <= 32 fast path)."""
    raw = getattr(handle, "_handle", None)
    width = len(handle)
    if raw is not None and width <= 32:
        get = raw.get_signal_val_long
        mask = (1 << width) - 1
        return lambda: get() & mask
    return lambda: handle.value.to_unsigned()


def has_xz(handle):
    """True if ``handle`` currently holds any X/Z/U/W/- bit (always False under Verilator)."""
    return not handle.value.is_resolvable
