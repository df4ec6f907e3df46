"""Issue 12, part 8, at the import service: which changes are flagged for review (identity of an
existing account, a new homonym), with what, for every kind of file; and the matching rules
stay as they are (flagging only reports)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.provisioning.imports import IdentityChange, ImportReport, import_run
from tests.provisioning.import_helpers import (
    GUARDIANS_HEADER,
    STAFF_HEADER,
    STUDENTS_HEADER,
    csv_bytes,
)

pytestmark = pytest.mark.django_db
P = Membership.Profile


def _run(
    establishment: Establishment, kind: str, header: list[str], rows: list[list[str]]
) -> ImportReport:
    return import_run(
        actor=None,
        establishment=establishment,
        kind=kind,
        data=csv_bytes(header, rows),
        filename=f"{kind}.csv",
        dry_run=True,
        school_year=2026,
    )


def _account(establishment: Establishment, login: str, profile: str, **fields: object) -> Account:
    first, _, last = login.partition(".")
    account = Account.objects.create_user(
        login, first_name=first.capitalize(), last_name=last.capitalize(), **fields
    )
    Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=2026
    )
    return account


def test_a_student_whose_ine_is_added_or_whose_name_changes_case_is_not_flagged(
    establishment: Establishment,
) -> None:
    jean = _account(establishment, "jean.dupont", P.STUDENT, birth_date=dt.date(2013, 3, 7))
    Membership.objects.filter(account=jean).update(source_id="1001")
    report = _run(
        establishment,
        "students",
        STUDENTS_HEADER,
        [["1001", "070803070AJ", "DUPONT", "Jean", "07/03/2013", "6A"]],
    )
    assert report.updated == 1
    assert report.identity_changes == 0 and report.flagged == []


def test_a_student_whose_birth_date_changes_is_flagged(establishment: Establishment) -> None:
    jean = _account(establishment, "jean.dupont", P.STUDENT, birth_date=dt.date(2013, 3, 7))
    Membership.objects.filter(account=jean).update(source_id="1001")
    report = _run(
        establishment,
        "students",
        STUDENTS_HEADER,
        [["1001", "", "Dupont", "Jean", "08/03/2013", "6A"]],
    )
    assert report.identity_changes == 1
    assert report.flagged[0].identity == [
        IdentityChange(field="date de naissance", old="07/03/2013", new="08/03/2013")
    ]
    # Also in the general list, marked.
    assert report.changes[0].identity == report.flagged[0].identity


def test_a_guardian_renamed_by_the_file_is_flagged(establishment: Establishment) -> None:
    lea = _account(establishment, "lea.moreau", P.STUDENT)
    Membership.objects.filter(account=lea).update(source_id="1")
    mother = _account(establishment, "nathalie.moreau", P.GUARDIAN, email="n@example.org")
    Membership.objects.filter(account=mother).update(source_id="G1")
    Guardianship.objects.create(guardian=mother, student=lea, establishment=establishment)
    row = ["1", "MARTIN", "Nathalie", "mère", "1", "n@example.org", "", "", "G1"]
    report = _run(establishment, "guardians", [*GUARDIANS_HEADER, "Identifiant responsable"], [row])
    # Matched by her identifier in the school's software (as before): her name changes.
    assert report.created == 0
    assert report.identity_changes == 1
    assert [i.field for i in report.flagged[0].identity] == ["nom"]


def test_a_homonym_of_another_school_is_flagged_without_naming_them(
    establishment: Establishment,
) -> None:
    other = Establishment.objects.create(uai="0690026D", name="Lycée du Parc", kind="lycee")
    _account(other, "marie.curie", P.TEACHER, email="marie@autre.example.org")
    report = _run(
        establishment,
        "staff",
        STAFF_HEADER,
        [["Curie", "Marie", "enseignant", "Physique", "marie@example.org", ""]],
    )
    assert report.created == 1 and report.homonyms == 1
    (change,) = report.flagged
    assert change.login == "marie.curie2"
    assert "compte d’un autre établissement" in change.homonym


def test_the_dry_run_command_prints_what_to_check(
    establishment: Establishment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jean = _account(establishment, "jean.dupont", P.STUDENT, birth_date=dt.date(2013, 3, 7))
    Membership.objects.filter(account=jean).update(source_id="1001")
    path = tmp_path / "eleves.csv"
    path.write_bytes(
        csv_bytes(STUDENTS_HEADER, [["1001", "", "Durand", "Jean", "07/03/2013", "6A"]])
    )
    call_command("import", str(path), establishment="0750654D", kind="students", dry_run=True)
    out = capsys.readouterr().out
    assert "À vérifier : 1 changement(s) d'identité, 0 homonyme(s)" in out
    assert "identité jean.dupont" in out and "nom : Dupont → Durand" in out
