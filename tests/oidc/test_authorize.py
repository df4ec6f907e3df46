"""The authorization endpoint: Préau's sign-in page first, a code at once for a first-party
service, the French consent page for the others, PKCE with S256 only, and no redirection to
an address the client did not register."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from oauth2_provider.models import Grant

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.oidc.conftest import (
    PASSWORD,
    RegisteredClient,
    authorize_url,
    pkce,
    query_of,
)

pytestmark = pytest.mark.django_db


def test_a_visitor_is_sent_to_the_sign_in_page_and_back(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    url = authorize_url(rp, challenge=pkce())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/connexion?next=" + quote(url, safe="/")

    signed_in = client.post(response["Location"], {"username": "lea.bernard", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == url

    issued = client.get(signed_in["Location"])
    assert issued.status_code == 302
    query = query_of(issued["Location"])
    assert issued["Location"].startswith(rp.redirect_uri + "?")
    assert query["state"] == "etat-123"
    assert query["iss"] == "http://127.0.0.1:8000"  # RFC 9207: the issuer names itself
    assert Grant.objects.filter(code=query["code"], user=student).exists()


def test_a_first_party_service_gets_its_code_without_a_consent_page(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    response = client.get(authorize_url(rp, scope="openid profile ent", challenge=pkce()))
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])
    event = AuditEvent.objects.get(action="oidc.authorize")
    assert event.actor == student
    assert event.establishment is not None
    assert event.data == {
        "client_id": rp.client_id,
        "client": "Vie scolaire",
        "scopes": ["ent", "openid", "profile"],
        "consent": "skipped",
    }


def test_another_service_shows_the_consent_page_in_french(
    client: Client, third_party: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    response = client.get(authorize_url(third_party, scope="openid email ent", challenge=pkce()))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Autoriser Éditions Exemple à utiliser votre compte" in html
    assert "Votre adresse électronique et si elle a été vérifiée" in html
    assert "votre profil (élève, parent, enseignant…) et vos classes" in html
    assert "Vos nom et prénoms" not in html  # profile was not asked for
    assert "lea.bernard" in html
    assert not Grant.objects.exists()


def consent_form(html: str) -> dict[str, str]:
    import re

    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return {k: v.replace("&amp;", "&") for k, v in fields.items() if k != "csrfmiddlewaretoken"}


def test_consent_given_issues_a_code_and_is_remembered(
    client: Client, third_party: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    page = client.get(authorize_url(third_party, scope="openid email", challenge=challenge))
    response = client.post(
        "/oidc/authorize", {**consent_form(page.content.decode()), "allow": "on"}
    )
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert response["Location"].startswith("https://editions.example/callback?")
    assert query["state"] == "etat-123"
    assert AuditEvent.objects.get(action="oidc.authorize").data["consent"] == "given"

    token = client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": third_party.redirect_uri,
            "client_id": third_party.client_id,
            "client_secret": third_party.secret,
            "code_verifier": challenge.verifier,
        },
    )
    assert token.status_code == 200

    # While that token lives, the same scopes are not asked again…
    again = client.get(authorize_url(third_party, scope="openid email", challenge=pkce()))
    assert again.status_code == 302
    assert "code" in query_of(again["Location"])
    assert AuditEvent.objects.filter(action="oidc.authorize").first().data["consent"] == (
        "remembered"
    )
    # …more scopes are, and so is everything when the client says prompt=consent.
    more = client.get(authorize_url(third_party, scope="openid email ent", challenge=pkce()))
    assert more.status_code == 200
    forced = client.get(
        authorize_url(third_party, scope="openid email", challenge=pkce(), prompt="consent")
    )
    assert forced.status_code == 200


def test_consent_refused_answers_access_denied(
    client: Client, third_party: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    page = client.get(authorize_url(third_party, challenge=pkce()))
    response = client.post("/oidc/authorize", consent_form(page.content.decode()))
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "access_denied"
    assert query["state"] == "etat-123"
    assert "code" not in query
    assert not Grant.objects.exists()
    assert AuditEvent.objects.filter(action="oidc.deny", actor=student).exists()


def test_prompt_none_never_shows_a_page(
    client: Client, third_party: RegisteredClient, student: Account
) -> None:
    url = authorize_url(third_party, challenge=pkce(), prompt="none")
    anonymous = client.get(url)
    assert query_of(anonymous["Location"])["error"] == "login_required"

    client.force_login(student)
    response = client.get(url)
    assert response.status_code == 302
    assert query_of(response["Location"]) == {"error": "consent_required", "state": "etat-123"}


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/oidc/callback",
        "https://vie-scolaire.example/oidc/callback/../../evil",
        "https://vie-scolaire.example/oidc/callbackx",
        "https://vie-scolaire.example/oidc/callback?next=https://evil.example",
        "https://vie-scolaire.example.evil.example/oidc/callback",
        "https://evil.example@vie-scolaire.example/oidc/callback",
        "http://vie-scolaire.example/oidc/callback",
        "https://vie-scolaire.example:8443/oidc/callback",
        "https://vie-scolaire.example/oidc/callback#frag",
        "//evil.example/oidc/callback",
    ],
)
def test_an_unregistered_redirect_uri_is_refused_without_redirecting(
    client: Client, rp: RegisteredClient, student: Account, redirect_uri: str
) -> None:
    client.force_login(student)
    response = client.get(authorize_url(rp, challenge=pkce(), redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response
    assert "Le service n’a pas pu être ouvert" in response.content.decode()
    assert not Grant.objects.exists()


def test_an_unknown_client_is_refused_without_redirecting(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    url = authorize_url(rp, challenge=pkce(), client_id="inconnu")
    response = client.get(url)
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize("method", ["plain", None])
def test_pkce_is_required_with_s256(
    client: Client, third_party: RegisteredClient, student: Account, method: str | None
) -> None:
    client.force_login(student)
    challenge = pkce()
    extra: dict[str, Any] = {"code_challenge": challenge.verifier}
    if method:
        extra["code_challenge_method"] = method
    response = client.get(authorize_url(third_party, **extra))
    assert response.status_code == 302  # before any consent page
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request"
    assert query["state"] == "etat-123"
    assert not Grant.objects.exists()


def test_a_request_without_pkce_is_refused(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    response = client.get(authorize_url(rp))
    assert query_of(response["Location"])["error"] == "invalid_request"
    assert not Grant.objects.exists()


def test_a_tampered_consent_form_with_a_plain_challenge_gets_no_code(
    client: Client, third_party: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    page = client.get(authorize_url(third_party, challenge=challenge))
    form = consent_form(page.content.decode())
    form.update({"code_challenge": challenge.verifier, "code_challenge_method": "plain"})
    response = client.post("/oidc/authorize", {**form, "allow": "on"})
    assert "code" not in query_of(response["Location"])
    assert not Grant.objects.exists()


def test_prompt_login_asks_for_the_password_again(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    response = client.get(authorize_url(rp, challenge=pkce(), prompt="login"))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion?next=")
    # The request comes back stamped with when it sent the person to sign in (see
    # tests/oidc/test_auth_time.py): the new sign-in satisfies it, skipping it does not.
    assert "preau_reauth" in query_of(query_of(response["Location"])["next"])
    assert not Grant.objects.exists()
