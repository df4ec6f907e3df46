"""CONFIRM_BIRTH_DATE: what people type, wrong answers, and the growing delays per account and
per address, capped (the limit of wrong answers per journey: test_birth_date_limit.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from preau.activation.forms import parse_birth_date
from preau.activation.models import ActivationJourney
from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from tests.activation.conftest import STUDENT_CODE, member, pending, post, sign_in

pytestmark = pytest.mark.django_db

URL = "/premiere-connexion/date-de-naissance"


@pytest.mark.parametrize(
    "typed",
    ["14/07/2011", "14-07-2011", "14.07.2011", "14 07 2011", "14/7/2011", "14072011", "2011-07-14"],
)
def test_the_usual_ways_of_writing_a_date_are_read(typed: str) -> None:
    assert parse_birth_date(typed) == dt.date(2011, 7, 14)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("14 juillet", "Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."),
        ("14/07/11", "Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."),
        ("31/02/2011", "Cette date n'existe pas (il n'y a pas de 31/02/2011)"),
        ("14/13/2011", "Le mois doit être compris entre 01 et 12"),
        ("14/07/2999", "Cette date est dans le futur : vérifiez l'année."),
        ("14/07/0211", "Vérifiez l'année : elle doit comporter quatre chiffres"),
    ],
)
def test_each_bad_date_gets_a_precise_message(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_birth_date(typed)
    assert caught.value.messages[0].startswith(message)


@pytest.fixture
def at_birth_date_step(client: Client, student: Account, preau_options: Any) -> Client:
    preau_options(REQUIRED_ACTIONS={"eleve": ["CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"]})
    sign_in(client, "lea.bernard", STUDENT_CODE)
    return client


def test_a_badly_written_date_is_refused_and_kept_without_counting_as_a_guess(
    at_birth_date_step: Client,
) -> None:
    for _ in range(6):
        page = post(at_birth_date_step, URL, {"birth_date": "31/02/2011"})
        assert page.status == 400
    assert "Cette date n&#x27;existe pas" in page.html
    assert 'value="31/02/2011"' in page.html
    assert not AuditEvent.objects.filter(action="activation.birth_date.failure").exists()
    assert post(at_birth_date_step, URL, {"birth_date": "14/07/2011"}).url == (
        "/premiere-connexion/coordonnees"
    )


def test_an_empty_answer_says_what_to_type(at_birth_date_step: Client) -> None:
    page = post(at_birth_date_step, URL, {"birth_date": ""})
    assert "Saisissez la date de naissance, au format JJ/MM/AAAA." in page.html


def test_wrong_answers_are_audited_then_delayed_with_growing_waits_per_account(
    at_birth_date_step: Client, student: Account
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):  # the free tries
            page = post(at_birth_date_step, URL, {"birth_date": "01/01/2011"})
            assert page.status == 400
            assert "Cette date ne correspond pas à celle que votre établissement connaît" in (
                page.html
            )
        page = post(at_birth_date_step, URL, {"birth_date": "14/07/2011"})
        assert page.status == 429
        assert "Trop de tentatives\u00a0: réessayez dans 2 secondes." in page.html
        traveller.shift(3)
        post(at_birth_date_step, URL, {"birth_date": "01/01/2011"})  # 4th wrong: 4 s
        page = post(at_birth_date_step, URL, {"birth_date": "14/07/2011"})
        assert "réessayez dans 4 secondes" in page.html
        traveller.shift(5)
        # The owner is never locked out for good: once the wait is over, the right date works.
        assert post(at_birth_date_step, URL, {"birth_date": "14/07/2011"}).url == (
            "/premiere-connexion/coordonnees"
        )
    assert AuditEvent.objects.filter(action="activation.birth_date.failure").count() == 4
    assert ActivationJourney.objects.get(account=student).birth_date_confirmed_at is not None


def test_the_wait_between_wrong_answers_is_capped(
    at_birth_date_step: Client, preau_options: Any
) -> None:
    # The delays alone, without the limit of wrong answers per journey that blocks the step.
    preau_options(BIRTH_DATE_MAX_FAILURES=100)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(30):
            post(at_birth_date_step, URL, {"birth_date": "01/01/2011"})
            traveller.shift(601)
        post(at_birth_date_step, URL, {"birth_date": "01/01/2011"})
        page = post(at_birth_date_step, URL, {"birth_date": "14/07/2011"})
        assert "réessayez dans 10 minutes" in page.html
        traveller.shift(601)
        assert post(at_birth_date_step, URL, {"birth_date": "14/07/2011"}).url == (
            "/premiere-connexion/coordonnees"
        )


def test_guesses_from_one_address_are_throttled_across_accounts(
    establishment: Establishment, preau_options: Any
) -> None:
    preau_options(
        REQUIRED_ACTIONS={"eleve": ["CONFIRM_BIRTH_DATE"]},
        THROTTLES={
            "activation.birth_date.account": {"limit": 3, "window": 3600, "max_delay": 600},
            "activation.birth_date.address": {"limit": 4, "window": 900, "max_delay": 60},
        },
    )
    clients = []
    for n in range(3):
        account = pending(f"eleve.{n}", "AAAA3333", birth_date=dt.date(2011, 1, n + 1))
        member(account, establishment, Membership.Profile.STUDENT)
        client = Client(REMOTE_ADDR="10.9.8.7")
        sign_in(client, f"eleve.{n}", "AAAA3333")
        clients.append(client)
    with time_machine.travel(timezone.now(), tick=False):
        for client in clients[:2]:
            post(client, URL, {"birth_date": "01/06/2011"})
            post(client, URL, {"birth_date": "01/06/2011"})
        # Two wrong answers per account, four from the address: the third pupil must wait.
        page = post(clients[2], URL, {"birth_date": "03/01/2011"})
        assert page.status == 429
        other_address = Client(REMOTE_ADDR="10.1.1.1")
        sign_in(other_address, "eleve.2", "AAAA3333")
        page = post(other_address, URL, {"birth_date": "03/01/2011"})
        assert page.url == "/premiere-connexion/termine"


def test_a_double_submission_of_the_right_date_confirms_once(
    at_birth_date_step: Client, student: Account
) -> None:
    post(at_birth_date_step, URL, {"birth_date": "14/07/2011"})
    page = post(at_birth_date_step, URL, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
    assert AuditEvent.objects.filter(action="activation.birth_date.confirm").count() == 1


def test_a_student_without_a_known_birth_date_skips_the_step(
    client: Client, establishment: Establishment, preau_options: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"eleve": ["CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"]})
    account = pending("sans.date", "AAAA3333")
    member(account, establishment, Membership.Profile.STUDENT)
    sign_in(client, "sans.date", "AAAA3333")
    assert client.get(URL)["Location"] == "/premiere-connexion/"
    assert client.get("/premiere-connexion/")["Location"] == "/premiere-connexion/coordonnees"
