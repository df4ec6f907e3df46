"""Reads of "Mon compte": the password checks, preferences, open sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

from preau.account.models import NotificationPreferences, PasswordHistory, SessionRecord
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.signin.password_policy import password_validate


def password_history_hashes(account: Account) -> list[str]:
    """The hashes of the account's last ``PASSWORD_HISTORY`` passwords, its current one first."""
    limit = int(preau_setting("PASSWORD_HISTORY"))
    hashes = [account.password] if account.has_usable_password() else []
    if limit > 0:
        hashes.extend(
            PasswordHistory.objects.filter(account=account)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[:limit]
        )
    return list(dict.fromkeys(hashes))


def password_errors(account: Account, password: str) -> list[ValidationError]:
    """Why ``password`` cannot be this account's new password (empty: it can)."""
    return password_validate(
        password,
        account=account,
        previous_hashes=password_history_hashes(account),
        activation_code_digest=account.activation_code_digest,
    )


def notification_preferences_of(account: Account) -> NotificationPreferences:
    """The saved preferences, or the defaults (unsaved) for someone who never chose."""
    found = NotificationPreferences.objects.filter(account=account).first()
    return found or NotificationPreferences(account=account, updated_at=timezone.now())


@dataclass(frozen=True)
class OpenSession:
    record: SessionRecord
    is_current: bool

    @property
    def started(self) -> datetime:
        return self.record.created_at


def sessions_open(account: Account, current_key: str | None) -> list[OpenSession]:
    """The account's signed-in sessions that still exist, the current one first."""
    records = list(
        SessionRecord.objects.filter(account=account, ended_at__isnull=True).order_by(
            "-last_seen_at"
        )
    )
    alive = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in records], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    found = [
        OpenSession(record=r, is_current=r.session_key == current_key)
        for r in records
        if r.session_key in alive or r.session_key == current_key
    ]
    return sorted(found, key=lambda s: (not s.is_current, -s.record.last_seen_at.timestamp()))
