"""``auth_time`` and ``max_age``: a client learns when the person signed in to the session that
approved its request (not their last sign-in on another device), and one that asks for a
recent sign-in gets it (OpenID Connect Core §2, §3.1.2.1, §12.2)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from oauth2_provider.models import AccessToken, Grant

from preau.directory.models import Account
from preau.lifecycle.services import lifecycle_run
from preau.sso.oidc.models import CodeSignIn, RedeemedCode
from preau.sso.oidc.views import REAUTH_PARAM
from tests.oidc.conftest import (
    PASSWORD,
    RegisteredClient,
    active_account,
    authorize_url,
    code_for,
    exchange,
    pkce,
    query_of,
)
from tests.oidc.test_authorize import consent_form
from tests.oidc.test_claims import id_token_claims
from tests.signin.conftest import parse_form

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 9, 3, 7, 50, tzinfo=dt.UTC)


def _tokens(http: Client, rp: RegisteredClient) -> dict[str, Any]:
    challenge = pkce()
    response = exchange(http, rp, code_for(http, rp, challenge), challenge.verifier)
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


def _sign_in_on(browser: Client, page_url: str) -> Any:
    """Sign in on the page at ``page_url`` (the sign-in page with its ``next``)."""
    page = browser.get(page_url)
    data = dict(parse_form(page.content.decode()).inputs_by_name())
    data.update({"username": "lea.bernard", "password": PASSWORD})
    return browser.post(page_url, data)


def _refresh(http: Client, rp: RegisteredClient, refresh_token: str) -> dict[str, Any]:
    response = http.post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": rp.client_id,
            "client_secret": rp.secret,
        },
    )
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


def test_auth_time_is_this_sessions_sign_in_not_the_last_one_elsewhere(
    rp: RegisteredClient, student: Account
) -> None:
    laptop, phone = Client(), Client()
    with time_machine.travel(T0, tick=False):
        laptop.force_login(student)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        phone.force_login(student)  # the account's last sign-in is now the phone's
    with time_machine.travel(T0 + dt.timedelta(minutes=12), tick=False):
        first = _tokens(laptop, rp)
        from_phone = _tokens(phone, rp)
        assert id_token_claims(first["id_token"])["auth_time"] == int(T0.timestamp())
        assert id_token_claims(from_phone["id_token"])["auth_time"] == int(
            (T0 + dt.timedelta(minutes=10)).timestamp()
        )
    # The code's sign-in is forgotten with the code.
    assert not CodeSignIn.objects.exists()

    # A refresh an hour later tells the same sign-in (§12.2), and so does the next one.
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        refreshed = _refresh(laptop, rp, first["refresh_token"])
        again = _refresh(laptop, rp, refreshed["refresh_token"])
        assert id_token_claims(refreshed["id_token"])["auth_time"] == int(T0.timestamp())
        assert id_token_claims(again["id_token"])["auth_time"] == int(T0.timestamp())


def test_max_age_exceeded_asks_for_the_password_again_then_tells_the_new_sign_in(
    rp: RegisteredClient, student: Account
) -> None:
    browser = Client()
    with time_machine.travel(T0, tick=False):
        browser.force_login(student)
    later = T0 + dt.timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        challenge = pkce()
        # Within max_age: the code at once.
        fresh = browser.get(authorize_url(rp, challenge=challenge, max_age="3600"))
        assert fresh["Location"].startswith(rp.redirect_uri + "?code=")
        # Beyond it: the sign-in page, then the same request, stamped with when it was asked.
        stale = browser.get(authorize_url(rp, challenge=challenge, max_age="300"))
        assert stale.status_code == 302
        assert stale["Location"].startswith("/connexion?next=")
        again = query_of(stale["Location"])["next"]
        assert again.startswith("/oidc/authorize?")
        assert query_of(again)["max_age"] == "300"
        assert query_of(again)["client_id"] == rp.client_id
        assert REAUTH_PARAM in query_of(again)
        # Skipping the sign-in page does not satisfy it.
        assert browser.get(again)["Location"].startswith("/connexion?next=")

        signed_in = _sign_in_on(browser, stale["Location"])
        assert signed_in.status_code == 302
        assert signed_in["Location"] == again
        code = query_of(browser.get(again)["Location"])["code"]
        response = exchange(browser, rp, code, challenge.verifier)
        assert response.status_code == 200, response.content
        token = json.loads(response.content)["id_token"]
        assert id_token_claims(token)["auth_time"] == int(later.timestamp())


@pytest.mark.parametrize(
    "params",
    [{"max_age": "0"}, {"prompt": "login"}, {"max_age": "0000000000", "prompt": "login"}],
)
def test_max_age_zero_and_prompt_login_sign_in_again_once(
    rp: RegisteredClient, student: Account, params: dict[str, str]
) -> None:
    browser = Client()
    browser.force_login(student)
    response = browser.get(authorize_url(rp, challenge=pkce(), **params))
    assert response["Location"].startswith("/connexion?next=")
    next_url = query_of(response["Location"])["next"]
    assert _sign_in_on(browser, response["Location"])["Location"] == next_url
    # Not a loop: the sign-in just made satisfies the request it was asked for.
    assert browser.get(next_url)["Location"].startswith(rp.redirect_uri + "?code=")
    # Another request with the same demand asks again.
    other = browser.get(authorize_url(rp, challenge=pkce(), **params))
    assert other["Location"].startswith("/connexion?next=")


def test_someone_else_signing_in_on_the_page_gets_their_own_code(
    rp: RegisteredClient, student: Account
) -> None:
    """The sign-in page asked for by prompt=login, used by another person (the session is
    replaced): that person's own sign-in satisfies the request, no loop."""
    other = active_account("marc.petit")
    browser = Client()
    browser.force_login(student)
    challenge = pkce()
    response = browser.get(authorize_url(rp, challenge=challenge, prompt="login"))
    page = browser.get(response["Location"])
    data = dict(parse_form(page.content.decode()).inputs_by_name())
    data.update({"username": "marc.petit", "password": PASSWORD})
    next_url = browser.post(response["Location"], data)["Location"]
    code = query_of(browser.get(next_url)["Location"])["code"]
    token = json.loads(exchange(browser, rp, code, challenge.verifier).content)
    assert AccessToken.objects.get(application=rp.application).user == other
    assert "id_token" in token


def test_max_age_is_checked_again_when_the_consent_form_is_sent(
    third_party: RegisteredClient, student: Account
) -> None:
    browser = Client()
    with time_machine.travel(T0, tick=False):
        browser.force_login(student)
        url = authorize_url(third_party, challenge=pkce(), max_age="600")
        page = browser.get(url)
        assert page.status_code == 200  # the consent page
        form = consent_form(page.content.decode())
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        sent = browser.post(url, {**form, "allow": "on"})
    assert sent.status_code == 302
    assert sent["Location"].startswith("/connexion?next=")
    assert not Grant.objects.exists()


def test_a_visitor_without_a_session_and_prompt_none_gets_login_required(
    rp: RegisteredClient,
) -> None:
    response = Client().get(authorize_url(rp, challenge=pkce(), prompt="none"))
    assert response.status_code == 302
    assert query_of(response["Location"]) == {"error": "login_required", "state": "etat-123"}
    assert response["Location"].startswith(rp.redirect_uri + "?")


def test_a_refresh_whose_sign_in_is_unknown_gets_no_id_token(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    """A refresh-token family from before Préau recorded the sign-in: a new access token, no
    ID token rather than one with a wrong auth_time."""
    client.force_login(student)
    first = _tokens(client, rp)
    RedeemedCode.objects.update(signed_in_at=None)
    refreshed = _refresh(client, rp, first["refresh_token"])
    assert "access_token" in refreshed
    assert "id_token" not in refreshed


@pytest.mark.parametrize(
    ("max_age", "prompt", "error"),
    [("300", "none", "login_required"), ("trois", None, "invalid_request")],
)
def test_max_age_errors_go_back_to_the_client(
    rp: RegisteredClient, student: Account, max_age: str, prompt: str | None, error: str
) -> None:
    browser = Client()
    with time_machine.travel(T0, tick=False):
        browser.force_login(student)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        response = browser.get(
            authorize_url(rp, challenge=pkce(), max_age=max_age, prompt=prompt)  # type: ignore[arg-type]
        )
    assert response.status_code == 302
    assert response["Location"].startswith(rp.redirect_uri + "?")
    assert query_of(response["Location"]) == {"error": error, "state": "etat-123"}


def test_an_unused_codes_sign_in_is_purged_with_the_code(
    rp: RegisteredClient, student: Account
) -> None:
    browser = Client()
    browser.force_login(student)
    code_for(browser, rp, pkce())  # never exchanged
    assert CodeSignIn.objects.count() == 1
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=1)):
        lifecycle_run()
    assert not Grant.objects.exists()
    assert not CodeSignIn.objects.exists()


@pytest.mark.parametrize("params", [{"max_age": "0"}, {"prompt": "login"}])
def test_a_visitor_without_a_session_signs_in_once(
    rp: RegisteredClient, student: Account, params: dict[str, str]
) -> None:
    browser = Client()
    response = browser.get(authorize_url(rp, challenge=pkce(), **params))
    assert response["Location"].startswith("/connexion?next=")
    next_url = _sign_in_on(browser, response["Location"])["Location"]
    assert browser.get(next_url)["Location"].startswith(rp.redirect_uri + "?code=")
