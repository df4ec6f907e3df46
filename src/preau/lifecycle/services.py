"""Scheduled rules on accounts and on the outbox, run by ``preau lifecycle``.

Every rule is idempotent (it selects by state and dates, so a second run finds nothing left to
do) and works in batches of ``LIFECYCLE_BATCH_SIZE`` accounts: one short transaction per batch,
a few queries per batch whatever the number of accounts, memory bounded by the batch. Rows are
read again under a row lock inside each batch, so an account activated or given a new code
while the rule runs is left alone. Each change to an account writes an audit event in the same
transaction (actor ``system`` unless one is given).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from preau.activation.signup import signups_purge
from preau.conf import preau_setting
from preau.directory.merges import merge_aliases_retire
from preau.directory.models import Account, Membership
from preau.directory.transitions import accounts_deactivate, accounts_delete
from preau.lifecycle.selectors import accounts_never_activated, accounts_past_activation_deadline
from preau.notify.services import outbound_message_purge

SAMPLE_SIZE = 20


@dataclass
class RuleResult:
    """What one rule did (or, in a dry run, would do)."""

    count: int = 0
    # The first logins handled, for the summary of a dry run.
    sample: list[str] = field(default_factory=list)

    def add(self, logins: Iterable[str]) -> None:
        for login in logins:
            self.count += 1
            if len(self.sample) < SAMPLE_SIZE:
                self.sample.append(login)


def _in_batches(
    queryset: QuerySet[Account],
    *,
    fields: tuple[str, ...],
    batch_size: int,
    handle: Callable[[list[tuple[Any, ...]]], None] | None,
) -> RuleResult:
    """Hand ``queryset``'s rows (``pk`` first, then ``fields``) to ``handle`` by keyset pages.

    Each page is read ``FOR UPDATE`` and handled in one transaction. Without ``handle`` (a dry
    run) the pages are only counted.
    """
    result = RuleResult()
    last_pk = 0
    while True:
        page = queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", *fields)
        with transaction.atomic():
            if handle is None:
                rows = list(page[:batch_size])
            else:
                rows = list(page.select_for_update()[:batch_size])
                if rows:
                    handle(rows)
        result.add(row[1] for row in rows)
        if len(rows) < batch_size:
            return result
        last_pk = rows[-1][0]


def _first_establishments(account_ids: list[int]) -> dict[int, int]:
    """One establishment per account (its oldest membership), for the audit trail's scope."""
    result: dict[int, int] = {}
    rows = (
        Membership.objects.filter(account_id__in=account_ids)
        .order_by("account_id", "pk")
        .values_list("account_id", "establishment_id")
    )
    for account_id, establishment_id in rows:
        result.setdefault(account_id, establishment_id)
    return result


def _stand_ins(rows: list[tuple[Any, ...]]) -> list[Account]:
    """Accounts carrying what a move needs (id, login, state: ``rows``' first, second and
    fourth values), without loading them."""
    return [Account(pk=row[0], login=row[1], state=row[3]) for row in rows]


def accounts_deactivate_past_deadline(
    *, actor: Account | None = None, dry_run: bool = False, batch_size: int | None = None
) -> RuleResult:
    """PROVISIONED accounts past their activation deadline become DEACTIVATED.

    The code's digest is kept: a deactivated account never signs in, but whoever types the
    letter's right code is told that the deadline passed (not "incorrect"; see
    ``preau.signin.backends``). An administrator brings the account back by issuing a new code,
    which replaces it. Audited as ``account.deactivate`` with reason ``activation_deadline``.
    """
    now = timezone.now()
    size = batch_size or int(preau_setting("LIFECYCLE_BATCH_SIZE"))
    scope = accounts_past_activation_deadline(now=now)

    def deactivate(rows: list[tuple[Any, ...]]) -> None:
        # The directory's move: whatever the pending account had opened (a first connection
        # half done, a token) ends with it, as for a deactivation by the school.
        expires = {row[0]: row[2] for row in rows}
        accounts_deactivate(
            actor=actor,
            accounts=_stand_ins(rows),
            data=lambda moved: {
                "reason": "activation_deadline",
                "activation_expires_at": expires[moved.account.pk].isoformat(),
            },
            establishments=_first_establishments(list(expires)),
            now=now,
        )

    return _in_batches(
        scope,
        fields=("login", "activation_expires_at", "state"),
        batch_size=size,
        handle=None if dry_run else deactivate,
    )


def accounts_delete_never_activated(
    *, actor: Account | None = None, dry_run: bool = False, batch_size: int | None = None
) -> RuleResult:
    """Accounts never activated ``DELETE_UNACTIVATED_DAYS`` days after creation are deleted.

    Their memberships, guardianships and everything else that belongs to them go with them
    (foreign keys cascade); audit events keep the login in their label, their link to the
    account becoming empty. Audited as ``account.delete`` with reason ``never_activated``.
    """
    now = timezone.now()
    days = int(preau_setting("DELETE_UNACTIVATED_DAYS"))
    size = batch_size or int(preau_setting("LIFECYCLE_BATCH_SIZE"))
    scope = accounts_never_activated(now=now, days=days)

    def delete(rows: list[tuple[Any, ...]]) -> None:
        created = {row[0]: row[2] for row in rows}
        accounts_delete(
            actor=actor,
            accounts=_stand_ins(rows),
            data=lambda moved: {
                "reason": "never_activated",
                "created_at": created[moved.account.pk].isoformat(),
                "state": moved.previous,
                "days": days,
            },
            establishments=_first_establishments(list(created)),
        )

    return _in_batches(
        scope,
        fields=("login", "created_at", "state"),
        batch_size=size,
        handle=None if dry_run else delete,
    )


def outbox_purge_old(*, dry_run: bool = False, batch_size: int | None = None) -> RuleResult:
    """Sent and failed messages, and finished task results, older than the retention period."""
    days = int(preau_setting("NOTIFY_RETENTION_DAYS"))
    size = batch_size or int(preau_setting("LIFECYCLE_BATCH_SIZE"))
    before = timezone.now() - timedelta(days=days)
    result = RuleResult()
    result.count = outbound_message_purge(before=before, batch_size=size, dry_run=dry_run)
    result.count += _task_results_purge(before=before, dry_run=dry_run)
    return result


def _task_results_purge(*, before: datetime, dry_run: bool) -> int:
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.finished().filter(finished_at__lt=before)
    if dry_run:
        return finished.count()
    return finished.delete()[0]


def expired_tokens_purge(*, dry_run: bool = False) -> RuleResult:
    """Expired sign-in sessions, CAS tickets and SSO sessions, OpenID Connect grants and tokens.

    The stores keep them until someone deletes them (Django's ``clearsessions`` and
    django-oauth-toolkit's ``cleartokens``); running both here spares operators two more timers.
    """
    from importlib import import_module

    from django.apps import apps
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore as DBSessionStore

    result = RuleResult()
    now = timezone.now()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if apps.is_installed("django.contrib.sessions") and issubclass(store, DBSessionStore):
        from django.contrib.sessions.models import Session

        result.count += Session.objects.filter(expire_date__lt=now).count()
        if not dry_run:
            store.clear_expired()
    if apps.is_installed("preau.sso.cas"):
        from preau.sso.cas.services import cas_tickets_purge, cas_tickets_purgeable

        result.count += cas_tickets_purgeable() if dry_run else cas_tickets_purge()
    if apps.is_installed("oauth2_provider"):
        from oauth2_provider.models import clear_expired, get_access_token_model, get_grant_model

        tokens = get_access_token_model().objects.filter(expires__lt=now).count()
        grants = get_grant_model().objects.filter(expires__lt=now).count()
        result.count += tokens + grants
        if not dry_run:
            clear_expired()
    return result


def lifecycle_run(
    *, actor: Account | None = None, dry_run: bool = False, batch_size: int | None = None
) -> list[RuleResult]:
    """Every rule, in order: a deadline passed today is acted on before any deletion."""
    return [
        accounts_deactivate_past_deadline(actor=actor, dry_run=dry_run, batch_size=batch_size),
        accounts_delete_never_activated(actor=actor, dry_run=dry_run, batch_size=batch_size),
        outbox_purge_old(dry_run=dry_run, batch_size=batch_size),
        expired_tokens_purge(dry_run=dry_run),
        merge_aliases_retire_past(dry_run=dry_run),
        signups_purge_old(dry_run=dry_run),
        mobile_purge_old(dry_run=dry_run, batch_size=batch_size),
    ]


def merge_aliases_retire_past(*, dry_run: bool = False) -> RuleResult:
    """The logins of merged accounts stop signing in their new account at the end of the
    school year after the merge (see preau.directory.merges)."""
    result = RuleResult()
    result.add(merge_aliases_retire(dry_run=dry_run))
    return result


def signups_purge_old(*, dry_run: bool = False) -> RuleResult:
    """Parents' sign-ups by SMS older than ``SIGNUP_RETENTION_DAYS`` (docs/signup.md)."""
    result = RuleResult()
    result.count = signups_purge(dry_run=dry_run)
    return result


def mobile_purge_old(*, dry_run: bool = False, batch_size: int | None = None) -> RuleResult:
    """The mobile app's dead rows: devices whose refresh token expired unused are revoked
    (audited); used or expired pairing codes, QR + PIN tokens and web links, expired tokens
    and those of revoked devices, refresh tokens rotated more than ``ROTATED_REFRESH_DAYS``
    ago, devices revoked more than ``REVOKED_DEVICE_DAYS`` ago are deleted (docs/mobile.md).
    The mobile app offers the purge through its AppConfig: lifecycle and mobile are sibling
    apps that do not import each other."""
    from django.apps import apps

    result = RuleResult()
    if apps.is_installed("preau.mobile"):
        size = batch_size or int(preau_setting("LIFECYCLE_BATCH_SIZE"))
        purged = apps.get_app_config("mobile").lifecycle_purge(  # type: ignore[attr-defined]
            batch_size=size, dry_run=dry_run
        )
        result.count = int(purged.total)
    return result
