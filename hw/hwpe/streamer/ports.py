"""The ``ports`` (and buffer ``depth``) parameters of the blocks with N TCDM ports: their checks and
the one base class that keeps ``ports``.

:class:`Ported` is the base of the streamer's :class:`~hw.hwpe.streamer.addressgen.AddressGen`,
:class:`~hw.hwpe.streamer.source.Source`, :class:`~hw.hwpe.streamer.sink.Sink` and
:class:`~hw.hwpe.streamer.shared_port.SharedPort`, and of the DWA's
:class:`~hw.dwa.engine.DwaEngine`: each once repeated the same check, attribute and property.
"""

from amaranth.lib import wiring

__all__ = ["Ported", "check_ports", "check_depth"]


def check_ports(ports):
    if not isinstance(ports, int) or isinstance(ports, bool) or not 1 <= ports <= 16:
        raise ValueError(f"ports must be an integer in 1..16, not {ports!r}")


def check_depth(depth):
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 65535:
        raise ValueError(f"depth must be a positive integer (bytes, at most 65535), not {depth!r}")


class Ported(wiring.Component):
    """A component with ``ports`` TCDM ports, ``ports`` an integer in 1..16.

    ``ports`` is checked before the signature is built, so a bad value raises the
    :class:`ValueError` naming it (never an error of a member built from it), and it is kept as
    the read-only :attr:`ports`. A subclass gives its signature's members by :meth:`_members`,
    which runs once ``ports`` is set.

    Raises
    ------
    ValueError
        If ``ports`` is not an integer in 1..16.
    """

    def __init__(self, ports):
        check_ports(ports)
        self._ports = ports
        super().__init__(self._members())

    def _members(self):
        """The signature's members (a dict of ``In``/``Out``), built from ``self.ports``."""
        raise NotImplementedError

    @property
    def ports(self):
        return self._ports
