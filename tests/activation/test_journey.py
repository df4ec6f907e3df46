"""The first connection from the letter to "Votre compte est activé", as students and
guardians go through it, with the default steps and with a deployment's own order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from preau.activation.models import ActivationJourney, CharterAcceptance, CharterVersion
from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from tests.activation.conftest import (
    GOOD_PASSWORD,
    GUARDIAN_CODE,
    STUDENT_CODE,
    follow,
    member,
    pending,
    post,
    sign_in,
)

pytestmark = pytest.mark.django_db

STEP = re.compile(r"Étape (\d) sur (\d)")


def step_of(html: str) -> tuple[int, int]:
    found = STEP.search(html)
    assert found, "the page shows where one is in the journey"
    return int(found.group(1)), int(found.group(2))


def test_a_students_whole_first_connection(
    client: Client, student: Account, charter: CharterVersion
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)

    page = follow(client, "/")
    assert page.url == "/premiere-connexion/charte"
    assert step_of(page.html) == (1, 5)
    assert "Article 2. On protège son mot de passe." in page.html
    assert "J&#x27;ai lu et j&#x27;accepte les conditions ci-dessus" in page.html

    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/premiere-connexion/mot-de-passe"
    assert step_of(page.html) == (2, 5)

    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"
    assert step_of(page.html) == (3, 5)
    assert "saisissez votre date de naissance" in page.html

    page = post(client, page.url, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
    assert "vous pouvez indiquer celle de l&#x27;un de vos parents" in page.html

    page = post(
        client,
        page.url,
        {"email": "lea@example.fr", "mobile": "06 12 34 56 78", "from_establishment": "on"},
    )
    assert page.url == "/premiere-connexion/courriel"
    assert step_of(page.html) == (5, 5)
    assert "lea@example.fr" in page.html

    page = post(client, page.url, {"action": "continue"})
    assert page.url == "/premiere-connexion/termine"
    assert "Votre compte est activé" in page.html
    assert 'id="activated-login">lea.bernard<' in page.html

    student.refresh_from_db()
    assert student.state == Account.State.ACTIVE
    assert student.activated_at is not None
    assert student.activation_code_digest == ""
    assert student.email == "lea@example.fr"
    assert student.mobile == "+33612345678"
    assert student.email_verified_at is None  # not required here: the link can wait
    assert student.notification_preferences.from_establishment
    assert not student.notification_preferences.from_partners
    assert CharterAcceptance.objects.get(account=student).version == charter
    assert ActivationJourney.objects.get(account=student).completed_at is not None
    actions = list(
        AuditEvent.objects.filter(target=student).order_by("id").values_list("action", flat=True)
    )
    for expected in (
        "charter.accept",
        "account.password.set",
        "activation.birth_date.confirm",
        "account.contact.update",
        "email_verification.send",
        "account.activate",
    ):
        assert expected in actions

    # The closing page is shown once; then the portal.
    assert follow(client, "/").url == "/"
    assert follow(client, "/premiere-connexion/termine").url == "/"

    # The letter's code is dead; the new password works.
    other = Client()
    assert (
        other.post("/connexion", {"username": "lea.bernard", "password": STUDENT_CODE}).status_code
        == 401
    )
    sign_in(Client(), "lea.bernard", GOOD_PASSWORD)


def test_a_guardian_confirms_the_birth_date_of_the_child_the_page_names(
    client: Client, guardian: Account, student: Account
) -> None:
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    page = follow(client)
    assert page.url == "/premiere-connexion/mot-de-passe"
    assert step_of(page.html) == (1, 4)  # no charter published: no charter step
    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"
    assert "la date de naissance de votre enfant <strong>Léa Bernard</strong>" in page.html
    assert "Date de naissance de votre enfant" in page.html

    page = post(client, page.url, {"birth_date": "15/07/2011"})
    assert page.status == 400
    assert (
        "Cette date ne correspond pas à celle que l&#x27;établissement connaît pour Léa Bernard"
        in page.html
    )
    assert 'value="15/07/2011"' in page.html  # what was typed is kept

    page = post(client, page.url, {"birth_date": "2011-07-14"})
    assert page.url == "/premiere-connexion/coordonnees"
    # The import's contact is offered; a guardian gets no hint about a parent's address.
    assert 'value="marc.bernard@example.fr"' in page.html
    assert 'value="06 12 34 56 78"' in page.html
    assert "l&#x27;un de vos parents" not in page.html
    journey = ActivationJourney.objects.get(account=guardian)
    assert journey.birth_date_subject == student


def test_the_journey_resumes_where_it_stopped_after_signing_out(
    client: Client, student: Account
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = follow(client)
    post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    client.post("/deconnexion")

    again = Client()
    sign_in(again, "lea.bernard", GOOD_PASSWORD)
    page = follow(again, "/")
    assert page.url == "/premiere-connexion/date-de-naissance"
    assert step_of(page.html) == (1, 3)


def test_each_profile_follows_the_steps_and_order_the_deployment_chose(
    client: Client, guardian: Account, charter: CharterVersion, preau_options: Any
) -> None:
    # One ENT asks a parent for the child's birth date and an e-mail before the new password,
    # has no charter step, and ends on the e-mail link.
    preau_options(
        REQUIRED_ACTIONS={
            "responsable": [
                "CONFIRM_BIRTH_DATE",
                "UPDATE_CONTACT",
                "UPDATE_PASSWORD",
                "VERIFY_EMAIL",
            ],
        }
    )
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    seen = []
    page = follow(client)
    seen.append(page.url)
    page = post(client, page.url, {"birth_date": "14/07/2011"})
    seen.append(page.url)
    page = post(client, page.url, {"email": "marc@example.fr", "mobile": ""})
    seen.append(page.url)
    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    seen.append(page.url)
    assert seen == [
        "/premiere-connexion/date-de-naissance",
        "/premiere-connexion/coordonnees",
        "/premiere-connexion/mot-de-passe",
        "/premiere-connexion/courriel",
    ]
    assert not CharterAcceptance.objects.filter(account=guardian).exists()


def test_a_step_whose_condition_does_not_hold_is_skipped(
    client: Client, establishment: Establishment
) -> None:
    # A teacher: no birth date step by default; no charter published.
    teacher = pending("anne.prof", "AAAA3333")
    member(teacher, establishment, Membership.Profile.TEACHER)
    sign_in(client, "anne.prof", "AAAA3333")
    page = follow(client)
    assert page.url == "/premiere-connexion/mot-de-passe"
    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/coordonnees"
    # No address given: there is nothing to prove, the journey ends.
    page = post(client, page.url, {"email": "", "mobile": ""})
    assert page.url == "/premiere-connexion/termine"


def test_a_person_with_several_profiles_does_the_first_profiles_steps_then_the_others(
    client: Client, establishment: Establishment, student: Account, preau_options: Any
) -> None:
    preau_options(
        REQUIRED_ACTIONS={
            "responsable": ["CONFIRM_BIRTH_DATE"],
            "enseignant": ["UPDATE_PASSWORD", "UPDATE_CONTACT"],
        }
    )
    teacher_parent = pending("anne.prof", "AAAA3333")
    member(teacher_parent, establishment, Membership.Profile.TEACHER)
    member(teacher_parent, establishment, Membership.Profile.GUARDIAN)
    from preau.directory.models import Guardianship

    Guardianship.objects.create(
        guardian=teacher_parent, student=student, establishment=establishment
    )
    from preau.activation.selectors import required_actions_pending

    assert required_actions_pending(teacher_parent) == [
        "CONFIRM_BIRTH_DATE",
        "UPDATE_PASSWORD",
        "UPDATE_CONTACT",
    ]


def test_with_proof_required_activation_ends_only_when_the_link_is_followed(
    client: Client,
    guardian: Account,
    preau_options: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    preau_options(EMAIL_PROOF_REQUIRED=True, PUBLIC_URL="http://testserver")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    page = follow(client)
    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    page = post(client, page.url, {"birth_date": "14/07/2011"})
    # The address is required when the proof is.
    page = post(client, page.url, {"email": "", "mobile": ""})
    assert page.status == 400
    assert "Saisissez votre adresse électronique." in page.html
    with django_capture_on_commit_callbacks(execute=True):
        page = post(client, page.url, {"email": "marc.b@example.fr", "mobile": ""})
    assert page.url == "/premiere-connexion/courriel"
    assert "Votre compte sera activé dès que vous aurez suivi ce lien" in page.html

    # Every other page leads back here; "continue" alone does not activate.
    assert follow(client, "/mon-compte/").url == "/premiere-connexion/courriel"
    assert post(client, "/premiere-connexion/courriel", {"action": "continue"}).status == 200
    guardian.refresh_from_db()
    assert guardian.state == Account.State.PROVISIONED

    [message] = mail.outbox
    assert message.to == ["marc.b@example.fr"]
    link = re.search(r"http://testserver(/courriel/confirmer/\S+)", message.body)
    assert link
    page = follow(client, link.group(1))
    assert "Confirmez que l'adresse <strong>marc.b@example.fr</strong>" in page.html
    page = post(client, link.group(1), {})
    assert "Votre compte est activé" in page.html
    assert 'id="activated-login">marc.bernard<' in page.html
    guardian.refresh_from_db()
    assert guardian.state == Account.State.ACTIVE
    assert guardian.email_verified_at is not None

    page = follow(client, "/premiere-connexion/")
    assert page.url == "/premiere-connexion/termine"
    assert follow(client, "/").url == "/"
