"""Issue 11 in the browser: what a person sees when something is refused for their safety.

- a pupil whose birth date was refused too many times reads what happened and what to do;
- a secretary who opens a parent shared with another school reads why she cannot give a new
  code, and is offered no button that would be refused;
- a request too large for the server gets the site's own page saying so.
Each page passes axe-core.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.models import ActivationJourney
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Membership
from tests.console.conftest import make_person

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("public_site")]

CODE = "K7MQ4XHA"
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def school(transactional_db: Any) -> Establishment:
    return Establishment.objects.create(
        uai="0750654D", name="Collège Victor-Hugo", kind="college", postal_code="75003"
    )


def test_a_birth_date_refused_too_often_says_what_to_do(
    page: Any, url: Any, signin: Any, axe: Any, school: Establishment
) -> None:
    pupil = Account.objects.create_user(
        "lea.bernard",
        first_name="Léa",
        last_name="Bernard",
        birth_date=dt.date(2011, 7, 14),
        activation_code_digest=activation_code_digest(CODE),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
    )
    Membership.objects.create(
        account=pupil, establishment=school, profile=Membership.Profile.STUDENT, school_year=2026
    )
    # Four wrong dates already, from other days and other addresses.
    ActivationJourney.objects.create(
        account=pupil, started_at=timezone.now(), birth_date_failures=4
    )
    signin(page, "lea.bernard", CODE, next="/")
    assert page.url.endswith("/premiere-connexion/mot-de-passe")
    page.fill("#id_password", "Tournesol#42b")
    page.fill("#id_password_confirm", "Tournesol#42b")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/premiere-connexion/date-de-naissance")
    page.fill("#id_birth_date", "15/07/2011")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    text = page.locator("main").inner_text()
    assert "trop de fois" in text
    assert "établissement" in text
    axe(page, "date de naissance bloquée")


def test_a_shared_parent_is_the_operators_to_reset(
    page: Any, url: Any, signin: Any, axe: Any, school: Establishment
) -> None:
    other = Establishment.objects.create(uai="0690026D", name="Lycée du Parc", kind="lycee")
    make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=PASSWORD,
    )
    parent = make_person(
        school, "nathalie.moreau", profile="responsable", state=Account.State.ACTIVE
    )
    make_person(other, parent.login, profile="responsable")
    signin(
        page, "claire.secretariat", PASSWORD, next=f"/console/{school.uai}/comptes/nathalie.moreau/"
    )
    main = page.locator("main").inner_text()
    assert "Lycée du Parc" in main and "administrateur ENT" in main
    assert page.get_by_role("link", name="Émettre un nouveau code d’activation").count() == 0
    assert page.get_by_role("button", name="Lever les blocages").count() == 1
    axe(page, "compte partagé")


def test_a_request_too_large_gets_the_sites_page(
    page: Any, url: Any, axe: Any, settings: Any, school: Establishment
) -> None:
    settings.PREAU = {**settings.PREAU, "REQUEST_MAX_BYTES": 2048}
    page.goto(url("/connexion"))
    page.fill("#username", "lea.bernard")
    page.fill("#password", "x" * 4000)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    assert page.locator("h1").inner_text() == "Envoi trop volumineux"
    assert "rien n’a été enregistré" in page.locator("main").inner_text()
    axe(page, "requête trop grande")
