"""Proving a mobile number (signed in): a code by SMS, 10 minutes, 5 tries; a proven number can
then receive a forgotten-password code."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from preau.directory.models import Account
from tests.notify.sms_gateway import SmsGateway
from tests.recovery.conftest import signed_in

pytestmark = pytest.mark.django_db

NUMBER = "+33611223344"


@pytest.fixture
def unproven(pupil: Account) -> Account:
    Account.objects.filter(pk=pupil.pk).update(mobile=NUMBER, mobile_verified_at=None)
    pupil.refresh_from_db()
    return pupil


def send(client: Any, captured: Any) -> Any:
    return captured(client.post, "/mobile/confirmer", {"action": "send"})


def confirm(client: Any, code: str) -> Any:
    return client.post("/mobile/confirmer", {"action": "confirm", "code": code})


def test_the_code_received_proves_the_number(
    unproven: Account, sms_gateway: SmsGateway, captured: Any
) -> None:
    client = signed_in(unproven.login)
    page = html.unescape(client.get("/mobile/confirmer").content.decode())
    assert "Confirmez le numéro 06 11 22 33 44" in page
    sent = send(client, captured)
    assert "Un code vient d'être envoyé par SMS au 06 11 22 33 44." in html.unescape(
        sent.content.decode()
    )
    [text] = sms_gateway.texts_to(NUMBER)
    assert text.startswith("Préau : votre code pour confirmer ce numéro de mobile est ")
    done = confirm(client, sms_gateway.code_sent_to(NUMBER))
    assert "Votre numéro de mobile est confirmé." in html.unescape(done.content.decode())
    unproven.refresh_from_db()
    assert unproven.mobile_verified_at is not None


def test_a_wrong_code_five_times_kills_it(
    unproven: Account, sms_gateway: SmsGateway, captured: Any
) -> None:
    client = signed_in(unproven.login)
    send(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert confirm(client, wrong).status_code == 400
    response = confirm(client, code)
    assert "Ce code a expiré ou a été remplacé" in html.unescape(response.content.decode())
    unproven.refresh_from_db()
    assert unproven.mobile_verified_at is None


def test_a_code_older_than_ten_minutes_has_expired(
    unproven: Account, sms_gateway: SmsGateway, captured: Any
) -> None:
    client = signed_in(unproven.login)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        send(client, captured)
        traveller.shift(timedelta(minutes=10, seconds=1))
        response = confirm(client, sms_gateway.code_sent_to(NUMBER))
    assert response.status_code == 400
    unproven.refresh_from_db()
    assert unproven.mobile_verified_at is None


def test_a_change_of_number_after_sending_voids_the_code(
    unproven: Account, sms_gateway: SmsGateway, captured: Any
) -> None:
    client = signed_in(unproven.login)
    send(client, captured)
    Account.objects.filter(pk=unproven.pk).update(mobile="+33699887766")
    confirm(client, sms_gateway.code_sent_to(NUMBER))
    unproven.refresh_from_db()
    assert unproven.mobile_verified_at is None


def test_codes_sent_to_one_number_are_throttled(
    unproven: Account, sms_gateway: SmsGateway, captured: Any
) -> None:
    client = signed_in(unproven.login)
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [send(client, captured).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(sms_gateway.texts_to(NUMBER)) == 3


def test_the_page_needs_a_signed_in_person(client: Any) -> None:
    response = client.get("/mobile/confirmer")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion?next=")
