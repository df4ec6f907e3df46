""" "Mon compte" with a stored mobile outside the one rule (imported before it): the page does
not pre-fill it and says why; saving the preferences then needs no password and warns no
number that no SMS can reach (issue 12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.notify.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def unusable(person: Account) -> Account:
    Account.objects.filter(pk=person.pk).update(mobile="+33719053004")
    person.refresh_from_db()
    return person


def test_the_page_does_not_prefill_it_and_says_why(client_in: Client, unusable: Account) -> None:
    html = client_in.get("/mon-compte/coordonnees").content.decode()
    assert 'value="07 19 05 30 04"' not in html
    assert "Le numéro enregistré sur votre compte, 07 19 05 30 04, n&#x27;est celui" in html


def test_saving_the_preferences_drops_it_without_a_password(
    client_in: Client, unusable: Account
) -> None:
    response = client_in.post("/mon-compte/coordonnees", {"mobile": "", "from_establishment": "on"})
    assert response.status_code == 302
    unusable.refresh_from_db()
    assert unusable.mobile == ""
    assert unusable.notification_preferences.from_establishment
    # Nobody to warn by SMS; the verified address hears of it, as for any change.
    assert not OutboundMessage.objects.filter(channel="sms").exists()
    assert OutboundMessage.objects.filter(channel="email", template="mobile_changed").exists()
    event = AuditEvent.objects.filter(action="account.mobile.change").latest("id")
    assert event.data["warned"] == ["email"]


def test_a_new_number_in_its_place_still_needs_the_password(
    client_in: Client, unusable: Account
) -> None:
    response = client_in.post("/mon-compte/coordonnees", {"mobile": "06 98 76 54 32"})
    assert response.status_code == 400
    unusable.refresh_from_db()
    assert unusable.mobile == "+33719053004"


def test_a_proven_number_is_never_dropped_without_the_password(
    client_in: Client, unusable: Account
) -> None:
    Account.objects.filter(pk=unusable.pk).update(mobile_verified_at=timezone.now())
    response = client_in.post("/mon-compte/coordonnees", {"mobile": ""})
    assert response.status_code == 400
    unusable.refresh_from_db()
    assert unusable.mobile == "+33719053004"
