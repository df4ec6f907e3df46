"""First connections in Chromium, the way a student and a parent do them with their letter, with
an axe-core check of every page on the way (errors included)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.models import CharterVersion
from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.notify.smtp import SmtpServer

STUDENT_CODE = "K7MQ4XHA"
GUARDIAN_CODE = "PQRT3469"


pytestmark = pytest.mark.usefixtures("public_site")


@pytest.fixture
def school(transactional_db: Any) -> Establishment:
    return Establishment.objects.create(
        uai="0750654D", name="Collège Victor-Hugo", kind="college", postal_code="75003"
    )


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
def student(school: Establishment) -> Account:
    account = _pending(
        "lea.bernard", STUDENT_CODE, first_name="Léa", birth_date=dt.date(2011, 7, 14)
    )
    Membership.objects.create(
        account=account, establishment=school, profile=Membership.Profile.STUDENT, school_year=2026
    )
    return account


@pytest.fixture
def guardian(school: Establishment, student: Account) -> Account:
    account = _pending("marc.bernard", GUARDIAN_CODE, first_name="Marc")
    Membership.objects.create(
        account=account, establishment=school, profile=Membership.Profile.GUARDIAN, school_year=2026
    )
    Guardianship.objects.create(guardian=account, student=student, establishment=school)
    return account


@pytest.fixture
def charter(transactional_db: Any) -> CharterVersion:
    version = charter_version_create(
        actor=None,
        title="Charte d'utilisation de l'ENT",
        body=(
            "Article 1. Chacun respecte les autres.\n\nArticle 2. Chacun protège son mot de passe."
        ),
    )
    charter_version_publish(actor=None, version=version)
    return version


def tick(page: Any, field_id: str) -> None:
    """Tick a DSFR checkbox as a person does: on its label."""
    page.click(f"label[for={field_id}]")
    assert page.is_checked(f"#{field_id}")


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def header_links(page: Any) -> list[str]:
    """The name, links and buttons a person sees in the page's header, by their visible text."""
    tools = page.locator("header .fr-header__tools-links")
    return [
        " ".join(item.inner_text().split())
        for item in tools.locator(".preau-header__user, a, button").all()
        if item.is_visible()
    ]


def rule_state(page: Any, code: str) -> str:
    classes = page.get_attribute(f'#password-rules [data-rule="{code}"]', "class") or ""
    for state in ("valid", "error", "info"):
        if f"fr-message--{state}" in classes:
            return state
    return ""


@pytest.mark.usefixtures("student", "charter")
def test_a_students_whole_first_connection_with_policy_c(
    page: Any, url: Callable[[str], str], signin: Any, axe: Any, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "c"}
    signin(page, "lea.bernard", "k7mq-4xha", next="/")  # as typed from the letter

    # 1. The charter.
    assert page.url == url("/premiere-connexion/charte")
    assert "Étape 1 sur 5" in page.inner_text("main")
    # Until the journey ends the header offers nothing that would lead back here.
    assert header_links(page) == ["Léa Bernard", "Se déconnecter"]
    assert "Article 2. Chacun protège son mot de passe." in page.inner_text(".preau-charter__text")
    axe(page, "charter step")
    submit(page, "#charter-form")
    assert "Cochez la case" in page.inner_text("main")
    axe(page, "charter step with its error")
    tick(page, "id_accept")
    submit(page, "#charter-form")

    # 2. The password, with the checklist ticking as one types.
    assert page.url == url("/premiere-connexion/mot-de-passe")
    assert "Étape 2 sur 5" in page.inner_text("main")
    axe(page, "password step")
    assert rule_state(page, "upper") == "info"
    page.fill("#id_password", "tournesol")
    assert rule_state(page, "min_length") == "valid"
    assert rule_state(page, "upper") == "error"
    assert rule_state(page, "special") == "error"
    page.fill("#id_password", "Tournesol?")
    assert rule_state(page, "upper") == "valid"
    assert rule_state(page, "special") == "valid"
    axe(page, "password step while typing")
    # The server decides: "Lea" is her first name.
    page.fill("#id_password", "Lea2011!")
    page.fill("#id_password_confirm", "Lea2011!")
    submit(page, "#password-form")
    errors = page.inner_text("#id_password-messages")
    assert "ni votre nom ni votre prénom" in errors
    assert page.input_value("#id_password") == ""  # never sent back
    assert rule_state(page, "personal") == "error"
    axe(page, "password step with errors")
    page.fill("#id_password", "Tournesol?42")
    page.fill("#id_password_confirm", "Tournesol?42")
    submit(page, "#password-form")

    # 3. Her birth date.
    assert page.url == url("/premiere-connexion/date-de-naissance")
    assert header_links(page) == ["Léa Bernard", "Se déconnecter"]
    axe(page, "birth date step")
    page.fill("#id_birth_date", "31/02/2011")
    submit(page, "#birth-date-form")
    assert "Cette date n'existe pas" in page.inner_text("#id_birth_date-messages")
    assert page.input_value("#id_birth_date") == "31/02/2011"
    axe(page, "birth date step with an error")
    page.fill("#id_birth_date", "14/07/2011")
    submit(page, "#birth-date-form")

    # 4. Contact and notifications.
    assert page.url == url("/premiere-connexion/coordonnees")
    assert "celle de l'un de vos parents" in page.inner_text("main")
    axe(page, "contact step")
    page.fill("#id_email", "lea.bernard@example")
    page.fill("#id_mobile", "06 12")
    submit(page, "#contact-form")
    assert "n'est pas valide" in page.inner_text("#id_email-messages")
    assert "n'est pas valide" in page.inner_text("#id_mobile-messages")
    assert page.input_value("#id_mobile") == "06 12"
    axe(page, "contact step with errors")
    page.fill("#id_email", "lea.bernard@example.fr")
    page.fill("#id_mobile", "06 12 34 56 78")
    tick(page, "id_from_partners")
    submit(page, "#contact-form")

    # 5. The e-mail link (not required here): she goes on.
    assert page.url == url("/premiere-connexion/courriel")
    assert "Étape 5 sur 5" in page.inner_text("main")
    assert "lea.bernard@example.fr" in page.inner_text("main")
    axe(page, "e-mail step")
    submit(page, "#email-continue")

    # The end: her identifier again.
    assert page.url == url("/premiere-connexion/termine")
    assert page.inner_text("h1") == "Votre compte est activé"
    assert page.inner_text("#activated-login") == "lea.bernard"
    axe(page, "closing page")
    with page.expect_navigation():
        page.click("#done-continue")
    assert page.url == url("/")
    assert header_links(page) == ["Léa Bernard", "Mes services", "Mon compte", "Se déconnecter"]
    student = Account.objects.get(login="lea.bernard")
    assert student.state == Account.State.ACTIVE
    assert student.mobile == "+33612345678"


@pytest.fixture
def parent_settings(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "b", "EMAIL_PROOF_REQUIRED": True}


@pytest.mark.usefixtures("parent_settings", "guardian", "charter")
def test_a_parents_first_connection_with_a_childs_birth_date_policy_b_and_the_mail_link(
    page: Any, url: Callable[[str], str], signin: Any, axe: Any, smtp: SmtpServer
) -> None:
    signin(page, "marc.bernard", GUARDIAN_CODE, next="/mon-compte/")
    tick(page, "id_accept")
    submit(page, "#charter-form")

    assert page.url == url("/premiere-connexion/mot-de-passe")
    page.fill("#id_password", "tournesol4217x")
    assert rule_state(page, "min_length") == "valid"
    page.fill("#id_password", "tournesol4217xyz")  # 16 characters: too long for (b)
    assert rule_state(page, "min_length") == "error"
    page.fill("#id_password", "tournesol42")
    page.fill("#id_password_confirm", "tournesol24")
    submit(page, "#password-form")
    assert "ne sont pas identiques" in page.inner_text("#id_password_confirm-messages")
    axe(page, "password step with a mismatch")
    page.fill("#id_password", "tournesol42")
    page.fill("#id_password_confirm", "tournesol42")
    submit(page, "#password-form")

    assert page.url == url("/premiere-connexion/date-de-naissance")
    assert "votre enfant Léa Bernard" in page.inner_text("main")
    page.fill("#id_birth_date", "15/07/2011")
    submit(page, "#birth-date-form")
    assert "ne correspond pas" in page.inner_text("#id_birth_date-messages")
    axe(page, "child's birth date with a wrong answer")
    page.fill("#id_birth_date", "14/07/2011")
    submit(page, "#birth-date-form")

    assert page.url == url("/premiere-connexion/coordonnees")
    page.fill("#id_email", "marc.bernard@example.fr")
    submit(page, "#contact-form")
    assert page.url == url("/premiere-connexion/courriel")
    assert "Votre compte sera activé dès que vous aurez suivi ce lien" in page.inner_text("main")
    axe(page, "e-mail step waiting for the link")
    page.goto(url("/mon-compte/"))
    assert page.url.startswith(url("/premiere-connexion/courriel"))  # nothing else meanwhile

    # The mail, from a real SMTP server; the link opened in the phone's mail app.
    [message] = smtp.to("marc.bernard@example.fr")
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/courriel/confirmer/[A-Za-z0-9_-]+", text)
    assert link
    mail_app = page.context.browser.new_context(locale="fr-FR")
    try:
        other = mail_app.new_page()
        other.goto(link.group(0))
        assert "marc.bernard@example.fr" in other.inner_text("main")
        axe(other, "mail link confirmation")
        with other.expect_navigation():
            other.click("#email-confirm button[type=submit]")
        assert other.inner_text("h1") == "Votre compte est activé"
        assert other.inner_text("#activated-login") == "marc.bernard"
        axe(other, "mail link: account activated")
        # Following it again tells what happened.
        other.goto(link.group(0))
        assert "Ce lien a déjà été utilisé" in other.inner_text("h1")
        axe(other, "used link")
    finally:
        mail_app.close()

    with page.expect_navigation():
        page.click("text=J'ai suivi le lien")
    assert page.url == url("/premiere-connexion/termine")
    assert page.inner_text("#activated-login") == "marc.bernard"
    with page.expect_navigation():
        page.click("#done-continue")
    assert page.url == url("/mon-compte/")
    assert Account.objects.get(login="marc.bernard").state == Account.State.ACTIVE


def test_the_password_step_without_javascript_lists_the_rules_and_the_server_decides(
    browser: Any, url: Callable[[str], str], axe: Any, settings: Any, student: Account
) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "a"}
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url("/connexion?next=/"))
        page.fill("#username", "lea.bernard")
        page.fill("#password", STUDENT_CODE)
        with page.expect_navigation():
            page.click("#fm1 button[type=submit]")
        assert page.url == url("/premiere-connexion/mot-de-passe")
        assert "Au moins un caractère spécial parmi" in page.inner_text("#password-rules")
        page.fill("#id_password", "tournesol")
        page.fill("#id_password_confirm", "tournesol")
        submit(page, "#password-form")
        assert rule_state(page, "upper") == "error"
        assert rule_state(page, "min_length") == "valid"
        assert "au moins une lettre majuscule" in page.inner_text("#id_password-messages")
        page.fill("#id_password", "Tournesol#42")
        page.fill("#id_password_confirm", "Tournesol#42")
        submit(page, "#password-form")
        assert page.url == url("/premiere-connexion/date-de-naissance")
    finally:
        context.close()


def test_a_new_charter_version_is_accepted_at_the_next_sign_in(
    page: Any, url: Callable[[str], str], signin: Any, axe: Any, charter: CharterVersion
) -> None:
    account = Account.objects.create_user(
        "claire.martin",
        password="Tournesol#42",
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    charter_accept(actor=account, account=account, version=charter)
    newer = charter_version_create(
        actor=None, title="Charte 2027", body="Article 3. Les données sont conservées un an."
    )
    charter_version_publish(actor=None, version=newer)

    signin(page, "claire.martin", "Tournesol#42", next="/mon-compte/")
    assert page.url == url("/premiere-connexion/charte")
    assert page.inner_text("h1") == "La charte d’utilisation a changé"
    assert "Article 3." in page.inner_text("main")
    axe(page, "new charter version")
    tick(page, "id_accept")
    submit(page, "#charter-form")
    assert page.url == url("/mon-compte/")
    assert "version 2, acceptée le" in page.inner_text("main")


def test_the_sign_in_of_a_deactivated_account(
    page: Any, url: Callable[[str], str], axe: Any, transactional_db: Any
) -> None:
    Account.objects.create_user(
        "paul.durand",
        password="Tournesol#42",
        first_name="Paul",
        last_name="Durand",
        state=Account.State.DEACTIVATED,
        deactivated_at=timezone.now(),
    )
    page.goto(url("/connexion"))
    page.fill("#username", "paul.durand")
    page.fill("#password", "Tournesol#42")
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    assert "Votre compte est désactivé : contactez votre établissement." in page.inner_text(
        "#signin-error"
    ).replace("\u00a0", " ")
    axe(page, "deactivated account")
    page.fill("#password", "pas-le-bon")
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    assert "Identifiant ou mot de passe incorrect" in page.inner_text("#signin-error")
