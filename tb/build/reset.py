"""A registered reset for simulation test tops (issue 15, docs/speed-plan.md "Step 3c").

Amaranth's Verilog computes every flop's next state in an ``always @*`` block that ends
``if (rst) next = init;``, so with the ``sync`` domain's reset taken straight from the top-level
``rst`` input, every next-state function depends on a top-level input. Verilator 5 evaluates
logic downstream of a top-level input in its input-combinational ("ico") region, which it runs
on the first iteration of every ``eval()`` whether an input changed or not (cocotb's clock calls
``eval()`` on both edges). Verilator inlines most next-state functions into their flops' own
code (the rising edge's nba region), so the reset kept only part of them in ico: measured on the
16/16 cluster, 365 of 27,444 lines of the region's C++ (docs/speed-plan.md, "Step 3c", with
what the rest of the region hangs on).

:func:`registered_reset` defines the domain in the test top instead: its clock is the top's
``clk`` input and its reset a flop (reset-less itself) that samples the top's ``rst`` input.
No next-state function reads a top-level input any more; the reset reaches the design one
cycle after the testbench drives it. The design under test does not change (its own Verilog is
the same): only the top around it does, and the top keeps the port names ``clk`` and ``rst``.

The flop must not be public and writable to the VPI (a writable public signal puts its readers
in the ico region too): a lean build names the top's writable signals one by one
(:func:`input_port_names`).
"""

from amaranth import ClockDomain, Signal
from amaranth.lib import wiring

__all__ = ["RESET_FLOP", "registered_reset", "input_port_names"]

#: The name of the reset flop (a signal of the module that calls :func:`registered_reset`).
RESET_FLOP = "rst_q"


def registered_reset(m, clk, rst, domain="sync"):
    """Define clock domain ``domain`` in module ``m``: clocked by ``clk``, reset by
    :data:`RESET_FLOP`, a reset-less flop of that domain that samples ``rst`` (both 1-bit
    signals, normally the top's ``clk`` and ``rst`` ports). Returns the ``ClockDomain``.

    The flop starts at 1 (the domain is in reset from time 0 until the first rising edge at
    which ``rst`` is 0), and the domain leaves reset one cycle after ``rst`` falls: a testbench
    that drives the design in the first cycle after the release must wait one more cycle.

    Raises
    ------
    ValueError
        If ``domain`` is not a non-empty string or ``clk`` / ``rst`` are not 1-bit signals.
    """
    if not isinstance(domain, str) or not domain:
        raise ValueError(f"domain must be a non-empty string, not {domain!r}")
    for name, sig in (("clk", clk), ("rst", rst)):
        if not isinstance(sig, Signal) or len(sig) != 1:
            raise ValueError(f"{name} must be a 1-bit Signal, not {sig!r}")
    cd = ClockDomain(domain)
    m.domains += cd
    flop = Signal(init=1, reset_less=True, name=RESET_FLOP)
    m.d[domain] += flop.eq(rst)
    m.d.comb += [cd.clk.eq(clk), cd.rst.eq(flop)]
    return cd


def input_port_names(component):
    """The Verilog names of ``component``'s input ports (``wiring.Component``; paths joined with
    ``__`` as Amaranth names top-level ports): what a testbench may write, so what a lean build
    keeps writable to the VPI (everything else may be public read-only)."""
    if not isinstance(component, wiring.Component):
        raise ValueError(f"component must be a wiring.Component, not {component!r}")
    return [
        "__".join(str(p) for p in path)
        for path, member, _ in component.signature.flatten(component)
        if member.flow == wiring.In
    ]
