"""A parent whose school gave a mobile number that the forms used to refuse (``07 19 05 30 04``,
imported before the one rule of preau.notify.phones) finishes her first connection on her phone:
the number is not pre-filled, the page says why, and the contact step goes on (issue 12)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership

CODE = "PQRT3469"

pytestmark = pytest.mark.usefixtures("public_site")


@pytest.fixture
def mickael(transactional_db: Any) -> Account:
    school = Establishment.objects.create(uai="0693999X", name="Collège Jean Moulin")
    child = Account.objects.create_user(
        "lea.martin", first_name="Léa", last_name="Martin", birth_date=dt.date(2015, 3, 7)
    )
    Membership.objects.create(
        account=child, establishment=school, profile=Membership.Profile.STUDENT, school_year=2026
    )
    parent = Account.objects.create_user(
        "mickael.martin",
        first_name="Mickaël",
        last_name="Martin",
        activation_code_digest=activation_code_digest(CODE),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
        # As the importer stored it before the rule: ten digits, in a block nobody holds.
        mobile="+33719053004",
    )
    Membership.objects.create(
        account=parent, establishment=school, profile=Membership.Profile.GUARDIAN, school_year=2026
    )
    Guardianship.objects.create(guardian=parent, student=child, establishment=school)
    version = charter_version_create(actor=None, title="Charte", body="Article 1. Le respect.")
    charter_version_publish(actor=None, version=version)
    return parent


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_the_parent_with_a_formerly_refused_number_completes_the_contact_step(
    phone_page: Any, url: Callable[[str], str], signin: Any, axe: Any, mickael: Account
) -> None:
    page = phone_page
    signin(page, "mickael.martin", CODE)
    page.click("label[for=id_accept]")
    submit(page, "#charter-form")
    page.fill("#id_password", "Tournesol#42b")
    page.fill("#id_password_confirm", "Tournesol#42b")
    submit(page, "#password-form")
    page.fill("#id_birth_date", "07/03/2015")
    submit(page, "#birth-date-form")

    assert page.url == url("/premiere-connexion/coordonnees")
    assert page.input_value("#id_mobile") == ""
    hint = page.inner_text("#id_mobile-hint")
    assert "07 19 05 30 04" in hint
    assert "n'a pas été repris" in hint.replace("’", "'")
    axe(page, "contact step with a dropped school number")

    # Typing the school's number back is refused with the reason, not a bare "pas valide".
    page.fill("#id_mobile", "07 19 05 30 04")
    submit(page, "#contact-form")
    assert "attribué à aucun téléphone mobile" in page.inner_text("#id_mobile-messages")
    axe(page, "contact step refusing a number no operator holds")
    # Sent with the field left empty, as the page offered it: the step goes on.
    page.fill("#id_mobile", "")
    submit(page, "#contact-form")
    assert page.url != url("/premiere-connexion/coordonnees")
    mickael.refresh_from_db()
    assert mickael.mobile == ""
