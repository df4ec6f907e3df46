"""While the SMTP server is down or defers, messages wait with growing delays; refusals fail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue, outbound_message_requeue, outbound_message_sweep
from tests.notify.smtp import SmtpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

Status = OutboundMessage.Status


def queue_test_message(to: str = "parent@example.fr") -> OutboundMessage:
    return message_queue(channel="email", to=to, template="test_message", context={})


def reload(message: OutboundMessage) -> OutboundMessage:
    message.refresh_from_db()
    return message


def test_server_down_retries_with_doubling_delays_then_delivers_once(
    smtp_down: SmtpServer,
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        start = timezone.now()
        message = reload(queue_test_message())
        assert message.status == Status.QUEUED
        assert message.attempts == 1
        assert "injoignable" in message.last_error
        assert message.next_attempt_at == start + timedelta(minutes=1)

        # Not due yet: the sweeper leaves it alone.
        traveller.shift(timedelta(seconds=59))
        outbound_message_sweep()
        assert reload(message).attempts == 1

        traveller.shift(timedelta(seconds=1))
        outbound_message_sweep()
        message = reload(message)
        assert message.attempts == 2
        assert message.next_attempt_at == timezone.now() + timedelta(minutes=2)

        traveller.shift(timedelta(minutes=2))
        outbound_message_sweep()
        message = reload(message)
        assert message.attempts == 3
        assert message.next_attempt_at == timezone.now() + timedelta(minutes=4)

        smtp_down.start()
        traveller.shift(timedelta(minutes=4))
        outbound_message_sweep()
        outbound_message_sweep()  # a second pass finds nothing more to do

    message = reload(message)
    assert message.status == Status.SENT
    assert message.attempts == 4
    assert message.last_error == ""
    assert len(smtp_down.messages) == 1


def test_back_off_is_capped(smtp_down: SmtpServer, preau_options: Any) -> None:
    preau_options(
        NOTIFY_RETRY_BASE_SECONDS=60, NOTIFY_RETRY_MAX_SECONDS=300, NOTIFY_MAX_ATTEMPTS=20
    )
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        message = queue_test_message()
        delays = []
        for _ in range(6):
            message = reload(message)
            delay = message.next_attempt_at - timezone.now()
            delays.append(int(delay.total_seconds()))
            traveller.shift(delay)
            outbound_message_sweep()
    assert delays == [60, 120, 240, 300, 300, 300]


def test_temporary_refusal_4xx_is_retried_and_delivered(smtp: SmtpServer) -> None:
    smtp.refuse("parent@example.fr", "451 4.3.0 Mailbox temporarily unavailable")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        message = reload(queue_test_message())
        assert message.status == Status.QUEUED
        assert "451" in message.last_error

        smtp.refusals.clear()
        traveller.shift(timedelta(minutes=1))
        outbound_message_sweep()

    assert reload(message).status == Status.SENT
    assert len(smtp.messages) == 1


def test_permanent_refusal_of_the_recipient_fails_at_once(smtp: SmtpServer) -> None:
    smtp.refuse("nobody@example.fr", "550 5.1.1 No such user here")
    message = reload(queue_test_message("nobody@example.fr"))

    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "550" in message.last_error
    assert "No such user" in message.last_error
    # A failed message keeps its bodies: an operator can send it again.
    assert "message d'essai" in message.body_text

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        outbound_message_sweep()
    assert reload(message).attempts == 1
    assert smtp.messages == []


def test_message_fails_after_the_last_attempt(smtp_down: SmtpServer, preau_options: Any) -> None:
    preau_options(NOTIFY_MAX_ATTEMPTS=3)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        message = queue_test_message()
        for _ in range(5):
            traveller.shift(timedelta(hours=1))
            outbound_message_sweep()
    message = reload(message)
    assert message.status == Status.FAILED
    assert message.attempts == 3


def test_operator_requeues_a_failed_message_and_it_is_delivered(smtp: SmtpServer) -> None:
    operator = Account.objects.create_superuser(
        "ops", password="x", last_name="Ops", first_name="O"
    )
    smtp.refuse("parent@example.fr", "550 5.7.1 Blocked")
    message = reload(queue_test_message())
    assert message.status == Status.FAILED

    smtp.refusals.clear()
    assert outbound_message_requeue(actor=operator, message=message) is True
    assert outbound_message_requeue(actor=operator, message=reload(message)) is False

    message = reload(message)
    assert message.status == Status.SENT
    assert message.attempts == 1  # a fresh series of attempts
    assert len(smtp.messages) == 1
    event = AuditEvent.objects.get(action="outbound_message.requeue")
    assert event.actor == operator
    assert event.data["message"] == message.pk
