""" "Application mobile" in "Mon compte": the code and its QR code, the QR + PIN, the devices
and "Retirer cet appareil"; and revocation with the account's other ways in."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.account.services import sessions_end_others
from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.directory.services import RevokeReason, accounts_access_revoke
from preau.mobile.models import Device, DeviceToken, PairingGrant
from preau.mobile.services import device_pair, grant_create
from preau.signin.passwords import account_password_set
from tests.mobile.conftest import PASSWORD, active

pytestmark = pytest.mark.django_db


def signed_in(account: Account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def pair(account: Account, name: str = "Téléphone") -> Device:
    issued = grant_create(actor=account, account=account)
    return device_pair(
        kind=PairingGrant.Kind.CODE,
        identifier=issued.grant.identifier,
        secret=issued.code,
        name=name,
        platform="android",
    ).device


def test_activer_mon_acces_shows_the_identifier_the_code_and_their_qr_code(
    parent: Account,
) -> None:
    client = signed_in(parent)
    page = client.get("/mon-compte/mobile")
    assert page.status_code == 200
    assert "Aucun appareil" in page.content.decode()
    shown = client.post("/mon-compte/mobile/activer")
    html = shown.content.decode()
    grant = PairingGrant.objects.get()
    assert grant.identifier in html
    assert "Activez votre accès mobile en 3 étapes" in html
    assert "5 minutes" in html
    src = html.split('class="preau-mobile-qr" src="')[1].split('"')[0]
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # Only the digest is stored; the code on the page pairs a device.
    code = html.split('id="mobile-code-value">')[1].split("<")[0]
    assert code.replace("-", "") not in grant.digest
    device = device_pair(
        kind="code", identifier=grant.identifier, secret=code, name="Mon tél", platform="ios"
    ).device
    assert device.account == parent
    assert AuditEvent.objects.filter(action="mobile.pair", target=parent).exists()


def test_the_pin_must_be_four_digits_and_is_never_stored(parent: Account) -> None:
    client = signed_in(parent)
    wrong = client.post("/mon-compte/mobile/qr", {"pin": "12a"})
    assert wrong.status_code == 400
    assert "exactement 4 chiffres" in wrong.content.decode()
    right = client.post("/mon-compte/mobile/qr", {"pin": "4821"})
    assert right.status_code == 200
    assert "inutilisable sans votre code PIN" in right.content.decode()
    grant = PairingGrant.objects.get(kind=PairingGrant.Kind.QR_PIN)
    assert "4821" not in grant.digest


def test_a_device_is_listed_and_removed(parent: Account, establishment: Any) -> None:
    device = pair(parent, "Téléphone de Claire")
    client = signed_in(parent)
    assert "Téléphone de Claire" in client.get("/mon-compte/mobile").content.decode()
    other = active(
        "paul.durand", "Paul", "Durand", email="p@example.fr", email_verified_at=timezone.now()
    )
    other.mobile = "+33611111111"
    other.save()
    account_password_set(actor=None, account=other, password=PASSWORD)
    # Someone else's device is not found (404), not removed.
    stranger = signed_in(other)
    assert stranger.post(f"/mon-compte/mobile/appareils/{device.pk}/retirer").status_code == 404
    answer = client.post(f"/mon-compte/mobile/appareils/{device.pk}/retirer")
    assert answer.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert not DeviceToken.objects.filter(device=device).exists()
    assert "Aucun appareil" in client.get("/mon-compte/mobile").content.decode()


@pytest.mark.parametrize(
    "reason",
    [RevokeReason.PASSWORD, RevokeReason.REISSUE, RevokeReason.DEACTIVATED, RevokeReason.MERGED],
)
def test_every_revocation_of_the_account_revokes_its_devices(
    parent: Account, reason: RevokeReason
) -> None:
    devices = [pair(parent, "A"), pair(parent, "B")]
    pending = grant_create(actor=parent, account=parent)
    accounts_access_revoke(account_ids=[parent.pk], reason=reason)
    for device in devices:
        device.refresh_from_db()
        assert device.revoked_at is not None
        assert device.revoke_reason == str(reason)
    assert not DeviceToken.objects.exists()
    pending.grant.refresh_from_db()
    assert pending.grant.used_at is not None
    assert AuditEvent.objects.filter(action="mobile.devices.revoke_all").count() == 1


def test_a_password_change_and_signing_out_elsewhere_revoke_devices(parent: Account) -> None:
    device = pair(parent)
    account_password_set(actor=parent, account=parent, password=PASSWORD + "x")
    device.refresh_from_db()
    assert device.revoke_reason == RevokeReason.PASSWORD

    device = pair(parent)
    client = signed_in(parent)
    request = client.get("/mon-compte/mobile").wsgi_request
    sessions_end_others(actor=parent, account=parent, request=request)
    device.refresh_from_db()
    assert device.revoke_reason == RevokeReason.ELSEWHERE
