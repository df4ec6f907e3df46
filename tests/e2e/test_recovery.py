"""Forgotten identifier and password in Chromium, with axe-core on every page (errors included):
a reset by the e-mail link read from a real SMTP server, an identifier reminder, the SMS code
through a local HTTP gateway, and a help request that the school administrator processes in the
console, ending with a new letter."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from preau.activation.models import ActivationJourney
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.recovery.models import HelpRequest
from preau.signin.passwords import account_password_set
from tests.e2e.conftest import choose
from tests.notify.sms_gateway import SmsGateway
from tests.notify.smtp import SmtpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_site")]

PASSWORD = "Tournesol#42b"
NEW_PASSWORD = "Girafe+Bleue77"


@pytest.fixture
def school(transactional_db: Any) -> Establishment:
    return Establishment.objects.create(
        uai="0750654D", name="Collège Victor-Hugo", kind="college", postal_code="75003"
    )


def person(
    school: Establishment,
    login: str,
    profile: str = Membership.Profile.STUDENT,
    classes: tuple[str, ...] = (),
    *,
    is_local_admin: bool = False,
    **fields: Any,
) -> Account:
    """An account activated through its first connection, with ``PASSWORD``."""
    first, _sep, last = login.partition(".")
    fields.setdefault("first_name", first.capitalize())
    fields.setdefault("last_name", last.capitalize())
    account = Account.objects.create_user(
        login, state=Account.State.ACTIVE, activated_at=timezone.now(), **fields
    )
    account_password_set(actor=None, account=account, password=PASSWORD)
    now = timezone.now()
    ActivationJourney.objects.create(
        account=account,
        started_at=now,
        password_updated_at=now,
        birth_date_confirmed_at=now,
        contact_updated_at=now,
        email_step_seen_at=now,
        completed_at=now,
    )
    membership = Membership.objects.create(
        account=account,
        establishment=school,
        profile=profile,
        school_year=2026,
        is_local_admin=is_local_admin,
    )
    for code in classes:
        school_class, _created = SchoolClass.objects.get_or_create(
            establishment=school, school_year=2026, code=code
        )
        membership.classes.add(school_class)
    return account


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def sign_in(page: Any, url: Any, login: str, password: str) -> None:
    page.goto(url("/connexion"))
    page.fill("#username", login)
    page.fill("#password", password)
    submit(page, "#fm1")


def body_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_forgotten_password_is_reset_with_the_link_of_a_real_mail(
    page: Any, url: Any, axe: Any, school: Establishment, smtp: SmtpServer
) -> None:
    person(
        school,
        "lea.bernard",
        classes=("4B",),
        first_name="Léa",
        email="lea.parents@example.fr",
        email_verified_at=timezone.now(),
    )
    page.goto(url("/connexion"))
    axe(page, "connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(url("/mot-de-passe-oublie/"))
    axe(page, "mot de passe oublié")
    submit(page, "#password-request-form")
    assert "Saisissez votre identifiant" in page.inner_text("#id_query-messages")
    axe(page, "mot de passe oublié (champ vide)")

    page.fill("#id_query", "lea.bernard")
    submit(page, "#password-request-form")
    assert page.url == url("/mot-de-passe-oublie/envoye")
    assert "Si un compte correspond à « lea.bernard »" in page.inner_text("main")
    axe(page, "message envoyé")

    [mail] = smtp.to("lea.parents@example.fr")
    assert mail["Subject"].strip() == "Choisir un nouveau mot de passe – Préau"
    link = re.search(r"http://\S+/mot-de-passe-oublie/lien/\S+", body_of(mail))
    assert link
    page.goto(link.group(0))
    assert page.url == url("/mot-de-passe-oublie/nouveau")
    assert "lea.bernard" in page.inner_text("main")
    axe(page, "nouveau mot de passe")
    page.fill("#id_password", "court")
    page.fill("#id_password_confirm", "court")
    submit(page, "#new-password-form")
    assert page.locator(".fr-message--error").count() > 0
    axe(page, "nouveau mot de passe (refusé)")
    page.fill("#id_password", NEW_PASSWORD)
    page.fill("#id_password_confirm", NEW_PASSWORD)
    submit(page, "#new-password-form")
    assert page.url == url("/mot-de-passe-oublie/termine")
    assert page.locator("h1").inner_text() == "Votre mot de passe a été modifié"
    axe(page, "mot de passe modifié")
    notice = smtp.to("lea.parents@example.fr")[-1]
    assert notice["Subject"].strip() == "Votre mot de passe a été modifié – Préau"

    # The link is single use: opened again, it says what to do next.
    page.goto(link.group(0))
    assert page.locator("h1").inner_text() == "Ce lien a déjà été utilisé"
    axe(page, "lien déjà utilisé")

    sign_in(page, url, "lea.bernard", NEW_PASSWORD)
    assert "/connexion" not in page.url


def test_a_forgotten_identifier_arrives_by_mail(
    page: Any, url: Any, axe: Any, school: Establishment, smtp: SmtpServer
) -> None:
    person(
        school,
        "hugo.petit",
        classes=("3A",),
        email="famille.petit@example.fr",
        email_verified_at=timezone.now(),
    )
    page.goto(url("/connexion"))
    page.get_by_role("link", name="Identifiant oublié ?").click()
    axe(page, "identifiant oublié")
    page.fill("#id_contact", "pas-une-adresse")
    submit(page, "#identifier-request-form")
    assert "Saisissez une adresse électronique" in page.inner_text("#id_contact-messages")
    axe(page, "identifiant oublié (erreur)")
    page.fill("#id_contact", "famille.petit@example.fr")
    submit(page, "#identifier-request-form")
    assert page.url == url("/identifiant-oublie/envoye")
    axe(page, "identifiant envoyé")
    [mail] = smtp.to("famille.petit@example.fr")
    assert "- Hugo Petit (Collège Victor-Hugo) : hugo.petit" in body_of(mail)

    page.get_by_role("link", name="Se connecter").click()
    page.fill("#username", "hugo.petit")
    page.fill("#password", PASSWORD)
    submit(page, "#fm1")
    assert "/connexion" not in page.url


def test_the_sms_code_path_through_the_local_gateway_on_a_phone(
    phone_page: Any, url: Any, axe: Any, school: Establishment, sms_gateway: SmsGateway
) -> None:
    page = phone_page
    person(
        school,
        "ines.moreau",
        classes=("6C",),
        mobile="+33698765432",
        mobile_verified_at=timezone.now(),
    )
    page.goto(url("/mot-de-passe-oublie/"))
    page.fill("#id_query", "06 98 76 54 32")
    submit(page, "#password-request-form")
    page.get_by_role("link", name="Saisir le code reçu par SMS").click()
    assert page.url == url("/mot-de-passe-oublie/code")
    axe(page, "code SMS")
    code = sms_gateway.code_sent_to("+33698765432")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.fill("#id_code", wrong)
    submit(page, "#code-form")
    assert "il vous reste 4 essais" in page.inner_text("#recovery-error")
    axe(page, "code SMS (erroné)")
    page.fill("#id_code", f"{code[:3]} {code[3:]}")
    submit(page, "#code-form")
    assert page.url == url("/mot-de-passe-oublie/nouveau")
    page.fill("#id_password", NEW_PASSWORD)
    page.fill("#id_password_confirm", NEW_PASSWORD)
    submit(page, "#new-password-form")
    assert page.url == url("/mot-de-passe-oublie/termine")
    assert "ines.moreau" in sms_gateway.texts_to("+33698765432")[-1]  # "a été modifié"
    sign_in(page, url, "ines.moreau", NEW_PASSWORD)
    assert "/connexion" not in page.url


def test_a_help_request_is_processed_by_the_school_and_ends_with_a_new_letter(
    browser: Any, page: Any, url: Any, axe: Any, school: Establishment
) -> None:
    pupil = person(school, "zoe.martin", classes=("5A",), birth_date=dt.date(2012, 2, 1))
    parent = person(school, "paul.martin", Membership.Profile.GUARDIAN)
    Guardianship.objects.create(guardian=parent, student=pupil, establishment=school)
    admin = person(school, "claire.secretariat", Membership.Profile.STAFF, is_local_admin=True)

    # The father has nothing verified: he proves his account with his daughter's birth date.
    page.goto(url("/mot-de-passe-oublie/"))
    page.get_by_role("link", name="Je n'ai ni adresse électronique ni mobile confirmés").click()
    assert page.url == url("/aide/")
    axe(page, "vérifier mon compte")
    page.fill("#id_identifier", "paul.martin")
    page.fill("#id_birth_date", "02/01/2012")
    submit(page, "#proof-form")
    assert "ne correspondent pas" in page.inner_text("#recovery-error")
    axe(page, "vérifier mon compte (erreur)")
    page.fill("#id_birth_date", "01/02/2012")
    submit(page, "#proof-form")
    assert page.url == url("/aide/votre-compte")
    assert "ni adresse électronique ni numéro de mobile confirmés" in page.inner_text("main")
    axe(page, "votre compte")
    submit(page, "#help-form")  # the children are required for a parent
    assert page.locator(".fr-message--error").count() > 0
    axe(page, "demande d'aide (erreurs)")
    page.fill("#id_children", "MARTIN Zoé, 5A")
    choose(page, "Sur papier")
    submit(page, "#help-form")
    assert page.url == url("/aide/envoyee")
    assert "Votre demande a été transmise à Collège Victor-Hugo." in page.inner_text("main")
    axe(page, "demande envoyée")

    # The secretary finds it in the console and prints a new letter.
    context = browser.new_context(locale="fr-FR", accept_downloads=True)
    try:
        desk = context.new_page()
        sign_in(desk, url, admin.login, PASSWORD)
        desk.goto(url("/console/"))
        desk.get_by_role("link", name="Demandes d’aide").first.click()
        assert "Nouvelle (1)" in desk.inner_text("main")
        axe(desk, "console : demandes d'aide")
        desk.get_by_role("link", name="Paul Martin").click()
        assert "MARTIN Zoé, 5A" in desk.inner_text("main")
        axe(desk, "console : demande d'aide")
        desk.get_by_role("button", name="Prendre en charge").click()
        desk.wait_for_load_state()
        assert "En cours" in desk.inner_text("main")
        with desk.expect_download() as download_info:
            desk.get_by_role("button", name="Émettre le nouveau code").click()
        download = download_info.value
        assert download.suggested_filename == "courrier-paul.martin.pdf"
        letter = "\n".join(p.extract_text() for p in PdfReader(download.path()).pages)
        assert "paul.martin" in letter
        code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", letter)
        assert code
        desk.goto(url(f"/console/{school.uai}/demandes/?etat=done"))
        assert "Paul Martin" in desk.inner_text("main")
        desk.goto(url(f"/console/{school.uai}/comptes/paul.martin/"))
        assert "Émettre un nouveau code d’activation" in desk.inner_text("main")
        axe(desk, "console : compte et actions")
    finally:
        context.close()
    assert HelpRequest.objects.get().status == HelpRequest.Status.DONE

    # With the letter, the father signs in with the code and chooses a new password.
    fresh = browser.new_context(locale="fr-FR")
    try:
        home = fresh.new_page()
        sign_in(home, url, "paul.martin", code.group(1))
        assert home.url.startswith(url("/premiere-connexion/mot-de-passe"))
        home.fill("#id_password", NEW_PASSWORD)
        home.fill("#id_password_confirm", NEW_PASSWORD)
        submit(home, "#password-form")
        assert "/connexion" not in home.url
    finally:
        fresh.close()
    parent.refresh_from_db()
    assert parent.state == Account.State.ACTIVE
    assert parent.check_password(NEW_PASSWORD)


def test_the_other_pages_pass_axe_core(
    page: Any, url: Any, axe: Any, school: Establishment, smtp: SmtpServer
) -> None:
    pupil = person(
        school,
        "lea.bernard",
        classes=("4B",),
        birth_date=dt.date(2011, 7, 14),
        email="lea.parents@example.fr",
        email_verified_at=timezone.now(),
        mobile="+33611223344",
    )
    admin = person(school, "claire.secretariat", Membership.Profile.STAFF, is_local_admin=True)

    # A proven owner with a verified address, and an altered link.
    page.goto(url("/aide/"))
    page.fill("#id_identifier", "lea.bernard")
    page.fill("#id_birth_date", "14/07/2011")
    submit(page, "#proof-form")
    assert "l'adresse électronique l…@example.fr" in page.inner_text("main")
    axe(page, "votre compte (adresse confirmée)")
    page.goto(url("/mot-de-passe-oublie/lien/altere"))
    assert page.locator("h1").inner_text() == "Ce lien n'est pas valide"
    axe(page, "lien altéré")

    # Confirming one's mobile, signed in.
    sign_in(page, url, pupil.login, PASSWORD)
    page.goto(url("/mobile/confirmer"))
    axe(page, "confirmer mon mobile")

    # The console's confirmation pages.
    page.context.clear_cookies()
    sign_in(page, url, admin.login, PASSWORD)
    page.goto(url(f"/console/{school.uai}/comptes/lea.bernard/nouveau-code"))
    assert "son mot de passe actuel cessera de fonctionner" in page.inner_text("main")
    assert "Par SMS : au 06 11 22 33 44 (numéro non confirmé" in page.inner_text("main")
    assert "Adresse du compte : lea.parents@example.fr (confirmée" in page.inner_text("main")
    axe(page, "console : nouveau code")
    choose(page, "Par courriel")
    page.fill("#id_email", "")
    submit(page, "#reissue-form")
    assert "Indiquez l'adresse électronique" in page.inner_text("main")
    axe(page, "console : nouveau code (erreur)")
    page.goto(url(f"/console/{school.uai}/comptes/lea.bernard/desactiver"))
    axe(page, "console : désactiver")
