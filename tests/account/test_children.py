"""The pages of "Rattacher des élèves" (issue 14, part 2): the required action at sign-in
(before "Mon compte", CAS and OpenID Connect), and "Mes enfants" in "Mon compte"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.recovery.models import HelpRequest
from tests.account.conftest import PASSWORD, signed_in
from tests.factories import account_factory
from tests.sso.conftest import _fresh_registry, register  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2014, 3, 9)
PAGE = "/premiere-connexion/enfants"


@pytest.fixture
def college(db: Any) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


@pytest.fixture
def nathalie(establishment: Establishment) -> Account:
    return account_factory(
        state=Account.State.ACTIVE,
        login="nathalie.moreau",
        password=PASSWORD,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
        first_name="Nathalie",
        last_name="Moreau",
    )


@pytest.fixture
def hugo_link(nathalie: Account, college: Establishment) -> Guardianship:
    Membership.objects.create(
        account=nathalie, establishment=college, profile="responsable", school_year=2026
    )
    hugo = account_factory(
        establishment=college, first_name="Hugo", last_name="Moreau", birth_date=BIRTH
    )
    return Guardianship.objects.create(
        guardian=nathalie,
        student=hugo,
        establishment=college,
        confirmation=Guardianship.Confirmation.PENDING,
    )


def answer(client: Client, link: Guardianship, url: str, date: str, action: str = "confirm") -> Any:
    return client.post(
        url, {"enfant": link.pk, f"enfant-{link.pk}-birth_date": date, "action": action}
    )


def test_a_pending_child_is_asked_before_anything_else_with_first_name_and_school_only(
    nathalie: Account, hugo_link: Guardianship
) -> None:
    register("Vie scolaire", ("prefix", "https://vie-scolaire.test/"))
    client = signed_in(nathalie.login)
    cas = "/cas/login?service=https://vie-scolaire.test/"
    for url in ("/", "/mon-compte/", "/mon-compte/enfants", cas):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/premiere-connexion/"), url
    page = client.get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Hugo" in html and "Collège Victor-Hugo" in html
    assert "MOREAU" not in html.upper().replace("NATHALIE MOREAU", "")
    assert "09/03/2014" not in html and "2014" not in html
    assert "Je ne suis pas responsable légal de cet élève" in html
    assert "plus tard" not in html.lower()


def test_a_wrong_date_says_what_to_do_and_the_right_one_lets_the_parent_through(
    nathalie: Account, hugo_link: Guardianship
) -> None:
    client = signed_in(nathalie.login)
    wrong = answer(client, hugo_link, PAGE, "10/03/2014")
    assert wrong.status_code == 400
    assert "Il vous reste 2 essais" in wrong.content.decode()
    future = answer(client, hugo_link, PAGE, "10/03/2999")
    assert future.status_code == 400
    assert "dans le futur" in future.content.decode()
    hugo_link.refresh_from_db()
    assert hugo_link.confirmation_failures == 1
    right = answer(client, hugo_link, PAGE, "09/03/2014")
    assert right.status_code == 302
    followed = client.get(right["Location"], follow=True)
    assert followed.status_code == 200
    assert client.get("/").status_code == 200
    mine = client.get("/mon-compte/enfants").content.decode()
    assert "Hugo Moreau" in mine and "confirmé" in mine


def test_three_wrong_dates_freeze_the_child_and_the_action_is_over(
    nathalie: Account, hugo_link: Guardianship, college: Establishment
) -> None:
    client = signed_in(nathalie.login)
    for _ in range(2):
        assert answer(client, hugo_link, PAGE, "10/03/2014").status_code == 400
    from django.core.cache import cache

    cache.clear()  # the throttle's delay, not under test here
    frozen = answer(client, hugo_link, PAGE, "11/03/2014")
    assert frozen.status_code == 302
    assert client.get("/").status_code == 200
    mine = client.get("/mon-compte/enfants").content.decode()
    assert "bloqué — l’établissement vérifie" in mine
    assert 'name="enfant"' not in mine
    assert HelpRequest.objects.get().reason == HelpRequest.Reason.LINK_FROZEN


def test_refusing_takes_two_steps_and_hides_the_child(
    nathalie: Account, hugo_link: Guardianship, college: Establishment
) -> None:
    client = signed_in(nathalie.login)
    ask = answer(client, hugo_link, PAGE, "", action="refuse_ask")
    assert ask.status_code == 200
    assert "Vous confirmez ne pas être responsable légal de Hugo" in ask.content.decode()
    hugo_link.refresh_from_db()
    assert hugo_link.confirmation == "pending"
    done = answer(client, hugo_link, PAGE, "", action="refuse")
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    mine = client.get("/mon-compte/enfants").content.decode()
    assert "Hugo" not in mine
    assert HelpRequest.objects.get().reason == HelpRequest.Reason.LINK_REFUSED


def test_another_guardians_link_cannot_be_answered(
    nathalie: Account, hugo_link: Guardianship, establishment: Establishment
) -> None:
    other = account_factory(
        state=Account.State.ACTIVE,
        login="marc.durand",
        password=PASSWORD,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
    )
    client = signed_in(other.login)
    for action in ("confirm", "refuse"):
        assert (
            answer(client, hugo_link, "/mon-compte/enfants", "09/03/2014", action).status_code
            == 400
        )
    hugo_link.refresh_from_db()
    assert hugo_link.confirmation == "pending"


def test_mes_enfants_answers_a_child_imported_while_the_session_was_open(
    nathalie: Account, college: Establishment, establishment: Establishment
) -> None:
    """A session found clear before the import is asked at its next sign-in; meanwhile "Mes
    enfants" offers the same answers."""
    client = signed_in(nathalie.login)
    assert client.get("/mon-compte/").status_code == 200
    link = Guardianship.objects.create(
        guardian=nathalie,
        student=account_factory(establishment=college, first_name="Inès", birth_date=BIRTH),
        establishment=college,
        confirmation=Guardianship.Confirmation.PENDING,
    )
    page = client.get("/mon-compte/enfants")
    assert page.status_code == 200
    assert "Inès" in page.content.decode()
    done = answer(client, link, "/mon-compte/enfants", "09/03/2014")
    assert done.status_code == 302 and done["Location"] == "/mon-compte/enfants"
    link.refresh_from_db()
    assert link.confirmation == "confirmed"


def test_a_student_sees_no_children_menu(establishment: Establishment) -> None:
    pupil = account_factory(
        state=Account.State.ACTIVE,
        login="lea.petit",
        password=PASSWORD,
        establishment=establishment,
    )
    html = signed_in(pupil.login).get("/mon-compte/").content.decode()
    assert "Mes enfants" not in html
