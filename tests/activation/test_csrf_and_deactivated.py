"""A friendly page when a form's CSRF check fails; the message a deactivated person reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account

pytestmark = pytest.mark.django_db

PASSWORD = "Tournesol#42b"


@pytest.fixture
def deactivated(db: Any) -> Account:
    return Account.objects.create_user(
        "paul.durand",
        password=PASSWORD,
        first_name="Paul",
        last_name="Durand",
        state=Account.State.DEACTIVATED,
        deactivated_at=timezone.now(),
    )


def test_a_failed_csrf_check_shows_a_french_page_that_says_what_to_do() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/deconnexion", HTTP_REFERER="http://testserver/deconnexion")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Le formulaire n&#x27;a pas pu être envoyé" in html or (
        "Le formulaire n'a pas pu être envoyé" in html
    )
    assert "Rien n&#x27;a été enregistré" in html or "Rien n'a été enregistré" in html
    assert 'href="http://testserver/deconnexion"' in html  # back to the page


def test_the_csrf_page_never_links_to_another_site() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/deconnexion", HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_a_deactivated_person_with_the_right_password_is_told_to_contact_the_school(
    client: Client, deactivated: Account
) -> None:
    response = client.post("/connexion", {"username": "paul.durand", "password": PASSWORD})
    assert response.status_code == 401
    assert "Votre compte est désactivé\u00a0: contactez votre établissement." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("login", "secret"), [("paul.durand", "pas-le-bon"), ("personne.inconnue", PASSWORD)]
)
def test_anybody_else_gets_the_generic_failure(
    client: Client, deactivated: Account, login: str, secret: str
) -> None:
    response = client.post("/connexion", {"username": login, "password": secret})
    html = response.content.decode()
    assert response.status_code == 401
    assert "désactivé" not in html
    assert "Identifiant ou mot de passe incorrect." in html
