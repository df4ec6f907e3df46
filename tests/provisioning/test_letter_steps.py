"""Issue 12, part 9: a letter's steps are the first connection that person will go through,
read from the same configuration as the pages (sign-in choices, required actions per profile,
the e-mail proof), each named as its page names it."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pypdf
import pytest
from django.test import Client

from preau.activation.selectors import Action
from preau.activation.services import charter_version_create, charter_version_publish
from preau.activation.steps import GROUP_TITLE, STEP_TITLES
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.provisioning.services import letters_generate
from preau.signin.wayf import signin_choices

pytestmark = pytest.mark.django_db

P = Membership.Profile
YEAR = 2025


def _person(login: str, first: str, last: str, **fields: Any) -> Account:
    return Account.objects.create_user(login, first_name=first, last_name=last, **fields)


def _member(account: Account, establishment: Establishment, profile: str, **fields: Any) -> None:
    Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=YEAR, **fields
    )


@pytest.fixture
def people(establishment: Establishment) -> dict[str, Account]:
    """A pupil and her mother (birth dates known), a CPE whose birth date the school gave, a
    published charter."""
    version = charter_version_create(actor=None, title="Charte", body="Respectez les autres.")
    charter_version_publish(actor=None, version=version)
    SchoolClass.objects.create(establishment=establishment, school_year=YEAR, code="3A")
    lea = _person("lea.dupont", "Léa", "Dupont", birth_date=dt.date(2011, 3, 12))
    marc = _person("marc.dupont", "Marc", "Dupont")
    paul = _person("paul.bernard", "Paul", "Bernard", birth_date=dt.date(1980, 6, 1))
    _member(lea, establishment, P.STUDENT)
    _member(marc, establishment, P.GUARDIAN)
    _member(paul, establishment, P.STAFF, function="CPE")
    Guardianship.objects.create(guardian=marc, student=lea, establishment=establishment)
    return {"lea": lea, "marc": marc, "paul": paul}


def _letters(establishment: Establishment) -> dict[str, str]:
    """Each pending person's letter (login → its text, line breaks folded)."""
    pdf = letters_generate(actor=None, establishment=establishment).pdf
    found = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        text = page.extract_text()
        login = re.search(r"Identifiant\s*\n\s*(\S+)", text)
        assert login, text
        found[login.group(1)] = " ".join(text.split())
    return found


def _steps(text: str) -> list[str]:
    """The numbered steps' sentences, in order: "Charte d’utilisation : lisez…"."""
    part = text.split("étape par étape", 1)[1].split("Le code d’activation ne sert", 1)[0]
    return [s.strip() for s in re.split(r"(?:^|\s)\d\s", " " + part) if s.strip()]


def test_a_staff_letter_has_no_birth_date_step(
    establishment: Establishment, people: dict[str, Account]
) -> None:
    # The school gave Paul's birth date, but no page asks staff for it: the letter does not.
    text = _letters(establishment)["paul.bernard"]
    assert "naissance" not in text
    titles = [step.split(" : ", 1)[0] for step in _steps(text)[2:]]
    assert titles == [
        str(STEP_TITLES[Action.ACCEPT_CHARTER]),
        str(STEP_TITLES[Action.UPDATE_PASSWORD]),
        str(STEP_TITLES[Action.UPDATE_CONTACT]),
        str(STEP_TITLES[Action.VERIFY_EMAIL]),
    ]
    assert "« Personnel non enseignant »" in text


def test_a_guardian_letter_names_the_profile_choice_as_the_sign_in_page_does(
    establishment: Establishment, people: dict[str, Account], client: Client
) -> None:
    choice = next(c for c in signin_choices() if P.GUARDIAN in c.profiles)
    page = client.get("/connexion").content.decode()
    assert f">{choice.label}</a>" in page

    text = _letters(establishment)["marc.dupont"]
    assert f"sous « Vous êtes : », choisissez « {choice.label} »" in text
    assert "Responsable légal ou" not in text and "choisissez votre profil" not in text
    assert "date de naissance de votre enfant" in text


def test_the_choice_and_its_words_follow_the_configuration(
    establishment: Establishment, people: dict[str, Account], settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "SIGNIN_CHOICES": [
            {"code": "familles", "label": "Parents et élèves", "profiles": ["eleve", "responsable"]}
        ],
    }
    letters = _letters(establishment)
    assert "choisissez « Parents et élèves »" in letters["lea.dupont"]
    # Nobody chooses for staff here: their letter only says where to sign in.
    assert "choisissez «" not in letters["paul.bernard"]
    assert (
        "Ouvrez http://127.0.0.1:8000/connexion (ou scannez le QR code)."
        in (letters["paul.bernard"])
    )


def test_a_deployment_with_the_email_proof_step_mentions_it(
    establishment: Establishment, people: dict[str, Account], settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "EMAIL_PROOF_REQUIRED": True}
    text = _letters(establishment)["lea.dupont"]
    steps = _steps(text)
    assert steps[-1].startswith(f"{STEP_TITLES[Action.VERIFY_EMAIL]} : ouvrez le message")
    assert "qui active votre compte" in steps[-1]
    assert "adresse électronique (obligatoire)" in text


def test_without_the_email_step_the_letter_does_not_announce_it(
    establishment: Establishment, people: dict[str, Account], settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "REQUIRED_ACTIONS": {
            "eleve": ["ACCEPT_CHARTER", ["UPDATE_PASSWORD", "UPDATE_CONTACT"]],
            "default": ["ACCEPT_CHARTER", "UPDATE_PASSWORD"],
        },
    }
    text = _letters(establishment)["lea.dupont"]
    steps = _steps(text)
    assert "Confirmation de l’adresse" not in text and "naissance" not in text
    # Two actions on one page: one step, named as that page is.
    assert len(steps) == 4
    assert steps[3].startswith(f"{GROUP_TITLE} : choisissez votre mot de passe personnel")
    assert "; indiquez une adresse électronique" in steps[3]


def test_no_published_charter_no_charter_step(
    establishment: Establishment, people: dict[str, Account]
) -> None:
    from preau.activation.models import CharterVersion
    from preau.activation.selectors import charter_cache_clear

    CharterVersion.objects.update(published_at=None)
    charter_cache_clear()
    text = _letters(establishment)["lea.dupont"]
    assert "charte" not in text.lower()
    assert "Date de naissance : saisissez votre date de naissance." in text


def test_the_letters_ask_a_birth_date_of_whoever_the_page_will_ask(
    establishment: Establishment,
) -> None:
    from preau.activation.selectors import birth_date_asked, birth_date_subject

    born = dt.date(2011, 1, 1)
    cases = {
        "pupil.dated": (P.STUDENT, born),
        "pupil.undated": (P.STUDENT, None),
        "staff.dated": (P.STAFF, born),
        "staff.undated": (P.STAFF, None),
        "parent.of-dated": (P.GUARDIAN, None),
        "parent.of-undated": (P.GUARDIAN, born),
    }
    accounts = {}
    for login, (profile, birth_date) in cases.items():
        accounts[login] = _person(login, "X", login, birth_date=birth_date)
        _member(accounts[login], establishment, profile)
    for parent, child in (
        ("parent.of-dated", "pupil.dated"),
        ("parent.of-undated", "pupil.undated"),
    ):
        Guardianship.objects.create(
            guardian=accounts[parent], student=accounts[child], establishment=establishment
        )
    expected = {a.pk for a in accounts.values() if birth_date_subject(a, None) is not None}
    assert birth_date_asked(a.pk for a in accounts.values()) == expected
    assert {a.login for a in accounts.values() if a.pk in expected} == {
        "pupil.dated",
        "staff.dated",
        "parent.of-dated",
    }


def test_a_sign_in_choice_for_an_unknown_profile_is_refused(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.PREAU = {
        **settings.PREAU,
        "SIGNIN_CHOICES": [{"code": "parents", "label": "Parents", "profiles": ["parent"]}],
    }
    with pytest.raises(ImproperlyConfigured, match="unknown profiles"):
        signin_choices()
