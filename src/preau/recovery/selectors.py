"""Reads of recovery: help-request queues (scoped to the administrator), pending password
change demands, what a proven account can be told."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from preau.directory.models import Account, Establishment
from preau.directory.selectors import establishments_administered
from preau.notify.masks import mask_email, mask_mobile
from preau.recovery.models import HelpRequest, PasswordChangeDemand
from preau.signin.models import PasswordHistory


def help_requests_of(
    *, actor: Any, establishment: Establishment, status: str = ""
) -> QuerySet[HelpRequest]:
    """The help requests of an establishment ``actor`` administers, newest first."""
    rows = HelpRequest.objects.filter(
        establishment=establishment,
        establishment__in=establishments_administered(actor=actor),
    )
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("account", "handled_by").order_by("-created_at", "-pk")


def help_request_counts(*, actor: Any, establishment: Establishment) -> dict[str, int]:
    """Requests per status (every status present, zero included)."""
    counts = dict.fromkeys(HelpRequest.Status.values, 0)
    rows = (
        help_requests_of(actor=actor, establishment=establishment)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def help_request_get(*, actor: Any, establishment: Establishment, pk: int) -> HelpRequest:
    """One request of ``establishment`` if ``actor`` administers it (else ``DoesNotExist``)."""
    return help_requests_of(actor=actor, establishment=establishment).get(pk=pk)


def help_requests_open_for(
    *, actor: Any, establishment: Establishment, account: Account
) -> list[HelpRequest]:
    return list(
        help_requests_of(actor=actor, establishment=establishment)
        .filter(account=account)
        .exclude(status=HelpRequest.Status.DONE)
    )


def password_change_demanded(account: Account) -> bool:
    """True while the school's demand for a new password is not met (no password chosen since).

    An account loaded by the sign-in knows whether a demand exists
    (``password_change_demand_pending``, see preau.signin.backends): no query then in the
    common case, an account without one.
    """
    if getattr(account, "password_change_demand_pending", None) is False:
        return False
    demand = PasswordChangeDemand.objects.filter(account=account).first()
    if demand is None:
        return False
    return not PasswordHistory.objects.filter(
        account=account, created_at__gt=demand.demanded_at
    ).exists()


@dataclass(frozen=True)
class Channels:
    """What a proven owner may be told about their own account."""

    email: str = ""  # verified address, masked
    mobile: str = ""  # verified number, masked
    deactivated: bool = False

    @property
    def any(self) -> bool:
        return bool(self.email or self.mobile)


def channels_of(account: Account) -> Channels:
    return Channels(
        email=mask_email(account.email) if account.email and account.email_verified_at else "",
        mobile=mask_mobile(account.mobile) if account.mobile and account.mobile_verified_at else "",
        deactivated=account.state == Account.State.DEACTIVATED,
    )
