"""The account's life: one table of allowed moves, one function that makes them.

::

    (new) ──create──▶ PROVISIONED ──activate──▶ ACTIVE
    PROVISIONED, ACTIVE ──deactivate──▶ DEACTIVATED
    DEACTIVATED ──reactivate──▶ ACTIVE        (activated before, and a usable password)
    PROVISIONED, ACTIVE, DEACTIVATED ──reprovision──▶ PROVISIONED   (a new activation code)
    any ──delete──▶ (deleted)
    PROVISIONED, ACTIVE ──merge──▶ MERGED     (fused into another account, merged_into)
    MERGED ──unmerge──▶ ACTIVE, or ──unmerge_pending──▶ PROVISIONED   (the operator's undo)

Every change of ``Account.state`` goes through :func:`accounts_transition` (one account or a
batch, a constant number of queries either way): it refuses a move the table does not allow
(:class:`TransitionRefused`), sets the state and its timestamps, ends the account's ways in
where the move asks for it (through :func:`~preau.directory.services.accounts_access_revoke`,
which the apps holding credentials answer) and writes one audit event per account. The
services below are its named doors; other apps call them (the first connection's end in
``activation``, letters in ``provisioning``, the deadlines in ``lifecycle``, the console).

Imports insert their new PROVISIONED rows in bulk (``provisioning.imports``): that is the bulk
form of :func:`account_create_provisioned`, with :func:`provisioned_fields`' values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.models import AuditEvent
from preau.audit.services import audit_event_build, audit_record_many
from preau.conf import preau_setting
from preau.db import write_batch_current
from preau.directory.activation_codes import activation_code_digest, activation_code_generate
from preau.directory.models import Account, Establishment
from preau.directory.scope import ConsoleAction, scope_check
from preau.directory.services import RevokeReason, accounts_access_revoke

State = Account.State
# Rows rewritten per statement (keeps every IN (...) list well below SQLite's limit).
CHUNK = 1000


class Move(enum.StrEnum):
    CREATE = "create"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    REPROVISION = "reprovision"
    DELETE = "delete"
    MERGE = "merge"
    UNMERGE = "unmerge"
    UNMERGE_PENDING = "unmerge_pending"


@dataclass(frozen=True)
class Rule:
    """From which states a move starts (``None``: an account not saved yet), where it leads
    (``None``: deleted) and which of the account's ways in it ends."""

    sources: frozenset[str | None]
    target: str | None
    revoke: RevokeReason | None = None


_EXISTING = frozenset({State.PROVISIONED, State.ACTIVE, State.DEACTIVATED})

MOVES: Mapping[Move, Rule] = {
    Move.CREATE: Rule(frozenset({None}), State.PROVISIONED),
    Move.ACTIVATE: Rule(frozenset({State.PROVISIONED}), State.ACTIVE),
    Move.DEACTIVATE: Rule(
        frozenset({State.PROVISIONED, State.ACTIVE}), State.DEACTIVATED, RevokeReason.DEACTIVATED
    ),
    Move.REACTIVATE: Rule(frozenset({State.DEACTIVATED}), State.ACTIVE),
    Move.REPROVISION: Rule(_EXISTING, State.PROVISIONED, RevokeReason.REISSUE),
    Move.DELETE: Rule(_EXISTING, None),
    # A merge (preau.directory.merges) ends the merged account's ways in; its undo gives it back
    # the state it had, with the password it had (nothing to revoke).
    Move.MERGE: Rule(
        frozenset({State.PROVISIONED, State.ACTIVE}), State.MERGED, RevokeReason.MERGED
    ),
    Move.UNMERGE: Rule(frozenset({State.MERGED}), State.ACTIVE),
    Move.UNMERGE_PENDING: Rule(frozenset({State.MERGED}), State.PROVISIONED),
}


class TransitionRefused(ValueError):  # noqa: N818 - reads as what happened
    """A move the table (or the move's own condition) does not allow for this account."""

    def __init__(self, move: Move, account: Account) -> None:
        super().__init__(f"{move.value} is not allowed for {account.login} ({account.state})")
        self.move = move
        self.account = account


def account_can_reactivate(account: Account) -> bool:
    """A deactivated account that had been activated and still has its password comes back as
    it was; any other needs a new activation code."""
    return (
        account.state == State.DEACTIVATED
        and account.activated_at is not None
        and account.has_usable_password()
    )


def move_allowed(move: Move, account: Account) -> bool:
    """Whether ``move`` may start from ``account``'s state (and meets the move's condition)."""
    source = None if account.pk is None else account.state
    if source not in MOVES[move].sources:
        return False
    return move is not Move.REACTIVATE or account_can_reactivate(account)


@dataclass(frozen=True)
class Moved:
    """One account moved, for the audit event's data."""

    account: Account
    previous: str | None
    sessions_ended: int


def _timestamps(move: Move, now: datetime) -> dict[str, Any]:
    if move is Move.ACTIVATE:
        return {"activated_at": now}
    if move is Move.DEACTIVATE:
        return {"deactivated_at": now}
    if move in (Move.REACTIVATE, Move.REPROVISION):
        return {"deactivated_at": None}
    return {}


def accounts_transition(  # noqa: PLR0913 - the move's whole context, all keyword-only
    *,
    move: Move,
    accounts: Sequence[Account],
    actor: Account | None,
    action: str,
    data: Callable[[Moved], dict[str, Any]] | None = None,
    fields: Mapping[str, Any] | None = None,
    per_account: Sequence[str] = (),
    establishment: Establishment | None = None,
    establishments: Mapping[int, int | None] | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> int:
    """Move ``accounts`` (rows the caller has locked, or new instances for CREATE) by ``move``.

    ``fields`` are further values common to all the rows, ``per_account`` the names of fields
    the caller has set on each instance (one ``bulk_update``); the instances are updated in
    place. One audit event ``action`` per account (``data`` builds its data; ``establishments``
    maps an account id to the establishment recorded on its event, else ``establishment``).
    Raises :class:`TransitionRefused`, before any write, if one account may not move so.
    Returns the number of sessions ended. Queries: a constant number per :data:`CHUNK` rows.
    """
    rule = MOVES[move]
    for account in accounts:
        if not move_allowed(move, account):
            raise TransitionRefused(move, account)
    if not accounts:
        return 0
    now = now or timezone.now()
    previous = {id(a): (None if a.pk is None else a.state) for a in accounts}
    values: dict[str, Any] = {**_timestamps(move, now), **(fields or {}), "updated_at": now}
    if rule.target is not None:
        values["state"] = rule.target
    ended = 0
    if move is Move.CREATE:
        for account in accounts:
            for name, value in values.items():
                setattr(account, name, value)
            account.created_at = now
        Account.objects.bulk_create(accounts, batch_size=CHUNK)
    elif move is not Move.DELETE:
        ids = [account.pk for account in accounts]
        for start in range(0, len(ids), CHUNK):
            Account.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)
        if per_account:
            Account.objects.bulk_update(accounts, list(per_account), batch_size=CHUNK)
        for account in accounts:
            for name, value in values.items():
                setattr(account, name, value)
        if rule.revoke is not None:
            ended = accounts_access_revoke(account_ids=ids, reason=rule.revoke)
    events = [
        _event(
            Moved(account, previous[id(account)], ended),
            action=action,
            actor=actor,
            data=data,
            establishment=establishment,
            establishments=establishments,
            request=request,
        )
        for account in accounts
    ]
    _events_write([_built(event) for event in events])
    if move is Move.DELETE:
        # The events first, pointing at the accounts; the deletion then empties their link.
        ids = [account.pk for account in accounts]
        for start in range(0, len(ids), CHUNK):
            Account.objects.filter(pk__in=ids[start : start + CHUNK]).delete()
    return ended


def _event(
    moved: Moved,
    *,
    action: str,
    actor: Account | None,
    data: Callable[[Moved], dict[str, Any]] | None,
    establishment: Establishment | None,
    establishments: Mapping[int, int | None] | None,
    request: HttpRequest | None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "action": action,
        "actor": actor,
        "target": moved.account,
        "establishment": establishment,
        "request": request,
    }
    if data is not None:
        event["data"] = data(moved)
    if establishments is not None:
        event["establishment_id"] = establishments.get(moved.account.pk)
    return event


def _built(event: dict[str, Any]) -> AuditEvent:
    establishment_id = event.pop("establishment_id", None)
    built = audit_event_build(**event)
    if establishment_id is not None:
        built.establishment_id = establishment_id
    return built


def _events_write(events: list[AuditEvent]) -> None:
    """One event joins the request's write batch (as ``audit_record`` does); many go in bulk."""
    batch = write_batch_current()
    if len(events) == 1 and batch is not None:
        batch.insert(events[0])
    elif len(events) == 1:
        events[0].save()
    else:
        audit_record_many(events)


def _locked(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


def _copy_back(account: Account, locked: Account, names: Sequence[str]) -> None:
    for name in names:
        setattr(account, name, getattr(locked, name))


# --- Create ---------------------------------------------------------------------------------------


def provisioned_fields(*, now: datetime) -> dict[str, Any]:
    """The values of a new account waiting for its first connection (also the bulk insert's of
    the imports): no password, the activation deadline from now."""
    return {
        "password": make_password(None),
        "state": State.PROVISIONED.value,
        "activation_expires_at": now + timedelta(days=preau_setting("ACTIVATION_DAYS")),
    }


@transaction.atomic
def account_create_provisioned(
    *,
    actor: Account | None,
    login: str,
    first_name: str,
    last_name: str,
    establishment: Establishment | None = None,
    request: HttpRequest | None = None,
    **attributes: Any,
) -> Account:
    """A new PROVISIONED account (no password, no code yet: letters issue it). Audited as
    ``account.create``."""
    now = timezone.now()
    account = Account(
        login=login.strip().lower(), first_name=first_name, last_name=last_name, **attributes
    )
    fields = provisioned_fields(now=now)
    fields.pop("state")
    accounts_transition(
        move=Move.CREATE,
        accounts=[account],
        actor=actor,
        action="account.create",
        fields=fields,
        establishment=establishment,
        request=request,
        now=now,
    )
    return account


# --- Activate, deactivate, reactivate -------------------------------------------------------------


@transaction.atomic
def account_activate(
    *, actor: Account | None, account: Account, request: HttpRequest | None = None
) -> bool:
    """PROVISIONED → ACTIVE (the end of the first connection, whose required actions the
    caller has checked): the activation code dies. False when the account was not pending."""
    locked = _locked(account)
    if locked.state != State.PROVISIONED:
        return False
    accounts_transition(
        move=Move.ACTIVATE,
        accounts=[locked],
        actor=actor,
        action="account.activate",
        fields={"activation_code_digest": ""},
        request=request,
    )
    _copy_back(account, locked, ("state", "activated_at", "activation_code_digest"))
    return True


@transaction.atomic
def account_deactivate(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> bool:
    """Deactivate ``account`` now (the school): it cannot sign in, its sessions, tokens and
    links end. False if it already was. ``PermissionDenied`` outside the actor's reach."""
    scope_check(
        actor=actor, account=account, establishment=establishment, action=ConsoleAction.DEACTIVATE
    )
    if account.pk == actor.pk:
        raise ValidationError(_("Vous ne pouvez pas désactiver votre propre compte."), code="self")
    locked = _locked(account)
    if locked.state == State.DEACTIVATED:
        return False
    accounts_transition(
        move=Move.DEACTIVATE,
        accounts=[locked],
        actor=actor,
        action="account.deactivate",
        data=lambda moved: {"from": moved.previous, "sessions_ended": moved.sessions_ended},
        establishment=establishment,
        request=request,
    )
    _copy_back(account, locked, ("state", "deactivated_at"))
    return True


def accounts_deactivate(
    *,
    actor: Account | None,
    accounts: Sequence[Account],
    data: Callable[[Moved], dict[str, Any]],
    establishments: Mapping[int, int | None],
    now: datetime,
) -> None:
    """The bulk form (a rule on rows its caller has locked, e.g. the activation deadline):
    audited as ``account.deactivate``."""
    accounts_transition(
        move=Move.DEACTIVATE,
        accounts=accounts,
        actor=actor,
        action="account.deactivate",
        data=data,
        establishments=establishments,
        now=now,
    )


@transaction.atomic
def account_reactivate(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> bool:
    """Bring back a deactivated account that had been activated, with its password. False if
    it was not deactivated; ``ValidationError`` for one that needs a new activation code."""
    scope_check(
        actor=actor, account=account, establishment=establishment, action=ConsoleAction.REACTIVATE
    )
    locked = _locked(account)
    if locked.state != State.DEACTIVATED:
        return False
    if not account_can_reactivate(locked):
        raise ValidationError(
            _(
                "Ce compte n'a jamais été activé (ou n'a pas de mot de passe) : pour le "
                "réactiver, émettez un nouveau code d'activation."
            ),
            code="needs_code",
        )
    accounts_transition(
        move=Move.REACTIVATE,
        accounts=[locked],
        actor=actor,
        action="account.reactivate",
        establishment=establishment,
        request=request,
    )
    _copy_back(account, locked, ("state", "deactivated_at"))
    return True


# --- Reprovision: a new activation code -----------------------------------------------------------


def accounts_reprovision(
    *,
    actor: Account | None,
    accounts: Sequence[Account],
    establishment: Establishment | None = None,
    request: HttpRequest | None = None,
    include_active: bool = False,
) -> dict[int, str]:
    """A fresh activation code for each pending or deactivated account of ``accounts`` (and
    active ones with ``include_active``: the school's reissue). Returns ``{id: clear code}``,
    the only time the clear code exists.

    The state is read again under a row lock: an account that activated meanwhile is skipped
    (unless ``include_active``). The code replaces the password and the old code, restarts the
    deadline, and ends every session, token, reset link and unfinished first connection
    (``RevokeReason.REISSUE``). One ``activation_code.issue`` event per account. The given
    instances are updated in place.
    """
    ids = list(dict.fromkeys(a.pk for a in accounts if a.pk is not None))
    if not ids:
        return {}
    states = [State.PROVISIONED, State.DEACTIVATED] + ([State.ACTIVE] if include_active else [])
    now = timezone.now()
    expires_at = now + timedelta(days=preau_setting("ACTIVATION_DAYS"))
    unusable = make_password(None)
    codes: dict[int, str] = {}
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            locked = list(
                Account.objects.select_for_update()
                .filter(pk__in=ids[start : start + CHUNK], state__in=states)
                .order_by("pk")
                .only("pk", "login", "state")
            )
            for account in locked:
                codes[account.pk] = activation_code_generate()
                account.activation_code_digest = activation_code_digest(codes[account.pk])
            # Only the digest differs from one account to the next: one plain UPDATE sets the
            # rest, and bulk_update's CASE expression carries the digests alone. The code
            # replaces any password: one chosen with the previous code by whoever held that
            # letter (a thief half-way through the first connection), or an old one.
            accounts_transition(
                move=Move.REPROVISION,
                accounts=locked,
                actor=actor,
                action="activation_code.issue",
                data=lambda moved: {
                    "expires_at": expires_at.isoformat(),
                    "reactivated": moved.previous == State.DEACTIVATED,
                },
                fields={"password": unusable, "activation_expires_at": expires_at},
                per_account=("activation_code_digest",),
                establishment=establishment,
                request=request,
                now=now,
            )
    for account in accounts:
        if account.pk in codes:
            account.activation_code_digest = activation_code_digest(codes[account.pk])
            account.activation_expires_at = expires_at
            account.state = State.PROVISIONED
            account.password = unusable
            account.deactivated_at = None
            account.updated_at = now
    return codes


def account_reprovision(
    *,
    actor: Account | None,
    account: Account,
    establishment: Establishment | None = None,
    request: HttpRequest | None = None,
) -> str:
    """A new activation code for one account, whatever its state (the active one goes back to
    waiting for its first connection). Returns the clear code."""
    codes = accounts_reprovision(
        actor=actor,
        accounts=[account],
        establishment=establishment,
        request=request,
        include_active=True,
    )
    return codes[account.pk]


# --- Delete ---------------------------------------------------------------------------------------


def accounts_delete(
    *,
    actor: Account | None,
    accounts: Sequence[Account],
    data: Callable[[Moved], dict[str, Any]],
    establishments: Mapping[int, int | None] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Delete accounts (rows the caller has locked) with everything that belongs to them
    (foreign keys cascade); their ``account.delete`` events keep the login in their label."""
    accounts_transition(
        move=Move.DELETE,
        accounts=accounts,
        actor=actor,
        action="account.delete",
        data=data,
        establishments=establishments,
        request=request,
    )


@transaction.atomic
def account_delete(
    *,
    actor: Account | None,
    account: Account,
    reason: str,
    request: HttpRequest | None = None,
) -> None:
    """Delete one account now (audited as ``account.delete`` with ``reason``)."""
    locked = _locked(account)
    accounts_delete(
        actor=actor,
        accounts=[locked],
        data=lambda moved: {"reason": reason, "state": moved.previous},
        request=request,
    )
