"""Small helpers for fast signal access from cocotb (the hot path of every BFM and monitor).

``handle.value`` builds a :class:`cocotb.types.LogicArray` on every read (several microseconds);
the BFMs read control lines every cycle, so they use :func:`reader`, which returns a bound
callable giving the value as an unsigned ``int`` straight from the GPI handle.  Verilator is
2-state, so nothing is lost; :func:`has_xz` does the (slower) 4-state check when wanted,
:func:`xz_reader` a faster one for a checker that runs every cycle, and :func:`four_state` says
whether the simulator can show an X at all.
"""

import cocotb

__all__ = ["port", "reader", "has_xz", "xz_reader", "four_state"]


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


def xz_reader(handle):
    """Return ``f()`` -> True if ``handle`` holds any bit other than 0/1 (X, Z, ...): the GPI's
    binary string, without building a ``LogicArray`` (a few times faster than :func:`has_xz`)."""
    raw = getattr(handle, "_handle", None)
    if raw is None:
        return lambda: has_xz(handle)
    get = raw.get_signal_val_binstr
    return lambda: bool(get().strip("01"))


def four_state():
    """True when the running simulator is 4-state (anything but Verilator, e.g. Icarus): only then
    can an undriven or unknown bit read as Z / X, so only then do X/Z checks assert anything.
    False outside a simulation (host-side tests of the environments)."""
    name = getattr(cocotb, "SIM_NAME", None)
    return name is not None and not name.lower().startswith("verilator")
