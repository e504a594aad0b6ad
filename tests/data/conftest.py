"""Fixtures of the data tests: scipy, for the tests that write SBD's .mat files."""
import pytest


@pytest.fixture
def scipy_io():
    """``scipy.io``; the test is skipped where scipy is not installed (it is in the extra ``test``)."""
    return pytest.importorskip("scipy.io", reason="scipy is not installed: SBD's .mat labels cannot be written "
                                                  "or read (pip install scipy)")
