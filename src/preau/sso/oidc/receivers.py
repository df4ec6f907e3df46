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

from preau.directory.signals import access_revoked
from preau.sso.oidc.services import tokens_revoke


@receiver(access_revoked, dispatch_uid="preau.sso.oidc.tokens_revoke")
def _access_revoked(sender: Any, account_ids: list[int], reason: str, **kwargs: Any) -> None:
    # Returns nothing: the sender sums integer answers as the number of sessions ended.
    tokens_revoke(account_ids=account_ids, reason=str(reason))
