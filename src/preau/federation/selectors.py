"""Reads of federated identities."""

from __future__ import annotations

from django.db.models import QuerySet

from preau.directory.models import Account
from preau.federation.models import FederatedIdentity


def identity_find(*, provider: str, subject: str) -> FederatedIdentity | None:
    return (
        FederatedIdentity.objects.select_related("account")
        .filter(provider=provider, subject=subject)
        .first()
    )


def identities_of(account: Account) -> QuerySet[FederatedIdentity]:
    return FederatedIdentity.objects.filter(account=account).order_by("linked_at", "pk")
