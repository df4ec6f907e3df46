"""A message goes out once whatever the number of workers, tasks or crashes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection, connections  # noqa: F401 - skipif
from django.utils import timezone

from preau.notify.models import OutboundMessage
from preau.notify.services import (
    message_queue,
    outbound_message_claim,
    outbound_message_deliver,
    outbound_message_sweep,
)
from tests.notify.conftest import DUMMY, IMMEDIATE
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

Status = OutboundMessage.Status


def queue_test_message() -> OutboundMessage:
    return message_queue(
        channel="email", to="eleve@example.fr", template="test_message", context={}
    )


@pytest.fixture
def parked(settings: Any) -> OutboundMessage:
    """A queued message whose task went nowhere (the dummy backend never runs tasks)."""
    settings.TASKS = DUMMY
    message = queue_test_message()
    settings.TASKS = IMMEDIATE
    return message


def test_second_claim_of_a_message_gets_nothing(smtp: SmtpServer, parked: OutboundMessage) -> None:
    first = outbound_message_claim(message_id=parked.pk)
    second = outbound_message_claim(message_id=parked.pk)

    assert first is not None
    assert second is None
    parked.refresh_from_db()
    assert parked.status == Status.SENDING
    assert parked.attempts == 1


def test_duplicate_tasks_for_one_message_send_it_once(
    smtp: SmtpServer, parked: OutboundMessage
) -> None:
    results = [outbound_message_deliver(message_id=parked.pk) for _ in range(3)]

    assert results == ["sent", "skipped", "skipped"]
    assert len(smtp.messages) == 1


def run_together(workers: int, job: Callable[[], str | None]) -> list[str | None]:
    """Run ``job`` in ``workers`` threads released at the same instant; return their results."""
    barrier = threading.Barrier(workers)
    results: list[str | None] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


def busy_retry(job: Callable[[], str | None]) -> Callable[[], str | None]:
    """Wait out a locked database as a real SQLite file does (busy timeout).

    pytest-django's SQLite test database lives in memory with a shared cache, where a
    concurrent writer gets "database table is locked" at once instead of waiting. Retrying the
    whole claim is what the busy timeout amounts to: a claim that raised changed nothing.
    """

    def retried() -> str | None:
        for _ in range(200):
            try:
                return job()
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.005)
        raise AssertionError("database stayed locked")

    return retried


def test_concurrent_claims_give_the_message_to_one_worker(parked: OutboundMessage) -> None:
    tokens = run_together(6, busy_retry(lambda: outbound_message_claim(message_id=parked.pk)))

    assert len(tokens) == 6
    assert len([t for t in tokens if t is not None]) == 1
    parked.refresh_from_db()
    assert parked.status == Status.SENDING
    assert parked.attempts == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="an in-memory SQLite test database refuses concurrent writers instead of waiting; "
    "the claim itself is proved concurrent on SQLite by the test above",
)
def test_concurrent_workers_send_a_message_once(smtp: SmtpServer, parked: OutboundMessage) -> None:
    workers = 4
    results = run_together(workers, lambda: outbound_message_deliver(message_id=parked.pk))

    assert sorted(r or "" for r in results) == ["sent"] + ["skipped"] * (workers - 1)
    assert len(smtp.messages) == 1
    parked.refresh_from_db()
    assert parked.status == Status.SENT
    assert parked.attempts == 1


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has no row locks")
def test_claim_skips_a_row_locked_by_another_worker_on_postgresql(
    smtp: SmtpServer, parked: OutboundMessage
) -> None:
    """With SKIP LOCKED a busy row is passed over at once instead of being waited for."""
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                OutboundMessage.objects.select_for_update().get(pk=parked.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert outbound_message_claim(message_id=parked.pk) is None
    finally:
        release.set()
        holder.join(timeout=10)
    parked.refresh_from_db()
    assert parked.status == Status.QUEUED


def test_lost_task_is_enqueued_again_by_the_sweeper(
    smtp: SmtpServer, parked: OutboundMessage, preau_options: Any
) -> None:
    preau_options(NOTIFY_SWEEP_GRACE_SECONDS=300)
    assert smtp.messages == []

    with time_machine.travel(timezone.now() + timedelta(seconds=299), tick=False):
        assert outbound_message_sweep().enqueued == 0
    assert smtp.messages == []

    with time_machine.travel(timezone.now() + timedelta(seconds=301), tick=False):
        assert outbound_message_sweep().enqueued == 1
    assert len(smtp.messages) == 1
    parked.refresh_from_db()
    assert parked.status == Status.SENT


def test_claim_of_a_crashed_worker_expires_and_the_message_goes_out_once(
    smtp: SmtpServer, parked: OutboundMessage, preau_options: Any
) -> None:
    preau_options(NOTIFY_CLAIM_LEASE_SECONDS=600)
    # A worker claims the message and dies before sending it.
    assert outbound_message_claim(message_id=parked.pk) is not None

    with time_machine.travel(timezone.now() + timedelta(seconds=590), tick=False):
        assert outbound_message_sweep().recovered == 0
    assert smtp.messages == []

    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        result = outbound_message_sweep()
    assert result.recovered == 1
    assert result.enqueued == 1
    assert len(smtp.messages) == 1
    parked.refresh_from_db()
    assert parked.status == Status.SENT
    assert parked.attempts == 2


def test_sweeper_leaves_messages_that_are_sent_or_not_yet_due(
    smtp: SmtpServer, parked: OutboundMessage
) -> None:
    outbound_message_deliver(message_id=parked.pk)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        result = outbound_message_sweep()
    assert (result.recovered, result.enqueued) == (0, 0)
    assert len(smtp.messages) == 1
