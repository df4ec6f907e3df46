"""Issue 11, parts 2 and 3: a letter's code is one way in, and only one.

- When the school gives a new code (the account's page or a reprint of the letters), whoever
  signed in with the old one is signed out, and nothing they did in the first connection
  (password, charter, e-mail) survives: the owner starts afresh with the new code.
- Once the owner has chosen her password, the letter's code no longer signs in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from preau.activation.models import ActivationJourney, CharterAcceptance, CharterVersion
from preau.activation.services import charter_accept
from preau.directory.models import Account, Establishment, Membership
from tests.activation.conftest import GOOD_PASSWORD, STUDENT_CODE, follow, post, sign_in
from tests.console.conftest import make_person
from tests.recovery.test_school_side import code_in

pytestmark = pytest.mark.django_db

THIEF_PASSWORD = "Voleur#Malin77"


@pytest.fixture
def admin_client(establishment: Establishment, charter: CharterVersion) -> Client:
    admin = make_person(
        establishment,
        "claire.secretariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )
    charter_accept(actor=admin, account=admin, version=charter)
    client = Client()
    client.force_login(admin)
    return client


def _thief_half_way(student: Account) -> Client:
    """Someone who found Léa's letter: signed in, charter, their own password, birth date."""
    thief = Client()
    sign_in(thief, student.login, STUDENT_CODE)
    page = post(thief, "/premiere-connexion/charte", {"accept": "on"})
    page = post(thief, page.url, {"password": THIEF_PASSWORD, "password_confirm": THIEF_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"
    page = post(thief, page.url, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
    return thief


def _the_owner_starts_afresh(student: Account, code: str) -> None:
    owner = Client()
    sign_in(owner, student.login, code)
    page = follow(owner, "/")
    assert page.url == "/premiere-connexion/charte"  # the thief's acceptance is gone
    page = post(owner, page.url, {"accept": "on"})
    page = post(owner, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"
    page = post(owner, page.url, {"birth_date": "14/07/2011"})
    page = post(owner, page.url, {"email": "lea@example.fr", "mobile": ""})
    page = post(owner, "/premiere-connexion/courriel", {"action": "continue"})
    assert page.url == "/premiere-connexion/termine"
    student.refresh_from_db()
    assert student.state == Account.State.ACTIVE
    assert student.email == "lea@example.fr"


def _the_thief_is_out(thief: Client, student: Account) -> None:
    # Their session is over: the next page asks to sign in again.
    response = thief.get("/premiere-connexion/coordonnees")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin:login"))
    # Neither the old code nor the password they chose signs in.
    for secret in (STUDENT_CODE, THIEF_PASSWORD):
        response = Client().post("/connexion", {"username": student.login, "password": secret})
        assert response.status_code == 401, secret
    assert not ActivationJourney.objects.filter(account=student).exists()
    assert not CharterAcceptance.objects.filter(account=student).exists()


def test_a_code_reissued_from_the_accounts_page_ends_the_thiefs_journey(
    admin_client: Client, establishment: Establishment, student: Account, charter: CharterVersion
) -> None:
    thief = _thief_half_way(student)
    url = reverse(
        "console:account_reissue", kwargs={"uai": establishment.uai, "login": student.login}
    )
    response = admin_client.post(url, {"delivery": "letter"})
    assert response["Content-Type"] == "application/pdf"
    _the_thief_is_out(thief, student)
    _the_owner_starts_afresh(student, code_in(response.content))


def test_reprinted_letters_end_the_thiefs_journey(
    admin_client: Client, establishment: Establishment, student: Account, charter: CharterVersion
) -> None:
    thief = _thief_half_way(student)
    response = admin_client.post(
        reverse("console:letters", kwargs={"uai": establishment.uai}),
        {"profile": "student", "school_class": ""},
    )
    assert response["Content-Type"] == "application/pdf"
    _the_thief_is_out(thief, student)
    _the_owner_starts_afresh(student, code_in(response.content))


def test_the_code_dies_once_the_owner_has_chosen_her_password(
    student: Account, charter: CharterVersion, settings: Any
) -> None:
    owner = Client()
    sign_in(owner, student.login, STUDENT_CODE)
    page = post(owner, "/premiere-connexion/charte", {"accept": "on"})
    page = post(owner, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"

    # A second browser holding the letter can no longer skip the password step.
    second = Client()
    response = second.post("/connexion", {"username": student.login, "password": STUDENT_CODE})
    assert response.status_code == 401
    # Her own password opens the rest of her journey, on any browser.
    other = Client()
    sign_in(other, student.login, GOOD_PASSWORD)
    assert follow(other, "/").url == "/premiere-connexion/date-de-naissance"
    # And the first browser goes on where it was.
    page = post(owner, "/premiere-connexion/date-de-naissance", {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
