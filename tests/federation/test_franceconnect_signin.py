"""FranceConnect sign-in against the test provider (Node's oidc-provider): the request Préau
sends, a known identity straight in, an unknown one proved once then linked, and the sign-out
at the provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.federation.models import FederatedIdentity
from preau.federation.services import PENDING_SESSION_KEY
from tests.factories import PASSWORD, account_factory
from tests.federation.helpers import answer, query, start
from tests.federation.op import OTHER, PARENT, TestFranceConnect

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(db: Any) -> Account:
    return account_factory(state=Account.State.ACTIVE, login="marie.martin")


def link(account: Account, subject: str = PARENT) -> FederatedIdentity:
    from django.utils import timezone

    return FederatedIdentity.objects.create(
        provider="franceconnect", subject=subject, account=account, linked_at=timezone.now()
    )


def test_the_authorization_request_is_franceconnects(
    client: Any, franceconnect: TestFranceConnect
) -> None:
    params = query(start(client))
    assert params["response_type"] == "code"
    assert params["client_id"] == "preau-test-client"
    assert params["redirect_uri"] == "http://testserver/franceconnect/retour"
    assert params["scope"].split() == [
        "openid",
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "email",
    ]
    assert params["acr_values"] == "eidas1"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert len(params["code_challenge"]) == 43


def test_not_configured_no_page_and_no_choice(client: Any) -> None:
    assert client.get("/franceconnect/connexion").status_code == 404
    page = client.get("/connexion?selection=franceconnect").content.decode()
    assert "FranceConnect" not in page


def test_configured_the_choice_shows_franceconnects_button(
    client: Any, franceconnect: TestFranceConnect
) -> None:
    page = client.get("/connexion?selection=franceconnect&next=/mon-compte/").content.decode()
    assert "Parent (FranceConnect)" in page
    assert 'class="fr-connect"' in page
    assert "/franceconnect/connexion?next=%2Fmon-compte%2F" in page
    assert "Qu’est-ce que FranceConnect ?" in page
    assert "https://franceconnect.gouv.fr/" in page
    # The local form is still there (one form: the CAS login form contract).
    assert page.count("<form") == 1


def test_a_known_identity_signs_straight_in(
    client: Any, franceconnect: TestFranceConnect, parent: Account
) -> None:
    identity = link(parent)
    response = client.get(answer(franceconnect, client))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(parent.pk)
    event = AuditEvent.objects.filter(action="signin.success").latest("pk")
    assert event.data["method"] == "franceconnect"
    identity.refresh_from_db()
    assert identity.last_used_at is not None


def test_next_is_kept_through_the_provider(
    client: Any, franceconnect: TestFranceConnect, parent: Account
) -> None:
    link(parent)
    url = franceconnect.authenticate(
        start(client, "/mon-compte/"), PARENT, __import__("requests").Session()
    )
    response = client.get(url.replace("http://testserver", ""))
    assert response["Location"] == "/mon-compte/"


def test_an_unknown_identity_is_linked_after_the_accounts_password(
    client: Any, franceconnect: TestFranceConnect, parent: Account
) -> None:
    response = client.get(answer(franceconnect, client))
    assert response["Location"] == "/franceconnect/lier"
    assert SESSION_KEY not in client.session
    assert not FederatedIdentity.objects.exists()  # nothing on names or claims alone
    page = client.get("/franceconnect/lier")
    assert page.status_code == 200
    assert "Lier votre identité FranceConnect" in page.content.decode()
    assert "vous a identifié comme <strong>Marie Martin</strong>" in page.content.decode()

    response = client.post(
        "/franceconnect/lier", {"username": "marie.martin", "password": PASSWORD}, follow=True
    )
    assert client.session[SESSION_KEY] == str(parent.pk)
    identity = FederatedIdentity.objects.get()
    assert (identity.account, identity.subject) == (parent, PARENT)
    assert "est maintenant liée à votre compte marie.martin" in response.content.decode()
    assert PENDING_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="federation.link", target_id=parent.pk).exists()

    # Next time: straight in.
    client.logout()
    response = client.get(answer(franceconnect, client))
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(parent.pk)


def test_a_pending_account_is_linked_with_its_letters_code(
    client: Any, franceconnect: TestFranceConnect
) -> None:
    import datetime as dt

    from django.utils import timezone

    from preau.directory.activation_codes import activation_code_digest

    code = "ABCD2345"
    pending = account_factory(
        login="paul.durand",
        activation_code_digest=activation_code_digest(code),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
    )
    client.get(answer(franceconnect, client, OTHER))
    response = client.post("/franceconnect/lier", {"username": "paul.durand", "password": code})
    assert response.status_code == 302
    assert FederatedIdentity.objects.get().account == pending
    # The first connection still runs before any service.
    assert client.get("/")["Location"].startswith("/premiere-connexion")
