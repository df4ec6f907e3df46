"""After the activation deadline, the owner of the letter (who alone holds its code) is told that
the account was not activated in time, since when, and what to do; anybody else still reads
"incorrect". On /connexion and on /cas/login alike."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account
from preau.lifecycle.services import accounts_deactivate_past_deadline
from tests.signin.conftest import (
    CODE,
    LOGIN_URL,
    PASSWORD,
    Argon2Spy,
    masked,
    parse_form,
    parse_page,
    sign_in,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DEADLINE = dt.datetime(2026, 12, 1, 18, 0, tzinfo=PARIS)
LATER = dt.datetime(2027, 1, 15, 9, 0, tzinfo=PARIS)
TOO_LATE = "Votre compte n'a pas été activé à temps"
INCORRECT = "Identifiant ou mot de passe incorrect."


def error_of(response: Any) -> str:
    page = parse_page(response.content.decode())
    return html.unescape(page.ids.get("signin-error", "")).replace("\u00a0", " ")


@pytest.fixture
def late(db: Any) -> Account:
    """A pupil who never used the letter before its deadline."""
    with time_machine.travel(DEADLINE - dt.timedelta(days=92), tick=False):
        return Account.objects.create_user(
            "lea.bernard",
            last_name="Bernard",
            first_name="Léa",
            activation_code_digest=activation_code_digest(CODE),
            activation_expires_at=DEADLINE,
        )


@pytest.fixture
def deactivated_by_the_rule(late: Account) -> Account:
    with time_machine.travel(DEADLINE + dt.timedelta(days=1), tick=False):
        accounts_deactivate_past_deadline()
    late.refresh_from_db()
    assert late.state == Account.State.DEACTIVATED
    return late


def assert_told_too_late(response: Any, client: Client) -> None:
    assert response.status_code == 401
    error = error_of(response)
    assert TOO_LATE in error
    assert "depuis le 01/12/2026" in error
    assert "secrétariat de votre établissement" in error
    assert INCORRECT not in error
    # A link to ask the school for help (identifier + birth date, then a request).
    assert f'href="{reverse("recovery:proof")}"' in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("state", ["provisioned", "deactivated"])
def test_the_right_code_after_the_deadline_says_it_was_not_activated_in_time(
    request: Any, argon2_spy: Argon2Spy, state: str
) -> None:
    request.getfixturevalue("late" if state == "provisioned" else "deactivated_by_the_rule")
    client = Client()
    with time_machine.travel(LATER, tick=False):
        client.get(LOGIN_URL)
        before = argon2_spy.total
        response = sign_in(client, "lea.bernard", "k7mq-4xha")  # as typed from the letter
        assert argon2_spy.total - before == 1  # the same cost as any failure
    assert_told_too_late(response, client)


@pytest.mark.parametrize("state", ["provisioned", "deactivated"])
def test_a_wrong_code_after_the_deadline_reads_incorrect_like_an_unknown_identifier(
    request: Any, state: str
) -> None:
    request.getfixturevalue("late" if state == "provisioned" else "deactivated_by_the_rule")
    with time_machine.travel(LATER, tick=False):
        response = Client().post(LOGIN_URL, {"username": "lea.bernard", "password": "AAAA3333"})
        reference = Client().post(LOGIN_URL, {"username": "zz.nobody", "password": "AAAA3333"})
    assert response.status_code == reference.status_code == 401
    assert INCORRECT in error_of(response)
    assert "activé à temps" not in response.content.decode()
    assert masked(response.content.decode(), "lea.bernard") == masked(
        reference.content.decode(), "zz.nobody"
    )


def test_a_password_chosen_before_the_deadline_tells_the_same_once_deactivated(
    late: Account,
) -> None:
    """Someone who set a password but never finished the first connection."""
    late.set_password(PASSWORD)
    late.activation_code_digest = ""
    late.save()
    with time_machine.travel(DEADLINE + dt.timedelta(days=1), tick=False):
        accounts_deactivate_past_deadline()
    client = Client()
    with time_machine.travel(LATER, tick=False):
        response = sign_in(client, "lea.bernard", PASSWORD)
    assert_told_too_late(response, client)


def test_the_right_password_of_a_deactivated_account_says_to_contact_the_school(
    deactivated_account: Account,
) -> None:
    client = Client()
    response = sign_in(client, "paul.durand", PASSWORD)
    assert response.status_code == 401
    error = error_of(response)
    assert "Votre compte est désactivé : contactez votre établissement." in error
    assert TOO_LATE not in error
    assert f'href="{reverse("recovery:proof")}"' in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_cas_login_page_tells_the_same_and_keeps_its_form(
    deactivated_by_the_rule: Account,
) -> None:
    client = Client()
    with time_machine.travel(LATER, tick=False):
        page = client.get("/cas/login")
        data = parse_form(page.content.decode()).inputs_by_name()
        data.update({"username": "lea.bernard", "password": CODE})
        response = client.post("/cas/login", data)
        form = parse_form(response.content.decode())  # the form is drawn again
        assert {"username", "password", "lt"} <= set(form.inputs_by_name())
        assert_told_too_late(response, client)
        data = parse_form(client.get("/cas/login").content.decode()).inputs_by_name()
        data.update({"username": "lea.bernard", "password": "AAAA3333"})
        wrong = client.post("/cas/login", data)
    assert INCORRECT in error_of(wrong)
    assert TOO_LATE not in error_of(wrong)
