"""preau.signin.session_store: Django's cached database sessions, written once per change."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.signin.models import SessionRecord
from preau.signin.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]


def test_a_new_session_is_one_insert_with_its_data_and_no_lookup() -> None:
    store = SessionStore()
    with CaptureQueriesContext(connection) as queries:
        store["colour"] = "vert"
        store.create()
        key = store.session_key
        assert not Session.objects.filter(session_key=key).exists()  # only chosen so far
        store.save()
    statements = [q["sql"] for q in queries.captured_queries]
    assert [s.split()[0] for s in statements] == ["SELECT", "INSERT"]  # the test's own SELECT
    assert SessionStore(key)["colour"] == "vert"  # from the cache
    cache.clear()
    assert SessionStore(key)["colour"] == "vert"  # from the database


def test_saving_what_was_already_saved_writes_nothing_but_a_change_is_written() -> None:
    store = SessionStore()
    store["step"] = 1
    store.save()
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert queries.captured_queries == []
    store["step"] = 2
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    cache.clear()
    assert SessionStore(store.session_key)["step"] == 2


def test_a_new_key_keeps_the_data_and_the_old_row_goes() -> None:
    store = SessionStore()
    store["basket"] = ["pronote"]
    store.save()
    old = store.session_key
    store.cycle_key()
    store.save()
    assert store.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    cache.clear()
    assert SessionStore(store.session_key)["basket"] == ["pronote"]
    assert SessionStore(old).get("basket") is None


def test_flushing_a_session_never_saved_touches_nothing() -> None:
    store = SessionStore()
    store.create()
    with CaptureQueriesContext(connection) as queries:
        store.flush()
    assert queries.captured_queries == []
    assert store.session_key is None


def test_a_session_ended_elsewhere_is_not_written_back() -> None:
    store = SessionStore()
    store["a"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).delete()  # signed out on another tab
    store["a"] = 2
    from django.contrib.sessions.backends.base import UpdateError

    with pytest.raises(UpdateError):
        store.save()


def test_a_sign_in_writes_its_rows_together(client) -> None:  # type: ignore[no-untyped-def]
    Account.objects.create(
        login="lea.martin",
        first_name="Léa",
        last_name="Martin",
        state=Account.State.ACTIVE,
        password=make_password("Tournesol-Cassiopee-42"),
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/connexion", {"username": "lea.martin", "password": "Tournesol-Cassiopee-42"}
        )
    assert response.status_code == 302
    account = Account.objects.get(login="lea.martin")
    key = client.cookies["preau_session"].value
    assert Session.objects.filter(session_key=key).exists()
    assert SessionRecord.objects.get(session_key=key).account == account
    assert AuditEvent.objects.filter(action="signin.success", target=account).count() == 1
    assert account.last_login is not None
    if connection.vendor == "postgresql":
        # The account (with the school's demand, if any) read, then one statement for the
        # session, its record, the audit event and last_login.
        assert len(queries.captured_queries) == 2, [q["sql"] for q in queries.captured_queries]
        assert _writes(queries)[0].startswith("WITH ")


@pytest.mark.django_db
def test_someone_else_signing_in_over_an_open_session_gets_a_recorded_session() -> None:
    """A school computer left signed in: the next pupil's sign-in replaces the session, and
    the new one is listed in "Mon compte" (so "partout ailleurs" and single logout reach it)."""
    for login in ("lea.martin", "hugo.petit"):
        Account.objects.create(
            login=login,
            first_name=login.split(".")[0].capitalize(),
            last_name=login.split(".")[1].capitalize(),
            state=Account.State.ACTIVE,
            password=make_password("Tournesol-Cassiopee-42"),
        )
    client = DjangoClient()
    for login in ("lea.martin", "hugo.petit"):
        response = client.post(
            "/connexion", {"username": login, "password": "Tournesol-Cassiopee-42"}
        )
        assert response.status_code == 302
    key = client.cookies["preau_session"].value
    record = SessionRecord.objects.get(session_key=key)
    assert record.account.login == "hugo.petit"
    assert record.ended_at is None
    assert Session.objects.filter(session_key=key).exists()
    # The previous pupil was signed out: their record closed, the event audited.
    previous = SessionRecord.objects.get(account__login="lea.martin")
    assert previous.ended_at is not None
    assert AuditEvent.objects.filter(action="signout", target=previous.account).count() == 1
