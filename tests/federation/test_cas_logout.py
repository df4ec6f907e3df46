"""``/cas/logout`` of a session opened through a federation (issue 15, parts 1, 2 and 5): the
provider's session ends too (FranceConnect's end-session endpoint, EduConnect's single
logout), then the person lands on the registered service ``service`` named, carried signed
through the round trip; an unregistered address is never a destination, and a forged state
or RelayState lands on the sign-in page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment
from preau.federation.models import FederatedIdentity
from tests.factories import account_factory
from tests.federation.educonnect_helpers import query
from tests.federation.helpers import answer
from tests.federation.op import PARENT, TestFranceConnect
from tests.federation.saml_idp import TestEduConnect
from tests.federation.test_educonnect_logout import local, signed_in_through_educonnect, to_preau
from tests.sso.conftest import VIE_SCOLAIRE, _fresh_registry, vie_scolaire  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vie_scolaire")]


@pytest.fixture
def parent(db: Any) -> Account:
    account = account_factory(state=Account.State.ACTIVE, first_name="Marie", last_name="Martin")
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=account, linked_at=timezone.now()
    )
    return account


@pytest.fixture
def lea(db: Any) -> Account:
    school = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    return account_factory(
        establishment=school, ine="123456789AB", first_name="Léa", last_name="Martin"
    )


def test_franceconnect_session_ends_at_the_provider_then_reaches_the_service(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    client.get(answer(franceconnect, client))
    response = client.get("/cas/logout", {"service": VIE_SCOLAIRE})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{franceconnect.issuer}/session/end")
    assert SESSION_KEY not in client.session
    state = query(location)["state"]
    back = client.get("/franceconnect/deconnexion", {"state": state})
    assert back["Location"] == VIE_SCOLAIRE


def test_franceconnect_without_a_registered_service_lands_on_the_signin_page(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    client.get(answer(franceconnect, client))
    response = client.get("/cas/logout", {"service": "https://evil.example/"})
    location = response["Location"]
    assert location.startswith(f"{franceconnect.issuer}/session/end")
    back = client.get("/franceconnect/deconnexion", {"state": query(location)["state"]})
    assert back["Location"] == "/connexion"
    # A state Préau did not sign is nobody's way to another address.
    forged = client.get("/franceconnect/deconnexion", {"state": "https://evil.example/"})
    assert forged["Location"] == "/connexion"


def test_a_password_session_logs_out_of_cas_as_before(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    client.force_login(parent)
    assert client.get("/cas/logout", {"service": VIE_SCOLAIRE})["Location"] == VIE_SCOLAIRE


def test_educonnect_session_ends_at_the_idp_then_reaches_the_service(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    browser = signed_in_through_educonnect(client, educonnect)
    response = client.get("/cas/logout", {"service": VIE_SCOLAIRE})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(educonnect.base + "/saml2/idp/SingleLogoutService.php?")
    assert SESSION_KEY not in client.session
    # The IdP ends its session and answers Préau's SLO address with the RelayState.
    done = client.get(local(to_preau(educonnect, browser, location)))
    assert done["Location"] == VIE_SCOLAIRE
    # A RelayState Préau did not sign leads nowhere but the sign-in page.
    assert client.get("/saml/slo/", {"RelayState": VIE_SCOLAIRE})["Location"] == "/connexion"
