"""The ``ports`` base class (hw/hwpe/streamer/ports.py): every block built on it checks ``ports``
before any member is built from it, and ``ports`` before ``depth``."""

import pytest

from hw.dwa.engine import DwaEngine
from hw.hwpe.streamer import AddressGen, SharedPort, Sink, Source
from hw.hwpe.streamer.ports import Ported, check_depth, check_ports

BLOCKS = [AddressGen, SharedPort, DwaEngine, Source, Sink]


@pytest.mark.parametrize("cls", BLOCKS)
@pytest.mark.parametrize("bad", [0, 17, -1, 2.0, "4", True, None])
def test_bad_ports_named(cls, bad):
    with pytest.raises(ValueError, match="ports"):
        cls(bad)


@pytest.mark.parametrize("cls", [Source, Sink])
def test_ports_checked_before_depth(cls):
    with pytest.raises(ValueError, match="ports"):
        cls(0, 0)


@pytest.mark.parametrize("cls", BLOCKS)
@pytest.mark.parametrize("ports", [1, 5, 16])
def test_ports_kept(cls, ports):
    dut = cls(ports)
    assert isinstance(dut, Ported)
    assert dut.ports == ports
    with pytest.raises(AttributeError):
        dut.ports = 2


def test_checks():
    check_ports(16)
    check_depth(65535)
    with pytest.raises(ValueError, match="depth"):
        check_depth(65536)
    with pytest.raises(ValueError, match="ports"):
        check_ports(False)


def test_members_required():
    with pytest.raises(NotImplementedError):
        Ported(2)
