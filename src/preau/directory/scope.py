"""Who may act on whom: the one rule, used by every console action and every import.

- A person acts on themselves ("Mon compte"; the console refuses a few acts on oneself).
- The operator (``is_staff`` or ``is_superuser``: the Administrateur ENT) acts on everyone.
- A local administrator acts on a person who holds a **current** membership of an
  establishment they administer (one that has ended gives nothing), never on an operator or a
  superuser, and never on someone who administers an establishment they don't.
- An act on the whole account (a new activation code, a password change demanded, a
  deactivation or reactivation) reaches other schools too when the person also belongs to
  one. Then: an active account needs the operator (its owner has a password: only the operator
  may take it away); a pending or deactivated one belongs to the establishment of its oldest
  current membership (the school that registered the person first prints the letter): a
  membership added later by an import (in error, or on purpose) gives no letter.

:func:`scope_refusal` says why not, in French, or ``None``; :func:`scope_check` raises
``PermissionDenied`` with that message. :func:`accounts_protected` is the same rule for an
import, in bulk: the accounts an establishment's file may never match from outside.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from preau.directory.models import Account, Establishment, Membership

STAFF_PROFILES = (Membership.Profile.TEACHER, Membership.Profile.STAFF)


class ConsoleAction(enum.StrEnum):
    VIEW = "view"
    THROTTLES_LIFT = "throttles_lift"
    REISSUE = "reissue"
    PASSWORD_DEMAND = "password_demand"  # noqa: S105 - an action's name
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    MERGE = "merge"  # both accounts of a merge are checked (preau.directory.merges)
    # The school's answer about a child's link to a guardian (frozen or refused), checked on
    # the child: preau.directory.guardianships.guardianship_school_decide.
    CHILD_LINK = "child_link"


# Acts that change the account for every establishment it belongs to.
ACCOUNT_WIDE = frozenset(
    {
        ConsoleAction.REISSUE,
        ConsoleAction.PASSWORD_DEMAND,
        ConsoleAction.DEACTIVATE,
        ConsoleAction.REACTIVATE,
        ConsoleAction.MERGE,
    }
)


def is_operator(account: Any) -> bool:
    return bool(getattr(account, "is_superuser", False) or getattr(account, "is_staff", False))


def administered_ids(actor: Any) -> set[int]:
    """Ids of the establishments ``actor`` administers now (current local-admin membership)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    return set(
        Membership.objects.current()
        .filter(account=actor, is_local_admin=True)
        .values_list("establishment_id", flat=True)
    )


def _home_establishment_id(memberships: list[Membership]) -> int | None:
    """The establishment of the oldest current membership (start date, then creation)."""
    if not memberships:
        return None
    oldest = min(memberships, key=lambda m: (m.start_date, m.created_at, m.pk))
    return oldest.establishment_id


def scope_refusal(  # noqa: PLR0911 - one return per rule reads as the rule's table
    *,
    actor: Any,
    account: Account,
    establishment: Establishment,
    action: ConsoleAction,
) -> str | None:
    """Why ``actor`` may not do ``action`` on ``account`` from ``establishment``'s console
    (a French sentence for the page), or ``None`` when they may."""
    if is_operator(actor) and getattr(actor, "is_active", False):
        return None
    administered = administered_ids(actor)
    if establishment.pk not in administered:
        return _("Vous n'administrez pas cet établissement.")
    memberships = list(
        Membership.objects.current().filter(account=account).select_related("establishment")
    )
    if not any(m.establishment_id == establishment.pk for m in memberships):
        return _("Cette personne ne fait plus partie de l'établissement.")
    if actor.pk == account.pk:
        return None
    if is_operator(account):
        return _("Ce compte est celui d'un administrateur ENT : lui seul peut le gérer.")
    if any(m.is_local_admin and m.establishment_id not in administered for m in memberships):
        return _(
            "Cette personne administre un autre établissement : adressez-vous à "
            "l'administrateur ENT."
        )
    if action not in ACCOUNT_WIDE:
        return None
    elsewhere = sorted(
        {m.establishment.name for m in memberships if m.establishment_id not in administered}
    )
    if not elsewhere:
        return None
    if account.state == Account.State.ACTIVE:
        return _(
            "Ce compte activé est aussi rattaché à %(others)s : seul l'administrateur ENT peut "
            "lui remettre un code, lui demander un nouveau mot de passe, le désactiver, le "
            "réactiver ou le fusionner."
        ) % {"others": ", ".join(elsewhere)}
    if _home_establishment_id(memberships) not in administered:
        return _(
            "Ce compte a été créé par %(others)s : c'est cet établissement (ou l'administrateur "
            "ENT) qui remet son courrier et gère son activation."
        ) % {"others": ", ".join(elsewhere)}
    return None


def scope_check(
    *, actor: Any, account: Account, establishment: Establishment, action: ConsoleAction
) -> None:
    """``PermissionDenied`` (with the French reason) unless :func:`scope_refusal` allows."""
    reason = scope_refusal(actor=actor, account=account, establishment=establishment, action=action)
    if reason is not None:
        raise PermissionDenied(reason)


def accounts_protected(*, account_ids: Iterable[int], establishment: Establishment) -> set[int]:
    """Of ``account_ids``, those an import of ``establishment`` may never match or attach from
    outside its own records: operators and superusers, and people who are staff (teachers,
    personnel, local administrators) of another establishment now. Two queries."""
    ids = sorted(set(account_ids))
    if not ids:
        return set()
    protected: set[int] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        protected.update(
            Account.objects.filter(pk__any=chunk)
            .filter(Q(is_staff=True) | Q(is_superuser=True))
            .values_list("pk", flat=True)
        )
        protected.update(
            Membership.objects.current()
            .filter(account_id__any=chunk)
            .exclude(establishment=establishment)
            .filter(Q(is_local_admin=True) | Q(profile__in=STAFF_PROFILES))
            .values_list("account_id", flat=True)
        )
    return protected


def accounts_reissue_refused(
    *, actor: Any, account_ids: Iterable[int], establishment: Establishment
) -> set[int]:
    """Of ``account_ids`` (members of ``establishment``), those whose activation code
    ``actor`` may not replace: :func:`scope_refusal` for :attr:`ConsoleAction.REISSUE`, in
    bulk for a pile of letters (two queries). ``actor`` ``None`` is the command line, run by
    the operator."""
    ids = sorted(set(account_ids))
    if not ids or actor is None or (is_operator(actor) and actor.is_active):
        return set()
    administered = administered_ids(actor)
    if establishment.pk not in administered:
        return set(ids)
    refused: set[int] = set()
    by_account: dict[int, list[Membership]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        refused.update(
            Account.objects.filter(pk__any=chunk)
            .filter(Q(is_staff=True) | Q(is_superuser=True))
            .values_list("pk", flat=True)
        )
        for membership in Membership.objects.current().filter(account_id__any=chunk):
            by_account.setdefault(membership.account_id, []).append(membership)
    for account_id, memberships in by_account.items():
        if account_id == actor.pk:
            continue
        if any(m.is_local_admin and m.establishment_id not in administered for m in memberships):
            refused.add(account_id)
        elif any(m.establishment_id not in administered for m in memberships) and (
            _home_establishment_id(memberships) not in administered
        ):
            refused.add(account_id)
    return refused


def import_check(*, actor: Any, establishment: Establishment) -> None:
    """``PermissionDenied`` unless ``actor`` may import files into ``establishment``: its
    local administrator, or the operator (``None``: the command line)."""
    if actor is None or (is_operator(actor) and actor.is_active):
        return
    if establishment.pk not in administered_ids(actor):
        raise PermissionDenied(_("Vous n'administrez pas cet établissement."))
