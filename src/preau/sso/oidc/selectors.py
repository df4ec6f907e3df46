"""Reads of the OpenID Connect provider: the ``sub`` a client knows a person by, whether the
person may sign in to it, when they signed in. A person's current memberships and
establishment are the directory's (:mod:`preau.directory.selectors`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from preau.directory.models import Account
from preau.directory.selectors import membership_profiles_current
from preau.sso.oidc.models import ClientService, CodeSignIn, Subject


def subject_of(*, account: Account, application: Any) -> Subject | None:
    return Subject.objects.filter(account=account, application=application).first()


def client_refusal(*, account: Account, application: Any) -> str:
    """Why ``account`` may not sign in to ``application`` ("" when it may): the portal service
    the client is linked to is inactive ("inactive") or not open to the person's profiles in
    their establishments ("profile"), as the CAS server decides for its services."""
    from preau.portal.registry import registry_get

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
    if not registered.allows(membership_profiles_current(account)):
        return "profile"
    return ""


def code_signed_in_at(*, code: str, application: Any) -> dt.datetime | None:
    """When the person signed in to the session that approved ``code`` (None when unknown)."""
    return (
        CodeSignIn.objects.filter(grant__code=code, grant__application=application)
        .values_list("signed_in_at", flat=True)
        .first()
    )
