"""A pre-filled mobile never blocks the contact step: a number stored before the one rule of
preau.notify.phones (the importer used to take ``07 19 05 30 04``) is not pre-filled, the page
says why, and the step goes on (issue 12)."""

from __future__ import annotations

import pytest
from django.test import Client

from preau.activation.models import CharterVersion
from preau.directory.models import Account
from preau.notify.models import OutboundMessage
from tests.activation.conftest import GOOD_PASSWORD, GUARDIAN_CODE, follow, post, sign_in

pytestmark = pytest.mark.django_db


def _to_contact_step(client: Client, guardian: Account) -> str:
    sign_in(client, guardian.login, GUARDIAN_CODE)
    page = post(client, follow(client, "/").url, {"accept": "on"})
    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    page = post(client, page.url, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
    return page.html


def test_a_stored_number_outside_the_rule_is_not_prefilled_and_the_step_goes_on(
    client: Client, guardian: Account, charter: CharterVersion
) -> None:
    Account.objects.filter(pk=guardian.pk).update(mobile="+33719053004")
    html = _to_contact_step(client, guardian)
    assert 'name="mobile"' in html
    assert 'value="07 19 05 30 04"' not in html
    assert "Le numéro transmis par votre établissement, 07 19 05 30 04, n&#x27;est celui" in html
    assert "il n&#x27;a pas été repris" in html
    # The page sent back as it came (the mobile left empty) is accepted.
    page = post(
        client,
        "/premiere-connexion/coordonnees",
        {"email": "marc.bernard@example.fr", "mobile": "", "from_establishment": "on"},
    )
    assert page.url != "/premiere-connexion/coordonnees"
    guardian.refresh_from_db()
    assert guardian.mobile == ""


def test_a_stored_number_inside_the_rule_is_prefilled_and_accepted_as_it_is(
    client: Client, guardian: Account, charter: CharterVersion
) -> None:
    Account.objects.filter(pk=guardian.pk).update(mobile="+33749053004")
    html = _to_contact_step(client, guardian)
    assert 'value="07 49 05 30 04"' in html
    assert "repris" not in html
    page = post(
        client,
        "/premiere-connexion/coordonnees",
        {"email": "marc.bernard@example.fr", "mobile": "07 49 05 30 04"},
    )
    assert page.url != "/premiere-connexion/coordonnees"
    guardian.refresh_from_db()
    assert guardian.mobile == "+33749053004"
    assert not OutboundMessage.objects.filter(channel="sms").exists()
