"""OpenID Connect clients and people to sign in, with PKCE helpers, for the provider's tests.

Every test may register clients with http:// redirect URIs on 127.0.0.1 (production wants
https).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from preau.directory.models import Account, Establishment, Membership, SchoolClass

PASSWORD = "Tournesol#42b"
REDIRECT_URI = "https://vie-scolaire.example/oidc/callback"
LOGOUT_URI = "https://vie-scolaire.example/au-revoir"


@pytest.fixture(autouse=True)
def _oidc_test_settings(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    }


@dataclass
class RegisteredClient:
    application: Application
    client_id: str
    secret: str
    redirect_uri: str


def register_client(
    name: str = "Vie scolaire",
    *,
    first_party: bool = True,
    redirect_uri: str = REDIRECT_URI,
    post_logout_redirect_uri: str = LOGOUT_URI,
) -> RegisteredClient:
    """A confidential client as the operator registers it (the secret is hashed on save)."""
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        post_logout_redirect_uris=post_logout_redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=first_party,
        client_secret=secret,
    )
    return RegisteredClient(application, application.client_id, secret, redirect_uri)


@pytest.fixture
def rp(db: Any) -> RegisteredClient:
    """A first-party service: no consent page."""
    return register_client()


@pytest.fixture
def third_party(db: Any) -> RegisteredClient:
    return register_client(
        "Éditions Exemple",
        first_party=False,
        redirect_uri="https://editions.example/callback",
        post_logout_redirect_uri="https://editions.example/",
    )


def active_account(login: str, **fields: Any) -> Account:
    first, _, last = login.partition(".")
    fields.setdefault("first_name", first.capitalize())
    fields.setdefault("last_name", last.capitalize())
    return Account.objects.create_user(
        login,
        PASSWORD,
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def student(establishment: Establishment) -> Account:
    return make_student(establishment)


def make_student(establishment: Establishment) -> Account:
    """Léa, an activated pupil of 3A with a proven e-mail address."""
    account = active_account(
        "lea.bernard",
        first_name="Léa",
        other_first_names="Marie Jeanne",
        birth_date=dt.date(2011, 7, 14),
        email="lea@example.fr",
        email_verified_at=timezone.now(),
    )
    membership = Membership.objects.create(
        account=account, establishment=establishment, profile="eleve", school_year=2026
    )
    membership.classes.add(
        SchoolClass.objects.create(establishment=establishment, school_year=2026, code="3A")
    )
    return account


@dataclass
class Pkce:
    verifier: str
    challenge: str


def pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_url(
    client: RegisteredClient, *, scope: str = "openid", challenge: Pkce | None = None, **extra: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": scope,
        "state": "etat-123",
        "nonce": "nonce-456",
    }
    if challenge is not None:
        params.update({"code_challenge": challenge.challenge, "code_challenge_method": "S256"})
    params.update(extra)
    return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_for(http: Client, client: RegisteredClient, challenge: Pkce, scope: str = "openid") -> str:
    """The code a signed-in browser gets from a first-party client's authorization request."""
    response = http.get(authorize_url(client, scope=scope, challenge=challenge))
    assert response.status_code == 302, response.content.decode()[:1500]
    location = response["Location"]
    assert location.startswith(client.redirect_uri + "?"), location
    return query_of(location)["code"]


def exchange(http: Client, client: RegisteredClient, code: str, verifier: str, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "client_id": client.client_id,
        "client_secret": client.secret,
        "code_verifier": verifier,
    }
    data.update(extra)
    return http.post("/oidc/token", data)
