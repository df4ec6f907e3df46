"""Reads of the portal: a person's tiles, the site's pages. Their memberships and current
establishment are the directory's (:mod:`preau.directory.selectors`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import QuerySet

from preau.conf import preau_setting
from preau.directory.models import Establishment
from preau.portal.models import Category, Service, SitePage
from preau.portal.registry import registry_services
from preau.portal.site_pages import Block, default_body, text_blocks

logger = logging.getLogger(__name__)


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


def services_launchable() -> QuerySet[Service]:
    """The active services with a launch address, in the display order of "Mes services"."""
    return (
        Service.objects.filter(is_active=True)
        .exclude(launch_url="")
        .order_by("category__order", "category__name", "order", "name")
    )


def services_allowed_ids(
    establishment: Establishment | None, memberships: list[tuple[int, str]]
) -> list[int]:
    """The registered services open to the person's profiles in ``establishment`` (every
    membership when there is none): what :func:`tiles_for` shows of them."""
    here = [m for m in memberships if establishment is None or m[0] == establishment.pk] or (
        [] if establishment is not None else memberships
    )
    return [s.id for s in registry_services() if s.allows(here)]


def tiles_for(
    account: Any, establishment: Establishment | None, memberships: list[tuple[int, str]]
) -> list[TileGroup]:
    """ "Mes services": the active services open to the person's profiles in ``establishment``
    (every membership when there is none), grouped by category in display order."""
    allowed_ids = services_allowed_ids(establishment, memberships)
    services = services_launchable().filter(pk__in=allowed_ids).select_related("category")
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


# --- The footer's pages (preau.portal.site_pages) ---------------------------------------------

CONFORMITY_CACHE_KEY = "portal:site_pages:conformity"


@dataclass(frozen=True)
class SitePageView:
    kind: str
    title: str
    blocks: list[Block]
    conformity: str  # a SitePage.Conformity value
    conformity_label: str
    is_default: bool
    updated_at: Any = None


def site_page_default_text(*, kind: str) -> str:
    """The default text of page ``kind``, in the deployment's words (names, delays)."""
    return default_body(
        kind,
        ent_name=str(preau_setting("ENT_NAME")),
        operator=str(preau_setting("OPERATOR_NAME")),
        help_text=str(preau_setting("HELP_TEXT")),
    )


def site_page_get(*, kind: str) -> SitePageView:
    """The page ``kind`` as the operator wrote it, else its default text."""
    stored = SitePage.objects.filter(kind=kind).first()
    label = str(SitePage.Kind(kind).label)
    if stored is not None and stored.body.strip():
        conformity = SitePage.Conformity(stored.conformity)
        return SitePageView(
            kind=kind,
            title=stored.title or label,
            blocks=text_blocks(stored.body),
            conformity=conformity.value,
            conformity_label=str(conformity.label),
            is_default=False,
            updated_at=stored.updated_at,
        )
    conformity = SitePage.Conformity.NONE
    return SitePageView(
        kind=kind,
        title=label,
        blocks=text_blocks(site_page_default_text(kind=kind)),
        conformity=conformity.value,
        conformity_label=str(conformity.label),
        is_default=True,
    )


def accessibility_conformity() -> str:
    """The RGAA conformity level the footer states on every page (a SitePage.Conformity
    value), from the cache: one small query every SITE_PAGES_CACHE_SECONDS at most."""
    cached = cache.get(CONFORMITY_CACHE_KEY)
    if cached is not None:
        return str(cached)
    try:
        stored = (
            SitePage.objects.filter(kind=SitePage.Kind.ACCESSIBILITY)
            .exclude(body="")
            .values_list("conformity", flat=True)
            .first()
        )
    except DatabaseError:
        # The sign-in page needs no database otherwise: it still shows (a database not
        # migrated yet, or unreachable), stating what holds without an audit.
        logger.warning("The accessibility statement could not be read", exc_info=True)
        return SitePage.Conformity.NONE.value
    value = stored or SitePage.Conformity.NONE.value
    cache.set(CONFORMITY_CACHE_KEY, value, int(preau_setting("SITE_PAGES_CACHE_SECONDS")))
    return str(value)
