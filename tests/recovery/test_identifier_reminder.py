"""Forgotten identifier: the identifiers go to the verified address or number that was typed,
narrowed by a first name when several accounts share it; the answer is the same whatever
exists, and each contact receives only so many reminders."""

from __future__ import annotations

import html
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.recovery.models import RecoveryRequest
from tests.notify.sms_gateway import SmsGateway
from tests.recovery.conftest import mails_to

pytestmark = pytest.mark.django_db

ADDRESS = "famille.bernard@example.fr"


def ask(client: Client, captured: Any, contact: str, first_name: str = "") -> Any:
    return captured(
        client.post, "/identifiant-oublie/", {"contact": contact, "first_name": first_name}
    )


def test_every_identifier_using_the_address_is_sent_there(
    client: Client, captured: Any, pupil: Account, parent: Account
) -> None:
    response = ask(client, captured, "Famille.Bernard@Example.FR".replace("Famille", "famille"))
    assert response.status_code == 302
    assert response["Location"] == "/identifiant-oublie/envoye"
    [message] = mails_to(ADDRESS)
    assert message.subject == "Votre identifiant – Préau"
    assert "Voici les identifiants des comptes Préau qui utilisent cette adresse" in message.body
    assert "- Léa Bernard (Lycée Louis-le-Grand) : lea.bernard" in message.body
    assert "- Marc Bernard (Lycée Louis-le-Grand) : marc.bernard" in message.body
    assert "http://127.0.0.1:8000/connexion" in message.body
    assert AuditEvent.objects.filter(action="recovery.identifier.send").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Vérifiez vos messages" in page


def test_a_first_name_narrows_to_one_account_whatever_its_accents_or_case(
    client: Client, captured: Any, pupil: Account, parent: Account
) -> None:
    ask(client, captured, ADDRESS, first_name=" LEA ")
    [message] = mails_to(ADDRESS)
    assert "Voici l'identifiant du compte Préau qui utilise cette adresse" in message.body
    assert "lea.bernard" in message.body
    assert "marc.bernard" not in message.body


def test_a_first_name_matching_no_one_sends_nothing(
    client: Client, captured: Any, pupil: Account, parent: Account
) -> None:
    response = ask(client, captured, ADDRESS, first_name="Zoé")
    assert response.status_code == 302
    assert mail.outbox == []


def test_by_mobile_one_sms_per_identifier(
    client: Client, captured: Any, parent: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured, "06 12 34 56 78")
    assert sms_gateway.texts_to("+33612345678") == [
        "Préau : identifiant demandé : marc.bernard. Si vous n'avez rien demandé, ignorez ce "
        "message."
    ]


@pytest.mark.parametrize("contact", ["inconnu@example.fr", "ines@example.fr", "07 81 23 45 67"])
def test_nothing_goes_to_an_unknown_or_unverified_contact_and_the_answer_is_the_same(
    captured: Any, pupil: Account, unreachable: Account, sms_gateway: SmsGateway, contact: str
) -> None:
    client = Client()
    response = ask(client, captured, contact)
    assert response.status_code == 302
    assert mail.outbox == []
    assert sms_gateway.requests == []
    page = client.get("/identifiant-oublie/envoye").content.decode()
    reference = Client()
    ask(reference, captured, ADDRESS)
    reference_page = reference.get("/identifiant-oublie/envoye").content.decode()
    assert page.replace(html.escape(contact), "TYPED") == reference_page.replace(
        html.escape(ADDRESS), "TYPED"
    )


def test_a_deactivated_account_is_not_recalled(
    client: Client, captured: Any, pupil: Account
) -> None:
    Account.objects.filter(pk=pupil.pk).update(state=Account.State.DEACTIVATED)
    ask(client, captured, ADDRESS)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ("", "Saisissez votre adresse électronique ou votre numéro de mobile."),
        ("lea.bernard", "Saisissez une adresse électronique"),
        ("jean@@example", "Cette adresse électronique n'est pas valide"),
        ("01 23", "Saisissez une adresse électronique"),
        ("06 12 34 56", "Ce numéro de téléphone n'est pas valide"),
    ],
)
def test_bad_input_says_what_to_type(client: Client, contact: str, message: str) -> None:
    response = client.post("/identifiant-oublie/", {"contact": contact})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not RecoveryRequest.objects.exists()


def test_reminders_to_one_contact_stop_past_the_contact_throttle(
    captured: Any, pupil: Account
) -> None:
    # Each request comes from elsewhere with another spelling: the per-query and per-address
    # throttles do not hold, the per-contact one does (3 messages, then growing delays).
    spellings = [ADDRESS, "Famille.bernard@example.fr", "FAMILLE.BERNARD@example.fr", ADDRESS]
    with time_machine.travel(timezone.now(), tick=False):
        answers = [
            ask(Client(REMOTE_ADDR=f"10.1.0.{i}"), captured, spelling).status_code
            for i, spelling in enumerate(spellings)
        ]
    assert answers == [302, 302, 302, 302]  # the page cannot tell
    assert len(mails_to(ADDRESS)) == 3
    outcomes = list(RecoveryRequest.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["sent", "sent", "sent", "throttled"]
    assert AuditEvent.objects.filter(action="recovery.contact.throttled").count() == 1
