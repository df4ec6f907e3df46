"""The records of signed-in sessions: opened at sign-in, touched while used, closed at
sign-out, ended from elsewhere; and the list of those still open, for "Mon compte".

The receivers of :mod:`preau.signin.receivers` open and close the records whatever signed the
person in or out; a revocation (:data:`preau.directory.signals.access_revoked`) ends them
through :func:`sessions_end_many`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from preau.audit.services import client_ip
from preau.db import write_batch_current
from preau.directory.models import Account
from preau.signin.models import SessionRecord
from preau.signin.signals import session_ended

_USER_AGENT_MAX = 255


def own_session_key(request: HttpRequest | None, account: Account) -> str | None:
    """The request's session key when the request is ``account``'s own: the session to keep
    when a change the person makes ends their other sessions."""
    if request is None or getattr(request, "user", None) is None:
        return None
    if getattr(request.user, "pk", None) != account.pk:
        return None
    return request.session.session_key


def _session_store() -> type[SessionBase]:
    engine: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine


# --- Ending sessions ----------------------------------------------------------------------------


def sessions_end(account: Account, *, reason: str, keep: str | None = None) -> int:
    """End the account's recorded sessions but ``keep`` (see :func:`sessions_end_many`)."""
    return sessions_end_many([account.pk], reason=reason, keep=keep, accounts={account.pk: account})


def sessions_end_many(
    account_ids: list[int],
    *,
    reason: str,
    keep: str | None = None,
    accounts: dict[int, Account] | None = None,
) -> int:
    """End the recorded sessions of the accounts but ``keep``: ``session_ended`` is sent for
    each (single logout to the services it reached), then it is deleted from the session store.
    One query when none is open (a thousand letters reprinted for people who never signed in)."""
    records = SessionRecord.objects.filter(account_id__in=account_ids, ended_at__isnull=True)
    if keep:
        records = records.exclude(session_key=keep)
    rows = list(records.values_list("session_key", "account_id"))
    if not rows:
        return 0
    owners = dict(accounts or {})
    missing = {account_id for _key, account_id in rows} - set(owners)
    owners.update(Account.objects.in_bulk(sorted(missing)))
    store = _session_store()
    for key, account_id in rows:
        session = store(session_key=key)
        session_ended.send(
            sender=Account, session=session, account=owners[account_id], reason=reason
        )
        session.delete()
    SessionRecord.objects.filter(session_key__in=[key for key, _id in rows]).update(
        ended_at=timezone.now(), end_reason=reason
    )
    return len(rows)


# --- A session's record -------------------------------------------------------------------------


def session_record_open(*, account: Account, request: HttpRequest) -> SessionRecord | None:
    """Record the session that a sign-in has just opened (called on ``user_logged_in``)."""
    key = request.session.session_key
    if not key:
        return None
    now = timezone.now()
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:_USER_AGENT_MAX]
    record = SessionRecord(
        account=account,
        session_key=key,
        created_at=now,
        last_seen_at=now,
        ip=client_ip(request),
        user_agent=agent,
        ended_at=None,
        end_reason="",
    )
    # One statement (INSERT … ON CONFLICT): the key is new after every sign-in, but a record
    # left by an earlier use of the same key is overwritten, not duplicated. Inside a write
    # batch (the sign-in) it goes with the batch's other rows.
    updated = [
        "account",
        "created_at",
        "last_seen_at",
        "ip",
        "user_agent",
        "ended_at",
        "end_reason",
    ]
    batch = write_batch_current()
    if batch is not None:
        batch.insert(record, conflict_fields=["session_key"], update_fields=updated)
    else:
        SessionRecord.objects.bulk_create(
            [record], update_conflicts=True, unique_fields=["session_key"], update_fields=updated
        )
    return record


def session_record_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """The record of a session whose key Django changed (``cycle_key``) follows the new key."""
    if old_key and new_key and old_key != new_key:
        SessionRecord.objects.filter(session_key=old_key, ended_at__isnull=True).update(
            session_key=new_key
        )


def session_record_close(*, session_key: str | None, reason: str) -> None:
    if session_key:
        SessionRecord.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        )


def session_record_touch(*, session_key: str | None, seen_at: Any) -> None:
    if session_key:
        SessionRecord.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            last_seen_at=seen_at
        )


# --- Reading them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSession:
    record: SessionRecord
    is_current: bool

    @property
    def started(self) -> datetime:
        return self.record.created_at


def sessions_open(account: Account, current_key: str | None) -> list[OpenSession]:
    """The account's signed-in sessions that still exist, the current one first."""
    records = list(
        SessionRecord.objects.filter(account=account, ended_at__isnull=True).order_by(
            "-last_seen_at"
        )
    )
    alive = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in records], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    found = [
        OpenSession(record=r, is_current=r.session_key == current_key)
        for r in records
        if r.session_key in alive or r.session_key == current_key
    ]
    return sorted(found, key=lambda s: (not s.is_current, -s.record.last_seen_at.timestamp()))
