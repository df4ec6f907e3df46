"""preau.db: write batches and compiled queries, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.audit.services import audit_record
from preau.db import CompiledQuery, write_batch, write_batch_current
from preau.directory.models import Account
from preau.signin.models import SessionRecord
from preau.signin.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _account(login: str = "lea.martin") -> Account:
    return Account.objects.create(login=login, first_name="Léa", last_name="Martin")


def _record(account: Account, key: str, ip: str = "192.0.2.7") -> SessionRecord:
    now = timezone.now()
    return SessionRecord(
        account=account, session_key=key, created_at=now, last_seen_at=now, ip=ip, user_agent="UA"
    )


def test_a_batch_writes_its_rows_when_it_closes_and_in_one_statement_on_postgresql() -> None:
    account = _account()
    seen_at = timezone.now() - dt.timedelta(days=1)
    with CaptureQueriesContext(connection) as queries, write_batch() as batch:
        batch.update(Account, account.pk, last_login=seen_at)
        batch.insert(_record(account, "k" * 32))
        audit_record(action="signin.success", actor=account, target=account, data={"é": [1]})
        batch.insert(Session(session_key="s" * 32, session_data="x", expire_date=timezone.now()))
        assert not SessionRecord.objects.exists()  # nothing written yet
        before = len(queries)
    writes = queries.captured_queries[before:]

    account.refresh_from_db()
    assert account.last_login == seen_at
    assert SessionRecord.objects.get().ip == "192.0.2.7"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.data) == ("signin.success", account.pk, {"é": [1]})
    assert Session.objects.filter(session_key="s" * 32).exists()
    if connection.vendor == "postgresql":
        assert len(writes) == 1
        assert writes[0]["sql"].startswith("WITH w0 AS (UPDATE")


def test_a_batch_upserts_on_its_conflict_fields() -> None:
    account, other = _account(), _account("hugo.petit")
    SessionRecord.objects.create(
        account=other,
        session_key="k" * 32,
        created_at=timezone.now(),
        last_seen_at=timezone.now(),
        ended_at=timezone.now(),
        end_reason="signout",
    )
    with write_batch() as batch:
        batch.insert(
            _record(account, "k" * 32, ip="2001:db8::1"),
            conflict_fields=["session_key"],
            update_fields=["account", "ip", "ended_at", "end_reason"],
        )
    record = SessionRecord.objects.get()
    assert (record.account_id, record.ip, record.ended_at, record.end_reason) == (
        account.pk,
        "2001:db8::1",
        None,
        "",
    )


def test_nothing_is_written_when_the_block_raises() -> None:
    account = _account()
    with pytest.raises(RuntimeError), write_batch() as batch:
        batch.insert(_record(account, "k" * 32))
        raise RuntimeError("the sign-in failed half-way")
    assert not SessionRecord.objects.exists()
    assert write_batch_current() is None


def test_a_failing_row_writes_none_of_the_batch() -> None:
    account = _account()
    SessionRecord.objects.create(
        account=account,
        session_key="k" * 32,
        created_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    # (The savepoint keeps the test's own transaction usable after the error.)
    with pytest.raises(IntegrityError), transaction.atomic(), write_batch() as batch:
        audit_record(action="signin.success", actor=account, target=account)
        batch.insert(_record(account, "k" * 32))  # the key exists: a plain insert fails
    assert not AuditEvent.objects.exists()


def test_batches_do_not_nest_and_an_upsert_names_what_it_updates() -> None:
    with write_batch() as batch:
        with pytest.raises(RuntimeError), write_batch():
            pass
        with pytest.raises(ValueError):
            batch.insert(_record(_account(), "k" * 32), conflict_fields=["session_key"])


def test_what_follows_the_rows_runs_once_they_are_written_and_never_without_them() -> None:
    account = _account()
    seen: list[bool] = []
    with write_batch() as batch:
        batch.insert(_record(account, "k" * 32))
        batch.on_flush(lambda: seen.append(SessionRecord.objects.exists()))
        assert seen == []
    assert seen == [True]  # after the rows, which it could read

    seen.clear()
    with pytest.raises(RuntimeError), write_batch() as batch:
        batch.on_flush(lambda: seen.append(True))
        raise RuntimeError("the sign-in failed half-way")
    with pytest.raises(IntegrityError), transaction.atomic(), write_batch() as batch:
        batch.insert(_record(account, "k" * 32))  # the key exists: the write fails
        batch.on_flush(lambda: seen.append(True))
    assert seen == []


def test_a_batch_writes_a_row_once() -> None:
    account = _account()
    with write_batch() as batch:
        batch.update(Account, account.pk, first_name="Léa")
        with pytest.raises(ValueError, match="once"):
            batch.update(Account, account.pk, last_name="Martin-Petit")
        session = Session(session_key="s" * 32, session_data="x", expire_date=timezone.now())
        batch.insert(session)
        with pytest.raises(ValueError, match="once"):
            batch.update(Session, "s" * 32, session_data="y")


def test_a_session_is_cached_only_once_its_row_is_written() -> None:
    store = SessionStore()
    with pytest.raises(RuntimeError), write_batch():
        store["who"] = "lea"
        store.save()
        raise RuntimeError("the sign-in failed half-way")
    assert not Session.objects.filter(session_key=store.session_key).exists()
    assert SessionStore(session_key=store.session_key).load() == {}  # not in the cache either


def test_outside_a_batch_audit_events_are_written_at_once() -> None:
    event = audit_record(action="charter.accept")
    assert event.pk is not None
    assert AuditEvent.objects.filter(pk=event.pk).exists()


BY_LOGIN: CompiledQuery[Account] = CompiledQuery(lambda login: Account.objects.filter(login=login))


def test_a_compiled_query_returns_the_instance_the_orm_would() -> None:
    account = _account()
    account.birth_date = dt.date(2011, 3, 14)
    account.activation_expires_at = timezone.now() + dt.timedelta(days=92)
    account.save()
    found = BY_LOGIN.first("lea.martin")
    assert found is not None
    assert found == account
    assert found.birth_date == dt.date(2011, 3, 14)  # converted as the ORM converts
    assert found.activation_expires_at == Account.objects.get(pk=account.pk).activation_expires_at
    assert found._state.adding is False
    assert BY_LOGIN.first("nobody") is None
    with CaptureQueriesContext(connection) as queries:
        BY_LOGIN.first("lea.martin")
    assert len(queries) == 1
    with pytest.raises(ValueError):
        BY_LOGIN.first(None)  # "= NULL" would match nothing, silently


def test_a_compiled_query_sets_annotations_and_refuses_what_it_cannot_build() -> None:
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    labelled: CompiledQuery[Account] = CompiledQuery(
        lambda login: Account.objects.filter(login=login).annotate(
            label=Concat(F("first_name"), Value(" "), F("last_name"))
        )
    )
    _account()
    found = labelled.first("lea.martin")
    assert found is not None and found.label == "Léa Martin"  # type: ignore[attr-defined]

    joined: CompiledQuery[Account] = CompiledQuery(
        lambda login: Account.objects.select_related("password_change_demand").filter(login=login)
    )
    with pytest.raises(ValueError):
        joined.first("lea.martin")
    twice: CompiledQuery[Account] = CompiledQuery(
        lambda login: Account.objects.filter(login=login, first_name=login)
    )
    with pytest.raises(ValueError):
        twice.first("lea.martin")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="preau.postgresql's backend")
@pytest.mark.django_db(transaction=True)
def test_a_connection_just_proven_alive_skips_the_health_check(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    checks: list[int] = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    assert connection.settings_dict["ENGINE"] == "preau.postgresql"
    connection.ensure_connection()
    connection.health_check_enabled = True

    def request_using_the_database() -> None:
        connection.close_if_unusable_or_obsolete()  # request_started
        Account.objects.exists()  # first query: checked unless alive
        connection.close_if_unusable_or_obsolete()  # request_finished

    request_using_the_database()  # the connection was new: no check, and now proven alive
    request_using_the_database()
    assert checks == []
    connection._alive_at -= 1.0  # idle for a second: checked again
    request_using_the_database()
    assert checks == [1]
    connection.errors_occurred = True  # a failure is never taken for a proof of life
    connection.close_if_unusable_or_obsolete()
    assert checks == [1, 1]
    # Django checked it at the end of that request; the next request comes a second later:
    # the connection's last use was a second ago, so it is checked again.
    connection._used_at -= 1.0
    request_using_the_database()
    assert checks == [1, 1, 1]
