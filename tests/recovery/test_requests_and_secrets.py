"""The request and its task: the page does the same work whether an account matches or not; the
task runs once, late tasks are dropped, lost ones are picked up; the secrets' shapes."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from preau.directory.models import Account
from preau.recovery import services, tokens
from preau.recovery.models import PasswordReset, RecoveryRequest
from tests.notify.smtp import SmtpServer

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def submit(query: str, kind: str = "password") -> services.SubmitResult:
    return services.recovery_request_submit(
        kind=kind, query=services.query_parse(query), handle=tokens.token_new()
    )


def _shape(sql: str) -> str:
    """A query with its literal values blanked (an id, a digest, a date)."""
    import re

    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["password", "identifier"])
def test_the_page_runs_the_same_queries_for_a_known_and_an_unknown_account(
    settings: Any, pupil: Account, kind: str
) -> None:
    """With the default (database) task backend the page stores the request and its task, and
    nothing else: no lookup of the account happens while the page answers."""
    settings.TASKS = DATABASE
    known, unknown = (
        ("lea.bernard", "nobody.here")
        if kind == "password"
        else ("famille.bernard@example.fr", "nobody@example.fr")
    )
    field = "query" if kind == "password" else "contact"
    url = "/mot-de-passe-oublie/" if kind == "password" else "/identifiant-oublie/"
    shapes = []
    for typed in (known, unknown):
        client = Client()
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, {field: typed})
        assert response.status_code == 302
        shapes.append([_shape(q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1]
    assert not any("directory_account" in sql for sql in shapes[0])
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_what_the_page_stored(
    settings: Any, pupil: Account, smtp: SmtpServer
) -> None:
    settings.TASKS = DATABASE
    Client().post("/mot-de-passe-oublie/", {"query": "lea.bernard"})
    assert smtp.messages == []
    call_command("worker", "--batch", verbosity=0, stdout=StringIO())
    call_command("worker", "--batch", verbosity=0, stdout=StringIO())  # the mail's own task
    [message] = smtp.messages
    assert message["To"] == "famille.bernard@example.fr"
    assert RecoveryRequest.objects.get().outcome == "sent"


@pytest.mark.django_db
def test_a_request_is_processed_once(pupil: Account, settings: Any) -> None:
    settings.TASKS = DUMMY
    result = submit("lea.bernard")
    assert result.request_id is not None
    assert services.recovery_request_process(request_id=result.request_id) == "sent"
    assert services.recovery_request_process(request_id=result.request_id) == "skipped"
    assert PasswordReset.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_task_is_picked_up_by_the_next_request(pupil: Account, settings: Any) -> None:
    settings.TASKS = DUMMY  # the first task is lost
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        lost = submit("lea.bernard")
        traveller.shift(timedelta(minutes=3))
        later = submit("nobody.here")
        assert services.recovery_request_process(request_id=later.request_id or 0) == "none"
    assert RecoveryRequest.objects.get(pk=lost.request_id).outcome == "sent"
    assert PasswordReset.objects.filter(account=pupil).count() == 1


@pytest.mark.django_db
def test_a_request_processed_after_the_link_lifetime_is_dropped(
    pupil: Account, settings: Any
) -> None:
    settings.TASKS = DUMMY
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        result = submit("lea.bernard")
        traveller.shift(timedelta(minutes=61))
        assert services.recovery_request_process(request_id=result.request_id or 0) == "expired"
    assert not PasswordReset.objects.exists()
    assert RecoveryRequest.objects.get().query == ""


@pytest.mark.django_db
def test_a_broken_address_is_recorded_not_retried_forever(pupil: Account, settings: Any) -> None:
    settings.TASKS = DUMMY
    Account.objects.filter(pk=pupil.pk).update(email="not an address")
    result = submit("lea.bernard")
    assert services.recovery_request_process(request_id=result.request_id or 0) == "error"
    assert not PasswordReset.objects.exists()  # the transaction was rolled back whole


def test_tokens_are_256_bits() -> None:
    token = tokens.token_new()
    assert len(token) == 43


def test_digests_are_keyed_and_bound_to_their_use() -> None:
    assert tokens.token_digest("abc") != tokens.handle_digest("abc")
    assert len(tokens.token_digest("abc")) == 64
    assert not tokens.matches("", "")
