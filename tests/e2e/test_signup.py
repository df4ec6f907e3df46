"""A parent's sign-up by SMS in Chromium on a phone-sized window (issue 14, part 1), each SMS
read from the local HTTP gateway, axe-core on every page of the sign-up (errors included):
a parent signs up for two children and reaches the services page; an unknown number gets the
same answer; a guardian whose account is active receives their identifier instead of a code."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.e2e.conftest import choose
from tests.notify.sms_gateway import SmsGateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_site")]

MOBILE = "+33612345678"
PASSWORD = "Tournesol#42b"


def pending(login: str, first: str, last: str, **fields: Any) -> Account:
    return Account.objects.create_user(
        login,
        first_name=first,
        last_name=last,
        activation_code_digest=activation_code_digest("PQRT3469"),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
        **fields,
    )


def member(account: Account, establishment: Establishment, profile: str) -> None:
    Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=2026
    )


@pytest.fixture
def family(transactional_db: Any) -> Account:
    """A father imported by a collège and a primary school, one child in each."""
    college = Establishment.objects.create(uai="0750654D", name="Collège Victor-Hugo")
    school = Establishment.objects.create(uai="0750001A", name="École Jules-Ferry", kind="ecole")
    father = pending("marc-andre.lefevre", "Marc-André", "Lefèvre", mobile=MOBILE)
    for establishment, login, first, birth in (
        (college, "lea.lefevre", "Léa", dt.date(2011, 7, 14)),
        (school, "tom.lefevre", "Tom", dt.date(2014, 2, 3)),
    ):
        member(father, establishment, Membership.Profile.GUARDIAN)
        pupil = pending(login, first, "Lefèvre", birth_date=birth)
        member(pupil, establishment, Membership.Profile.STUDENT)
        Guardianship.objects.create(guardian=father, student=pupil, establishment=establishment)
    version = charter_version_create(actor=None, title="Charte de l'ENT", body="Article 1.")
    charter_version_publish(actor=None, version=version)
    return father


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def ask(page: Any, url: Any, axe: Any, mobile: str, *, check: bool = True) -> None:
    """From the sign-in page, parents' choice, "Je n'ai pas de compte", the form."""
    page.goto(url("/connexion"))
    page.get_by_role("link", name="Élève ou parent", exact=True).click()
    page.get_by_role("link", name="Je n'ai pas de compte").click()
    assert page.url == url("/inscription/")
    if check:
        axe(page, "inscription")
        submit(page, "#signup-form")
        assert "Saisissez votre nom de famille" in page.inner_text("#signup-form")
        axe(page, "inscription (champs vides)")
    page.fill("#id_last_name", "LEFEVRE")
    page.fill("#id_first_name", "marc andré")
    page.fill("#id_mobile", mobile)
    submit(page, "#signup-form")
    assert page.url == url("/inscription/code")
    assert "Si ces informations correspondent à un responsable connu" in page.inner_text("main")


def test_a_parent_signs_up_by_sms_for_two_children_and_reaches_the_services_page(
    phone_page: Any, url: Any, axe: Any, family: Account, sms_gateway: SmsGateway
) -> None:
    page = phone_page
    ask(page, url, axe, "06 12 34 56 78")
    axe(page, "inscription : code")
    code = sms_gateway.code_sent_to(MOBILE)
    page.fill("#id_code", f"{(int(code) + 1) % 1_000_000:06d}")
    submit(page, "#signup-code-form")
    assert "il vous reste 4 essais" in page.inner_text("#signup-error")
    axe(page, "inscription : code erroné")
    page.fill("#id_code", f"{code[:3]} {code[3:]}")
    submit(page, "#signup-code-form")

    assert page.url == url("/inscription/enfants")
    axe(page, "inscription : enfants")
    labels = page.locator("#signup-children-form label").all_inner_texts()
    assert any("Léa (Collège Victor-Hugo)" in label for label in labels)
    assert any("Tom (École Jules-Ferry)" in label for label in labels)
    fields = page.locator("#signup-children-form input[type=text]")
    fields.nth(0).fill("14/07/2011")
    fields.nth(1).fill("03/02/2099")
    submit(page, "#signup-children-form")
    assert "Cette date est dans le futur" in page.inner_text("#signup-children-form")
    axe(page, "inscription : enfants (date future)")
    fields.nth(1).fill("03/02/2014")
    submit(page, "#signup-children-form")

    assert page.url == url("/inscription/charte")
    axe(page, "inscription : charte")
    choose(page, "J'ai lu et j'accepte les conditions ci-dessus")
    submit(page, "#signup-charter-form")
    assert page.url == url("/inscription/mot-de-passe")
    axe(page, "inscription : mot de passe")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_confirm", PASSWORD)
    submit(page, "#signup-password-form")

    assert page.url == url("/inscription/termine")
    assert page.inner_text("#signup-login") == "marc-andre.lefevre"
    axe(page, "inscription : terminée")
    assert "identifiant est marc-andre.lefevre" in sms_gateway.texts_to(MOBILE)[-1]
    with page.expect_navigation():
        page.click("#signup-continue")
    assert page.url == url("/")
    assert "Mes services" in page.inner_text("main")
    family.refresh_from_db()
    assert family.state == Account.State.ACTIVE and family.mobile_verified_at is not None


def test_an_unknown_number_gets_the_same_answer_and_no_sms(
    phone_page: Any, url: Any, axe: Any, family: Account, sms_gateway: SmsGateway
) -> None:
    page = phone_page
    ask(page, url, axe, "06 98 76 54 32", check=False)
    axe(page, "inscription : réponse (numéro inconnu)")
    for left in (4, 3, 2, 1):
        page.fill("#id_code", "123456")
        submit(page, "#signup-code-form")
        assert f"il vous reste {left} essai" in page.inner_text("#signup-error")
    page.fill("#id_code", "123456")
    submit(page, "#signup-code-form")
    assert "Trop de codes erronés" in page.inner_text("#signup-problem")
    axe(page, "inscription : trop de codes")
    assert sms_gateway.requests == []


def test_a_child_without_a_birth_date_on_record_stops_the_sign_up_and_names_the_schools(
    phone_page: Any, url: Any, axe: Any, family: Account, sms_gateway: SmsGateway
) -> None:
    page = phone_page
    Account.objects.filter(login="tom.lefevre").update(birth_date=None)
    ask(page, url, axe, "06 12 34 56 78", check=False)
    page.fill("#id_code", sms_gateway.code_sent_to(MOBILE))
    submit(page, "#signup-code-form")
    assert "Contactez votre établissement" in page.inner_text("h1")
    assert page.locator("#signup-establishments li").all_inner_texts() == [
        "Collège Victor-Hugo",
        "École Jules-Ferry",
    ]
    axe(page, "inscription : contactez votre établissement")
    family.refresh_from_db()
    assert family.state == Account.State.PROVISIONED


def test_an_active_guardian_receives_the_identifier_instead_of_a_code_without_javascript(
    browser: Any, url: Any, axe: Any, family: Account, sms_gateway: SmsGateway
) -> None:
    Account.objects.filter(pk=family.pk).update(
        state=Account.State.ACTIVE, activated_at=timezone.now()
    )
    context = browser.new_context(
        locale="fr-FR",
        java_script_enabled=False,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    try:
        ask(context.new_page(), url, axe, "+33 6 12 34 56 78", check=False)
    finally:
        context.close()
    (text,) = sms_gateway.texts_to(MOBILE)
    assert "marc-andre.lefevre" in text and "/mot-de-passe-oublie/" in text
    assert not re.search(r"\b\d{6}\b", text)  # no code
