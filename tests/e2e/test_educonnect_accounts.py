"""EduConnect's account pages in Chromium on a phone (issue 15, part 3), axe-core on each: a
parent known by two schools chooses the account to link; a pupil without a password, signed
in through EduConnect, chooses one in Mon compte without typing any current password."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.federation.models import FederatedIdentity
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Tres-Bon-Mot-De-Passe-42"


@pytest.fixture
def idp(live_server: Any, settings: Any) -> Iterator[TestEduConnect]:
    ec = TestEduConnect(str(live_server.url))
    settings.PREAU = {**settings.PREAU, **ec.settings()}
    try:
        yield ec
    finally:
        ec.stop()


def person(
    login: str, first: str, last: str, school: Establishment, profile: str, **kw: Any
) -> Account:
    account = Account.objects.create_user(
        login,
        password=None,
        first_name=first,
        last_name=last,
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        **kw,
    )
    Membership.objects.create(
        account=account, establishment=school, profile=profile, school_year=2026
    )
    return account


def through_educonnect(page: Any, url: Any, idp: TestEduConnect, user: str) -> None:
    page.goto(url("/connexion?selection=educonnect"))
    page.click("#educonnect-button")
    page.wait_for_url(f"{idp.base}/**")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", user)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("#educonnect-continue")
    page.click("#educonnect-continue button[type=submit]")


def test_a_parent_of_two_schools_chooses_the_account_to_link(
    phone_page: Any, url: Any, axe: Any, idp: TestEduConnect, transactional_db: Any
) -> None:
    college = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    ecole = Establishment.objects.create(uai="0750002B", name="École Jules-Ferry")
    records: list[Account] = []
    for school, child, ine in ((college, "Léa", "123456789AB"), (ecole, "Tom", "223456789AB")):
        pupil = person(f"{child.lower()}.martin", child, "Martin", school, "eleve", ine=ine)
        parent = person(f"paul.martin{len(records) + 1}", "Paul", "Martin", school, "responsable")
        Guardianship.objects.create(
            guardian=parent,
            student=pupil,
            establishment=school,
            confirmation=Guardianship.Confirmation.CONFIRMED,
        )
        records.append(parent)

    page = phone_page
    through_educonnect(page, url, idp, "parent")
    page.wait_for_url(url("/educonnect/choix"))
    assert "Tom (École Jules-Ferry)" in page.inner_text("main")
    axe(page, "EduConnect : choisir le compte")
    page.click(f"label[for=account-{records[1].pk}]")  # DSFR draws the radio on the label
    assert page.is_checked(f"#account-{records[1].pk}")
    page.click("#educonnect-choose button[type=submit]")
    page.wait_for_url(url("/"))
    assert "paul.martin1" in page.inner_text("body")  # the other account, and the merge
    axe(page, "après le choix")
    assert FederatedIdentity.objects.get().account == records[1]


def test_a_pupil_without_a_password_chooses_one_in_mon_compte(
    phone_page: Any, url: Any, axe: Any, idp: TestEduConnect, transactional_db: Any
) -> None:
    school = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    lea = person("lea.martin", "Léa", "MARTIN", school, "eleve", ine="123456789AB")

    page = phone_page
    through_educonnect(page, url, idp, "eleve")
    page.wait_for_url(url("/"))
    page.goto(url("/mon-compte/mot-de-passe"))
    assert page.inner_text("h1") == "Choisir un mot de passe"
    assert page.locator("input[name=current_password]").count() == 0
    axe(page, "Mon compte : choisir un mot de passe")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=password_confirm]", NEW_PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_url(url("/mon-compte/"))
    lea.refresh_from_db()
    assert lea.check_password(NEW_PASSWORD)
