"""OpenID Connect tokens die with the secrets they were obtained with.

A new password (chosen, reset), "se déconnecter partout ailleurs", a new activation code and a
deactivation send :data:`preau.directory.signals.access_revoked`: the services signed in to
with the old secrets lose their access and refresh tokens (and codes not exchanged yet) at
once, not when they expire. The validator's ``_usable`` still refuses a deactivated account's
tokens at use, should one be issued in between.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from preau.directory.models import Account
from preau.directory.signals import access_revoked, account_merged, account_unmerged
from preau.sso.oidc.models import Subject
from preau.sso.oidc.services import tokens_revoke


@receiver(access_revoked, dispatch_uid="preau.sso.oidc.tokens_revoke")
def _access_revoked(sender: Any, account_ids: list[int], reason: str, **kwargs: Any) -> None:
    # Returns nothing: the sender sums integer answers as the number of sessions ended.
    tokens_revoke(account_ids=account_ids, reason=str(reason))


@receiver(account_merged, dispatch_uid="preau.sso.oidc.subjects_merge")
def _account_merged(
    sender: Any, source: Account, target: Account, **kwargs: Any
) -> dict[str, list[int]]:
    """B's ``sub`` moves to A for each client A has none for: B's clients keep seeing the
    ``sub`` they knew. For a client both used, A's stays (B's stays with B, not issued)."""
    known = Subject.objects.filter(account=target).values_list("application_id", flat=True)
    moving = list(
        Subject.objects.filter(account=source)
        .exclude(application_id__in=list(known))
        .values_list("pk", flat=True)
    )
    Subject.objects.filter(pk__in=moving).update(account=target)
    return {"oidc_subjects": moving}


@receiver(account_unmerged, dispatch_uid="preau.sso.oidc.subjects_unmerge")
def _account_unmerged(
    sender: Any, source: Account, target: Account, moved: dict[str, Any], **kwargs: Any
) -> None:
    Subject.objects.filter(pk__in=moved.get("oidc_subjects", []), account=target).update(
        account=source
    )
