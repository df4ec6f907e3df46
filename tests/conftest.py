"""Suite-wide fixtures.

The database is whatever DATABASE_URL names (SQLite by default, PostgreSQL in CI); the cache is
Redis when REDIS_URL is set. Throttle counters live in the cache, so each test starts with an
empty one. The settings are tests/settings.py (plain-HTTP cookies, a temporary data folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.notify.sms_gateway import sms_gateway  # noqa: F401 - a fixture for every test
from tests.notify.smtp import SmtpServer, point_mail_at

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def establishment(db):  # type: ignore[no-untyped-def]
    from preau.directory.models import Establishment

    return Establishment.objects.create(
        uai="0750654D", name="Lycée Louis-le-Grand", kind="lycee", postal_code="75005", city="Paris"
    )


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server (aiosmtpd) that Django's mail settings point at."""
    server = SmtpServer()
    server.start()
    point_mail_at(settings, server)
    yield server
    server.stop()


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Tasks run as soon as they are enqueued (after the commit, for the outbox)."""
    settings.TASKS = IMMEDIATE_TASKS
