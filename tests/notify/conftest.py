"""Fixtures of the outbox tests: a real SMTP server and a choice of task backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.smtp import SmtpServer, point_mail_at

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def smtp_down(settings: Any) -> Iterator[SmtpServer]:
    """Django's mail settings point at a port where no server listens yet (``start()`` it)."""
    server = SmtpServer()
    point_mail_at(settings, server)
    yield server
    server.stop()


@pytest.fixture
def preau_options(settings: Any) -> Any:
    """Set Préau options for one test: ``preau_options(NOTIFY_MAX_ATTEMPTS=3)``."""

    def update(**options: Any) -> None:
        settings.PREAU = {**getattr(settings, "PREAU", {}), **options}

    return update
