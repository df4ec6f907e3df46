"""Reads of the portal: a person's memberships, their current establishment, their tiles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.portal.models import Category, Service
from preau.portal.registry import registry_services

# The establishment a person with several chose in "Mes portails": its UAI (the OIDC
# provider reads the same key, see preau.sso.oidc.selectors).
ESTABLISHMENT_SESSION_KEY = "preau_establishment_uai"


def _current() -> Q:
    return Q(end_date__isnull=True) | Q(end_date__gt=timezone.localdate())


def memberships_current(account: Any) -> list[tuple[int, str]]:
    """(establishment id, profile) of the account's current memberships."""
    return [
        (establishment_id, profile)
        for establishment_id, profile, _ in memberships_with_uai(account)
    ]


def memberships_with_uai(account: Any) -> list[tuple[int, str, str]]:
    """(establishment id, profile, UAI) of the account's current memberships (one query)."""
    if not isinstance(account, Account):
        return []
    return list(
        Membership.objects.filter(_current(), account=account)
        .order_by("establishment_id", "profile")
        .values_list("establishment_id", "profile", "establishment__uai")
    )


def establishments_of(account: Any) -> list[Establishment]:
    """The establishments where the account holds a current membership, by name."""
    if not isinstance(account, Account):
        return []
    return list(
        Establishment.objects.filter(
            pk__in=Membership.objects.filter(_current(), account=account).values("establishment_id")
        ).order_by("name", "pk")
    )


def establishment_current(
    account: Any, session: Mapping[str, Any] | None, establishments: list[Establishment]
) -> Establishment | None:
    """The one chosen in "Mes portails" if it is still one of the person's, else the first."""
    if not establishments:
        return None
    chosen = (session or {}).get(ESTABLISHMENT_SESSION_KEY)
    return next((e for e in establishments if e.uai == chosen), establishments[0])


@dataclass
class Tile:
    name: str
    description: str
    icon: str
    url: str
    slug: str


@dataclass
class TileGroup:
    category: str
    tiles: list[Tile] = field(default_factory=list)


def tiles_for(
    account: Any, establishment: Establishment | None, memberships: list[tuple[int, str]]
) -> list[TileGroup]:
    """ "Mes services": the active services open to the person's profiles in ``establishment``
    (every membership when there is none), grouped by category in display order."""
    here = [m for m in memberships if establishment is None or m[0] == establishment.pk] or (
        [] if establishment is not None else memberships
    )
    allowed_ids = [s.id for s in registry_services() if s.allows(here)]
    services = (
        Service.objects.filter(pk__in=allowed_ids, is_active=True)
        .exclude(launch_url="")
        .select_related("category")
        .order_by("category__order", "category__name", "order", "name")
    )
    groups: dict[int, TileGroup] = {}
    for service in services:
        category: Category = service.category
        group = groups.setdefault(category.pk, TileGroup(category=category.name))
        group.tiles.append(
            Tile(
                name=service.name,
                description=service.description,
                icon=service.icon,
                url=service.launch_url_for(establishment),
                slug=service.slug,
            )
        )
    return list(groups.values())
