"""RP-initiated logout: through Préau's sign-out, back only to a registered address."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from oauth2_provider.models import AccessToken

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.oidc.conftest import LOGOUT_URI, RegisteredClient, code_for, exchange, pkce, query_of

pytestmark = pytest.mark.django_db


def signed_in_with_tokens(http: Client, rp: RegisteredClient, account: Account) -> dict[str, Any]:
    http.force_login(account)
    challenge = pkce()
    response = exchange(http, rp, code_for(http, rp, challenge), challenge.verifier)
    return dict(json.loads(response.content))


def test_logout_with_the_id_token_signs_out_and_returns_to_the_service(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    tokens = signed_in_with_tokens(client, rp, student)
    response = client.get(
        "/oidc/logout",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGOUT_URI,
            "state": "au-revoir-1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == LOGOUT_URI + "?state=au-revoir-1"
    assert SESSION_KEY not in client.session
    assert not AccessToken.objects.filter(user=student).exists()
    assert AuditEvent.objects.filter(action="signout", actor=student).count() == 1

    after = client.get("/mon-compte/")
    assert after.status_code == 302
    assert after["Location"].startswith("/connexion")


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/au-revoir",
        LOGOUT_URI + "/../evil",
        LOGOUT_URI + "?next=https://evil.example",
        "https://vie-scolaire.example.evil.example/au-revoir",
        "javascript:alert(1)",
    ],
)
def test_an_unregistered_post_logout_uri_is_refused(
    client: Client, rp: RegisteredClient, student: Account, uri: str
) -> None:
    tokens = signed_in_with_tokens(client, rp, student)
    response = client.get(
        "/oidc/logout", {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri}
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert "Déconnexion impossible" in response.content.decode()
    assert client.session[SESSION_KEY] == str(student.pk)


def test_logout_without_an_id_token_asks_first(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    signed_in_with_tokens(client, rp, student)
    page = client.get(
        "/oidc/logout", {"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_URI}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Le service « Vie scolaire » demande à vous déconnecter" in html
    assert SESSION_KEY in client.session

    stay = client.post(
        "/oidc/logout", {"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_URI}
    )
    assert "Vous êtes toujours connecté" in stay.content.decode()
    assert SESSION_KEY in client.session

    leave = client.post(
        "/oidc/logout",
        {"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_URI, "allow": "on"},
    )
    assert leave.status_code == 302
    assert leave["Location"] == LOGOUT_URI
    assert SESSION_KEY not in client.session


def test_another_persons_id_token_does_not_sign_out_without_asking(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    from tests.oidc.conftest import active_account

    other = Client()
    tokens = signed_in_with_tokens(other, rp, active_account("marc.bernard"))
    client.force_login(student)
    page = client.get("/oidc/logout", {"id_token_hint": tokens["id_token"]})
    assert page.status_code == 200
    assert client.session[SESSION_KEY] == str(student.pk)


def test_a_forged_id_token_hint_is_refused(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    tokens = signed_in_with_tokens(client, rp, student)
    header, payload, signature = tokens["id_token"].split(".")
    forged = ".".join([header, payload, signature[::-1]])
    response = client.get(
        "/oidc/logout", {"id_token_hint": forged, "post_logout_redirect_uri": LOGOUT_URI}
    )
    assert response.status_code == 400
    assert client.session[SESSION_KEY] == str(student.pk)
    assert query_of(LOGOUT_URI) == {}
