"""Writes of the portal (the registry itself is edited by operators in the Django admin)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

from preau.audit.services import audit_record
from preau.directory.models import Establishment
from preau.directory.selectors import ESTABLISHMENT_SESSION_KEY, establishments_of
from preau.portal.models import Category, Service, ServicePattern, SitePage
from preau.portal.selectors import CONFORMITY_CACHE_KEY


def establishment_choose(
    *, actor: Any, session: Any, establishment_id: int
) -> Establishment | None:
    """ "Mes portails": make ``establishment_id`` the current establishment of ``actor``'s
    session, if it is one of theirs (else nothing changes and None is returned)."""
    chosen = next((e for e in establishments_of(actor) if e.pk == establishment_id), None)
    if chosen is not None:
        session[ESTABLISHMENT_SESSION_KEY] = chosen.uai
    return chosen


DEMO_SERVICE_SLUG = "vie-scolaire-demo"
DEMO_SERVICE_URL = "http://127.0.0.1:8001/"


def demo_service_register(*, base_url: str = DEMO_SERVICE_URL) -> Service:
    """Register the example "vie scolaire" site (``python -m examples.vie_scolaire``) as a CAS
    service of the demo, idempotently: a tile under Scolarité for every profile."""
    with transaction.atomic():
        category, _ = Category.objects.get_or_create(name="Scolarité", defaults={"order": 10})
        service, _ = Service.objects.update_or_create(
            slug=DEMO_SERVICE_SLUG,
            defaults={
                "name": "Vie scolaire (démonstration)",
                "category": category,
                "icon": "fr-icon-team-line",
                "description": "Absences, emploi du temps et notes : le service d’exemple.",
                "protocol": Service.Protocol.CAS,
                "launch_url": base_url + "login",
                "attribute_preset": Service.AttributePreset.GENERIC,
                "single_logout": True,
                "is_active": True,
            },
        )
        ServicePattern.objects.get_or_create(
            service=service, kind=ServicePattern.Kind.PREFIX, value=base_url
        )
        audit_record(action="portal.service.register", actor=None, data={"service": service.slug})
    return service


def site_page_save(*, actor: Any, page: SitePage, request: Any = None) -> SitePage:
    """Save a footer page written by the operator (the admin's form checked its fields),
    audited; every process states the new conformity level in its footer at once (shared
    cache) or within SITE_PAGES_CACHE_SECONDS (local-memory cache)."""
    with transaction.atomic():
        page.save()
        audit_record(
            action="site_page.update",
            actor=actor,
            request=request,
            data={"page": page.kind, "conformity": page.conformity},
        )
        # Now (this request reads its own write) and after the commit (another request may
        # have cached the old value meanwhile).
        cache.delete(CONFORMITY_CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(CONFORMITY_CACHE_KEY))
    return page
