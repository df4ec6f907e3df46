"""No code before the required actions: a provisioned account walks its first connection, a
signed-in person accepts a new charter, and only then does the client get its code."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Grant

from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Membership
from tests.oidc.conftest import PASSWORD, RegisteredClient, authorize_url, pkce, query_of

pytestmark = pytest.mark.django_db

CODE = "K7MQ4XHA"


@pytest.fixture
def charter(db: Any) -> Any:
    version = charter_version_create(actor=None, title="Charte", body="Article 1. Respect.")
    charter_version_publish(actor=None, version=version)
    return version


@pytest.fixture
def provisioned(establishment: Establishment, settings: Any) -> Account:
    """A pupil who has only their letter; the first connection asks for the charter and a new
    password."""
    settings.PREAU = {
        **settings.PREAU,
        "REQUIRED_ACTIONS": {"eleve": ["ACCEPT_CHARTER", "UPDATE_PASSWORD"], "default": []},
    }
    account = Account.objects.create_user(
        "hugo.petit",
        first_name="Hugo",
        last_name="Petit",
        activation_code_digest=activation_code_digest(CODE),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
    )
    Membership.objects.create(
        account=account, establishment=establishment, profile="eleve", school_year=2026
    )
    return account


def test_a_provisioned_account_gets_no_code_until_its_first_connection_ends(
    client: Client, rp: RegisteredClient, provisioned: Account, charter: Any
) -> None:
    url = authorize_url(rp, challenge=pkce(), scope="openid profile")
    to_signin = client.get(url)
    assert to_signin["Location"] == "/connexion?next=" + quote(url, safe="/")
    signed_in = client.post(to_signin["Location"], {"username": "hugo.petit", "password": CODE})
    assert signed_in["Location"] == url

    # Back at the authorization endpoint: sent to the journey, which will come back here.
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/premiere-connexion/?" + "next=" + quote(url, safe="")
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0] == "/premiere-connexion/charte"
    assert not Grant.objects.exists()

    # prompt=none cannot show the journey: the client is told interaction is required.
    silent = client.get(authorize_url(rp, challenge=pkce(), prompt="none"))
    assert query_of(silent["Location"]) == {"error": "interaction_required", "state": "etat-123"}
    # A consent form posted directly does not get around it either.
    posted = client.post("/oidc/authorize", {"client_id": rp.client_id, "allow": "on"})
    assert posted["Location"] == "/premiere-connexion/"
    assert not Grant.objects.exists()

    page = client.post("/premiere-connexion/charte", {"accept": "on"}, follow=True)
    assert page.redirect_chain[-1][0] == "/premiere-connexion/mot-de-passe"
    assert not Grant.objects.exists()
    page = client.post(
        "/premiere-connexion/mot-de-passe",
        {"password": PASSWORD, "password_confirm": PASSWORD},
        follow=True,
    )
    assert page.redirect_chain[-1][0] == "/premiere-connexion/termine"
    provisioned.refresh_from_db()
    assert provisioned.state == Account.State.ACTIVE
    # "Continuer" goes back to the authorization request.
    assert f'id="done-continue" href="{url.replace("&", "&amp;")}"' in page.content.decode()
    assert not Grant.objects.exists()

    issued = client.get(url)
    assert issued.status_code == 302
    assert "code" in query_of(issued["Location"])
    assert Grant.objects.filter(user=provisioned).count() == 1


def test_a_new_charter_comes_before_the_code(
    client: Client, rp: RegisteredClient, student: Account, charter: Any
) -> None:
    client.force_login(student)
    url = authorize_url(rp, challenge=pkce())
    response = client.get(url)
    assert response["Location"].startswith("/premiere-connexion/?next=")
    assert not Grant.objects.exists()

    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0] == "/premiere-connexion/charte"
    # Once it is accepted, the journey goes back to the request, and the code is issued.
    accepted = client.post("/premiere-connexion/charte", {"accept": "on"}, follow=True)
    visited = [location for location, _status in accepted.redirect_chain]
    assert visited[-2] == url
    assert visited[-1].startswith(rp.redirect_uri + "?")
    assert "code" in query_of(visited[-1])
    assert Grant.objects.filter(user=student).count() == 1
