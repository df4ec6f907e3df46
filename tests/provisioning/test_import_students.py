"""Importing students: creation, identity across years and schools, idempotency, --full."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import is_password_usable
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.provisioning.imports import current_school_year, import_run
from tests.provisioning.import_helpers import (
    GUARDIANS_HEADER,
    STUDENTS_HEADER,
    csv_bytes,
    no_writes,
    run,
)

ROWS = [
    ["1001", "070803070AJ", "DUPONT", "Jean-Marc", "07/03/2013", "6A"],
    ["1002", "", "MARTIN", "Léa", "2014-06-08", "6A"],
    ["1003", "", "MARTIN", "Lucas", "08/06/2014", "6B"],
]


def students(establishment: Establishment, rows: list[list[str]] = ROWS, **kw: Any):  # type: ignore[no-untyped-def]
    return run(establishment, "students", STUDENTS_HEADER, rows, **kw)


def db_state() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "memberships": Membership.objects.count(),
        "classes": SchoolClass.objects.count(),
        "links": Membership.classes.through.objects.count(),
        "guardianships": Guardianship.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def other_school(db: None) -> Establishment:
    return Establishment.objects.create(uai="0690001B", name="Collège Jean Moulin")


def test_new_students_are_provisioned_with_no_usable_password_and_no_code_yet(
    establishment: Establishment,
) -> None:
    report = students(establishment)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 0)
    assert report.written and not report.refused and report.problems == []
    jean = Account.objects.get(login="jean-marc.dupont")
    assert jean.state == Account.State.PROVISIONED
    assert not is_password_usable(jean.password)
    assert jean.activation_code_digest == ""
    assert jean.ine == "070803070AJ"
    assert jean.birth_date == dt.date(2013, 3, 7)
    expected = timezone.now() + dt.timedelta(days=92)
    assert jean.activation_expires_at is not None
    assert abs((jean.activation_expires_at - expected).total_seconds()) < 60
    membership = jean.memberships.get()
    assert (membership.profile, membership.school_year, membership.source_id) == (
        "eleve",
        2026,
        "1001",
    )
    assert [c.code for c in membership.classes.all()] == ["6A"]
    assert set(
        SchoolClass.objects.filter(establishment=establishment, school_year=2026).values_list(
            "code", flat=True
        )
    ) == {"6A", "6B"}
    assert {c.login for c in report.changes} == {"jean-marc.dupont", "lea.martin", "lucas.martin"}
    assert all(c.action == "create" for c in report.changes)


def test_every_written_import_is_audited_with_its_counts_and_file_digest(
    establishment: Establishment,
) -> None:
    students(establishment)
    run_event = AuditEvent.objects.get(action="import.run")
    assert run_event.establishment == establishment
    assert run_event.data["created"] == 3
    assert run_event.data["filename"] == "students.csv"
    assert len(run_event.data["sha256"]) == 64
    created = AuditEvent.objects.filter(action="account.create")
    assert sorted(e.target_label for e in created) == [
        "jean-marc.dupont",
        "lea.martin",
        "lucas.martin",
    ]


def test_importing_the_same_file_again_writes_nothing(establishment: Establishment) -> None:
    students(establishment)
    before = db_state()
    stamps = dict(Account.objects.values_list("login", "updated_at"))
    with no_writes():
        report = students(establishment)
    assert (report.created, report.updated, report.ended, report.unchanged) == (0, 0, 0, 3)
    assert not report.written and report.changes == []
    assert db_state() == before
    assert dict(Account.objects.values_list("login", "updated_at")) == stamps


def test_twins_and_homonyms_get_distinct_identifiers(establishment: Establishment) -> None:
    rows = [
        ["1", "", "PETIT", "Emma", "01/02/2014", "6A"],
        ["2", "", "PETIT", "Emma", "01/02/2014", "6A"],
        ["3", "", "Petit", "Emma", "05/05/2012", "4A"],
    ]
    students(establishment, rows)
    by_id = dict(Membership.objects.values_list("source_id", "account__login"))
    assert by_id == {"1": "emma.petit", "2": "emma.petit2", "3": "emma.petit3"}


def test_a_returning_student_keeps_login_password_and_state_and_changes_class_in_place(
    establishment: Establishment,
) -> None:
    students(establishment)
    jean = Account.objects.get(login="jean-marc.dupont")
    jean.set_password("Un-Mot-De-Passe-Solide-1")
    jean.state = Account.State.ACTIVE
    jean.save()
    password = jean.password
    next_year = [
        ["1001", "070803070AJ", "DUPONT", "Jean-Marc", "07/03/2013", "5A"],
        *ROWS[1:],
    ]
    report = students(establishment, next_year, school_year=2027)
    assert (report.created, report.updated) == (0, 3)  # school year changed for everyone
    jean.refresh_from_db()
    assert (jean.login, jean.password, jean.state) == ("jean-marc.dupont", password, "active")
    membership = jean.memberships.get()
    assert membership.school_year == 2027
    assert [c.code for c in membership.classes.all()] == ["5A"]
    change = next(c for c in report.changes if c.login == "jean-marc.dupont")
    assert change.action == "update" and "5A" in change.detail
    assert AuditEvent.objects.filter(action="account.update").count() == 3


def test_a_corrected_name_updates_the_account_but_never_the_login(
    establishment: Establishment,
) -> None:
    students(establishment)
    rows = [["1001", "070803070AJ", "DUPONT-MOREL", "Jean-Marc", "07/03/2013", "6A"], *ROWS[1:]]
    report = students(establishment, rows)
    assert (report.updated, report.unchanged) == (1, 2)
    account = Account.objects.get(ine="070803070AJ")
    assert (account.login, account.last_name) == ("jean-marc.dupont", "DUPONT-MOREL")


def test_a_student_changing_school_keeps_the_account_through_the_ine(
    establishment: Establishment, other_school: Establishment
) -> None:
    students(establishment)
    report = students(
        other_school, [["77", "070803070AJ", "DUPONT", "Jean-Marc", "07/03/2013", "2NDE1"]]
    )
    assert (report.created, report.updated) == (0, 1)
    jean = Account.objects.get(login="jean-marc.dupont")
    assert sorted(jean.memberships.values_list("establishment__uai", "source_id")) == [
        ("0690001B", "77"),
        ("0750654D", "1001"),
    ]


def test_an_ine_already_held_by_another_student_is_refused(establishment: Establishment) -> None:
    students(establishment)
    rows = [
        ["1001", "", "DUPONT", "Jean-Marc", "07/03/2013", "6A"],
        ROWS[1],
        ["1003", "070803070AJ", "MARTIN", "Lucas", "08/06/2014", "6B"],
    ]
    report = students(establishment, rows)
    assert report.refused and not report.written
    assert [(p.line, p.column) for p in report.problems] == [(4, "INE")]
    assert "jean-marc.dupont" in report.problems[0].message


def test_full_import_ends_the_membership_of_students_missing_from_the_file(
    establishment: Establishment,
) -> None:
    students(establishment)
    run(
        establishment,
        "guardians",
        GUARDIANS_HEADER,
        [["1003", "MARTIN", "Sophie", "mère", "1", "s.martin@example.org", "", ""]],
    )
    report = students(establishment, ROWS[:2], full=True)
    assert (report.ended, report.unchanged) == (1, 2)
    lucas = Account.objects.get(login="lucas.martin")  # kept, not deleted
    membership = lucas.memberships.get()
    assert membership.end_date == timezone.localdate()
    assert Guardianship.objects.get(student=lucas).end_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="membership.end", target=lucas).count() == 1
    assert [c.action for c in report.changes] == ["end"]
    # Without --full nothing is ended; and a student who comes back is current again.
    students(establishment, ROWS[:2])
    report = students(establishment)
    assert report.updated == 1
    membership.refresh_from_db()
    assert membership.end_date is None


def test_one_bad_line_refuses_the_whole_file(establishment: Establishment) -> None:
    rows = [*ROWS, ["1004", "", "", "Paul", "31/02/2013", "6A"]]
    report = students(establishment, rows)
    assert report.refused and not report.written
    assert [(p.file, p.line, p.column) for p in report.problems] == [
        ("students.csv", 5, "Date de naissance"),
        ("students.csv", 5, "Nom"),
    ]
    assert report.rejected == 1
    assert Account.objects.count() == 0


def test_skip_invalid_imports_the_good_lines_and_reports_the_others(
    establishment: Establishment,
) -> None:
    rows = [*ROWS, ["1004", "BAD", "ROUX", "Paul", "01/01/2013", "6A"]]
    report = students(establishment, rows, skip_invalid=True)
    assert report.written and not report.refused
    assert (report.created, report.rejected) == (3, 1)
    assert [(p.line, p.column) for p in report.problems] == [(5, "INE")]
    assert not Account.objects.filter(last_name="ROUX").exists()


def test_a_duplicate_school_id_in_the_file_is_reported_on_both_lines(
    establishment: Establishment,
) -> None:
    rows = [*ROWS, ["1002", "", "ROUX", "Paul", "01/01/2013", "6A"]]
    report = students(establishment, rows)
    assert report.refused
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "Numéro élève"),
        (5, "Numéro élève"),
    ]
    assert "ligne 5" in report.problems[0].message


def test_a_dry_run_previews_logins_and_writes_nothing(establishment: Establishment) -> None:
    with no_writes():
        report = students(establishment, dry_run=True)
    assert report.dry_run and not report.written
    assert report.created == 3
    assert [c.login for c in report.changes] == ["jean-marc.dupont", "lea.martin", "lucas.martin"]
    assert "6A" in report.changes[0].detail


def test_wrong_kind_empty_and_garbage_files_are_refused_without_raising(
    establishment: Establishment,
) -> None:
    for kind, data in (
        ("staff", csv_bytes(STUDENTS_HEADER, ROWS)),
        ("students", b""),
        ("students", bytes(range(256)) * 8),
        ("teachers", csv_bytes(STUDENTS_HEADER, ROWS)),
    ):
        report = import_run(
            actor=None, establishment=establishment, kind=kind, data=data, filename="x.csv"
        )
        assert report.refused and not report.written and report.problems
    assert Account.objects.count() == 0


def test_windows_1252_file_imports_names_with_accents(establishment: Establishment) -> None:
    data = csv_bytes(STUDENTS_HEADER, [["1", "", "LEFÈVRE", "Zoé", "01/02/2014", "6A"]], "cp1252")
    report = import_run(
        actor=None, establishment=establishment, kind="students", data=data, filename="e.csv"
    )
    assert report.created == 1
    assert Account.objects.get().login == "zoe.lefevre"


@pytest.mark.django_db(transaction=True)
def test_a_crash_in_the_middle_of_an_import_leaves_the_database_as_it_was(
    establishment: Establishment, monkeypatch: pytest.MonkeyPatch
) -> None:
    students(establishment, ROWS[:1])
    before = db_state()
    from preau.provisioning import imports

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # Accounts, memberships and class links are written by then; the audit write fails.
    monkeypatch.setattr(imports, "audit_record_many", crash)
    with pytest.raises(RuntimeError):
        students(
            establishment,
            [["1001", "070803070AJ", "DUPONT", "Jean-Marc", "07/03/2013", "5A"], *ROWS[1:]],
        )
    assert db_state() == before
    membership = Membership.objects.get()
    assert [c.code for c in membership.classes.all()] == ["6A"]


@pytest.mark.parametrize(
    ("today", "year"),
    [(dt.date(2026, 8, 31), 2025), (dt.date(2026, 9, 1), 2026), (dt.date(2027, 3, 1), 2026)],
)
def test_the_school_year_in_progress_starts_on_the_first_of_september(
    today: dt.date, year: int
) -> None:
    assert current_school_year(today) == year


def test_the_default_school_year_is_the_one_in_progress(establishment: Establishment) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)):
        import_run(
            actor=None,
            establishment=establishment,
            kind="students",
            data=csv_bytes(STUDENTS_HEADER, ROWS),
            filename="e.csv",
        )
    assert set(Membership.objects.values_list("school_year", flat=True)) == {2026}


def test_progress_advances_to_the_total(establishment: Establishment) -> None:
    calls: list[tuple[int, int]] = []
    students(establishment, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert all(0 <= done <= total for done, total in calls)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)
