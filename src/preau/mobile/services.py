"""Writes of the mobile app: grants, pairing, tokens and their rotation, revocation, web links.

Each function runs in one transaction and writes its audit event. Refusals raise
:class:`~preau.mobile.errors.MobileError` (a stable code; the API turns it into JSON).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.conf import DEFAULTS, preau_setting
from preau.directory.models import Account
from preau.mobile import tokens
from preau.mobile.errors import MobileError
from preau.mobile.models import Device, DeviceToken, PairingGrant, WebLink
from preau.notify.preferences import notification_preferences_set
from preau.portal.registry import registry_match


def mobile_setting(name: str) -> int:
    """``PREAU["MOBILE"][name]``, else its default (a deployment may set only some keys)."""
    configured = preau_setting("MOBILE")
    return int(configured[name] if name in configured else DEFAULTS["MOBILE"][name])


def account_usable(account: Account) -> bool:
    return account.is_active and account.state == Account.State.ACTIVE


@dataclass(frozen=True)
class GrantIssued:
    grant: PairingGrant
    code: str = ""  # the typed code (kind CODE), shown once
    qr_fields: dict[str, str | int] | None = None  # the QR's cipher fields (kind QR_PIN)


@dataclass(frozen=True)
class TokenPair:
    device: Device
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@transaction.atomic
def grant_create(
    *, actor: Account, account: Account, pin: str | None = None, request: HttpRequest | None = None
) -> GrantIssued:
    """ "Activer mon accès": a new identifier and code (or, with ``pin``, a QR + PIN token).
    The account's earlier unused grants die: one pending pairing at a time."""
    now = timezone.now()
    PairingGrant.objects.filter(account=account, used_at__isnull=True).update(used_at=now)
    identifier = tokens.identifier_generate()
    while PairingGrant.objects.filter(identifier=identifier).exists():
        identifier = tokens.identifier_generate()
    expires_at = now + timedelta(seconds=mobile_setting("GRANT_SECONDS"))
    if pin is None:
        code = tokens.code_generate()
        kind, secret, fields = PairingGrant.Kind.CODE, code, None
    else:
        raw = secrets.token_bytes(32)
        kind, code, secret = PairingGrant.Kind.QR_PIN, "", tokens.b64url(raw)
        fields = tokens.pin_encrypt(pin=pin, token=raw)
    grant = PairingGrant.objects.create(
        account=account,
        kind=kind,
        identifier=identifier,
        digest=tokens.digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    audit_record(
        action="mobile.grant.create",
        actor=actor,
        target=account,
        request=request,
        data={"kind": kind, "identifier": identifier},
    )
    return GrantIssued(grant=grant, code=code, qr_fields=fields)


def _tokens_issue(device: Device, now: Any) -> TokenPair:
    access, refresh = tokens.token_generate("pma"), tokens.token_generate("pmr")
    access_life, refresh_life = mobile_setting("ACCESS_SECONDS"), mobile_setting("REFRESH_SECONDS")
    DeviceToken.objects.bulk_create(
        [
            DeviceToken(
                device=device,
                kind=DeviceToken.Kind.ACCESS,
                digest=tokens.digest(access),
                created_at=now,
                expires_at=now + timedelta(seconds=access_life),
            ),
            DeviceToken(
                device=device,
                kind=DeviceToken.Kind.REFRESH,
                digest=tokens.digest(refresh),
                created_at=now,
                expires_at=now + timedelta(seconds=refresh_life),
            ),
        ]
    )
    return TokenPair(device, access, refresh, access_life, refresh_life)


def _grant_fail(grant: PairingGrant, ip: str | None) -> None:
    grant.failures += 1
    fields = ["failures"]
    if grant.failures >= mobile_setting("GRANT_TRIES"):
        grant.used_at = timezone.now()
        fields.append("used_at")
    grant.save(update_fields=fields)
    audit_record(
        action="mobile.pair.failure",
        actor=None,
        target=grant.account,
        ip=ip,
        data={"kind": grant.kind, "failures": grant.failures},
    )


def device_pair(
    *,
    kind: str,
    identifier: str,
    secret: str,
    name: str,
    platform: str,
    ip: str | None = None,
) -> TokenPair:
    """Trade a grant's identifier and secret (the typed code, or the token decrypted with the
    PIN) for a new device and its first tokens. A wrong secret counts against the grant."""
    refusal = "invalid_grant" if kind == PairingGrant.Kind.CODE else "invalid_pin"
    if kind == PairingGrant.Kind.CODE:
        identifier, secret = tokens.code_normalize(identifier), tokens.code_normalize(secret)
    now = timezone.now()
    with transaction.atomic():
        grant = (
            PairingGrant.objects.select_for_update()
            .select_related("account")
            .filter(identifier=identifier.strip().upper(), kind=kind)
            .first()
        )
        if grant is None or grant.used_at is not None or grant.expires_at <= now:
            raise MobileError(refusal)
        if not secrets.compare_digest(tokens.digest(secret), grant.digest):
            _grant_fail(grant, ip)
            failed = True
        else:
            failed = False
            if not account_usable(grant.account):
                raise MobileError("account_unavailable")
            device = Device.objects.create(
                account=grant.account, name=name, platform=platform, paired_at=now
            )
            grant.used_at, grant.device = now, device
            grant.save(update_fields=["used_at", "device"])
            audit_record(
                action="mobile.pair",
                actor=grant.account,
                target=grant.account,
                ip=ip,
                data={"kind": kind, "device": device.pk, "name": name, "platform": platform},
            )
            pair = _tokens_issue(device, now)
    if failed:  # the failure is committed before the refusal
        raise MobileError(refusal)
    return pair


def token_refresh(*, refresh_token: str, ip: str | None = None) -> TokenPair:
    """Rotate: the refresh token is used once for a new pair. A used one presented again
    means a copy exists: the device is revoked (the committed revocation, then a refusal)."""
    now = timezone.now()
    with transaction.atomic():
        found = (
            DeviceToken.objects.select_for_update()
            .select_related("device__account")
            .filter(digest=tokens.digest(refresh_token), kind=DeviceToken.Kind.REFRESH)
            .first()
        )
        if found is None or found.device.revoked_at is not None or found.expires_at <= now:
            raise MobileError("invalid_refresh_token")
        device = found.device
        reused = found.used_at is not None
        if reused:
            _device_revoke(device, reason="refresh_reuse", now=now)
            audit_record(
                action="mobile.refresh.reuse",
                actor=None,
                target=device.account,
                ip=ip,
                data={"device": device.pk},
            )
        else:
            if not account_usable(device.account):
                raise MobileError("account_unavailable")
            found.used_at = now
            found.save(update_fields=["used_at"])
            device.last_used_at = now
            device.save(update_fields=["last_used_at"])
            pair = _tokens_issue(device, now)
    if reused:
        raise MobileError("invalid_refresh_token")
    return pair


def _device_revoke(device: Device, *, reason: str, now: Any) -> int:
    device.revoked_at, device.revoke_reason = now, reason
    device.save(update_fields=["revoked_at", "revoke_reason"])
    return int(DeviceToken.objects.filter(device=device).delete()[0])


@transaction.atomic
def device_revoke(
    *,
    actor: Account | None,
    device: Device,
    reason: str,
    request: HttpRequest | None = None,
    ip: str | None = None,
) -> int:
    """ "Retirer cet appareil" (the page), sign out of this device (the app), or a device
    left unused past its refresh token (``actor`` ``None``: ``preau lifecycle``). Returns the
    number of its tokens deleted."""
    if device.revoked_at is not None:
        return 0
    deleted = _device_revoke(device, reason=reason, now=timezone.now())
    audit_record(
        action="mobile.device.revoke",
        actor=actor,
        target=device.account,
        request=request,
        ip=ip,
        data={"device": device.pk, "name": device.name, "reason": reason},
    )
    return deleted


def devices_revoke_all(*, account_ids: list[int], reason: str) -> int:
    """Every device of the accounts (the receiver of ``access_revoked``, inside the act's
    transaction), with their pending grants. Returns the number of devices revoked."""
    now = timezone.now()
    PairingGrant.objects.filter(account_id__in=account_ids, used_at__isnull=True).update(
        used_at=now
    )
    live = list(
        Device.objects.filter(account_id__in=account_ids, revoked_at__isnull=True).values_list(
            "pk", "account_id"
        )
    )
    if not live:
        return 0
    ids = [pk for pk, _account in live]
    DeviceToken.objects.filter(device_id__in=ids).delete()
    Device.objects.filter(pk__in=ids).update(revoked_at=now, revoke_reason=reason)
    for account in Account.objects.filter(pk__in={a for _pk, a in live}).order_by("pk"):
        audit_record(
            action="mobile.devices.revoke_all",
            actor=None,
            target=account,
            data={"reason": reason, "devices": [pk for pk, a in live if a == account.pk]},
        )
    return len(ids)


def device_touch(device: Device) -> None:
    """Record the device's use, at most once a minute (not a write per call)."""
    now = timezone.now()
    if device.last_used_at is None or now - device.last_used_at > timedelta(minutes=1):
        Device.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now


@transaction.atomic
def web_link_create(*, device: Device, service: str, ip: str | None = None) -> str:
    """A one-time link into a registered CAS service (any other address is refused: the link
    must never become an open redirect). Returns the token to put in the link."""
    if registry_match(service, protocols=("cas",)) is None:
        raise MobileError("unknown_service")
    now = timezone.now()
    token = tokens.token_generate("pmw")
    WebLink.objects.create(
        device=device,
        service=service,
        digest=tokens.digest(token),
        created_at=now,
        expires_at=now + timedelta(seconds=mobile_setting("WEB_LINK_SECONDS")),
    )
    audit_record(
        action="mobile.web_link",
        actor=device.account,
        target=device.account,
        ip=ip,
        data={"device": device.pk, "service": service},
    )
    return token


@transaction.atomic
def web_link_consume(*, token: str) -> WebLink | None:
    """The link's account and service, once; ``None`` when unknown, used, expired, or its
    device or account no longer usable."""
    now = timezone.now()
    link = (
        WebLink.objects.select_for_update()
        .select_related("device__account")
        .filter(digest=tokens.digest(token))
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    link.used_at = now
    link.save(update_fields=["used_at"])
    device = link.device
    if device.revoked_at is not None or not account_usable(device.account):
        return None
    return link


@transaction.atomic
def preferences_update(
    *, device: Device, from_establishment: bool, from_partners: bool, sms: bool, ip: str | None
) -> None:
    account = device.account
    wanted = {"from_establishment": from_establishment, "from_partners": from_partners, "sms": sms}
    if notification_preferences_set(account=account, **wanted):
        audit_record(
            action="mobile.preferences.update",
            actor=account,
            target=account,
            ip=ip,
            data={"device": device.pk, "preferences": wanted},
        )


@dataclass(frozen=True)
class MobilePurge:
    """What :func:`mobile_rows_purge` did (or, in a dry run, would do)."""

    expired: int = 0  # devices revoked: their refresh token expired unused
    grants: int = 0
    web_links: int = 0
    tokens: int = 0
    devices: int = 0

    @property
    def total(self) -> int:
        return self.expired + self.grants + self.web_links + self.tokens + self.devices


def devices_expire(*, dry_run: bool = False) -> tuple[int, int]:
    """Revoke (reason ``expired``, audited) the devices that can no longer connect: no refresh
    token left unused and unexpired (``REFRESH_SECONDS`` without a refresh). Mon compte stops
    listing them, and their rows go ``REVOKED_DEVICE_DAYS`` later like any revoked device's.
    Returns how many devices, and how many of their tokens (all dead) the revocation deleted;
    a dry run counts the devices only (their tokens are the purge's expired ones)."""
    live_refresh = DeviceToken.objects.filter(
        device=OuterRef("pk"),
        kind=DeviceToken.Kind.REFRESH,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    dead = Device.objects.filter(revoked_at__isnull=True).exclude(Exists(live_refresh))
    if dry_run:
        return dead.count(), 0
    expired = tokens = 0
    for device in dead.select_related("account").order_by("pk"):
        tokens += device_revoke(actor=None, device=device, reason="expired")
        expired += 1
    return expired, tokens


def _delete_in_batches(queryset: QuerySet[Any], *, batch_size: int, dry_run: bool) -> int:
    if dry_run:
        return queryset.count()
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def mobile_rows_purge(*, batch_size: int = 1000, dry_run: bool = False) -> MobilePurge:
    """Delete what no longer opens anything (``preau lifecycle``, docs/mobile.md):

    * pairing grants (codes, QR + PIN tokens) and web links used or expired;
    * tokens expired, or of a revoked device, and rotated refresh tokens ``ROTATED_REFRESH_DAYS``
      after their use (until then a copy presented again is recognised and revokes the device);
    * devices revoked more than ``REVOKED_DEVICE_DAYS`` ago (name, platform, dates);

    after revoking the devices whose refresh token expired unused (:func:`devices_expire`).

    Children first, so that deleting a device cascades to nothing and a dry run counts what a
    run deletes. Each batch is one statement; the audit trail already holds the story."""
    expired, expired_tokens = devices_expire(dry_run=dry_run)
    now = timezone.now()
    rotated_before = now - timedelta(days=mobile_setting("ROTATED_REFRESH_DAYS"))
    revoked_before = now - timedelta(days=mobile_setting("REVOKED_DEVICE_DAYS"))
    dead = Q(used_at__isnull=False) | Q(expires_at__lte=now)
    tokens = (
        Q(expires_at__lte=now)
        | Q(device__revoked_at__isnull=False)
        | Q(kind=DeviceToken.Kind.REFRESH, used_at__lte=rotated_before)
    )
    old_devices = Device.objects.filter(revoked_at__lte=revoked_before)

    def purge(queryset: QuerySet[Any]) -> int:
        return _delete_in_batches(queryset, batch_size=batch_size, dry_run=dry_run)

    return MobilePurge(
        expired=expired,
        grants=purge(PairingGrant.objects.filter(dead)),
        web_links=purge(WebLink.objects.filter(dead | Q(device__revoked_at__isnull=False))),
        tokens=expired_tokens + purge(DeviceToken.objects.filter(tokens)),
        devices=purge(old_devices),
    )
