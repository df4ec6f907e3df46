"""Imports keep a merge true (issue 14, part 4): re-importing both schools' files after two
accounts of one parent were merged changes nothing (the kept account is recognised as the
guardian of both schools' records), and a ``--full`` import that lacks the parent ends that
school's membership, not the account."""

from __future__ import annotations

import pytest
from django.utils import timezone

from preau.directory.merges import account_merge
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import account_activate
from tests.provisioning.import_helpers import GUARDIANS_HEADER, STUDENTS_HEADER, no_writes, run

pytestmark = pytest.mark.django_db

H = ["Identifiant responsable", *GUARDIANS_HEADER]
# The same mother, in each school's file with other contacts: the files did not match.
AT_SCHOOL = ["R1", "1", "MOREAU", "Nathalie", "Mère", "1", "n.moreau@example.org", "0611223344", ""]
AT_LYCEE = ["L7", "900", "MOREAU", "NATHALIE", "mere", "1", "nat@example.org", "0799887766", ""]


@pytest.fixture
def schools(establishment: Establishment) -> tuple[Establishment, Establishment]:
    lycee = Establishment.objects.create(uai="0380002W", name="Lycée Champollion", kind="lycee")
    run(
        establishment,
        "students",
        STUDENTS_HEADER,
        [["1", "", "MOREAU", "Chloé", "01/02/2015", "6B"]],
    )
    run(lycee, "students", STUDENTS_HEADER, [["900", "", "MOREAU", "Inès", "04/04/2010", "1G2"]])
    return establishment, lycee


@pytest.fixture
def merged(schools: tuple[Establishment, Establishment]) -> tuple[Account, Account]:
    school, lycee = schools
    run(school, "guardians", H, [AT_SCHOOL])
    run(lycee, "guardians", H, [AT_LYCEE])
    a = Account.objects.get(login="nathalie.moreau")
    b = Account.objects.get(login="nathalie.moreau2")
    # Her first connection at the school: she proved her contacts there.
    now = timezone.now()
    Account.objects.filter(pk=a.pk).update(email_verified_at=now, mobile_verified_at=now)
    account_activate(actor=None, account=a)
    a.refresh_from_db()
    account_merge(source=b, target=a, actor=a)
    return a, b


def _picture(a: Account) -> tuple[object, ...]:
    a.refresh_from_db()
    return (
        a.email,
        a.mobile,
        a.last_name,
        a.first_name,
        sorted(
            Membership.objects.filter(account=a).values_list(
                "establishment__uai", "source_id", "end_date"
            )
        ),
        sorted(
            Guardianship.objects.filter(guardian=a).values_list(
                "student__login", "confirmation", "end_date"
            )
        ),
        Account.objects.count(),
    )


def test_reimporting_both_schools_files_after_a_merge_changes_nothing(
    schools: tuple[Establishment, Establishment], merged: tuple[Account, Account]
) -> None:
    school, lycee = schools
    a, b = merged
    before = _picture(a)
    assert len(before[4]) == 2 and len(before[5]) == 2
    with no_writes():
        report = run(school, "guardians", H, [AT_SCHOOL], dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    for establishment, row in ((school, AT_SCHOOL), (lycee, AT_LYCEE)):
        report = run(establishment, "guardians", H, [row])
        assert (report.created, report.updated, report.unchanged) == (0, 0, 1), establishment
    assert _picture(a) == before
    b.refresh_from_db()
    assert b.state == Account.State.MERGED
    assert not Membership.objects.filter(account=b).exists()


def test_without_the_guardian_id_the_children_still_name_the_kept_account(
    schools: tuple[Establishment, Establishment], merged: tuple[Account, Account]
) -> None:
    _school, lycee = schools
    a, _b = merged
    before = _picture(a)
    report = run(lycee, "guardians", GUARDIANS_HEADER, [AT_LYCEE[1:]])
    assert (report.created, report.updated) == (0, 0)
    assert _picture(a) == before


def test_a_full_import_without_the_parent_ends_that_membership_not_the_account(
    schools: tuple[Establishment, Establishment], merged: tuple[Account, Account]
) -> None:
    _school, lycee = schools
    a, _b = merged
    run(lycee, "students", STUDENTS_HEADER, [["901", "", "DURAND", "Léa", "05/05/2010", "1G2"]])
    other = ["L8", "901", "DURAND", "Marc", "Père", "1", "", "", ""]
    report = run(lycee, "guardians", H, [other], full=True)
    assert report.ended == 1
    a.refresh_from_db()
    assert a.state == Account.State.ACTIVE
    ended = Membership.objects.get(account=a, establishment=lycee)
    assert ended.end_date == timezone.localdate()
    assert Membership.objects.current().filter(account=a).count() == 1


def test_the_schools_files_do_not_fight_over_the_kept_accounts_contacts(
    schools: tuple[Establishment, Establishment],
) -> None:
    """Contacts nobody verified: the kept account keeps its own school's, whatever the order
    of the imports that follow."""
    school, lycee = schools
    run(school, "guardians", H, [AT_SCHOOL])
    run(lycee, "guardians", H, [AT_LYCEE])
    a = Account.objects.get(login="nathalie.moreau")
    account_merge(source=Account.objects.get(login="nathalie.moreau2"), target=a, actor=a)
    before = _picture(a)
    for _round in range(2):
        for establishment, row in ((lycee, AT_LYCEE), (school, AT_SCHOOL)):
            report = run(establishment, "guardians", H, [row])
            assert (report.created, report.updated) == (0, 0), establishment
    assert _picture(a) == before
    assert a.mobile == "+33611223344"
