"""``preau import``: summary, problems as file:line:column, exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from preau.directory.models import Account, Establishment
from tests.provisioning.import_helpers import STUDENTS_HEADER, csv_bytes

ROWS = [
    ["1001", "", "DUPONT", "Jean", "07/03/2013", "6A"],
    ["1002", "", "MARTIN", "Léa", "08/06/2014", "6B"],
]


def write(tmp_path: Path, rows: list[list[str]]) -> str:
    path = tmp_path / "eleves.csv"
    path.write_bytes(csv_bytes(STUDENTS_HEADER, rows))
    return str(path)


def test_import_prints_a_summary(
    establishment: Establishment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, ROWS)
    call_command("import", path, establishment="0750654d", kind="students", school_year=2026)
    out = capsys.readouterr().out
    assert "terminé" in out
    assert "créés : 2, mis à jour : 0, sortis : 0, inchangés : 0, rejetés : 0" in out
    call_command("import", path, establishment="0750654D", kind="students", school_year=2026)
    assert "aucune modification" in capsys.readouterr().out


def test_dry_run_lists_the_changes_and_writes_nothing(
    establishment: Establishment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "import", write(tmp_path, ROWS), establishment="0750654D", kind="students", dry_run=True
    )
    out = capsys.readouterr().out
    assert "jean.dupont" in out and "simulation" in out
    assert Account.objects.count() == 0


def test_problems_are_printed_as_file_line_column_and_the_exit_status_is_not_zero(
    establishment: Establishment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [*ROWS, ["1003", "", "ROUX", "Paul", "31/02/2013", "6A"]])
    # ``preau`` turns a CommandError into its exit status (run_from_argv); not run here
    # because it closes the database connections the test runs in.
    with pytest.raises(CommandError, match="Import refusé") as error:
        call_command("import", path, establishment="0750654D", kind="students")
    assert error.value.returncode == 1
    err = capsys.readouterr().err
    assert f"{path}:4:Date de naissance: « 31/02/2013 » n'est pas une date" in err
    assert Account.objects.count() == 0


def test_skip_invalid_exits_zero_and_still_lists_the_problems(
    establishment: Establishment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [*ROWS, ["1003", "", "ROUX", "Paul", "31/02/2013", "6A"]])
    call_command("import", path, establishment="0750654D", kind="students", skip_invalid=True)
    captured = capsys.readouterr()
    assert ":4:Date de naissance:" in captured.err
    assert "créés : 2" in captured.out and "rejetés : 1" in captured.out


def test_an_unknown_establishment_is_named_in_the_error(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="0750654D"):
        call_command("import", write(tmp_path, ROWS), establishment="0750654D", kind="students")


def test_a_missing_file_is_a_clear_error(establishment: Establishment) -> None:
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("import", "/nonexistent/eleves.csv", establishment="0750654D", kind="students")
