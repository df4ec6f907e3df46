"""Signing out of a session opened through FranceConnect ends the provider's session too; a
merge of accounts takes the merged account's identities along (and its undo brings them back)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.urls import reverse

from preau.directory.models import Account
from preau.directory.signals import account_merged, account_unmerged
from preau.federation.educonnect import (
    LOGOUT_SESSION_KEY,
    educonnect_configured,
    educonnect_logout_url,
)
from preau.federation.educonnect import PROVIDER as EDUCONNECT
from preau.federation.franceconnect import (
    PROVIDER,
    FederationError,
    franceconnect_configured,
    franceconnect_logout_url,
)
from preau.federation.models import FederatedIdentity
from preau.federation.services import SIGNED_IN_SESSION_KEY
from preau.signin.services import signout_continue_set, signout_return

log = logging.getLogger(__name__)


@receiver(user_logged_out, dispatch_uid="federation_signout_at_provider")
def signout_at_provider(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Before the session is flushed: the sign-out page continues at the provider's
    end-session endpoint (``id_token_hint``, a signed ``state``, back to Préau)."""
    session = getattr(request, "session", None)
    signed_in = session.get(SIGNED_IN_SESSION_KEY) if session is not None else None
    if not isinstance(signed_in, dict) or signed_in.get("provider") != PROVIDER:
        return
    if not franceconnect_configured() or not (
        request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME")
    ):
        return  # not a request from a browser (a test client's logout())
    try:
        url = franceconnect_logout_url(
            id_token=str(signed_in.get("id_token", "")),
            post_logout_redirect_uri=request.build_absolute_uri(
                reverse("federation:franceconnect_logout_return")
            ),
            then=signout_return(request),
        )
    except (FederationError, RuntimeError):
        log.warning("FranceConnect end-session endpoint unknown: signed out of Préau only")
        return
    signout_continue_set(request=request, url=url)


@receiver(user_logged_out, dispatch_uid="federation_signout_at_educonnect")
def signout_at_educonnect(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Before the session is flushed: the sign-out page continues at EduConnect's single
    logout service with a signed LogoutRequest (SP-initiated single logout)."""
    session = getattr(request, "session", None)
    signed_in = session.get(SIGNED_IN_SESSION_KEY) if session is not None else None
    if not isinstance(signed_in, dict) or signed_in.get("provider") != EDUCONNECT:
        return
    logout = session.get(LOGOUT_SESSION_KEY) if session is not None else None
    if (
        not educonnect_configured()
        or not isinstance(logout, dict)
        or not (request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME"))
    ):
        return
    try:
        url = educonnect_logout_url(request, logout, then=signout_return(request))
    except Exception as exc:  # noqa: BLE001 - the person is signed out of Préau anyway
        log.warning(
            "EduConnect single logout not sent (%s): signed out of Préau only", type(exc).__name__
        )
        return
    signout_continue_set(request=request, url=url)


@receiver(account_merged, dispatch_uid="preau.federation.identities_merge")
def identities_merge(
    sender: Any, source: Account, target: Account, **kwargs: Any
) -> dict[str, list[int]]:
    """B's FranceConnect identities now sign in A (a subject is one account's: they move)."""
    moving = list(FederatedIdentity.objects.filter(account=source).values_list("pk", flat=True))
    FederatedIdentity.objects.filter(pk__in=moving).update(account=target)
    return {"federated_identities": moving}


@receiver(account_unmerged, dispatch_uid="preau.federation.identities_unmerge")
def identities_unmerge(
    sender: Any, source: Account, target: Account, moved: dict[str, Any], **kwargs: Any
) -> None:
    FederatedIdentity.objects.filter(
        pk__in=moved.get("federated_identities", []), account=target
    ).update(account=source)
