"""Issue 12, parts 9 and 10, on a phone (390 × 844) in Chromium, axe-core on every page.

The school prints a parent's letter; the parent makes the choice the letter names on the
sign-in page, in its words, then meets exactly the pages the letter lists, in its order and
with its titles. On the way: the charter in whole sentences (and not announced as a change),
a common password refused by a rule the checklist shows, "d’Arthur", and afterwards the
session she is using listed in "Sessions ouvertes"."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.console.conftest import make_person
from tests.e2e.conftest import _context_page, choose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "Correct-Horse-Battery-9"
PHONE = {"width": 390, "height": 844}
CHARTER = (
    "L'espace numérique de travail est réservé aux activités\n"
    "scolaires et éducatives.\n\n"
    "Chacun protège son identifiant\net son mot de passe."
)


def _phone(browser: Any) -> Iterator[Any]:
    yield from _context_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def secretary_phone(browser: Any) -> Iterator[Any]:
    yield from _phone(browser)


@pytest.fixture
def parent_phone(browser: Any) -> Iterator[Any]:
    yield from _phone(browser)


@pytest.fixture
def school(public_site: str) -> Establishment:
    school = Establishment.objects.create(
        uai="0750654D", name="Collège Victor-Hugo", kind="college", city="Paris"
    )
    secretary = make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=ADMIN_PASSWORD,
    )
    arthur = make_person(
        school, "arthur.bernard", first_name="Arthur", last_name="Bernard", classes=["6A"]
    )
    Account.objects.filter(pk=arthur.pk).update(birth_date=dt.date(2014, 7, 14))
    marc = make_person(
        school,
        "marc.bernard",
        first_name="Marc",
        last_name="Bernard",
        profile=Membership.Profile.GUARDIAN,
    )
    Guardianship.objects.create(guardian=marc, student=arthur, establishment=school)
    version = charter_version_create(actor=None, title="Charte de l’ENT", body=CHARTER)
    charter_version_publish(actor=None, version=version)
    charter_accept(actor=secretary, account=secretary, version=version)
    return school


def _letter_of(secretary: Any, signin: Any, school: Establishment) -> str:
    """The secretary prints the parents' letters; the text of the PDF (words on one line)."""
    letters_page = f"/console/{school.uai}/courriers/"
    signin(secretary, "claire.secretariat", ADMIN_PASSWORD, next=letters_page)
    choose(secretary, "Responsables légaux")
    with secretary.expect_download() as download:
        secretary.get_by_role("button", name="Émettre les codes et télécharger le PDF").click()
    with open(download.value.path(), "rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _title(page: Any) -> str:
    """The page's title as its heading says it, without "Étape n sur m"."""
    heading = page.locator("h1").inner_text()
    return re.sub(r"\s*Étape \d+ sur \d+\s*$", "", " ".join(heading.split()))


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def _rule(page: Any, code: str) -> str:
    classes = page.get_attribute(f'#password-rules [data-rule="{code}"]', "class") or ""
    return next((s for s in ("valid", "error", "info") if f"fr-message--{s}" in classes), "")


def test_a_parent_follows_her_letter_and_meets_its_steps_in_its_words(
    *,
    secretary_phone: Any,
    parent_phone: Any,
    url: Any,
    signin: Any,
    axe: Any,
    school: Establishment,
) -> None:
    letter = _letter_of(secretary_phone, signin, school)
    code = re.search(r"Code d’activation ([A-Z0-9]{4}-[A-Z0-9]{4})", letter)
    choice = re.search(r"sous « Vous êtes : », choisissez « ([^»]+) »", letter)
    assert code and choice, letter
    steps = letter.split("étape par étape", 1)[1].split("Le code d’activation ne sert", 1)[0]
    titles = [
        part.split(" : ", 1)[0]
        for part in re.split(r"\s\d\s", " " + steps)
        if " : " in part and not part.strip().startswith(("Ouvrez", "Connectez"))
    ]
    assert titles == [
        "Charte d’utilisation",
        "Choix du mot de passe",
        "Date de naissance",
        "Coordonnées",
        "Confirmation de l’adresse électronique",
    ], letter

    # The sign-in page offers the very choice the letter names.
    page = parent_phone
    page.goto(url("/connexion"))
    page.get_by_role("link", name=choice.group(1), exact=True).click()
    axe(page, "page de connexion, choix du profil")
    page.fill("#username", "marc.bernard")
    page.fill("#password", code.group(1))
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    seen = []

    # The charter: whole sentences, and a first charter is not "a new version".
    seen.append(_title(page))
    text = page.inner_text(".preau-charter__text")
    assert "réservé aux activités scolaires et éducatives." in " ".join(text.split("\n\n")[0:1])
    assert page.locator(".preau-charter__text p").count() == 2
    assert "a changé" not in page.inner_text("main")
    axe(page, "charte")
    page.click("label[for=id_accept]")
    _submit(page, "#charter-form")

    # The password: a common one meets every listed character rule but is refused, and the
    # checklist says which rule.
    seen.append(_title(page))
    expect(page.locator('#password-rules [data-rule="common"]')).to_contain_text(
        "un mot de passe courant"
    )
    page.fill("#id_password", "Soleil2024!")
    page.fill("#id_password_confirm", "Soleil2024!")
    _submit(page, "#password-form")
    assert "trop courant" in page.inner_text("#id_password-messages")
    assert _rule(page, "common") == "error"
    for code_name in ("min_length", "lower", "upper", "digit", "special", "personal", "server"):
        assert _rule(page, code_name) == "valid", code_name
    axe(page, "mot de passe courant refusé")
    page.fill("#id_password", "Tournesol#42b")
    assert _rule(page, "common") == "info"  # checked again when sent
    page.fill("#id_password_confirm", "Tournesol#42b")
    _submit(page, "#password-form")

    # The child's birth date: "d’Arthur".
    seen.append(_title(page))
    assert page.inner_text("#birth-date-legend") == "Date de naissance d’Arthur Bernard"
    axe(page, "date de naissance")
    page.fill("#id_birth_date", "14/07/2014")
    _submit(page, "#birth-date-form")

    seen.append(_title(page))
    page.fill("#id_email", "marc.bernard@example.fr")
    axe(page, "coordonnées")
    _submit(page, "#contact-form")

    seen.append(_title(page))
    axe(page, "confirmation de l'adresse")
    _submit(page, "#email-continue")
    assert seen == titles

    expect(page.locator("h1")).to_have_text("Votre compte est activé")
    # Her session, the one she is using, is listed.
    page.goto(url("/mon-compte/sessions"))
    table = page.locator("#sessions-table")
    expect(table).to_contain_text("cette session")
    assert "Aucune session enregistrée" not in table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe(page, "sessions ouvertes")
    page.goto(url("/mon-compte/charte"))
    assert page.locator(".preau-charter__text p").count() == 2
    axe(page, "charte dans Mon compte")
