"""Reads of the mobile app: a device from its bearer token, a person's devices, where a web
link leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from preau.directory.models import Account
from preau.mobile import tokens
from preau.mobile.models import Device, DeviceToken, WebLink
from preau.portal.registry import registry_match


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


@dataclass(frozen=True)
class WebLinkTarget:
    service: str  # the CAS service's address
    service_name: str  # its name in the registry, shown on the page


def web_link_target(token: str) -> WebLinkTarget | None:
    """Where a one-time web link leads, without spending it (its page's GET), or ``None`` when
    it is unknown, used, expired, or its device or account no longer usable."""
    link = (
        WebLink.objects.select_related("device__account")
        .filter(
            digest=tokens.digest(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            device__revoked_at__isnull=True,
            device__account__state=Account.State.ACTIVE,
        )
        .first()
    )
    if link is None or not link.device.account.is_active:
        return None
    service = registry_match(link.service, protocols=("cas",))
    if service is None:  # the service left the registry since the link was made
        return None
    return WebLinkTarget(service=link.service, service_name=service.name)
