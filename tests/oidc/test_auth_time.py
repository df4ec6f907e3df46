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
from oauth2_provider.models import Grant

from preau.directory.models import Account
from preau.lifecycle.services import lifecycle_run
from preau.sso.oidc.models import CodeSignIn
from tests.oidc.conftest import (
    PASSWORD,
    RegisteredClient,
    authorize_url,
    code_for,
    exchange,
    pkce,
    query_of,
)
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
        # Beyond it: the sign-in page, then the same request without max_age.
        stale = browser.get(authorize_url(rp, challenge=challenge, max_age="300"))
        assert stale.status_code == 302
        assert stale["Location"].startswith("/connexion?next=")
        again = query_of(stale["Location"])["next"]
        assert again.startswith("/oidc/authorize?")
        assert "max_age" not in query_of(again)
        assert query_of(again)["client_id"] == rp.client_id

        signed_in = _sign_in_on(browser, stale["Location"])
        assert signed_in.status_code == 302
        assert signed_in["Location"] == again
        code = query_of(browser.get(again)["Location"])["code"]
        response = exchange(browser, rp, code, challenge.verifier)
        assert response.status_code == 200, response.content
        token = json.loads(response.content)["id_token"]
        assert id_token_claims(token)["auth_time"] == int(later.timestamp())


def test_max_age_zero_always_signs_in_again_without_looping(
    rp: RegisteredClient, student: Account
) -> None:
    browser = Client()
    browser.force_login(student)
    response = browser.get(authorize_url(rp, challenge=pkce(), max_age="0", prompt="login"))
    next_url = query_of(response["Location"])["next"]
    assert response["Location"].startswith("/connexion?next=")
    assert "max_age" not in query_of(next_url) and "prompt" not in query_of(next_url)
    assert _sign_in_on(browser, response["Location"])["Location"] == next_url
    assert browser.get(next_url)["Location"].startswith(rp.redirect_uri + "?code=")


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
