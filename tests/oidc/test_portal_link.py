"""An OIDC client linked to its service of the portal registry is open to the people that
service is open to, as a CAS service is."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import Grant

from preau.directory.models import Account, Establishment, Membership
from preau.portal.models import Category, Service
from preau.portal.registry import registry_bump
from preau.sso.oidc.models import ClientService
from tests.oidc.conftest import RegisteredClient, active_account, authorize_url, pkce, query_of

pytestmark = pytest.mark.django_db


def link(rp: RegisteredClient, **fields: object) -> Service:
    service = Service.objects.create(
        name="Vie scolaire",
        slug="vie-scolaire",
        category=Category.objects.order_by("order").first() or Category.objects.create(name="S"),
        protocol=Service.Protocol.OIDC,
        launch_url="https://vie-scolaire.example/",
        **fields,
    )
    ClientService.objects.create(application=rp.application, service=service)
    registry_bump()
    return service


def test_a_person_whose_profile_the_service_is_not_open_to_is_refused(
    client: Client, rp: RegisteredClient, student: Account, establishment: Establishment
) -> None:
    link(rp, allowed_profiles=["enseignant"])
    client.force_login(student)
    response = client.get(authorize_url(rp, challenge=pkce()))
    assert response.status_code == 403
    assert "Location" not in response
    assert "n’est pas ouvert à votre profil" in response.content.decode()
    assert not Grant.objects.exists()

    teacher = active_account("anne.martin")
    Membership.objects.create(
        account=teacher, establishment=establishment, profile="enseignant", school_year=2026
    )
    client.force_login(teacher)
    allowed = client.get(authorize_url(rp, challenge=pkce()))
    assert "code" in query_of(allowed["Location"])


def test_an_inactive_service_opens_to_nobody(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    link(rp, is_active=False)
    client.force_login(student)
    response = client.get(authorize_url(rp, challenge=pkce()))
    assert response.status_code == 403
    assert "n’est pas ouvert en ce moment" in response.content.decode()


def test_a_client_linked_to_no_service_is_open_to_everyone(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    ClientService.objects.create(application=rp.application, service=None)
    client.force_login(student)
    response = client.get(authorize_url(rp, challenge=pkce()))
    assert "code" in query_of(response["Location"])
