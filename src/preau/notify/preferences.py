"""What a person agreed to receive (the establishment's information, the partners', by SMS
too): read for the forms of the first connection and "Mon compte", written by their contact
step (:func:`preau.signin.contacts.account_contact_update`, which audits the change)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from preau.notify.models import NotificationPreferences


def notification_preferences_of(account: Any) -> NotificationPreferences:
    """The saved preferences, or the defaults (unsaved) for someone who never chose."""
    found = NotificationPreferences.objects.filter(account=account).first()
    return found or NotificationPreferences(account=account, updated_at=timezone.now())


def notification_preferences_set(
    *, account: Any, from_establishment: bool, from_partners: bool, sms: bool
) -> bool:
    """Save the account's choices; whether anything changed (a first choice always does).
    Called inside the caller's transaction, which writes the audit event."""
    now = timezone.now()
    wanted = {"from_establishment": from_establishment, "from_partners": from_partners, "sms": sms}
    preferences, created = NotificationPreferences.objects.select_for_update().get_or_create(
        account=account, defaults={**wanted, "updated_at": now}
    )
    differs = [k for k, v in wanted.items() if getattr(preferences, k) != v]
    if not (created or differs):
        return False
    for key, value in wanted.items():
        setattr(preferences, key, value)
    preferences.updated_at = now
    preferences.save()
    return True
