""" "Mon compte" lists the linked identities and unlinks one, never the last way in; signing out
of a FranceConnect session continues at the provider's end-session endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.federation.models import FederatedIdentity
from tests.factories import account_factory
from tests.federation.helpers import answer, query
from tests.federation.op import OTHER, PARENT, TestFranceConnect

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(db: Any) -> Account:
    return account_factory(state=Account.State.ACTIVE, login="marie.martin")


def linked(account: Account, subject: str = PARENT) -> FederatedIdentity:
    return FederatedIdentity.objects.create(
        provider="franceconnect", subject=subject, account=account, linked_at=timezone.now()
    )


def test_the_identities_are_listed_and_one_is_unlinked(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    identity = linked(parent)
    client.force_login(parent)
    page = client.get("/mon-compte/identites").content.decode()
    assert "Identités connectées" in page  # the menu entry and the title
    assert f"/mon-compte/identites/{identity.pk}/retirer" in page
    response = client.post(f"/mon-compte/identites/{identity.pk}/retirer", follow=True)
    assert "n’est plus liée à votre compte" in response.content.decode()
    assert not FederatedIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="federation.unlink", target_id=parent.pk).exists()


def test_the_last_way_in_is_not_unlinked(client: Client, franceconnect: TestFranceConnect) -> None:
    only_fc = account_factory(state=Account.State.ACTIVE, login="sans.mot", password=None)
    first = linked(only_fc)
    client.force_login(only_fc)
    response = client.post(f"/mon-compte/identites/{first.pk}/retirer", follow=True)
    assert "le seul moyen d’accéder à votre compte" in response.content.decode()
    assert FederatedIdentity.objects.filter(pk=first.pk).exists()
    # With a second identity, either one may go (the other stays a way in).
    linked(only_fc, OTHER)
    client.post(f"/mon-compte/identites/{first.pk}/retirer")
    assert list(FederatedIdentity.objects.values_list("subject", flat=True)) == [OTHER]


def test_nobody_unlinks_someone_elses_identity(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    identity = linked(parent)
    client.force_login(account_factory(state=Account.State.ACTIVE))
    assert client.post(f"/mon-compte/identites/{identity.pk}/retirer").status_code == 404
    assert client.get("/mon-compte/identites").content.decode().count("retirer") == 0
    assert FederatedIdentity.objects.exists()


def test_the_menu_entry_only_when_configured(client: Client, parent: Account) -> None:
    client.force_login(parent)
    assert "Identités connectées" not in client.get("/mon-compte/").content.decode()


def test_signing_out_ends_the_providers_session_too(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    linked(parent)
    client.get(answer(franceconnect, client))
    id_token = client.session["preau_federation_signed_in"]["id_token"]
    response = client.post("/deconnexion")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{franceconnect.issuer}/session/end")
    params = query(location)
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/franceconnect/deconnexion"
    assert params["state"]
    assert "_auth_user_id" not in client.session
    # Back from the provider: the sign-in page, which says so.
    back = client.get("/franceconnect/deconnexion", {"state": params["state"]}, follow=True)
    assert back.redirect_chain[-1][0] == "/connexion"
    assert "Vous êtes déconnecté" in back.content.decode()


def test_a_password_session_signs_out_as_before(
    client: Client, franceconnect: TestFranceConnect, parent: Account
) -> None:
    from tests.factories import PASSWORD

    client.post("/connexion", {"username": "marie.martin", "password": PASSWORD})
    assert client.post("/deconnexion")["Location"] == "/connexion"
