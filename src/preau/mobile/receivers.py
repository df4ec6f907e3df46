"""Devices die with the account's other ways in.

A new password, "se déconnecter partout ailleurs", a new activation code (a school's reset), a
deactivation or a merge send :data:`preau.directory.signals.access_revoked`: every paired
device of the accounts is revoked with its tokens and pending grants, in the act's transaction.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from preau.directory.signals import access_revoked
from preau.mobile.services import devices_revoke_all


@receiver(access_revoked, dispatch_uid="preau.mobile.devices_revoke")
def _access_revoked(sender: Any, account_ids: list[int], reason: str, **kwargs: Any) -> None:
    # Returns nothing: the sender sums integer answers as the number of sessions ended.
    devices_revoke_all(account_ids=list(account_ids), reason=str(reason))
