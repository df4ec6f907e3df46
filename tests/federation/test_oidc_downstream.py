"""OpenID Connect downstream unchanged (issue 15, part 5): after a FranceConnect or an
EduConnect sign-in, a service gets a code, tokens and the same claims (ID token and userinfo,
children included) as after a sign-in with the password; only the sign-in's time differs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.federation.models import FederatedIdentity
from tests.federation.educonnect_helpers import idp_answer, post_answer
from tests.federation.helpers import answer
from tests.federation.op import PARENT, TestFranceConnect
from tests.federation.saml_idp import TestEduConnect
from tests.oidc.conftest import (  # noqa: F401 - fixtures
    PASSWORD,
    RegisteredClient,
    _oidc_test_settings,
    active_account,
    register_client,
)
from tests.oidc.test_claims import id_token_claims, tokens, userinfo

pytestmark = pytest.mark.django_db

SCOPES = "openid profile email ent children"
# What differs from one sign-in to the next by nature.
_PER_SIGNIN = {"auth_time", "iat", "exp", "at_hash", "jti", "nonce", "amr", "acr"}


@pytest.fixture
def rp(db: Any) -> RegisteredClient:
    return register_client()


@pytest.fixture
def school(db: Any) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


@pytest.fixture
def lea(school: Establishment) -> Account:
    """A pupil with a password, whose INE EduConnect gives."""
    account = active_account("lea.martin", first_name="Léa", last_name="MARTIN", ine="123456789AB")
    Membership.objects.create(
        account=account, establishment=school, profile="eleve", school_year=2026
    )
    return account


@pytest.fixture
def marie(school: Establishment, lea: Account) -> Account:
    """Léa's mother, with a password and a FranceConnect identity; Léa is confirmed."""
    account = active_account("marie.martin", first_name="Marie", last_name="Martin")
    Membership.objects.create(
        account=account, establishment=school, profile="responsable", school_year=2026
    )
    Guardianship.objects.create(
        guardian=account,
        student=lea,
        establishment=school,
        confirmation=Guardianship.Confirmation.CONFIRMED,
    )
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=account, linked_at=timezone.now()
    )
    return account


def released(http: Client, service: RegisteredClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the service learns: the ID token's claims (but the per-sign-in ones) and userinfo."""
    token = tokens(http, service, SCOPES)
    claims = id_token_claims(token["id_token"])
    return {k: v for k, v in claims.items() if k not in _PER_SIGNIN}, userinfo(
        token["access_token"]
    )


def with_password(login: str) -> Client:
    http = Client()
    assert http.post("/connexion", {"username": login, "password": PASSWORD}).status_code == 302
    return http


def test_after_franceconnect_a_service_learns_what_it_learns_after_the_password(
    client: Client, franceconnect: TestFranceConnect, rp: RegisteredClient, marie: Account
) -> None:
    assert client.get(answer(franceconnect, client))["Location"] == "/"
    federated_claims, federated_info = released(client, rp)
    password_claims, password_info = released(with_password("marie.martin"), rp)
    assert federated_info == password_info
    assert federated_claims == password_claims
    assert federated_info["ent_children"], "the confirmed child is released"
    assert federated_info["preferred_username"] == "marie.martin"


def test_after_educonnect_a_service_learns_what_it_learns_after_the_password(
    client: Client, educonnect: TestEduConnect, rp: RegisteredClient, lea: Account
) -> None:
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response.status_code == 302
    assert FederatedIdentity.objects.get(provider="educonnect").account == lea
    federated_claims, federated_info = released(client, rp)
    password_claims, password_info = released(with_password("lea.martin"), rp)
    assert federated_info == password_info
    assert federated_claims == password_claims
    assert federated_info["given_name"] == "Léa"
