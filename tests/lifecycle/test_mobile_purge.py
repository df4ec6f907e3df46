"""The mobile app's dead rows are deleted by ``preau lifecycle`` (dry run first): used or
expired pairing codes, QR + PIN tokens and web links, expired tokens, refresh tokens rotated
more than ROTATED_REFRESH_DAYS ago, devices revoked more than REVOKED_DEVICE_DAYS ago; a device
whose refresh token expired unused is revoked first. What still opens something, or still
detects a copied refresh token, is kept."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.mobile.errors import MobileError
from preau.mobile.models import Device, DeviceToken, PairingGrant, WebLink
from preau.mobile.selectors import device_by_access_token
from preau.mobile.services import (
    TokenPair,
    device_pair,
    device_revoke,
    grant_create,
    token_refresh,
)

pytestmark = pytest.mark.django_db

DRY = (
    "Application mobile : appareils expirés qui seraient retirés, codes, jetons et appareils "
    "retirés qui seraient effacés : {}"
)
DONE = (
    "Application mobile : appareils expirés retirés, codes, jetons et appareils retirés "
    "effacés : {}"
)


@pytest.fixture
def account() -> Account:
    return Account.objects.create_user(
        "claire.martin", state=Account.State.ACTIVE, activated_at=timezone.now()
    )


def pair(account: Account, name: str) -> TokenPair:
    issued = grant_create(actor=account, account=account)
    return device_pair(
        kind="code",
        identifier=issued.grant.identifier,
        secret=issued.code,
        name=name,
        platform="android",
    )


def lifecycle(*args: str) -> str:
    out = StringIO()
    call_command("lifecycle", *args, stdout=out)
    return out.getvalue()


def test_dead_rows_go_and_live_ones_stay(account: Account) -> None:
    start = timezone.now()
    kept = pair(account, "Gardé")  # its grant is used: deleted; its tokens live
    removed = pair(account, "Retiré il y a longtemps")
    device_revoke(actor=account, device=removed.device, reason="removed")
    pending = grant_create(actor=account, account=account, pin="4821")  # live, kept
    WebLink.objects.create(
        device=kept.device,
        service="https://vie-scolaire.example.fr/",
        digest="a" * 64,
        created_at=start,
        expires_at=start + dt.timedelta(seconds=60),
    )
    with time_machine.travel(start + dt.timedelta(minutes=2)):
        # Two grants used, one web link expired; the pending grant (5 minutes) still lives.
        assert DRY.format(3) in lifecycle("--dry-run")
        assert PairingGrant.objects.count() == 3  # a dry run changes nothing
        assert DONE.format(3) in lifecycle()
        assert list(PairingGrant.objects.all()) == [pending.grant]
        assert not WebLink.objects.exists()
        assert device_by_access_token(kept.access_token) == kept.device
        assert DONE.format(0) in lifecycle()  # idempotent

    with time_machine.travel(start + dt.timedelta(days=89)):
        # The pending grant and the access token; the device, unused but refreshable, is kept.
        assert DONE.format(2) in lifecycle()
        assert device_by_access_token(kept.access_token) is None  # expired, but refreshable
        assert token_refresh(refresh_token=kept.refresh_token).device == kept.device

    with time_machine.travel(start + dt.timedelta(days=89 + 91)):
        # Unused since its last refresh 91 days ago, the device can no longer connect: it is
        # revoked (audited) and its three tokens go (one rotated, two expired); the device
        # revoked 180 days ago goes.
        assert DRY.format(5) in lifecycle("--dry-run")
        assert DONE.format(5) in lifecycle()
        assert list(Device.objects.all()) == [kept.device]
        kept.device.refresh_from_db()
        assert kept.device.revoke_reason == "expired"
        assert AuditEvent.objects.filter(
            action="mobile.device.revoke", actor=None, data__reason="expired"
        ).exists()
        assert not DeviceToken.objects.exists() and not PairingGrant.objects.exists()
        assert DONE.format(0) in lifecycle()


def test_a_rotated_refresh_token_is_kept_while_it_detects_a_copy(account: Account) -> None:
    start = timezone.now()
    first = pair(account, "Téléphone")
    with time_machine.travel(start + dt.timedelta(days=29)):
        second = token_refresh(refresh_token=first.refresh_token)
        lifecycle()  # the first access token expired: deleted; the rotated refresh kept
        assert DeviceToken.objects.filter(used_at__isnull=False).count() == 1
    with time_machine.travel(start + dt.timedelta(days=29 + 31)):
        lifecycle()
        # Past ROTATED_REFRESH_DAYS the rotated token is gone: presented again it is only
        # refused; the current refresh token still works.
        assert not DeviceToken.objects.filter(used_at__isnull=False).exists()
        with pytest.raises(MobileError):
            token_refresh(refresh_token=first.refresh_token)
        assert token_refresh(refresh_token=second.refresh_token).device == first.device
    first.device.refresh_from_db()
    assert first.device.revoked_at is None


def test_a_copy_presented_within_the_retention_revokes_the_device(account: Account) -> None:
    first = pair(account, "Téléphone")
    token_refresh(refresh_token=first.refresh_token)
    with time_machine.travel(timezone.now() + dt.timedelta(days=29)):
        lifecycle()
        with pytest.raises(MobileError):
            token_refresh(refresh_token=first.refresh_token)
    first.device.refresh_from_db()
    assert first.device.revoke_reason == "refresh_reuse"
