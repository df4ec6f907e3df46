"""One account for one person: merging account B (``source``) into account A (``target``).

:func:`account_merge` moves B's memberships, guardianships, verified contacts and service
identities to A (what moves, and how, is :mod:`preau.directory.merge_moves`), moves B to the
MERGED state pointing at A (through :mod:`preau.directory.transitions`, which ends B's sessions
and tokens), keeps a :class:`~preau.directory.models.AccountMerge` record of what moved and
writes the audit events with both identifiers. Apps holding identities of their own answer
:data:`~preau.directory.signals.account_merged` (the OpenID Connect ``sub`` of B's clients).

Service identities (the rule, also in docs/architecture.md):

- **CAS**: a service receives, as the CAS user, the ``service_login`` of the person's membership
  in the ticket's establishment, else the login. Memberships that come from B carry B's login
  there, so the services of B's establishments keep seeing the user they knew; the services of
  A's establishments see A's login, as before.
- **OpenID Connect**: ``sub`` is per (client, account). B's subjects move to A for every client
  A has none for: B's clients keep seeing B's ``sub``. For a client both used, A's ``sub`` stays
  and B's stays with B (not issued any more; back with an undo).

**The alias**: B's login signs in A (with A's password) until the end of the school year that
follows the merge (:func:`alias_until`: 31 August of the next school year, so between one and
two school years), then ``preau lifecycle`` retires it (:func:`merge_aliases_retire`); B's
login stays reserved (B's row is kept, MERGED), never given to someone else.

**Undo**: the operator may undo a merge for ``MERGE_UNDO_DAYS`` days (30):
:func:`account_merge_undo` puts back what moved and B's state.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory import merge_moves
from preau.directory.models import (
    Account,
    AccountMerge,
    Establishment,
    Guardianship,
    Membership,
)
from preau.directory.scope import ConsoleAction, administered_ids, is_operator, scope_refusal
from preau.directory.signals import account_merged, account_unmerged
from preau.directory.transitions import Move, accounts_transition

State = Account.State
SELF = "self"
CONSOLE = "console"


class MergeRefused(ValidationError):  # noqa: N818 - reads as what happened
    """A merge (or its undo) that may not be done; the message is French, for the page."""


def alias_until(day: date) -> date:
    """The last day B's login signs A in: 31 August ending the school year after ``day``'s
    (a school year runs from 1 September to 31 August)."""
    year_end = day.year if day.month < 9 else day.year + 1  # noqa: PLR2004 - September
    return date(year_end + 1, 8, 31)


def merge_refusal(  # noqa: PLR0911 - one return per rule reads as the rule's table
    *, source: Account, target: Account
) -> str | None:
    """Why ``source`` may not be merged into ``target`` (a French sentence), or ``None``.
    The actor's reach is checked apart (:func:`account_merge`)."""
    if source.pk == target.pk:
        return _("Un compte ne peut pas être fusionné avec lui-même.")
    if source.state == State.MERGED:
        return _("Le compte %(login)s a déjà été fusionné dans un autre compte.") % {
            "login": source.login
        }
    if target.state == State.MERGED:
        return _(
            "Le compte %(login)s a été fusionné dans un autre compte : fusionnez avec celui-ci."
        ) % {"login": target.login}
    for account in (source, target):
        if account.state == State.DEACTIVATED:
            return _(
                "Le compte %(login)s est désactivé : il ne peut pas être fusionné. Adressez-vous "
                "à l'établissement."
            ) % {"login": account.login}
        if is_operator(account):
            return _(
                "Le compte %(login)s est celui d'un administrateur ENT : il ne peut pas être "
                "fusionné."
            ) % {"login": account.login}
    if Guardianship.objects.filter(guardian=source, student=target).exists() or (
        Guardianship.objects.filter(guardian=target, student=source).exists()
    ):
        return _(
            "Ces deux comptes sont ceux d'un responsable et de son enfant : ils ne peuvent pas "
            "être fusionnés."
        )
    return None


def _reach_refusal(
    *, actor: Any, source: Account, target: Account, establishment: Establishment | None
) -> str | None:
    """The person merges their own accounts (signed in to A, proving B); an administrator
    merges two accounts both within their reach from ``establishment``'s console."""
    if establishment is None:
        if getattr(actor, "pk", None) != target.pk:
            return _("Vous ne pouvez fusionner que vos propres comptes.")
        return None
    administered = administered_ids(actor)
    for account in (source, target):
        # Within reach from this console, or from another establishment the actor administers
        # and the person belongs to (a parent of two schools both in the actor's charge).
        places = [
            establishment,
            *Establishment.objects.filter(
                pk__in=sorted(administered - {establishment.pk}),
                memberships__in=Membership.objects.current().filter(account=account),
            ).distinct(),
        ]
        reasons = [
            scope_refusal(
                actor=actor, account=account, establishment=place, action=ConsoleAction.MERGE
            )
            for place in places
        ]
        if None not in reasons:
            return reasons[0]
    return None


@transaction.atomic
def account_merge(
    *,
    source: Account,
    target: Account,
    actor: Account,
    request: HttpRequest | None = None,
    establishment: Establishment | None = None,
) -> AccountMerge:
    """Merge ``source`` (B) into ``target`` (A). Without ``establishment``: the person, signed
    in to A, who proved B (the view checked B's secret). With it: an administrator of that
    establishment's console (both accounts within their reach). Raises
    :class:`MergeRefused` (French message) or ``PermissionDenied`` (out of reach)."""
    first, second = sorted((source.pk, target.pk))
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=(first, second))}
    source, target = locked.get(source.pk, source), locked.get(target.pk, target)
    reason = merge_refusal(source=source, target=target)
    if reason is not None:
        raise MergeRefused(reason, code="refused")
    reach = _reach_refusal(actor=actor, source=source, target=target, establishment=establishment)
    if reach is not None:
        raise PermissionDenied(reach)
    now = timezone.now()
    previous = source.state
    moved: dict[str, Any] = {}
    moved.update(merge_moves.memberships_move(source=source, target=target))
    moved.update(merge_moves.guardianships_move(source=source, target=target))
    moved.update(merge_moves.contacts_move(source=source, target=target))
    data = {"source": source.login, "target": target.login}
    accounts_transition(
        move=Move.MERGE,
        accounts=[source],
        actor=actor,
        action="account.merge",
        data=lambda moved_: {**data, "sessions_ended": moved_.sessions_ended},
        fields={"merged_into": target},
        establishment=establishment,
        request=request,
        now=now,
    )
    record = AccountMerge.objects.create(
        source=source,
        target=target,
        source_login=source.login,
        target_login=target.login,
        actor=actor,
        channel=SELF if establishment is None else CONSOLE,
        source_state=previous,
        moved=moved,
        created_at=now,
        alias_until=alias_until(timezone.localdate(now)),
    )
    for _receiver, response in account_merged.send(
        sender=Account, source=source, target=target, record=record
    ):
        if isinstance(response, dict):
            moved.update(response)
    record.moved = moved
    record.save(update_fields=["moved"])
    audit_record(
        action="account.merge.into",
        actor=actor,
        target=target,
        establishment=establishment,
        request=request,
        data={**data, "merge": record.pk},
    )
    return record


def merge_undoable_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=int(preau_setting("MERGE_UNDO_DAYS")))


def merge_undo_refusal(*, merge: AccountMerge, actor: Any) -> str | None:
    if not (is_operator(actor) and getattr(actor, "is_active", False)):
        return _("Seul l'administrateur ENT peut annuler une fusion.")
    if merge.undone_at is not None:
        return _("Cette fusion a déjà été annulée.")
    if merge.created_at < merge_undoable_since():
        return _(
            "Cette fusion date de plus de %(days)s jours : elle ne peut plus être annulée."
        ) % {"days": preau_setting("MERGE_UNDO_DAYS")}
    return None


@transaction.atomic
def account_merge_undo(
    *, merge: AccountMerge, actor: Account, request: HttpRequest | None = None
) -> None:
    """The operator's undo: B back in the state it had, with what moved (what still exists:
    a membership an import ended since stays ended, on B), its contacts and its alias gone."""
    merge = AccountMerge.objects.select_for_update().get(pk=merge.pk)
    reason = merge_undo_refusal(merge=merge, actor=actor)
    if reason is not None:
        raise MergeRefused(reason, code="undo_refused")
    source = Account.objects.select_for_update().get(pk=merge.source_id)
    target = Account.objects.select_for_update().get(pk=merge.target_id)
    if source.state != State.MERGED or source.merged_into_id != target.pk:
        raise MergeRefused(_("Ce compte n'est plus fusionné."), code="undo_refused")
    if target.state == State.MERGED:
        raise MergeRefused(
            _(
                "Le compte %(login)s a depuis été fusionné à son tour : annulez d'abord cette "
                "fusion-là."
            )
            % {"login": target.login},
            code="undo_refused",
        )
    merge_moves.memberships_restore(source=source, target=target, moved=merge.moved)
    merge_moves.guardianships_restore(source=source, target=target, moved=merge.moved)
    merge_moves.contacts_restore(source=source, target=target, moved=merge.moved)
    account_unmerged.send(sender=Account, source=source, target=target, moved=merge.moved)
    accounts_transition(
        move=Move.UNMERGE if merge.source_state == State.ACTIVE else Move.UNMERGE_PENDING,
        accounts=[source],
        actor=actor,
        action="account.merge.undo",
        data=lambda _moved: {"source": source.login, "target": target.login, "merge": merge.pk},
        fields={"merged_into": None},
        request=request,
    )
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])


def merge_alias_target(account: Account, *, today: date | None = None) -> Account | None:
    """The account a MERGED account's login signs in, while its alias lives (following a
    merge of the kept account in turn), else ``None``."""
    today = today or timezone.localdate()
    live = AccountMerge.objects.filter(
        source=account,
        undone_at__isnull=True,
        alias_retired_at__isnull=True,
        alias_until__gte=today,
    ).exists()
    if not live:
        return None
    target = account.merged_into
    for _hop in range(5):
        if target is None or target.state != State.MERGED:
            return target
        target = target.merged_into
    return None


def merge_aliases_retire(*, now: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Retire the aliases past their date (the lifecycle rule): the merged login no longer
    signs in, and its password is forgotten. Returns the logins retired."""
    now = now or timezone.now()
    due = AccountMerge.objects.filter(
        undone_at__isnull=True,
        alias_retired_at__isnull=True,
        alias_until__lt=timezone.localdate(now),
    ).select_related("source")
    if dry_run:
        return [merge.source_login for merge in due]
    logins: list[str] = []
    with transaction.atomic():
        for merge in due.select_for_update(of=("self",)):
            logins.append(merge.source_login)
            merge.alias_retired_at = now
            merge.save(update_fields=["alias_retired_at"])
            merge.source.set_unusable_password()
            merge.source.save(update_fields=["password"])
            audit_record(
                action="account.merge.alias_retire",
                actor=None,
                target=merge.source,
                data={"source": merge.source_login, "target": merge.target_login},
            )
    return logins
