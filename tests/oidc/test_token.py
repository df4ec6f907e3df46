"""The token endpoint's answers to what an attacker or a broken client sends: a replayed code,
a wrong PKCE verifier, an expired code, another client's code, a wrong redirect URI or secret,
and a person deactivated in between."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.sso.oidc.models import RedeemedCode
from tests.oidc.conftest import RegisteredClient, code_for, exchange, pkce, register_client

pytestmark = pytest.mark.django_db


def error_of(response: object) -> str:
    return json.loads(response.content)["error"]  # type: ignore[attr-defined]


def test_a_code_is_exchanged_once_for_tokens(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    code = code_for(client, rp, challenge)
    response = exchange(client, rp, code, challenge.verifier)
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert {"access_token", "id_token", "refresh_token"} <= body.keys()
    # Stored as a digest only (RFC 9700 token storage).
    stored = AccessToken.objects.get(user=student)
    assert stored.token == ""
    assert body["access_token"] not in stored.token_checksum

    replayed = exchange(client, rp, code, challenge.verifier)
    assert replayed.status_code == 400
    assert error_of(replayed) == "invalid_grant"


def test_a_replayed_code_revokes_the_tokens_it_gave(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    code = code_for(client, rp, challenge)
    first = json.loads(exchange(client, rp, code, challenge.verifier).content)
    refreshed = client.post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": rp.client_id,
            "client_secret": rp.secret,
        },
    )
    assert refreshed.status_code == 200
    second = json.loads(refreshed.content)
    bearer = f"Bearer {second['access_token']}"
    assert Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=bearer).status_code == 200
    other = json.loads(
        exchange(client, rp, code_for(client, rp, (c := pkce())), c.verifier).content
    )

    replayed = exchange(client, rp, code, challenge.verifier)
    assert error_of(replayed) == "invalid_grant"
    # Every token of that code's family is dead, the refreshed ones included…
    assert Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=bearer).status_code == 401
    again = client.post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "client_id": rp.client_id,
            "client_secret": rp.secret,
        },
    )
    assert error_of(again) == "invalid_grant"
    # …the tokens of another sign-in are not.
    other_bearer = f"Bearer {other['access_token']}"
    assert Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=other_bearer).status_code == 200
    event = AuditEvent.objects.get(action="oidc.code_replayed")
    assert event.target == student
    assert RedeemedCode.objects.count() == 2
    assert code not in RedeemedCode.objects.values_list("code_digest", flat=True)


def test_redeemed_codes_are_forgotten_when_their_tokens_are_dead(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    exchange(client, rp, code_for(client, rp, challenge), challenge.verifier)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=10)):
        client.force_login(student)  # the first session has timed out
        challenge = pkce()
        exchange(client, rp, code_for(client, rp, challenge), challenge.verifier)
        assert RedeemedCode.objects.count() == 1


def test_a_wrong_pkce_verifier_is_refused(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    code = code_for(client, rp, challenge)
    response = exchange(client, rp, code, pkce().verifier)
    assert response.status_code == 400
    assert error_of(response) == "invalid_grant"
    missing = exchange(client, rp, code, "")
    assert missing.status_code == 400
    assert not AccessToken.objects.exists()


def test_an_expired_code_is_refused(client: Client, rp: RegisteredClient, student: Account) -> None:
    client.force_login(student)
    challenge = pkce()
    code = code_for(client, rp, challenge)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        response = exchange(client, rp, code, challenge.verifier)
    assert response.status_code == 400
    assert error_of(response) == "invalid_grant"


def test_a_code_is_good_for_its_own_client_and_redirect_uri_only(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    other = register_client("Autre service", redirect_uri="https://autre.example/cb")
    challenge = pkce()
    code = code_for(client, rp, challenge)

    stolen = exchange(
        client,
        other,
        code,
        challenge.verifier,
        redirect_uri=rp.redirect_uri,
    )
    assert stolen.status_code == 400
    assert error_of(stolen) == "invalid_grant"

    wrong_uri = exchange(
        client, rp, code, challenge.verifier, redirect_uri="https://vie-scolaire.example/x"
    )
    assert wrong_uri.status_code == 400
    assert error_of(wrong_uri) in {"invalid_grant", "invalid_request"}

    wrong_secret = exchange(client, rp, code, challenge.verifier, client_secret="devine")
    assert wrong_secret.status_code == 401
    assert error_of(wrong_secret) == "invalid_client"
    assert not AccessToken.objects.exists()


def test_a_person_deactivated_after_the_code_gets_no_token_and_loses_userinfo(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    token = json.loads(
        exchange(client, rp, code_for(client, rp, challenge), challenge.verifier).content
    )
    challenge = pkce()
    code = code_for(client, rp, challenge)

    Account.objects.filter(pk=student.pk).update(state=Account.State.DEACTIVATED)
    response = exchange(client, rp, code, challenge.verifier)
    assert response.status_code == 400
    assert error_of(response) == "invalid_grant"

    userinfo = Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert userinfo.status_code == 401
    refreshed = client.post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": rp.client_id,
            "client_secret": rp.secret,
        },
    )
    assert refreshed.status_code == 400
    assert error_of(refreshed) == "invalid_grant"


def test_an_access_token_in_the_query_string_is_refused(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    challenge = pkce()
    token = json.loads(
        exchange(client, rp, code_for(client, rp, challenge), challenge.verifier).content
    )
    response = Client().get("/oidc/userinfo", {"access_token": token["access_token"]})
    assert response.status_code == 400
    good = Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert good.status_code == 200
