"""`preau lifecycle` purges old sent and failed messages, never one still to be delivered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from preau.lifecycle.services import lifecycle_run
from preau.notify.models import OutboundMessage

pytestmark = pytest.mark.django_db

Status = OutboundMessage.Status


def message(key: str, status: str, age_days: int) -> OutboundMessage:
    return OutboundMessage.objects.create(
        channel="email",
        recipient="x@example.fr",
        template="test_message",
        idempotency_key=key,
        status=status,
        created_at=timezone.now() - timedelta(days=age_days),
    )


def test_old_finished_messages_are_purged_and_waiting_ones_kept(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "NOTIFY_RETENTION_DAYS": 30}
    old_sent = message("a", Status.SENT, 31)
    old_failed = message("b", Status.FAILED, 31)
    recent_sent = message("c", Status.SENT, 29)
    old_queued = message("d", Status.QUEUED, 200)

    would = lifecycle_run(dry_run=True)[2]
    assert would.count == 2
    assert OutboundMessage.objects.count() == 4

    purged = lifecycle_run(batch_size=1)[2]
    assert purged.count == 2
    remaining = set(OutboundMessage.objects.values_list("pk", flat=True))
    assert remaining == {recent_sent.pk, old_queued.pk}
    assert old_sent.pk not in remaining and old_failed.pk not in remaining

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert lifecycle_run()[2].count == 0


def test_old_finished_task_results_are_purged(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.PREAU = {**settings.PREAU, "NOTIFY_RETENTION_DAYS": 30}

    def result(status: str, finished_days_ago: int | None) -> DBTaskResult:
        finished = (
            None if finished_days_ago is None else timezone.now() - timedelta(finished_days_ago)
        )
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [1], "kwargs": {}},
            task_path="preau.notify.tasks.deliver_message",
            backend_name="default",
            run_after=timezone.now(),
            finished_at=finished,
        )

    old_done = result("SUCCESSFUL", 31)
    old_failed = result("FAILED", 31)
    recent = result("SUCCESSFUL", 1)
    ready = result("READY", None)

    assert lifecycle_run()[2].count == 2
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, ready.pk}
    assert old_done.pk not in remaining and old_failed.pk not in remaining
