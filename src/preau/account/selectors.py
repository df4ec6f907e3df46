"""Reads of "Mon compte": the notification preferences (a new password's checks are
:mod:`preau.signin.passwords`, the open sessions :func:`preau.signin.sessions.sessions_open`)."""

from __future__ import annotations

from django.utils import timezone

from preau.account.models import NotificationPreferences
from preau.directory.models import Account


def notification_preferences_of(account: Account) -> NotificationPreferences:
    """The saved preferences, or the defaults (unsaved) for someone who never chose."""
    found = NotificationPreferences.objects.filter(account=account).first()
    return found or NotificationPreferences(account=account, updated_at=timezone.now())
