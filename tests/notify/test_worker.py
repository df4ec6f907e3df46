"""The real path: the database task backend and `preau worker`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue
from tests.notify.conftest import DATABASE, IMMEDIATE
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

Status = OutboundMessage.Status


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.TASKS = DATABASE


def run_worker() -> str:
    out = StringIO()
    call_command("worker", "--batch", verbosity=0, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("database_tasks")
def test_worker_delivers_a_message_enqueued_in_the_database_backend(smtp: SmtpServer) -> None:
    with transaction.atomic():
        message = message_queue(
            channel="email", to="prof@example.fr", template="test_message", context={}
        )
        assert DBTaskResult.objects.count() == 0  # the task is enqueued after the commit

    [task] = DBTaskResult.objects.all()
    assert task.status == "READY"
    assert task.task_path == "preau.notify.tasks.deliver_message"
    assert smtp.messages == []

    run_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == "sent"
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.messages) == 1

    run_worker()  # nothing left to do
    assert len(smtp.messages) == 1


@pytest.mark.usefixtures("database_tasks")
def test_worker_runs_a_deferred_retry_when_it_is_due(smtp_down: SmtpServer) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        message = message_queue(
            channel="email", to="prof@example.fr", template="test_message", context={}
        )
        run_worker()
        message.refresh_from_db()
        assert message.status == Status.QUEUED
        assert message.attempts == 1
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after == message.next_attempt_at == timezone.now() + timedelta(minutes=1)

        smtp_down.start()
        traveller.shift(timedelta(seconds=30))
        run_worker()  # not due yet
        assert smtp_down.messages == []

        traveller.shift(timedelta(seconds=30))
        run_worker()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(smtp_down.messages) == 1


@pytest.mark.usefixtures("database_tasks")
def test_worker_sweeps_a_message_whose_task_row_was_lost(
    smtp: SmtpServer, preau_options: Any
) -> None:
    preau_options(NOTIFY_SWEEP_GRACE_SECONDS=60)
    message = message_queue(
        channel="email", to="prof@example.fr", template="test_message", context={}
    )
    DBTaskResult.objects.all().delete()  # e.g. a queue flushed by mistake

    run_worker()
    assert smtp.messages == []

    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        run_worker()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.messages) == 1


def test_outbox_command_queues_a_test_message_and_reports_status(
    settings: Any, smtp: SmtpServer
) -> None:
    settings.TASKS = DATABASE
    out = StringIO()
    call_command("outbox", "test", "ops@example.fr", stdout=out)
    assert "ops@example.fr" in out.getvalue()

    out = StringIO()
    call_command("outbox", "status", stdout=out)
    assert "En attente : 1" in out.getvalue()

    run_worker()
    out = StringIO()
    call_command("outbox", "status", stdout=out)
    assert "Envoyé : 1" in out.getvalue()
    assert len(smtp.messages) == 1


def test_worker_refuses_a_task_backend_it_cannot_run(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    with pytest.raises(CommandError, match="--sweep-only"):
        call_command("worker", "--batch", verbosity=0)


def test_sweep_only_worker_retries_for_a_backend_that_cannot_defer(
    settings: Any, smtp_down: SmtpServer
) -> None:
    settings.TASKS = IMMEDIATE
    message = message_queue(
        channel="email", to="prof@example.fr", template="test_message", context={}
    )
    message.refresh_from_db()
    assert message.status == Status.QUEUED

    smtp_down.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=1), tick=False):
        call_command("worker", "--sweep-only", "--batch", verbosity=0)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp_down.messages) == 1
