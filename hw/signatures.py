"""Bus signatures shared by every block of the cluster, defined once from the initiator side.

Two buses:

* :class:`TcdmSignature` -- a 32-bit TCDM master port (HWPE-Mem protocol, hwpe-doc ``protocols.rst``,
  pulp-platform/cluster_interconnect). Cores, IMA streamer ports and the testbench port are masters;
  the logarithmic interconnect takes ``In(TcdmSignature())`` for each of them.
* :class:`PeriphSignature` -- the cores' peripheral (control) bus towards the IMA register file. Same
  handshake as TCDM plus the initiator's core ``id`` (the HWPE controller locks ACQUIRE per core and
  sends the end-of-job event to the core that offloaded the job).

Protocol rules (both buses), checked by ``tb.check.monitor.TcdmProtocolMonitor``:

1. A transfer happens in the cycle where ``req & gnt``. ``gnt`` is given in the request cycle
   (combinationally) and never without ``req``.
2. While ``req`` is high and ``gnt`` low the master keeps ``addr, we, be, wdata`` stable.
3. ``r_valid`` is high exactly one cycle after every granted *read* (``we = 0``), with ``r_data``;
   it is also allowed (and produced by our interconnect) one cycle after a granted write, with
   ``r_data`` undefined. Never otherwise.
4. Polarity: ``we = 1`` means *write*. HWPE-Mem's ``wen`` (1 = read) is converted only at the
   edges of the design, never inside it.
5. ``addr`` is a byte address; ``addr[1:0]`` are ignored (word accesses) and ``be`` selects bytes
   on writes. For the TCDM, ``addr`` is the byte offset from the start of L1 (L1's base in the
   cluster memory map is added by the cores' address decoder, outside this model).
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["TcdmSignature", "PeriphSignature", "TcdmStatsSignature", "PERIPH_ID_WIDTH"]

#: Width of the peripheral bus's initiator id (core index): up to 16 cores.
PERIPH_ID_WIDTH = 4


def _check_positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


class TcdmSignature(wiring.Signature):
    """32-bit TCDM master port, seen from the master (initiator).

    Parameters
    ----------
    addr_width : int
        Width of the byte address (default 32).
    data_width : int
        Width of a data word in bits (default 32, a multiple of 8).

    Members
    -------
    req : Out(1)
        The master requests a transfer.
    gnt : In(1)
        The interconnect accepts it this cycle (only while ``req``).
    addr : Out(addr_width)
        Byte address; the low ``log2(data_width/8)`` bits are ignored.
    we : Out(1)
        1 = write, 0 = read.
    be : Out(data_width // 8)
        Byte enables of a write (ignored on reads).
    wdata : Out(data_width)
        Write data.
    r_valid : In(1)
        Response: one cycle after a granted access.
    r_data : In(data_width)
        Read data, valid with ``r_valid`` after a read.
    """

    def __init__(self, *, addr_width=32, data_width=32):
        _check_positive("addr_width", addr_width)
        _check_positive("data_width", data_width)
        if data_width % 8:
            raise ValueError(f"data_width must be a multiple of 8, not {data_width!r}")
        self._addr_width = addr_width
        self._data_width = data_width
        super().__init__({
            "req": Out(1),
            "gnt": In(1),
            "addr": Out(addr_width),
            "we": Out(1),
            "be": Out(data_width // 8),
            "wdata": Out(data_width),
            "r_valid": In(1),
            "r_data": In(data_width),
        })

    @property
    def addr_width(self):
        return self._addr_width

    @property
    def data_width(self):
        return self._data_width

    def __eq__(self, other):
        return (type(other) is type(self) and other.addr_width == self.addr_width
                and other.data_width == self.data_width)

    def __repr__(self):
        return f"TcdmSignature(addr_width={self.addr_width}, data_width={self.data_width})"


class PeriphSignature(TcdmSignature):
    """Peripheral (control) bus from a core, seen from the core: TCDM members plus ``id``.

    Parameters
    ----------
    addr_width : int
        Width of the byte address within the peripheral's window (default 12: 4 KiB).
    id_width : int
        Width of the initiator id (core index); default 4 (up to 16 cores).

    Members
    -------
    id : Out(id_width)
        Index of the core driving the request, valid with ``req``.
    (and all members of :class:`TcdmSignature`, 32-bit data)
    """

    def __init__(self, *, addr_width=12, id_width=PERIPH_ID_WIDTH):
        _check_positive("id_width", id_width)
        self._id_width = id_width
        super().__init__(addr_width=addr_width, data_width=32)
        # wiring.Signature members are frozen after __init__; rebuild with the extra member.
        members = dict(self.members)
        members["id"] = Out(id_width)
        wiring.Signature.__init__(self, members)

    @property
    def id_width(self):
        return self._id_width

    def __eq__(self, other):
        return (type(other) is type(self) and other.addr_width == self.addr_width
                and other.id_width == self.id_width)

    def __repr__(self):
        return f"PeriphSignature(addr_width={self.addr_width}, id_width={self.id_width})"


class TcdmStatsSignature(wiring.Signature):
    """Per-master statistics of the TCDM interconnect, seen from the interconnect.

    Defined once; the interconnect drives it, the TCDM subsystem, the cluster and the test tops
    forward it with one ``connect``. As a port named ``stat`` it comes out in Verilog as
    ``stat__granted__<m>``, ``stat__stalled__<m>`` and ``stat__clear`` (the tops that also carry the
    IMA's ``stat`` name it ``tcdm_stat``).

    Parameters
    ----------
    masters : int
        Number of TCDM masters counted.

    Members
    -------
    granted : Out(32).array(masters)
        Granted accesses of each master since reset or ``clear`` (wrapping).
    stalled : Out(32).array(masters)
        Cycles each master spent in ``req & ~gnt``.
    clear : In(1)
        Zeroes every counter (synchronously).
    """

    def __init__(self, masters):
        _check_positive("masters", masters)
        self._masters = masters
        super().__init__({"granted": Out(32).array(masters), "stalled": Out(32).array(masters),
                          "clear": In(1)})

    @property
    def masters(self):
        return self._masters

    def __eq__(self, other):
        return type(other) is type(self) and other.masters == self.masters

    def __repr__(self):
        return f"TcdmStatsSignature({self.masters})"
