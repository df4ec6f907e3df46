"""Issue 12, parts 7 and 8, on a phone (390 × 844) in Chromium, axe-core on every page.

A secretary reads an account's page (events in French, the mobile as people write it, which
contacts are verified), a help request answered by letter, then imports a file whose risky
changes (a pupil's identity, a new homonym) are shown apart and confirmed on purpose."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from preau.audit.services import audit_record
from preau.directory.models import Account, Establishment, Membership
from preau.recovery.models import HelpRequest
from preau.recovery.services import account_code_reissue
from tests.console.conftest import make_person
from tests.e2e.conftest import _context_page, choose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone's page: 390 × 844, touch."""
    yield from _context_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def school() -> Establishment:
    return Establishment.objects.create(
        uai="0750654D", name="Lycée Louis-le-Grand", kind="lycee", city="Paris"
    )


@pytest.fixture
def administrator(school: Establishment) -> Account:
    return make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=PASSWORD,
    )


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_account_page_in_french_with_its_contacts_verified_or_not(
    *,
    phone: Any,
    url: Any,
    axe: Any,
    signin: Any,
    school: Establishment,
    administrator: Account,
) -> None:
    aaron = make_person(
        school, "aaron.petit", first_name="Aaron", last_name="Petit", state=Account.State.ACTIVE
    )
    Account.objects.filter(pk=aaron.pk).update(
        email="aaron@example.org", mobile="+33612345678", mobile_verified_at=timezone.now()
    )
    aaron.refresh_from_db()
    audit_record(action="recovery.code.failure", actor=aaron, target=aaron)
    audit_record(action="account.password.set", actor=aaron, target=aaron)
    now = timezone.now()
    help_request = HelpRequest.objects.create(
        establishment=school,
        account=aaron,
        login=aaron.login,
        last_name="Petit",
        first_name="Aaron",
        delivery=HelpRequest.Delivery.PAPER,
        created_at=now,
        updated_at=now,
    )
    account_code_reissue(
        actor=administrator,
        account=aaron,
        establishment=school,
        delivery="letter",
        help_request=help_request,
    )

    signin(phone, administrator.login, PASSWORD, next=f"/console/{school.uai}/comptes/aaron.petit/")
    expect(phone.locator("h1")).to_have_text("Aaron Petit")
    main = phone.locator("main").inner_text()
    assert "06 12 34 56 78" in main and "+33612345678" not in main
    expect(phone.locator("#contact-email")).to_contain_text("non vérifiée")
    expect(phone.locator("#contact-mobile")).to_contain_text("vérifié le")
    expect(phone.locator("#contact-recovery")).to_contain_text("peut retrouver seule")
    events = phone.get_by_role("table", name="Derniers événements concernant ce compte")
    expect(events).to_contain_text("Mot de passe oublié : code reçu par SMS erroné")
    expect(events).to_contain_text("Mot de passe choisi")
    expect(events).to_contain_text("nouveau code remis sur un courrier imprimé")
    for raw in ("recovery.code.failure", "account.password.set", "letter", "system"):
        assert raw not in events.inner_text(), raw
    _fits(phone)
    axe(phone, "fiche du compte")

    phone.goto(url(f"/console/{school.uai}/demandes/{help_request.pk}/"))
    expect(phone.locator("h1")).to_have_text("Demande d’aide d’Aaron Petit")
    expect(phone.locator("main")).to_contain_text("nouveau code remis sur un courrier imprimé")
    assert "letter" not in phone.locator("main").inner_text()
    axe(phone, "demande d'aide traitée")


STUDENTS_BEFORE = "Numéro élève;INE;Nom;Prénom;Date de naissance;Classe\n"


def test_an_import_shows_identity_changes_and_homonyms_and_asks_to_check_them(
    phone: Any, axe: Any, signin: Any, school: Establishment, administrator: Account
) -> None:
    jean = make_person(school, "jean.dupont", first_name="Jean", last_name="Dupont", classes=["3A"])
    Account.objects.filter(pk=jean.pk).update(birth_date=dt.date(2011, 3, 12))
    Membership.objects.filter(account=jean).update(source_id="1001")
    make_person(school, "zoe.martin", first_name="Zoé", last_name="Martin", classes=["3A"])
    data = (
        STUDENTS_BEFORE
        + "1001;;Durand;Jean;13/03/2011;3A\n"  # Jean's name and birth date change
        + "1002;;Martin;Zoé;01/02/2012;4B\n"  # another Zoé Martin: a homonym
    ).encode()

    signin(phone, administrator.login, PASSWORD, next=f"/console/{school.uai}/import/")
    choose(phone, "Élèves")
    phone.set_input_files(
        "input[type=file]", files=[{"name": "eleves.csv", "mimeType": "text/csv", "buffer": data}]
    )
    phone.get_by_role("button", name="Voir l’aperçu").click()
    expect(phone.locator("h1")).to_have_text("Aperçu de l’import")
    expect(phone.locator("#a-verifier-titre")).to_have_text("À vérifier avant de confirmer")
    identity = phone.get_by_role(
        "table", name="Comptes existants dont le nom, la date de naissance ou l’INE changent"
    )
    expect(identity.locator("tbody tr")).to_have_count(2)
    expect(identity).to_contain_text("Dupont")
    expect(identity).to_contain_text("Durand")
    expect(identity).to_contain_text("12/03/2011")
    homonyms = phone.get_by_role("table", name=re.compile(r"^Nouveaux comptes"))
    expect(homonyms).to_contain_text("zoe.martin2")
    expect(homonyms).to_contain_text("déjà connu de l’établissement")
    expect(phone.get_by_role("table", name="Changements prévus")).to_be_attached()
    axe(phone, "aperçu avec des changements d'identité")

    # Confirmed without the box: refused, said beside the box, nothing written.
    phone.get_by_role("button", name="Confirmer l’import").click()
    expect(phone.locator("#identity-checked-messages")).to_contain_text("cochez")
    assert Account.objects.get(pk=jean.pk).last_name == "Dupont"
    _fits(phone)
    axe(phone, "confirmation refusée")

    box = phone.get_by_label(re.compile(r"^J’ai vérifié les changements d’identité"))
    phone.click("label[for=identity-checked]")  # on its label, as a person taps it
    expect(box).to_be_checked()
    phone.get_by_role("button", name="Confirmer l’import").click()
    expect(phone.locator("h1")).to_have_text("Résultat de l’import")
    expect(phone.get_by_role("table", name="Changements enregistrés")).to_be_attached()
    expect(phone.get_by_role("table", name="Changements prévus")).to_have_count(0)
    assert Account.objects.get(pk=jean.pk).last_name == "Durand"
    assert Account.objects.filter(login="zoe.martin2").exists()
    axe(phone, "résultat de l'import")
