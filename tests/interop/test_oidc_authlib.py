"""Préau's OpenID Connect provider against a client library Préau did not write.

A live server (pytest-django); Authlib's ``OAuth2Session`` plays the service: it reads the
discovery document, builds the authorization request with PKCE (S256), exchanges the code and
calls userinfo. ``requests`` plays the person's browser (the real sign-in page, the consent
page, the first-connection journey) and joserfc checks the ID token against the JWKS.
"""

from __future__ import annotations

import secrets
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import Grant

from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.models import Account, Establishment
from tests.oidc.conftest import PASSWORD, RegisteredClient, make_student, register_client

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = "https://vie-scolaire.example/oidc/callback"
# HTTP sessions of the running test, closed when it ends: a live-server thread holding a
# kept-alive connection must not outlive the test (it would close the shared in-memory
# SQLite connection from its own thread).
_OPEN: list[requests.Session] = []


@pytest.fixture(autouse=True)
def _close_sessions() -> Any:
    yield
    while _OPEN:
        _OPEN.pop().close()


GOODBYE = "https://vie-scolaire.example/au-revoir"


class _Forms(HTMLParser):
    """The named inputs of each form of a page, by form id."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = self.forms.setdefault(values.get("id", ""), {})
        elif tag == "input" and self._current is not None and values.get("name"):
            if values.get("type") not in {"checkbox", "radio"}:
                self._current[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def form_inputs(html: str, form_id: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms[form_id]


class Browser:
    """A person's browser: cookies, and redirections followed on Préau's own site only."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.http = requests.Session()
        _OPEN.append(self.http)

    def go(self, url: str, *, data: dict[str, str] | None = None) -> requests.Response:
        """GET (or POST ``data``) then follow redirections while they stay on Préau; the last
        response is returned (a redirection to a service is not followed)."""
        response = (
            self.http.post(url, data=data, allow_redirects=False, timeout=10)
            if data is not None
            else self.http.get(url, allow_redirects=False, timeout=10)
        )
        for _ in range(10):
            if response.status_code not in (301, 302, 303):
                return response
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(self.server):
                return response
            response = self.http.get(target, allow_redirects=False, timeout=10)
        raise AssertionError("too many redirections")

    def sign_in(self, page: requests.Response, login: str, password: str) -> requests.Response:
        assert urlsplit(page.url).path == "/connexion", page.url
        data = form_inputs(page.text, "fm1")
        data.update({"username": login, "password": password})
        return self.go(page.url, data=data)


@pytest.fixture
def issuer(live_server: Any, settings: Any) -> str:
    """The live server is the provider: its address is PUBLIC_URL, hence the issuer."""
    url = str(live_server.url)
    settings.PREAU = {
        **settings.PREAU,
        "PUBLIC_URL": url,
    }
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": url}
    return url


@pytest.fixture
def student(establishment: Establishment) -> Account:
    return make_student(establishment)


@pytest.fixture
def metadata(issuer: str) -> dict[str, Any]:
    response = requests.get(issuer + "/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return dict(response.json())


@pytest.fixture
def service(issuer: str) -> RegisteredClient:
    return register_client(redirect_uri=CALLBACK, post_logout_redirect_uri=GOODBYE)


def rp_session(client: RegisteredClient, scope: str) -> OAuth2Session:
    session = OAuth2Session(
        client.client_id,
        client.secret,
        scope=scope,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
    )
    _OPEN.append(session)
    return session


def code_exchange(
    rp: OAuth2Session, metadata: dict[str, Any], location: str, verifier: str, state: str
) -> dict[str, Any]:
    """The client's token request for the code at ``location`` (its callback address)."""
    return dict(
        rp.fetch_token(
            metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
            state=state,
        )
    )


def verified_id_token(
    id_token: str, metadata: dict[str, Any], client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its RS256 signature, issuer, audience, nonce and expiry are
    checked against the provider's published keys."""
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


def test_code_with_pkce_id_token_signature_and_userinfo_by_scope(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    assert metadata["issuer"] == issuer
    assert "S256" in metadata["code_challenge_methods_supported"]
    rp = rp_session(service, "openid profile email ent")
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    assert "code_challenge_method=S256" in url

    browser = Browser(issuer)
    signin_page = browser.go(url)
    callback = browser.sign_in(signin_page, "lea.bernard", PASSWORD)
    location = callback.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    assert parse_qs(urlsplit(location).query)["iss"] == [issuer]

    token = code_exchange(rp, metadata, location, verifier, state)
    claims = verified_id_token(token["id_token"], metadata, service.client_id, nonce)
    assert claims["preferred_username"] == "lea.bernard"

    info = rp.get(metadata["userinfo_endpoint"], timeout=10).json()
    assert info == {
        "sub": claims["sub"],
        "name": "Léa Bernard",
        "given_name": "Léa",
        "family_name": "Bernard",
        "middle_name": "Marie Jeanne",
        "preferred_username": "lea.bernard",
        "birthdate": "2011-07-14",
        "updated_at": info["updated_at"],
        "email": "lea@example.fr",
        "email_verified": True,
        "ent_uai": "0750654D",
        "ent_establishment": "Lycée Louis-le-Grand",
        "ent_profiles": ["eleve"],
        "ent_classes": ["3A"],
        "ent_uais": ["0750654D"],
    }

    # The same code twice: the protocol's answer, and no second token.
    replay = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(service.client_id, service.secret),
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_max_age_signs_in_again_and_auth_time_says_when(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    """A client asking for ``max_age=0`` (a bank-style "confirm it is you") gets a fresh
    sign-in even though the browser has a session, and checks ``auth_time`` itself."""
    rp = rp_session(service, "openid")
    browser = Browser(issuer)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser.sign_in(browser.go(url), "lea.bernard", PASSWORD)  # the session

    before = int(time.time())
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, max_age=0
    )
    again = browser.go(url)
    assert urlsplit(again.url).path == "/connexion", "max_age=0 must ask for the password"
    location = browser.sign_in(again, "lea.bernard", PASSWORD).headers["Location"]
    token = code_exchange(rp, metadata, location, verifier, state)
    claims = verified_id_token(token["id_token"], metadata, service.client_id, nonce)
    jwt.JWTClaimsRegistry(auth_time={"essential": True}).validate(claims)
    assert claims["auth_time"] >= before - 1, "auth_time must be the sign-in just made"


def test_fewer_scopes_fewer_claims(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    rp = rp_session(service, "openid email")
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = Browser(issuer)
    location = browser.sign_in(browser.go(url), "lea.bernard", PASSWORD).headers["Location"]
    token = code_exchange(rp, metadata, location, verifier, state)
    info = rp.get(metadata["userinfo_endpoint"], timeout=10).json()
    assert set(info) == {"sub", "email", "email_verified"}
    claims = verified_id_token(token["id_token"], metadata, service.client_id, nonce)
    assert "preferred_username" not in claims
    assert "ent_uai" not in claims


def test_a_wrong_verifier_gets_no_token(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    rp = rp_session(service, "openid")
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    browser = Browser(issuer)
    location = browser.sign_in(browser.go(url), "lea.bernard", PASSWORD).headers["Location"]
    with pytest.raises(Exception, match="invalid_grant"):
        code_exchange(rp, metadata, location, secrets.token_urlsafe(48), state)


def test_a_third_party_service_goes_through_the_consent_page(
    issuer: str, metadata: dict[str, Any], student: Account
) -> None:
    partner = register_client(
        "Éditions Exemple",
        first_party=False,
        redirect_uri="https://editions.example/callback",
    )
    rp = rp_session(partner, "openid ent")
    verifier = secrets.token_urlsafe(48)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    browser = Browser(issuer)
    consent = browser.sign_in(browser.go(url), "lea.bernard", PASSWORD)
    assert consent.status_code == 200
    assert "Autoriser Éditions Exemple à utiliser votre compte" in consent.text
    assert not Grant.objects.exists()

    data = form_inputs(consent.text, "oidc-consent")
    answer = browser.go(consent.url, data={**data, "allow": "on"})
    location = answer.headers["Location"]
    assert location.startswith("https://editions.example/callback?")
    code_exchange(rp, metadata, location, verifier, state)
    info = rp.get(metadata["userinfo_endpoint"], timeout=10).json()
    assert info["ent_classes"] == ["3A"]


def test_the_charter_comes_before_the_code(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    version = charter_version_create(actor=None, title="Charte", body="Article 1. Respect.")
    charter_version_publish(actor=None, version=version)
    rp = rp_session(service, "openid")
    url, _state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    browser = Browser(issuer)
    page = browser.sign_in(browser.go(url), "lea.bernard", PASSWORD)
    assert urlsplit(page.url).path == "/premiere-connexion/charte"
    assert not Grant.objects.exists()

    answer = browser.go(page.url, data={**form_inputs(page.text, "charter-form"), "accept": "on"})
    assert answer.headers["Location"].startswith(CALLBACK + "?code=")
    assert Grant.objects.filter(user=student).count() == 1


def test_rp_initiated_logout_returns_to_the_registered_address_only(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    rp = rp_session(service, "openid")
    verifier = secrets.token_urlsafe(48)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    browser = Browser(issuer)
    location = browser.sign_in(browser.go(url), "lea.bernard", PASSWORD).headers["Location"]
    token = code_exchange(rp, metadata, location, verifier, state)

    refused = browser.go(
        metadata["end_session_endpoint"]
        + "?"
        + requests.compat.urlencode(
            {
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": "https://evil.example/",
            }
        )
    )
    assert refused.status_code == 400
    assert "Location" not in refused.headers

    done = browser.go(
        metadata["end_session_endpoint"]
        + "?"
        + requests.compat.urlencode(
            {
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": GOODBYE,
                "state": "xyz",
            }
        )
    )
    assert done.headers["Location"] == GOODBYE + "?state=xyz"
    # Signed out of Préau: the next authorization request asks for the password again,
    # and the access token is dead.
    again = browser.go(url)
    assert urlsplit(again.url).path == "/connexion"
    assert rp.get(metadata["userinfo_endpoint"], timeout=10).status_code == 401


def test_an_unregistered_redirect_uri_is_never_followed(
    issuer: str, metadata: dict[str, Any], service: RegisteredClient, student: Account
) -> None:
    browser = Browser(issuer)
    browser.sign_in(browser.go(issuer + "/connexion"), "lea.bernard", PASSWORD)
    evil = OAuth2Session(
        service.client_id,
        scope="openid",
        redirect_uri="https://evil.example/callback",
        code_challenge_method="S256",
    )
    _OPEN.append(evil)
    url, _ = evil.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    response = browser.go(url)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert not Grant.objects.exists()
