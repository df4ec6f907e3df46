"""Reads of the mobile app: a device from its bearer token, a person's devices."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from preau.mobile import tokens
from preau.mobile.models import Device, DeviceToken


def device_by_access_token(token: str) -> Device | None:
    """The live device of a live access token (one query), else ``None``."""
    found = (
        DeviceToken.objects.select_related("device__account")
        .filter(
            digest=tokens.digest(token),
            kind=DeviceToken.Kind.ACCESS,
            expires_at__gt=timezone.now(),
            device__revoked_at__isnull=True,
        )
        .first()
    )
    return found.device if found is not None else None


def devices_of(account: Any) -> QuerySet[Device]:
    """The account's paired devices still in use, the latest paired first."""
    return Device.objects.filter(account=account, revoked_at__isnull=True).order_by(
        "-paired_at", "-pk"
    )
