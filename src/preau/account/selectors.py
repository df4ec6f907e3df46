"""Reads of "Mon compte": the password checks and the preferences (the open sessions are read
by :func:`preau.signin.sessions.sessions_open`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from preau.account.models import NotificationPreferences, PasswordHistory
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
