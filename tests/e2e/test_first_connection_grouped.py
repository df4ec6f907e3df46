"""A parent's first connection in Chromium where the deployment groups the new password, the
child's birth date and the contact details on ONE page, then the charter (a list as a step of
``PREAU["REQUIRED_ACTIONS"]``), with an axe-core check of the grouped page, errors included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.models import ActivationJourney, CharterVersion
from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership

GUARDIAN_CODE = "PQRT3469"
GROUPED = {
    "responsable": [
        ["UPDATE_PASSWORD", "CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"],
        "ACCEPT_CHARTER",
        "VERIFY_EMAIL",
    ]
}


@pytest.fixture(autouse=True)
def _settings(settings: Any, public_site: str) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "b", "REQUIRED_ACTIONS": GROUPED}


def _pending(login: str, code: str, **fields: Any) -> Account:
    first, _, last = login.partition(".")
    return Account.objects.create_user(
        login,
        first_name=fields.pop("first_name", first.capitalize()),
        last_name=fields.pop("last_name", last.capitalize()),
        activation_code_digest=activation_code_digest(code),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
        **fields,
    )


@pytest.fixture
def guardian(transactional_db: Any) -> Account:
    school = Establishment.objects.create(
        uai="0750654D", name="Collège Victor-Hugo", kind="college", postal_code="75003"
    )
    child = _pending("lea.bernard", "K7MQ4XHA", first_name="Léa", birth_date=dt.date(2011, 7, 14))
    Membership.objects.create(
        account=child, establishment=school, profile=Membership.Profile.STUDENT, school_year=2026
    )
    account = _pending("marc.bernard", GUARDIAN_CODE, first_name="Marc")
    Membership.objects.create(
        account=account, establishment=school, profile=Membership.Profile.GUARDIAN, school_year=2026
    )
    Guardianship.objects.create(guardian=account, student=child, establishment=school)
    return account


@pytest.fixture
def charter(transactional_db: Any) -> CharterVersion:
    version = charter_version_create(
        actor=None,
        title="Charte d'utilisation de l'ENT",
        body="Article 1. Chacun respecte les autres.\n\nArticle 2. On protège son mot de passe.",
    )
    charter_version_publish(actor=None, version=version)
    return version


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


@pytest.mark.usefixtures("charter")
def test_a_parents_first_connection_with_the_grouped_page_then_the_charter(
    page: Any, url: Callable[[str], str], signin: Any, axe: Any, guardian: Account
) -> None:
    signin(page, "marc.bernard", GUARDIAN_CODE, next="/mon-compte/")

    # 1. One page: the new password (policy b), the child's birth date, the contact details.
    assert page.url == url("/premiere-connexion/informations")
    main = page.inner_text("main")
    assert "Étape 1 sur 3" in main
    assert "Léa Bernard" in main
    assert page.is_visible("#password-rules")
    axe(page, "grouped page")

    page.fill("#id_password", "tournesol42")
    page.fill("#id_password_confirm", "tournesol42")
    page.fill("#id_birth_date", "15/07/2011")  # a wrong date
    page.fill("#id_email", "marc.bernard@example.fr")
    page.fill("#id_mobile", "06 12 34 56 78")
    submit(page, "#group-form")
    assert "ne correspond pas" in page.inner_text("#id_birth_date-messages")
    assert page.input_value("#id_birth_date") == "15/07/2011"
    assert page.input_value("#id_email") == "marc.bernard@example.fr"
    assert page.input_value("#id_mobile") == "06 12 34 56 78"
    assert page.input_value("#id_password") == ""  # never sent back
    assert ActivationJourney.objects.get(account=guardian).password_updated_at is None
    axe(page, "grouped page with an error")

    page.fill("#id_password", "tournesol42")
    page.fill("#id_password_confirm", "tournesol42")
    page.fill("#id_birth_date", "14/07/2011")
    submit(page, "#group-form")

    # 2. The charter, after the grouped page.
    assert page.url == url("/premiere-connexion/charte")
    assert "Étape 2 sur 3" in page.inner_text("main")
    page.click("label[for=id_accept]")
    submit(page, "#charter-form")

    # 3. The e-mail step (proof not required here), then the end.
    assert page.url == url("/premiere-connexion/courriel")
    assert "Étape 3 sur 3" in page.inner_text("main")
    submit(page, "#email-continue")
    assert page.url == url("/premiere-connexion/termine")
    guardian.refresh_from_db()
    assert guardian.state == Account.State.ACTIVE
    assert guardian.check_password("tournesol42")
    assert guardian.email == "marc.bernard@example.fr"
