"""Signing in: success, the one answer for every failure, session rotation, a safe ``next``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.signin.conftest import (
    CODE,
    LOGIN_URL,
    PASSWORD,
    Argon2Spy,
    masked,
    parse_form,
    sign_in,
)

pytestmark = pytest.mark.django_db


def test_a_right_password_opens_a_session_and_goes_home(
    client: Client, active_account: Account
) -> None:
    response = sign_in(client, "claire.martin", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(active_account.pk)
    assert client.session["preau_auth_method"] == "password"
    assert client.get("/").status_code == 200


def test_the_identifier_is_read_without_case_or_surrounding_spaces(
    client: Client, active_account: Account
) -> None:
    assert sign_in(client, "  CLAIRE.Martin ", PASSWORD).status_code == 302


def test_signing_in_rotates_the_session_key_and_keeps_its_data(
    client: Client, active_account: Account
) -> None:
    session = client.session
    session["cart"] = "kept"
    session.save()
    before = session.session_key
    sign_in(client, "claire.martin", PASSWORD)
    assert client.cookies["preau_session"].value != before
    assert client.session["cart"] == "kept"


def test_signing_in_again_as_the_same_person_rotates_the_key_too(
    client: Client, active_account: Account
) -> None:
    sign_in(client, "claire.martin", PASSWORD)
    first = client.cookies["preau_session"].value
    sign_in(client, "claire.martin", PASSWORD)
    assert client.cookies["preau_session"].value != first
    assert client.session[SESSION_KEY] == str(active_account.pk)


def test_the_stolen_anonymous_key_is_worthless_after_sign_in(
    client: Client, active_account: Account
) -> None:
    session = client.session
    session["x"] = 1
    session.save()
    fixed = session.session_key
    sign_in(client, "claire.martin", PASSWORD)
    attacker = Client()
    attacker.cookies["preau_session"] = fixed
    assert attacker.get("/").status_code == 302  # sent to the sign-in page


@pytest.mark.parametrize(
    "target",
    ["/console/", "/console/?page=2", "/connexion?x=1"],
)
def test_next_on_this_site_is_followed(
    client: Client, active_account: Account, target: str
) -> None:
    client.get(LOGIN_URL, {"next": target})
    response = client.post(
        f"{LOGIN_URL}?next={target}",
        {"username": "claire.martin", "password": PASSWORD},
    )
    assert response["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example",
        "http://evil.example/connexion",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https:evil.example",
        "///evil.example",
    ],
)
def test_next_elsewhere_is_replaced_by_home(
    client: Client, active_account: Account, target: str
) -> None:
    response = client.post(
        LOGIN_URL, {"username": "claire.martin", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    # Nor is it written back into the form.
    page = client.get(LOGIN_URL, {"next": target}).content.decode()
    assert parse_form(page).input("next")["value"] == ""


def test_the_form_carries_a_safe_next_along(client: Client) -> None:
    page = client.get(LOGIN_URL, {"next": "/console/"}).content.decode()
    assert parse_form(page).input("next")["value"] == "/console/"


# --- every failure gives the same answer ----------------------------------------------------


def _failure_cases() -> list[str]:
    return [
        "unknown",
        "bad_password",
        "deactivated",
        "deactivated_right_password",
        "bad_code",
        "code_expired",
        "no_password",
    ]


def _prepare(case: str, request: Any) -> tuple[str, str]:
    """Returns (identifier, secret) for the failure ``case``."""
    if case == "code_expired":
        account = request.getfixturevalue("pending_account")
        account.activation_expires_at = timezone.now() - dt.timedelta(seconds=1)
        account.save(update_fields=["activation_expires_at"])
    elif case == "no_password":
        Account.objects.create_user(
            "sans.mdp", last_name="Mdp", first_name="Sans", state=Account.State.ACTIVE
        )
    fixtures = {
        "bad_password": "active_account",
        "deactivated": "deactivated_account",
        "deactivated_right_password": "deactivated_account",
        "bad_code": "pending_account",
    }
    if case in fixtures:
        request.getfixturevalue(fixtures[case])
    return {
        "unknown": ("nobody.here", PASSWORD),
        "bad_password": ("claire.martin", "not-the-password"),
        "deactivated": ("paul.durand", "not-the-password"),
        "deactivated_right_password": ("paul.durand", PASSWORD),
        "bad_code": ("lea.bernard", "AAAAAAAA"),
        "code_expired": ("lea.bernard", CODE),
        "no_password": ("sans.mdp", PASSWORD),
    }[case]


# Whoever types the right secret is told why: a deactivated account
# (tests/activation/test_csrf_and_deactivated.py), a code past its deadline
# (tests/signin/test_activation_deadline.py). Nobody else learns anything.
_TOLD_TO_THE_OWNER = ("deactivated_right_password", "code_expired")


@pytest.mark.parametrize("case", [c for c in _failure_cases() if c not in _TOLD_TO_THE_OWNER])
def test_every_failure_answers_the_same_at_the_cost_of_one_argon2_hash(
    client: Client, request: Any, argon2_spy: Argon2Spy, case: str
) -> None:
    identifier, secret = _prepare(case, request)
    client.get(LOGIN_URL)
    before = argon2_spy.total
    response = client.post(LOGIN_URL, {"username": identifier, "password": secret})
    assert argon2_spy.total - before == 1
    assert response.status_code == 401
    assert SESSION_KEY not in client.session

    # The reference answer: an unknown identifier.
    other = Client()
    other.get(LOGIN_URL)
    reference = other.post(LOGIN_URL, {"username": "zz.nobody", "password": "x"})
    assert reference.status_code == 401
    assert masked(response.content.decode(), identifier) == masked(
        reference.content.decode(), "zz.nobody"
    )
    varying = {"Set-Cookie", "Expires", "Content-Length"}  # cookies, clock, typed name
    assert {k: v for k, v in response.items() if k not in varying} == {
        k: v for k, v in reference.items() if k not in varying
    }
    assert set(response.headers) == set(reference.headers)


@pytest.mark.parametrize("case", _failure_cases())
def test_every_failure_is_audited_with_its_reason(client: Client, request: Any, case: str) -> None:
    identifier, secret = _prepare(case, request)
    client.post(LOGIN_URL, {"username": identifier, "password": secret}, REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="signin.failure")
    expected_reason = "deactivated" if case.startswith("deactivated") else case
    assert event.data["reason"] == expected_reason
    assert event.ip == "10.1.2.3"
    if case == "unknown":
        assert event.target is None
        assert event.data["identifier"] == "nobody.here"
    else:
        assert event.target is not None
        assert event.target.login == identifier
        assert "identifier" not in event.data
    if case.startswith("deactivated"):
        assert event.data["secret_correct"] is (case == "deactivated_right_password")
    assert secret not in str(event.data)


def test_a_deactivated_account_with_its_right_password_gets_no_session(
    client: Client, deactivated_account: Account
) -> None:
    response = sign_in(client, "paul.durand", PASSWORD)
    assert response.status_code == 401
    assert SESSION_KEY not in client.session


# --- activation codes -----------------------------------------------------------------------


def test_a_pending_account_signs_in_with_its_activation_code(
    client: Client, pending_account: Account
) -> None:
    response = sign_in(client, "lea.bernard", "k7mq-4xha")  # as read from the letter
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(pending_account.pk)
    assert client.session["preau_auth_method"] == "activation_code"
    event = AuditEvent.objects.get(action="signin.success")
    assert event.target == pending_account
    assert event.data == {"method": "activation_code"}


def test_the_activation_code_stops_working_at_its_deadline(
    client: Client, pending_account: Account
) -> None:
    deadline = pending_account.activation_expires_at
    assert deadline is not None
    with time_machine.travel(deadline - dt.timedelta(minutes=1), tick=False):
        assert sign_in(client, "lea.bernard", CODE).status_code == 302
    client.logout()
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        response = sign_in(Client(), "lea.bernard", CODE)
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="signin.failure").get().data["reason"] == (
        "code_expired"
    )


def test_an_active_account_cannot_use_an_old_activation_code(
    client: Client, pending_account: Account
) -> None:
    pending_account.state = Account.State.ACTIVE
    pending_account.set_password(PASSWORD)
    pending_account.save()
    assert sign_in(client, "lea.bernard", CODE).status_code == 401
    assert sign_in(client, "lea.bernard", PASSWORD).status_code == 302


def test_a_successful_sign_in_is_audited_without_the_password(
    client: Client, active_account: Account
) -> None:
    sign_in(client, "claire.martin", PASSWORD, REMOTE_ADDR="192.0.2.7")
    event = AuditEvent.objects.get(action="signin.success")
    assert event.actor == active_account
    assert event.target == active_account
    assert event.ip == "192.0.2.7"
    assert event.data == {"method": "password"}
    assert all(PASSWORD not in str(e.data) for e in AuditEvent.objects.all())
