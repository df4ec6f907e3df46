"""Writes to the directory that are not imports: establishments and local administrators.

Each function checks its invariants, saves in one transaction and writes its audit event.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.directory.models import Account, Establishment, Membership
from preau.directory.signals import access_revoked
from preau.directory.validators import normalize_uai


class RevokeReason(enum.StrEnum):
    """Why an account's ways in are revoked (also the end reason of its sessions)."""

    PASSWORD = "password"  # noqa: S105 - a new password (chosen, reset)
    ELSEWHERE = "elsewhere"  # "se déconnecter partout ailleurs"
    REISSUE = "reissue"  # a new activation code (the school's letter, e-mail or SMS)
    DEACTIVATED = "deactivated"
    MERGED = "merged"  # the account was merged into another (preau.directory.merges)


def accounts_access_revoke(
    *,
    account_ids: Iterable[int],
    reason: RevokeReason,
    keep_session_key: str | None = None,
) -> int:
    """End every session (but ``keep_session_key``), token and pending journey of the accounts,
    through :data:`~preau.directory.signals.access_revoked`. Call it inside the transaction of
    the act that replaces their secrets. Returns the number of sessions ended."""
    ids = sorted({int(pk) for pk in account_ids})
    if not ids:
        return 0
    responses = access_revoked.send(
        sender=Account, account_ids=ids, reason=reason, keep_session_key=keep_session_key
    )
    ended = 0
    for _receiver, value in responses:
        if isinstance(value, int) and not isinstance(value, bool):
            ended += value
    return ended


@transaction.atomic
def establishment_create(
    *,
    actor: Account | None,
    uai: str,
    name: str,
    kind: str = Establishment.Kind.COLLEGE,
    authority: str = Establishment.Authority.ACADEMIE,
    academy: str = "",
    postal_code: str = "",
    city: str = "",
    request: HttpRequest | None = None,
) -> Establishment:
    establishment = Establishment(
        uai=normalize_uai(uai),
        name=name.strip(),
        kind=kind,
        authority=authority,
        academy=academy.strip(),
        postal_code=postal_code.strip(),
        city=city.strip(),
    )
    establishment.full_clean()
    establishment.save()
    audit_record(
        action="establishment.create",
        actor=actor,
        establishment=establishment,
        request=request,
        data={"uai": establishment.uai, "name": establishment.name},
    )
    return establishment


STAFF_PROFILES = (Membership.Profile.TEACHER, Membership.Profile.STAFF)


@transaction.atomic
def local_admin_set(
    *,
    actor: Account | None,
    account: Account,
    establishment: Establishment,
    grant: bool = True,
    request: HttpRequest | None = None,
) -> Membership:
    """Make a staff member of ``establishment`` one of its administrateurs locaux (or stop it)."""
    membership = (
        Membership.objects.select_for_update()
        .filter(account=account, establishment=establishment, profile__in=STAFF_PROFILES)
        .order_by("profile")
        .first()
    )
    if membership is None:
        raise ValidationError(
            _(
                "%(login)s n'est pas membre du personnel de %(uai)s : importez-le d'abord "
                "comme enseignant ou personnel."
            ),
            code="not_staff",
            params={"login": account.login, "uai": establishment.uai},
        )
    if membership.is_local_admin != grant:
        membership.is_local_admin = grant
        membership.save(update_fields=["is_local_admin", "updated_at"])
        audit_record(
            action="local_admin.grant" if grant else "local_admin.revoke",
            actor=actor,
            target=account,
            establishment=establishment,
            request=request,
        )
    return membership
