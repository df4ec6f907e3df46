"""Writes of the OpenID Connect provider (django-oauth-toolkit writes its own codes and tokens).

Each function runs in one transaction and writes its audit event.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.directory.models import Account, Establishment
from preau.sso.oidc.models import Subject


def _new_sub() -> str:
    # 128 random bits, URL-safe: opaque to the client (see Subject).
    return secrets.token_urlsafe(16)


def subject_ensure(*, account: Account, application: Any) -> Subject:
    """The person's ``sub`` for this client, drawn the first time (no audit event of its own:
    it is drawn when a code is issued, which :func:`authorization_record` records)."""
    existing = Subject.objects.filter(account=account, application=application).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Subject.objects.create(account=account, application=application, sub=_new_sub())
    except IntegrityError:
        # Two first sign-ins at once: the other one drew it.
        return Subject.objects.get(account=account, application=application)


def authorization_record(
    *,
    actor: Account,
    application: Any,
    scopes: list[str],
    establishment: Establishment | None,
    request: HttpRequest,
    consent: str,
) -> Subject:
    """A code is being issued to ``application`` for ``actor``: remember the establishment the
    ``ent`` claims will describe, and record the event. ``consent`` says how the person agreed
    ("skipped" for a first-party service, "given" on the consent page, "remembered")."""
    with transaction.atomic():
        subject = subject_ensure(account=actor, application=application)
        subject.establishment = establishment
        subject.authorized_at = timezone.now()
        subject.save(update_fields=["establishment", "authorized_at"])
        audit_record(
            action="oidc.authorize",
            actor=actor,
            target=actor,
            establishment=establishment,
            request=request,
            data={
                "client_id": application.client_id,
                "client": application.name,
                "scopes": sorted(scopes),
                "consent": consent,
            },
        )
    return subject


def authorization_deny_record(*, actor: Account, application: Any, request: HttpRequest) -> None:
    """The person refused to share their data with ``application`` on the consent page."""
    audit_record(
        action="oidc.deny",
        actor=actor,
        target=actor,
        request=request,
        data={"client_id": application.client_id, "client": application.name},
    )
