"""Without a verified channel, only someone who proves the account (identifier + birth date,
throttled) learns it, and may ask the school for new codes."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.recovery.models import HelpRequest
from tests.recovery.conftest import member

pytestmark = pytest.mark.django_db


def prove(client: Client, identifier: str, birth_date: str, **extra: Any) -> Any:
    return client.post("/aide/", {"identifier": identifier, "birth_date": birth_date}, **extra)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_the_owner_without_a_verified_channel_is_told_so_and_asks_for_help(
    client: Client, unreachable: Account, establishment: Establishment
) -> None:
    response = prove(client, "Ines.Moreau", "05/01/2012")
    assert response.status_code == 302
    assert response["Location"] == "/aide/votre-compte"
    page = client.get("/aide/votre-compte")
    body = text(page)
    assert "Votre compte n'a ni adresse électronique ni numéro de mobile confirmés" in body
    assert "Votre établissement peut vous aider" in body
    assert 'name="school_class"' in body  # a pupil gives a class
    assert 'name="children"' not in body

    sent = client.post(
        "/aide/votre-compte",
        {
            "action": "help",
            "last_name": "Moreau",
            "first_name": "Inès",
            "school_class": "6C",
            "establishment": establishment.pk,
            "delivery": "paper",
        },
    )
    assert sent.status_code == 302
    assert sent["Location"] == "/aide/envoyee"
    confirmation = text(client.get("/aide/envoyee"))
    assert "Votre demande a été transmise à Lycée Louis-le-Grand." in confirmation
    assert "sur papier" in confirmation
    request = HelpRequest.objects.get()
    assert request.account == unreachable
    assert request.login == "ines.moreau"
    assert (request.first_name, request.school_class) == ("Inès", "6C")
    assert request.status == HelpRequest.Status.NEW
    assert request.delivery == HelpRequest.Delivery.PAPER
    assert AuditEvent.objects.filter(
        action="help_request.create", target=unreachable, establishment=establishment
    ).exists()


def test_a_guardian_proves_with_a_childs_birth_date_and_names_the_children(
    client: Client, parent: Account, establishment: Establishment
) -> None:
    assert parent.birth_date is None
    response = prove(client, "marc.bernard", "14/07/2011")
    assert response.status_code == 302
    page = text(client.get("/aide/votre-compte"))
    assert 'name="children"' in page
    assert 'name="school_class"' not in page
    missing = client.post(
        "/aide/votre-compte",
        {
            "action": "help",
            "last_name": "Bernard",
            "first_name": "Marc",
            "establishment": establishment.pk,
            "delivery": "email",
        },
    )
    assert missing.status_code == 400
    body = text(missing)
    assert "Indiquez le nom, le prénom et la classe de vos enfants" in body
    assert "Indiquez l'adresse électronique où recevoir vos codes" in body
    ok = client.post(
        "/aide/votre-compte",
        {
            "action": "help",
            "last_name": "Bernard",
            "first_name": "Marc",
            "children": "BERNARD Léa 4B",
            "establishment": establishment.pk,
            "delivery": "email",
            "email": "marc@example.fr",
        },
    )
    assert ok.status_code == 302
    request = HelpRequest.objects.get()
    assert request.children == "BERNARD Léa 4B"
    assert request.email == "marc@example.fr"


def test_the_owner_with_verified_channels_sees_them_masked_and_can_ask_again(
    client: Client, captured: Any, parent: Account
) -> None:
    prove(client, "marc.bernard", "14/07/2011")
    body = text(client.get("/aide/votre-compte"))
    assert "l'adresse électronique f…@example.fr" in body
    assert "le numéro de mobile 06 •• •• •• 78" in body
    assert "famille.bernard@" not in body and "12 34 56" not in body
    response = captured(client.post, "/aide/votre-compte", {"action": "resend"})
    assert response["Location"] == "/mot-de-passe-oublie/envoye"
    assert len(mail.outbox) == 1


def test_a_deactivated_owner_reads_to_contact_the_school(
    client: Client, unreachable: Account
) -> None:
    Account.objects.filter(pk=unreachable.pk).update(state=Account.State.DEACTIVATED)
    prove(client, "ines.moreau", "05/01/2012")
    body = text(client.get("/aide/votre-compte"))
    assert "Votre compte est désactivé : contactez votre établissement." in body
    assert 'name="action" value="help"' in body


@pytest.mark.parametrize(
    ("identifier", "birth_date"),
    [
        ("ines.moreau", "06/01/2012"),  # wrong date
        ("nobody.here", "05/01/2012"),  # unknown identifier
        ("lea.bernard", "05/01/2012"),  # someone else's date
    ],
)
def test_a_failed_proof_answers_the_same_whoever_exists(
    client: Client, unreachable: Account, pupil: Account, identifier: str, birth_date: str
) -> None:
    response = prove(client, identifier, birth_date)
    assert response.status_code == 401
    body = text(response)
    assert "L'identifiant et la date de naissance ne correspondent pas." in body
    assert client.get("/aide/votre-compte")["Location"] == "/aide/"
    masked = body.replace(identifier, "TYPED")
    reference = text(prove(Client(), "someone.else", birth_date)).replace("someone.else", "TYPED")
    assert _without_token(masked) == _without_token(reference)


def _without_token(page: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("", "Saisissez la date de naissance, au format JJ/MM/AAAA."),
        ("31/02/2012", "Cette date n'existe pas"),
        ("2012", "Saisissez la date au format JJ/MM/AAAA"),
        ("01/01/2999", "Cette date est dans le futur"),
    ],
)
def test_a_bad_date_says_what_to_type(client: Client, birth_date: str, message: str) -> None:
    response = prove(client, "ines.moreau", birth_date)
    assert response.status_code == 400
    assert message in text(response)


def test_proofs_of_one_identifier_are_throttled_then_the_right_date_works_again(
    unreachable: Account,
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        statuses = [
            prove(Client(REMOTE_ADDR=f"10.2.0.{i}"), "ines.moreau", "01/01/2012").status_code
            for i in range(3)
        ]
        assert statuses == [401, 401, 401]
        refused = prove(Client(), "ines.moreau", "05/01/2012")
        assert refused.status_code == 429
        assert "Trop de tentatives" in text(refused)
        traveller.shift(timedelta(seconds=2))
        assert prove(Client(), "ines.moreau", "05/01/2012").status_code == 302


def test_an_unknown_identifier_is_throttled_like_a_known_one() -> None:
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [prove(Client(), "nobody.here", "01/01/2012").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_proofs_from_one_address_are_throttled(unreachable: Account, preau_options: Any) -> None:
    preau_options(
        THROTTLES={"recovery.proof.address": {"limit": 2, "window": 900, "max_delay": 120}}
    )
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [prove(client, f"someone.{i}", "01/01/2012").status_code for i in range(3)]
    assert statuses == [401, 401, 429]


def test_the_proof_lasts_thirty_minutes(client: Client, unreachable: Account) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        prove(client, "ines.moreau", "05/01/2012")
        traveller.shift(timedelta(minutes=30))
        assert client.get("/aide/votre-compte").status_code == 200
        traveller.shift(timedelta(seconds=1))
        assert client.get("/aide/votre-compte")["Location"] == "/aide/"


def test_a_second_request_updates_the_open_one(
    client: Client, unreachable: Account, establishment: Establishment
) -> None:
    prove(client, "ines.moreau", "05/01/2012")
    data = {
        "action": "help",
        "last_name": "Moreau",
        "first_name": "Inès",
        "school_class": "6C",
        "establishment": establishment.pk,
        "delivery": "paper",
    }
    client.post("/aide/votre-compte", data)
    client.post("/aide/votre-compte", {**data, "school_class": "6D"})
    assert HelpRequest.objects.get().school_class == "6D"
    assert AuditEvent.objects.filter(action="help_request.update").count() == 1


def test_the_request_goes_to_one_of_the_persons_establishments_only(
    client: Client, unreachable: Account, establishment: Establishment, other_school: Establishment
) -> None:
    prove(client, "ines.moreau", "05/01/2012")
    response = client.post(
        "/aide/votre-compte",
        {
            "action": "help",
            "last_name": "Moreau",
            "first_name": "Inès",
            "establishment": other_school.pk,
            "delivery": "paper",
        },
    )
    assert response.status_code == 400
    assert not HelpRequest.objects.exists()


def test_a_person_of_two_schools_chooses_which_one(
    client: Client, unreachable: Account, establishment: Establishment, other_school: Establishment
) -> None:
    member(unreachable, other_school, Membership.Profile.STUDENT)
    prove(client, "ines.moreau", "05/01/2012")
    page = text(client.get("/aide/votre-compte"))
    assert "Lycée du Parc" in page and "Lycée Louis-le-Grand" in page
    client.post(
        "/aide/votre-compte",
        {
            "action": "help",
            "last_name": "Moreau",
            "first_name": "Inès",
            "establishment": other_school.pk,
            "delivery": "paper",
        },
    )
    assert HelpRequest.objects.get().establishment == other_school
