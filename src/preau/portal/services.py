"""Writes of the portal (the registry itself is edited by operators in the Django admin)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from preau.audit.services import audit_record
from preau.directory.models import Establishment
from preau.portal.models import Category, Service, ServicePattern
from preau.portal.selectors import ESTABLISHMENT_SESSION_KEY, establishments_of


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
