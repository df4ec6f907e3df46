"""The recipe other apps' tests use: immediate tasks + captured on-commit callbacks deliver to
Django's test outbox (``mail.outbox``), without an SMTP server or a committed transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_message_reaches_mail_outbox_once_the_on_commit_callbacks_run(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message_queue(
            channel="email",
            to="parent@example.fr",
            template="email_verification",
            context={"url": "https://ent.example.fr/v/xyz", "valid_for": timedelta(hours=48)},
        )
        assert mail.outbox == []

    [sent] = mail.outbox
    assert sent.to == ["parent@example.fr"]
    assert "https://ent.example.fr/v/xyz" in sent.body
    assert "Ce lien est valable 2 jours." in sent.body
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT
