"""Suite-wide fixtures.

The database is whatever DATABASE_URL names (SQLite by default, PostgreSQL in CI); the cache is
Redis when REDIS_URL is set. Throttle counters live in the cache, so each test starts with an
empty one. The settings are tests/settings.py (plain-HTTP cookies, a temporary data folder).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def establishment(db):  # type: ignore[no-untyped-def]
    from preau.directory.models import Establishment

    return Establishment.objects.create(
        uai="0750654D", name="Lycée Louis-le-Grand", kind="lycee", postal_code="75005", city="Paris"
    )
