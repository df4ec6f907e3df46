"""Imports apply the one rule for a mobile number (preau.notify.phones): a number outside it is a
problem on its line, with the reason, and is never stored; the sample files pass it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from preau.directory.models import Account, Establishment
from preau.notify.phones import mobile_is_valid
from preau.provisioning.readers import GUARDIANS, STAFF, STUDENTS, read_export
from tests.provisioning.import_helpers import GUARDIANS_HEADER, STUDENTS_HEADER, run

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def _guardian(mobile: str) -> list[str]:
    return ["1", "MARTIN", "Mickaël", "Père", "1", "", mobile, "69003"]


@pytest.fixture
def school(establishment: Establishment) -> Establishment:
    run(
        establishment, "students", STUDENTS_HEADER, [["1", "", "MARTIN", "Léa", "01/02/2015", "6A"]]
    )
    return establishment


@pytest.mark.parametrize(
    ("mobile", "reason"),
    [
        ("07 19 05 30 04", "n'est attribué à aucun téléphone mobile"),
        ("04 78 12 34 56", "n'est pas un numéro de téléphone mobile (un fixe ?)"),
        ("06 12", "n'est pas un numéro de téléphone mobile (ex. 06 12 34 56 78)"),
    ],
)
def test_a_number_outside_the_rule_is_reported_on_its_line_and_not_stored(
    school: Establishment, mobile: str, reason: str
) -> None:
    report = run(school, "guardians", GUARDIANS_HEADER, [_guardian(mobile)])
    [problem] = report.problems
    assert (problem.line, problem.column) == (2, "Téléphone mobile")
    assert problem.message.startswith(f"« {mobile} » {reason}")
    assert report.refused and not report.written
    assert not Account.objects.filter(login="mickael.martin").exists()
    # With --skip-invalid the other lines go in; this one, and its number, do not.
    report = run(school, "guardians", GUARDIANS_HEADER, [_guardian(mobile)], skip_invalid=True)
    assert report.rejected == 1
    assert not Account.objects.filter(mobile__startswith="+337190").exists()


def test_a_number_inside_the_rule_is_stored_in_e164(school: Establishment) -> None:
    report = run(school, "guardians", GUARDIANS_HEADER, [_guardian("07 49 05 30 04")])
    assert report.written and not report.problems
    assert Account.objects.get(login="mickael.martin").mobile == "+33749053004"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("eleves.csv", STUDENTS),
        ("eleves-windows-1252.csv", STUDENTS),
        ("responsables.csv", GUARDIANS),
        ("personnels.csv", STAFF),
    ],
)
def test_the_sample_files_have_no_problem(name: str, kind: str) -> None:
    parsed = read_export(
        kind=kind, data=(SAMPLES / name).read_bytes(), filename=name, today=dt.date(2026, 9, 1)
    )
    assert [str(p) for p in parsed.problems] == []
    mobiles = [row.values["mobile"] for row in parsed.rows if row.values.get("mobile")]
    assert all(mobile_is_valid(m) for m in mobiles)
    if kind == GUARDIANS:
        assert "+33749053004" in mobiles  # the number, now in service
