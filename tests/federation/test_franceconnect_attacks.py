"""Bad answers and attacks on the FranceConnect sign-in (issue 15, "Bad input and attacks"):
each gets a French page saying what to do, nobody is signed in, nothing is linked, and nothing
the provider sent is logged."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests
from authlib.integrations.django_client import DjangoOAuth2App
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import RSAKey

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.federation import franceconnect
from preau.federation.models import FederatedIdentity
from preau.federation.services import PENDING_SESSION_KEY
from tests.factories import PASSWORD, account_factory
from tests.federation.helpers import answer, query, start
from tests.federation.op import CLIENT_ID, PARENT, USERS, TestFranceConnect

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(db: Any) -> Account:
    return account_factory(state=Account.State.ACTIVE, login="marie.martin")


def nobody_in(client: Client) -> None:
    assert SESSION_KEY not in client.session
    assert PENDING_SESSION_KEY not in client.session
    assert not FederatedIdentity.objects.exists()


def failure_reasons() -> list[str]:
    return [e.data["reason"] for e in AuditEvent.objects.filter(action="federation.failure")]


def test_an_error_answer_of_the_provider(client: Client, franceconnect: TestFranceConnect) -> None:
    state = query(start(client))["state"]
    response = client.get(
        "/franceconnect/retour",
        {"error": "access_denied", "error_description": "<b>Marie Martin</b>", "state": state},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "La connexion avec FranceConnect n’a pas abouti" in page
    assert "Marie Martin" not in page
    assert failure_reasons() == ["provider_error:access_denied"]
    nobody_in(client)
    # The state died with that answer.
    again = client.get("/franceconnect/retour", {"code": "x", "state": state})
    assert 'data-reason="state"' in again.content.decode()


def test_a_state_that_is_not_this_browsers(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    url = answer(franceconnect, client)
    tampered = url.replace("state=", "state=x")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "Cette connexion avec FranceConnect a expiré" in response.content.decode()
    # The same answer in another browser (an attacker's link in a victim's browser).
    other = Client()
    assert other.get(url).status_code == 400
    assert SESSION_KEY not in other.session
    assert SESSION_KEY not in client.session
    assert failure_reasons() == ["state", "state"]


def test_an_answer_replayed(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    url = answer(franceconnect, client)
    assert client.get(url).status_code == 302
    client.logout()
    response = client.get(url)
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def _id_token(fc: TestFranceConnect, sent_nonce: str, key: Any = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": fc.issuer,
        "sub": PARENT,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": sent_nonce,
        "acr": "eidas1",
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": "op-key"}, payload, key or fc.key)


def _unsigned(fc: TestFranceConnect, nonce: str) -> str:
    import base64
    import json

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": fc.issuer, "sub": PARENT, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
    return f"{b64({'alg': 'none'})}.{b64({**claims, 'nonce': nonce, 'acr': 'eidas1'})}."


FORGERIES = {
    "another key": lambda fc, n: _id_token(
        fc, n, key=RSAKey.generate_key(2048, parameters={"kid": "op-key"}, private=True)
    ),
    "unsigned": _unsigned,
    "expired": lambda fc, n: _id_token(fc, n, exp=int(time.time()) - 600, iat=1),
    "another audience": lambda fc, n: _id_token(fc, n, aud="another-service"),
    "another nonce": lambda fc, n: _id_token(fc, n, nonce="not-the-nonce"),
    "no nonce": lambda fc, n: _id_token(fc, n, nonce=None),
    "another issuer": lambda fc, n: _id_token(fc, n, iss="https://evil.example"),
    "no eidas level": lambda fc, n: _id_token(fc, n, acr=None),
}


def _answer_with(
    monkeypatch: Any, client: Client, fc: TestFranceConnect, make: Any, userinfo_sub: str = PARENT
) -> Any:
    params = query(start(client))
    token = make(fc, params["nonce"])
    monkeypatch.setattr(
        DjangoOAuth2App,
        "fetch_access_token",
        lambda self, **kw: {"access_token": "at", "token_type": "Bearer", "id_token": token},
    )
    monkeypatch.setattr(
        franceconnect, "_userinfo", lambda c, t: {"sub": userinfo_sub, **USERS[PARENT]}
    )
    return client.get("/franceconnect/retour", {"code": "c", "state": params["state"]})


def test_a_token_made_right_passes_this_path(
    monkeypatch: Any, client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    """The control of the forgeries below: the same path with a right token signs in."""
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    response = _answer_with(monkeypatch, client, franceconnect, _id_token)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(parent.pk)


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_id_token(
    monkeypatch: Any,
    client: Client,
    franceconnect: TestFranceConnect,
    parent: Account,
    forgery: str,
) -> None:
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    response = _answer_with(monkeypatch, client, franceconnect, FORGERIES[forgery])
    assert response.status_code == 400
    assert "La réponse de FranceConnect n’a pas pu être vérifiée" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert [r.split(":")[0] for r in failure_reasons()] == ["token"]


def test_userinfo_of_another_person(
    monkeypatch: Any, client: Client, franceconnect: TestFranceConnect
) -> None:
    response = _answer_with(monkeypatch, client, franceconnect, _id_token, userinfo_sub="other")
    assert response.status_code == 400
    nobody_in(client)


def test_an_identity_linked_to_another_account_is_not_linked_again(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    other = account_factory(state=Account.State.ACTIVE, login="jean.autre")
    client.get(answer(franceconnect, client))  # unknown: the proof page
    # Meanwhile (another browser) the same identity was linked to another account.
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=other, linked_at=timezone.now()
    )
    response = client.post(
        "/franceconnect/lier", {"username": "marie.martin", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert "déjà liée à un autre compte" in response.content.decode()
    assert FederatedIdentity.objects.get().account == other
    assert not FederatedIdentity.objects.filter(account=parent).exists()
    assert failure_reasons() == ["taken"]


def test_a_wrong_password_is_the_sign_ins_failure_and_throttled(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    client.get(answer(franceconnect, client))
    statuses = []
    for _ in range(7):
        response = client.post(
            "/franceconnect/lier", {"username": "marie.martin", "password": "Faux-mot-2024"}
        )
        statuses.append(response.status_code)
    assert statuses[0] == 401
    assert "Identifiant ou mot de passe incorrect" in (
        client.post("/franceconnect/lier", {"username": "nobody", "password": "x"}).content.decode()
    )
    assert statuses[-1] == 429  # the sign-in's own throttle
    assert "Trop de tentatives\u00a0: réessayez dans" in response.content.decode()
    # Even the right password waits while the throttle holds, and nothing is linked.
    response = client.post(
        "/franceconnect/lier", {"username": "marie.martin", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert not FederatedIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="signin.failure", target_id=parent.pk).count() >= 5


def test_the_proof_page_needs_a_fresh_answer(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    assert client.get("/franceconnect/lier").status_code == 400
    client.get(answer(franceconnect, client))
    import time_machine

    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=16)):
        response = client.post(
            "/franceconnect/lier", {"username": "marie.martin", "password": PASSWORD}
        )
    assert response.status_code == 400
    assert 'data-reason="expired"' in response.content.decode()
    nobody_in(client)


def test_a_deactivated_account_is_not_signed_in(
    client: Client, franceconnect: TestFranceConnect
) -> None:
    gone = account_factory(state=Account.State.DEACTIVATED, login="ancien.parent")
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=gone, linked_at=timezone.now()
    )
    response = client.get(answer(franceconnect, client))
    assert response.status_code == 403
    assert "désactivé" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_provider_down(client: Client, franceconnect: TestFranceConnect, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "FRANCECONNECT_ISSUER": "http://127.0.0.1:9"}
    response = client.get("/franceconnect/connexion")
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.content.decode()


def test_nothing_the_provider_sent_is_logged(
    caplog: Any, client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get(answer(franceconnect, client))
    client.post("/franceconnect/lier", {"username": "marie.martin", "password": PASSWORD})
    assert SESSION_KEY in client.session
    id_token = client.session["preau_federation_signed_in"]["id_token"]
    written = caplog.text + " ".join(str(e.data) for e in AuditEvent.objects.all())
    for value in [*USERS[PARENT].values(), id_token, PARENT]:
        assert value not in written, value
    assert requests  # the provider was reached over loopback only
