"""Reads of federated identities."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet

from preau.directory.models import Account, Guardianship
from preau.federation.educonnect import educonnect_start_url
from preau.federation.franceconnect import franceconnect_start_url
from preau.federation.models import FederatedIdentity

_START_URLS = {
    FederatedIdentity.Provider.FRANCECONNECT: franceconnect_start_url,
    FederatedIdentity.Provider.EDUCONNECT: educonnect_start_url,
}


@dataclass(frozen=True)
class SigninAgain:
    """A way to sign in again through a provider linked to the account (then back to a page)."""

    provider: str
    name: str
    url: str


def identity_find(*, provider: str, subject: str) -> FederatedIdentity | None:
    return (
        FederatedIdentity.objects.select_related("account")
        .filter(provider=provider, subject=subject)
        .first()
    )


def identities_of(account: Account) -> QuerySet[FederatedIdentity]:
    return FederatedIdentity.objects.filter(account=account).order_by("linked_at", "pk")


def signin_again_links(account: Account, next_url: str) -> list[SigninAgain]:
    """The configured providers linked to ``account``, each with the address that signs in
    there again and comes back to ``next_url`` (a path of Préau's)."""
    links: list[SigninAgain] = []
    for provider in dict.fromkeys(identities_of(account).values_list("provider", flat=True)):
        start = _START_URLS.get(FederatedIdentity.Provider(provider), lambda: "")()
        if start:
            name = str(FederatedIdentity.Provider(provider).label)
            links.append(SigninAgain(provider, name, f"{start}?{urlencode({'next': next_url})}"))
    return links


@dataclass(frozen=True)
class AccountChoice:
    """One account a parent may choose at EduConnect's chooser: its identifier and children."""

    account: Account
    children: list[str]  # "Léa (Collège Victor-Hugo)"


def account_choices(account_ids: list[int]) -> list[AccountChoice]:
    """The accounts of ``account_ids`` with their current children, in login order."""
    links = (
        Guardianship.objects.current()
        .filter(guardian_id__in=account_ids)
        .select_related("student", "establishment")
        .order_by("student__first_name", "pk")
    )
    children: dict[int, list[str]] = {}
    for link in links:
        children.setdefault(link.guardian_id, []).append(
            f"{link.student.first_name} ({link.establishment.name})"
        )
    return [
        AccountChoice(account, children.get(account.pk, []))
        for account in Account.objects.filter(pk__in=account_ids).order_by("login")
    ]
