"""Two confirmations of one preview at the same moment (a double click, two tabs, two servers)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from preau.audit.models import AuditEvent
from preau.console.models import PendingImport
from preau.console.services import UploadedFile, pending_import_confirm, pending_import_create
from preau.directory.models import Account, Establishment
from tests.console.test_import import STUDENTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has no row locks")
def test_simultaneous_confirmations_write_once(school: Establishment, admin: Account) -> None:
    pending = pending_import_create(
        actor=admin,
        establishment=school,
        kind="students",
        upload=UploadedFile(name="eleves.csv", data=STUDENTS),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm() -> None:
        try:
            barrier.wait()
            pending_import_confirm(actor=admin, establishment=school, pending_import_id=pending.pk)
            outcomes.append("written")
        except ValidationError as exc:
            outcomes.append(str(exc.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["consumed", "written"]
    assert AuditEvent.objects.filter(action="import.run").count() == 1
    assert Account.objects.filter(login="jean.dupont").count() == 1
    assert PendingImport.objects.get().consumed_at is not None
