"""What the HWPE unit tests on Amaranth's simulator share: the seed of a randomised test."""

import pytest

from tb.build.runner import pick_seed


@pytest.fixture
def seed():
    """``$IMA_SEED`` or a fresh random seed, printed (:func:`tb.build.runner.pick_seed`)."""
    return pick_seed()
