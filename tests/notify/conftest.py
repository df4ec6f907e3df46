"""Fixtures of the outbox tests: a real SMTP server and a choice of task backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.smtp import SmtpServer

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def point_mail_at(settings: Any, server: SmtpServer) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server that Django's mail settings point at."""
    server = SmtpServer()
    server.start()
    point_mail_at(settings, server)
    yield server
    server.stop()


@pytest.fixture
def smtp_down(settings: Any) -> Iterator[SmtpServer]:
    """Django's mail settings point at a port where no server listens yet (``start()`` it)."""
    server = SmtpServer()
    point_mail_at(settings, server)
    yield server
    server.stop()


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Tasks run as soon as they are enqueued (after the commit, for the outbox)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def preau_options(settings: Any) -> Any:
    """Set Préau options for one test: ``preau_options(NOTIFY_MAX_ATTEMPTS=3)``."""

    def update(**options: Any) -> None:
        settings.PREAU = {**getattr(settings, "PREAU", {}), **options}

    return update
