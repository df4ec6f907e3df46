"""Operators see the outbox in the admin and send failed messages again; the worker's sweeper
thread delivers what a lost task left behind."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account
from preau.notify.management.commands.worker import Sweeper
from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue
from tests.notify.conftest import DUMMY, IMMEDIATE
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

Status = OutboundMessage.Status


@pytest.mark.usefixtures("immediate_tasks")
def test_operator_lists_failures_with_their_cause_and_sends_them_again(
    smtp: SmtpServer, client: Client
) -> None:
    operator = Account.objects.create_superuser("ops", password="x", last_name="O", first_name="P")
    client.force_login(operator)
    smtp.refuse("parent@example.fr", "550 5.1.1 Unknown user")
    message = message_queue(
        channel="email", to="parent@example.fr", template="test_message", context={}
    )

    page = client.get("/operateur/notify/outboundmessage/?status__exact=failed")
    assert page.status_code == 200
    assert "parent@example.fr" in page.content.decode()
    detail = client.get(f"/operateur/notify/outboundmessage/{message.pk}/change/")
    assert "550 5.1.1 Unknown user" in detail.content.decode()

    smtp.refusals.clear()
    response = client.post(
        "/operateur/notify/outboundmessage/",
        {"action": "requeue", "_selected_action": [message.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 message remis en file d&#x27;attente." in response.content.decode()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.messages) == 1


def test_sweeper_thread_delivers_a_message_whose_task_was_lost(
    smtp: SmtpServer, settings: Any, preau_options: Any
) -> None:
    settings.TASKS = DUMMY
    message = message_queue(
        channel="email", to="prof@example.fr", template="test_message", context={}
    )
    settings.TASKS = IMMEDIATE
    preau_options(NOTIFY_SWEEP_GRACE_SECONDS=0)
    OutboundMessage.objects.filter(pk=message.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=1)
    )

    sweeper = Sweeper(interval=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweeper.stop()
        sweeper.join(timeout=10)

    assert len(smtp.messages) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
