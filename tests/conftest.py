"""pytest configuration shared by all tests.

Regression simulations are short, so their Verilator models are compiled at -O0 (see
``tb.build.runner.fast_build_requested``): the C++ compile, not the simulation, dominates their time.
"""

import os

os.environ.setdefault("IMA_FAST_BUILD", "1")
