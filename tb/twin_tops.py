"""Testbench top with the digital twin as analog core: :func:`ImaTwinTestTop`.

:class:`tb.tops.ImaTestTop` with ``analog="twin"`` (IMA on a TCDM subsystem, two testbench ports,
instances ``ima``, ``tcdm`` and ``twin``; weights in ``twin.weights``; no ``ac__*`` ports), with
defaults sized for the twin: a small array keeps its block RAM and MVM loop cheap. Used by
tests/test_twin.py with tb/cocotb_twin.py.
"""

from tb.tops import ImaTestTop

__all__ = ["ImaTwinTestTop"]


def ImaTwinTestTop(*, ports=4, rows=512, cols=64, dac_depth=256, adc_depth=64,
                   tcdm_bytes=256 * 1024, banks=16, latency=None):
    """IMA + digital twin + TCDM subsystem (``latency``: the twin's minimum COMPUTE cycles)."""
    return ImaTestTop(ports=ports, rows=rows, cols=cols, dac_depth=dac_depth,
                      adc_depth=adc_depth, tcdm_bytes=tcdm_bytes, banks=banks, analog="twin",
                      latency=latency)
