"""Issue 12, part 7: the console's account page speaks French (every event, how a code was
handed over), shows numbers as people write them, and says whether the e-mail and the
mobile are verified, which decides whether the person can recover their access alone."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from preau.audit.labels import AUDIT_ACTION_LABELS
from preau.audit.services import audit_record
from preau.directory.models import Account, Establishment, Membership
from preau.recovery.models import HelpRequest
from preau.recovery.services import account_code_reissue
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _page(client: Any, school: Establishment, login: str) -> Any:
    response = client.get(
        reverse("console:account_detail", kwargs={"uai": school.uai, "login": login})
    )
    assert response.status_code == 200
    return response


@pytest.fixture
def aaron(school: Establishment) -> Account:
    account = make_person(
        school, "aaron.petit", first_name="Aaron", last_name="Petit", state=Account.State.ACTIVE
    )
    Account.objects.filter(pk=account.pk).update(
        email="aaron@example.org", mobile="+33612345678", mobile_verified_at=timezone.now()
    )
    account.refresh_from_db()
    return account


def test_every_event_is_in_french_and_no_code_shows(
    admin_client: Any, school: Establishment, admin: Account, aaron: Account
) -> None:
    for action in ("recovery.code.failure", "account.password.set", "signout"):
        audit_record(action=action, actor=aaron, target=aaron)
    account_code_reissue(
        actor=admin, account=aaron, establishment=school, delivery="letter", request=None
    )

    text = _text(_page(admin_client, school, "aaron.petit"))
    for action in ("recovery.code.failure", "account.password.set", "signout"):
        assert str(AUDIT_ACTION_LABELS[action]) in text, action
        assert action not in text
    assert "Nouveau code d’activation remis par l’établissement — nouveau code remis sur un " in (
        text
    )
    assert "letter" not in text and "account.code_reissue" not in text
    events = text.split("Derniers événements")[-1]
    assert not [action for action in AUDIT_ACTION_LABELS if f" {action} " in events]
    assert " system " not in events


def test_the_mobile_reads_as_people_write_it_and_verification_is_shown(
    admin_client: Any, school: Establishment, aaron: Account
) -> None:
    response = _page(admin_client, school, "aaron.petit")
    text = _text(response)
    assert "06 12 34 56 78" in text and "+33612345678" not in text
    html = response.content.decode()
    email = _text_of(html, "contact-email")
    mobile = _text_of(html, "contact-mobile")
    assert email.startswith("aaron@example.org") and "non vérifiée" in email
    assert mobile.startswith("06 12 34 56 78") and "vérifié le" in mobile
    assert "peut retrouver seule son identifiant et son mot de passe" in text


def test_without_a_verified_contact_the_page_says_the_school_must_help(
    admin_client: Any, school: Establishment
) -> None:
    make_person(school, "zoe.martin", first_name="Zoé", last_name="Martin")
    Account.objects.filter(login="zoe.martin").update(
        email="zoe@example.org", mobile="+33712345678"
    )
    text = _text(_page(admin_client, school, "zoe.martin"))
    assert "non vérifiée" in text and "non vérifié" in text
    assert "ne peut pas retrouver seule son accès" in text

    make_person(school, "lou.petit", first_name="Lou", last_name="Petit")
    text = _text(_page(admin_client, school, "lou.petit"))
    assert "Adresse électronique aucune" in text and "Téléphone mobile aucun" in text


def _text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</dd>', html, re.S)
    assert match, element_id
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_a_help_request_answered_by_letter_says_so_in_french(
    admin_client: Any, school: Establishment, admin: Account, aaron: Account
) -> None:
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
        actor=admin,
        account=aaron,
        establishment=school,
        delivery="letter",
        help_request=help_request,
    )
    response = admin_client.get(
        reverse("console:help_request", kwargs={"uai": school.uai, "pk": help_request.pk})
    )
    text = _text(response)
    assert "Demande d’aide d’Aaron Petit" in text and "de Aaron" not in text
    assert "nouveau code remis sur un courrier imprimé" in text
    assert "letter" not in text


def test_french_elision_before_a_name(
    admin_client: Any, school: Establishment, aaron: Account
) -> None:
    url = reverse("console:account_deactivate", kwargs={"uai": school.uai, "login": "aaron.petit"})
    assert "Désactiver le compte d’Aaron Petit ?" in _text(admin_client.get(url))
    make_person(school, "zoe.roux", first_name="Zoé", last_name="Roux")
    url = reverse("console:account_deactivate", kwargs={"uai": school.uai, "login": "zoe.roux"})
    assert "Désactiver le compte de Zoé Roux ?" in _text(admin_client.get(url))
    assert Membership.objects.filter(account=aaron).exists()
