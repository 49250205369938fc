"""Fixtures for the badge OS tests (tests/badge): the badge tree to run, as it is and
with eerom's patch series applied."""

import pytest

from . import series


@pytest.fixture(scope="session")
def badge_dir():
    """A badge-2024-software tree: $BADGE_DIR, else ../shared/badge-2024-software
    next to this checkout.  Skips (with the reason) when there is none."""
    path, why = series.find_badge_dir()
    if path is None:
        pytest.skip(why)
    return path


@pytest.fixture(scope="session")
def patched_badge(tmp_path_factory):
    """A copy of the badge tree with integrations/badge-2024-software applied."""
    return series.patched_tree(tmp_path_factory.getbasetemp())
