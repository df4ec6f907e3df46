"""Mon compte for an account without a password, that signs in through EduConnect (issue 15):
no current password to type, so a recent federated sign-in confirms a new password, a new
mobile or a new address; an old one asks to sign in again at the provider first (and comes
back to the page); nothing changes meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.utils import timezone

from preau.activation.models import EmailVerification
from preau.directory.models import Account, Establishment
from preau.signin.timeouts import SIGNED_IN_AT
from tests.factories import account_factory
from tests.federation.educonnect_helpers import idp_answer, post_answer, start
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tres-Bon-Mot-De-Passe-42"


@pytest.fixture
def lea(db: Any) -> Account:
    """An active pupil without a password: EduConnect is her way in (linked by her INE)."""
    school = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    return account_factory(
        state=Account.State.ACTIVE,
        password=None,
        login="lea.martin",
        establishment=school,
        ine="123456789AB",
        first_name="Léa",
        last_name="MARTIN",
    )


@pytest.fixture
def signed_in(client: Any, educonnect: TestEduConnect, lea: Account) -> Any:
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(lea.pk)
    return client


def age_the_signin(client: Any, minutes: int) -> None:
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp() - minutes * 60
    session.save()


def password_form(password: str = NEW_PASSWORD) -> dict[str, str]:
    return {"password": password, "password_confirm": password}


def test_a_recent_federated_signin_lets_her_choose_a_first_password(
    signed_in: Any, lea: Account
) -> None:
    page = signed_in.get("/mon-compte/mot-de-passe").content.decode()
    assert "Choisir un mot de passe" in page
    assert 'name="current_password"' not in page
    response = signed_in.post("/mon-compte/mot-de-passe", password_form())
    assert response.status_code == 302
    lea.refresh_from_db()
    assert lea.check_password(NEW_PASSWORD)
    # From now on the identifier and this password sign her in too.
    signed_in.logout()
    assert (
        signed_in.post(
            "/connexion", {"username": "lea.martin", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_an_old_signin_asks_to_sign_in_again_and_comes_back(
    signed_in: Any, lea: Account, educonnect: TestEduConnect
) -> None:
    age_the_signin(signed_in, 11)
    page = signed_in.get("/mon-compte/mot-de-passe").content.decode()
    assert "Me reconnecter avec EduConnect" in page
    assert "/educonnect/connexion?next=%2Fmon-compte%2Fmot-de-passe" in page
    response = signed_in.post("/mon-compte/mot-de-passe", password_form())
    assert response.status_code == 403
    assert "reconnectez-vous d&#x27;abord" in response.content.decode()
    lea.refresh_from_db()
    assert not lea.has_usable_password()

    # Signing in again at EduConnect brings her back to the page, where it now works.
    form = educonnect.authenticate(
        start(signed_in, "/mon-compte/mot-de-passe"), "eleve", requests.Session()
    )
    form.pop("action")
    back = post_answer(signed_in, form)
    assert back["Location"] == "/mon-compte/mot-de-passe"
    assert signed_in.post("/mon-compte/mot-de-passe", password_form()).status_code == 302
    lea.refresh_from_db()
    assert lea.check_password(NEW_PASSWORD)


def test_her_mobile_and_address_change_on_a_recent_signin_only(
    signed_in: Any, lea: Account
) -> None:
    page = signed_in.get("/mon-compte/coordonnees").content.decode()
    assert 'name="current_password"' not in page
    response = signed_in.post("/mon-compte/coordonnees", {"mobile": "06 12 34 56 78"})
    assert response.status_code == 302
    lea.refresh_from_db()
    assert lea.mobile == "+33612345678"

    response = signed_in.post("/mon-compte/courriel", {"email": "lea@example.fr"})
    assert response.status_code == 302
    assert EmailVerification.objects.filter(account=lea, email="lea@example.fr").exists()

    age_the_signin(signed_in, 30)
    response = signed_in.post("/mon-compte/coordonnees", {"mobile": "07 81 23 45 67"})
    assert response.status_code == 403
    response = signed_in.post("/mon-compte/courriel", {"email": "autre@example.fr"})
    assert response.status_code == 403
    lea.refresh_from_db()
    assert lea.mobile == "+33612345678"
    assert not EmailVerification.objects.filter(email="autre@example.fr").exists()


def test_an_account_with_a_password_still_types_it(client: Any, lea: Account) -> None:
    """The rule changes nothing for the others: a password account types its password."""
    lea.set_password(NEW_PASSWORD)
    lea.save()
    client.post("/connexion", {"username": "lea.martin", "password": NEW_PASSWORD})
    page = client.get("/mon-compte/mot-de-passe").content.decode()
    assert 'name="current_password"' in page
    response = client.post("/mon-compte/mot-de-passe", password_form("Autre-Mot-De-Passe-77"))
    assert response.status_code == 400


def test_without_a_password_nor_an_identity_the_page_points_to_recovery(
    client: Any, lea: Account
) -> None:
    """An account whose password was lost (unusable) and no identity linked: nothing can
    confirm a change here; the page says how to get a password back."""
    client.force_login(lea)
    page = client.get("/mon-compte/mot-de-passe").content.decode()
    assert 'id="no-password"' in page
    assert 'href="/mot-de-passe-oublie/"' in page
    response = client.post("/mon-compte/mot-de-passe", password_form())
    assert response.status_code == 403
    lea.refresh_from_db()
    assert not lea.has_usable_password()
