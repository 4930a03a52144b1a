"""tb/env/block.py: its count of testbench TCDM ports is the test tops' (it cannot import theirs)."""

from tb.build import tops
from tb.env import block


def test_tb_ports_agree():
    assert block._TB_PORTS == tops.TB_PORTS
