"""Which accounts a lifecycle rule applies to, at a given instant.

Each selector is the whole definition of its rule's scope: the services only add batching,
locking and the audit trail. Both rules leave ACTIVE accounts alone by construction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from preau.directory.models import Account


def accounts_past_activation_deadline(*, now: datetime) -> QuerySet[Account]:
    """PROVISIONED accounts whose activation deadline has passed.

    A code issued again moves ``activation_expires_at`` later, which takes the account out of
    this set until the new deadline.
    """
    return Account.objects.filter(
        state=Account.State.PROVISIONED,
        activation_expires_at__isnull=False,
        activation_expires_at__lte=now,
    )


def accounts_never_activated(*, now: datetime, days: int) -> QuerySet[Account]:
    """Accounts never activated, created more than ``days`` days before ``now``.

    Two guards beyond the rule as written: an account whose activation code is still valid
    (an administrator just issued one) is kept until that code expires, and operator accounts
    (``is_staff``/``is_superuser``, the Django admin's users) are never deleted by a rule.
    """
    return Account.objects.filter(
        # A merged account is kept (its login stays reserved: see preau.directory.merges).
        ~Q(state__in=(Account.State.ACTIVE, Account.State.MERGED)),
        Q(activation_expires_at__isnull=True) | Q(activation_expires_at__lte=now),
        activated_at__isnull=True,
        created_at__lte=now - timedelta(days=days),
        is_staff=False,
        is_superuser=False,
    )
