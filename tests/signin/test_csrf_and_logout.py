"""The sign-in form needs its CSRF token; signing out is a POST with its token."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.signin.conftest import LOGIN_URL, PASSWORD, parse_form, parse_page, sign_in

pytestmark = pytest.mark.django_db

LOGOUT_URL = "/deconnexion"


@pytest.fixture
def strict_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_sign_in_without_a_csrf_token_is_refused(
    strict_client: Client, active_account: Account
) -> None:
    response = strict_client.post(LOGIN_URL, {"username": "claire.martin", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_KEY not in strict_client.session
    assert not AuditEvent.objects.filter(action__startswith="signin.").exists()


def test_sign_in_with_the_page_token_is_accepted(
    strict_client: Client, active_account: Account
) -> None:
    assert sign_in(strict_client, "claire.martin", PASSWORD).status_code == 302


def test_sign_in_with_a_forged_token_is_refused(
    strict_client: Client, active_account: Account
) -> None:
    strict_client.get(LOGIN_URL)
    response = strict_client.post(
        LOGIN_URL,
        {"username": "claire.martin", "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://evil.example/form"},
    ],
)
def test_https_sign_in_from_another_site_is_refused_even_with_a_token(
    strict_client: Client, active_account: Account, headers: dict[str, str]
) -> None:
    page = strict_client.get(LOGIN_URL, secure=True)
    data = parse_form(page.content.decode()).inputs_by_name()
    data.update({"username": "claire.martin", "password": PASSWORD})
    response = strict_client.post(LOGIN_URL, data, secure=True, **headers)
    assert response.status_code == 403


def test_https_sign_in_from_this_site_is_accepted(
    strict_client: Client, active_account: Account
) -> None:
    page = strict_client.get(LOGIN_URL, secure=True)
    data = parse_form(page.content.decode()).inputs_by_name()
    data.update({"username": "claire.martin", "password": PASSWORD})
    response = strict_client.post(LOGIN_URL, data, secure=True, HTTP_ORIGIN="https://testserver")
    assert response.status_code == 302


def test_get_deconnexion_asks_before_signing_out(
    strict_client: Client, active_account: Account
) -> None:
    sign_in(strict_client, "claire.martin", PASSWORD)
    response = strict_client.get(LOGOUT_URL)
    assert response.status_code == 200
    page = parse_page(response.content.decode())
    confirm = next(f for f in page.forms if f.attrs.get("id") == "signout")
    assert confirm.attrs["method"] == "post"
    assert "csrfmiddlewaretoken" in confirm.inputs_by_name()
    assert strict_client.session[SESSION_KEY] == str(active_account.pk), "GET changes nothing"
    assert not AuditEvent.objects.filter(action="signout").exists()


def test_sign_out_without_a_csrf_token_is_refused(
    strict_client: Client, active_account: Account
) -> None:
    sign_in(strict_client, "claire.martin", PASSWORD)
    assert strict_client.post(LOGOUT_URL).status_code == 403
    assert strict_client.session[SESSION_KEY] == str(active_account.pk)


def test_sign_out_ends_the_session_and_is_audited(
    strict_client: Client, active_account: Account
) -> None:
    sign_in(strict_client, "claire.martin", PASSWORD)
    session_key = strict_client.cookies["preau_session"].value
    page = parse_page(strict_client.get(LOGOUT_URL).content.decode())
    confirm = next(f for f in page.forms if f.attrs.get("id") == "signout")
    response = strict_client.post(LOGOUT_URL, confirm.inputs_by_name(), follow=True)
    assert response.redirect_chain[-1][0] == LOGIN_URL
    assert "Vous êtes déconnecté." in response.content.decode()
    assert SESSION_KEY not in strict_client.session
    event = AuditEvent.objects.get(action="signout")
    assert event.actor == active_account
    assert event.target == active_account
    # The old key no longer opens anything.
    replay = Client()
    replay.cookies["preau_session"] = session_key
    assert replay.get("/").status_code == 302


def test_get_deconnexion_when_signed_out_offers_to_sign_in(client: Client) -> None:
    response = client.get(LOGOUT_URL)
    assert response.status_code == 200
    assert "Vous n’êtes pas connecté." in response.content.decode()
    client.post(LOGOUT_URL)
    assert not AuditEvent.objects.filter(action="signout").exists()
