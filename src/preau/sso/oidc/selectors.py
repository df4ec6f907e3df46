"""Reads of the OpenID Connect provider: a person's current establishment, their memberships
there, and the ``sub`` a client knows them by."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership, SchoolClass
from preau.sso.oidc.models import ClientService, CodeSignIn, Subject

# Where "Mes portails" (preau.portal) keeps the establishment a person with several has
# chosen: its UAI. The establishment of the ``ent`` claims is the one chosen when the person
# authorized the client.
ESTABLISHMENT_SESSION_KEY = "preau_establishment_uai"


def _current_q() -> Q:
    return Q(end_date__isnull=True) | Q(end_date__gt=timezone.localdate())


def memberships_current(account: Account) -> list[Membership]:
    """The account's current memberships with their establishment and classes (two queries),
    in a stable order: by establishment name, then profile."""
    return list(
        Membership.objects.filter(_current_q(), account=account)
        .select_related("establishment")
        .prefetch_related(Prefetch("classes", queryset=SchoolClass.objects.order_by("code", "pk")))
        .order_by("establishment__name", "establishment__uai", "profile")
    )


def establishment_current(
    *, account: Account, session: Any = None, memberships: list[Membership] | None = None
) -> Establishment | None:
    """The establishment the person is in now: the one chosen in "Mes portails" (the session)
    when they still belong to it, else the first of their current memberships, else None."""
    if memberships is None:
        memberships = memberships_current(account)
    if not memberships:
        return None
    chosen = session.get(ESTABLISHMENT_SESSION_KEY) if session is not None else None
    if chosen:
        for membership in memberships:
            if membership.establishment.uai == chosen:
                return membership.establishment
    return memberships[0].establishment


def subject_of(*, account: Account, application: Any) -> Subject | None:
    return Subject.objects.filter(account=account, application=application).first()


def client_refusal(*, account: Account, application: Any) -> str:
    """Why ``account`` may not sign in to ``application`` ("" when it may): the portal service
    the client is linked to is inactive ("inactive") or not open to the person's profiles in
    their establishments ("profile"), as the CAS server decides for its services."""
    from preau.portal.registry import registry_get
    from preau.portal.selectors import memberships_current as portal_memberships

    service_id = (
        ClientService.objects.filter(application=application)
        .values_list("service_id", flat=True)
        .first()
    )
    if service_id is None:
        return ""
    registered = registry_get(service_id)
    if registered is None:
        return "inactive"
    if not registered.allows(portal_memberships(account)):
        return "profile"
    return ""


def code_signed_in_at(*, code: str, application: Any) -> dt.datetime | None:
    """When the person signed in to the session that approved ``code`` (None when unknown)."""
    return (
        CodeSignIn.objects.filter(grant__code=code, grant__application=application)
        .values_list("signed_in_at", flat=True)
        .first()
    )
