"""CAS downstream unchanged (issue 15, part 5): after a FranceConnect sign-in, a service gets a
ticket and the same attributes as after a sign-in with the password."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.federation.models import FederatedIdentity
from tests.federation.helpers import answer, start
from tests.federation.op import PARENT, TestFranceConnect
from tests.sso.conftest import (  # noqa: F401 - fixtures
    PASSWORD,
    VIE_SCOLAIRE,
    _fresh_registry,
    make_person,
    ticket_from,
    vie_scolaire,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vie_scolaire")]

# What differs from one sign-in to the next by nature (when, and whether it was just now).
_PER_SIGNIN = re.compile(r"<cas:(authenticationDate|isFromNewLogin)>[^<]*</cas:\1>")


def attributes(client: Client) -> str:
    ticket = ticket_from(client.get("/cas/login", {"service": VIE_SCOLAIRE}))
    body = client.get("/cas/serviceValidate", {"service": VIE_SCOLAIRE, "ticket": ticket})
    text = body.content.decode()
    assert "<cas:authenticationSuccess>" in text, text
    return _PER_SIGNIN.sub("", text)


def test_a_cas_ticket_after_franceconnect_has_the_same_attributes(
    client: Client,
    franceconnect: TestFranceConnect,
    establishment: Establishment,
) -> None:
    parent = make_person(
        "marie.martin",
        establishment,
        Membership.Profile.GUARDIAN,
        first_name="Marie",
        last_name="Martin",
        class_code=None,
    )
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    assert client.get(answer(franceconnect, client)).status_code == 302
    federated = attributes(client)

    with_password = Client()
    with_password.post("/connexion", {"username": "marie.martin", "password": PASSWORD})
    assert with_password.session["_auth_user_id"] == str(parent.pk)
    assert federated == attributes(with_password)
    assert "<cas:user>marie.martin</cas:user>" in federated
    assert isinstance(parent, Account)


def test_the_cas_login_pages_button_comes_back_for_the_ticket(
    client: Client,
    franceconnect: TestFranceConnect,
    establishment: Establishment,
) -> None:
    """On /cas/login the FranceConnect button brings the person back to /cas/login, which then
    sends them to the service with its ticket."""
    from urllib.parse import quote, urlencode

    import requests

    parent = make_person("marie.martin", establishment, Membership.Profile.GUARDIAN)
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    cas_login = "/cas/login?" + urlencode({"service": VIE_SCOLAIRE, "selection": "franceconnect"})
    page = client.get(cas_login).content.decode()
    assert f"/franceconnect/connexion?next={quote(cas_login, safe='')}" in page.replace(
        "&amp;", "&"
    )
    back = franceconnect.authenticate(
        start(client, quote(cas_login, safe="")), PARENT, requests.Session()
    )
    response = client.get(back.replace("http://testserver", ""))
    assert response["Location"] == cas_login
    assert ticket_from(client.get(cas_login)).startswith("ST-")
