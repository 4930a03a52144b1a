"""tb.cli.fastmodel_rtl without the RTL: how it reads ``make bench``'s ``ima-sim net`` report."""

import pytest

from tb.cli.fastmodel_rtl import _report_times


@pytest.mark.parametrize("line, times", [
    ("  simulation: 75.2 s wall (1.3 s build), 74.8 s CPU, 71,373 cycles/s", (75.2, 74.8)),
    ("  simulation: 887.0 s wall (2.0 s build), 6,051 cycles/s", (887.0, None)),    # before the CPU time
    ("  no simulation here", (None, None)),
])
def test_report_times_reads_the_wall_and_cpu_seconds(line, times, tmp_path):
    path = tmp_path / "net.txt"
    path.write_text(f"MobileNetV2\n{line}\n\nPASS\n")
    assert _report_times(str(path)) == times
