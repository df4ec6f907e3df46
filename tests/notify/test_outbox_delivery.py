"""A message queued by a committed transaction reaches a real SMTP server once, in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from preau.directory.models import Account
from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue
from tests.notify.smtp import SmtpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

VERIFY_URL = "https://ent.example.fr/verifier/abc123"


def queue_verification(to: str = "zoe.martin@example.fr", **kwargs: object) -> OutboundMessage:
    return message_queue(
        channel="email",
        to=to,
        template="email_verification",
        context={"url": VERIFY_URL, "valid_for": timedelta(hours=24), "first_name": "Zoé"},
        **kwargs,  # type: ignore[arg-type]
    )


def test_message_queued_in_a_committed_transaction_arrives_once_in_french(
    smtp: SmtpServer,
) -> None:
    account = Account.objects.create_user("zoe.martin", last_name="Martin", first_name="Zoé")
    with transaction.atomic():
        message = queue_verification(account=account)
        # Nothing leaves before the commit.
        assert smtp.messages == []

    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "zoe.martin@example.fr"
    # Django folds a long encoded subject onto a continuation line; readers strip the fold.
    assert mail["Subject"].strip() == "Confirmez votre adresse électronique – Préau"
    assert mail["Message-ID"].startswith(f"<preau.{message.pk}.")
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    text_content = text.get_content()
    html_content = html.get_content()
    assert "Bonjour Zoé," in text_content
    assert VERIFY_URL in text_content
    assert "Ce lien est valable 24 heures." in text_content
    assert '<html lang="fr">' in html_content
    assert f'href="{VERIFY_URL}"' in html_content
    assert "Confirmer mon adresse électronique" in html_content

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.account == account


def test_sent_message_no_longer_stores_its_bodies(smtp: SmtpServer) -> None:
    message = queue_verification()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    # The link is a live secret: once delivered, the outbox forgets it.
    assert VERIFY_URL not in message.body_text + message.body_html
    assert message.subject  # what was sent stays visible to operators


def test_rolled_back_transaction_queues_and_sends_nothing(smtp: SmtpServer) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        queue_verification()
        raise Abort

    assert OutboundMessage.objects.count() == 0
    assert smtp.messages == []


def test_same_idempotency_key_queues_and_sends_one_message(smtp: SmtpServer) -> None:
    first = queue_verification(idempotency_key="verify:42:1")
    second = queue_verification(idempotency_key="verify:42:1")

    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1
    assert len(smtp.messages) == 1


def test_address_domain_is_lower_cased_and_a_bad_address_is_refused(smtp: SmtpServer) -> None:
    message = queue_verification(to="  Zoe.Martin@Example.FR ")
    assert message.recipient == "Zoe.Martin@example.fr"

    with pytest.raises(ValidationError):
        queue_verification(to="zoe.martin@")
    with pytest.raises(ValidationError):
        queue_verification(to="a@b.fr\nBcc: victim@example.org")
    assert OutboundMessage.objects.count() == 1


def test_test_message_template_renders_and_is_delivered(smtp: SmtpServer) -> None:
    message_queue(channel="email", to="ops@example.fr", template="test_message", context={})

    [mail] = smtp.messages
    assert mail["Subject"].strip() == "Message d'essai – Préau"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert "peut envoyer des courriels à cette adresse" in body.get_content()
