"""Importing staff: profiles, classes taught, one account for a teacher who is also a parent."""

from __future__ import annotations

from preau.directory.models import Account, Establishment, Membership
from preau.directory.services import local_admin_set
from tests.provisioning.import_helpers import (
    GUARDIANS_HEADER,
    STAFF_HEADER,
    STUDENTS_HEADER,
    no_writes,
    run,
)

ROWS = [
    ["LAURENT", "Sophie", "enseignant", "Mathématiques", "sophie.laurent@example.org", "6A, 5A"],
    ["LEROY", "Jérôme", "Enseignant", "Français", "", "6A"],
    ["BLANC", "Agnès", "personnel", "Secrétariat", "agnes.blanc@example.org", ""],
]


def test_staff_get_their_profile_function_and_classes(establishment: Establishment) -> None:
    report = run(establishment, "staff", STAFF_HEADER, ROWS)
    assert report.created == 3
    sophie = Membership.objects.get(account__login="sophie.laurent")
    assert (sophie.profile, sophie.function) == ("enseignant", "Mathématiques")
    assert sorted(c.code for c in sophie.classes.all()) == ["5A", "6A"]
    assert Membership.objects.get(account__login="agnes.blanc").profile == "personnel"
    with no_writes():
        assert run(establishment, "staff", STAFF_HEADER, ROWS).unchanged == 3


def test_a_teacher_who_is_also_a_parent_has_one_account_with_two_profiles(
    establishment: Establishment,
) -> None:
    run(establishment, "staff", STAFF_HEADER, ROWS)
    run(
        establishment,
        "students",
        STUDENTS_HEADER,
        [["1", "", "LAURENT", "Arthur", "01/01/2014", "5A"]],
    )
    report = run(
        establishment,
        "guardians",
        GUARDIANS_HEADER,
        [["1", "Laurent", "Sophie", "mère", "1", "Sophie.Laurent@example.org", "", ""]],
    )
    assert (report.created, report.updated) == (0, 1)
    sophie = Account.objects.get(login="sophie.laurent")
    assert sorted(sophie.memberships.values_list("profile", flat=True)) == [
        "enseignant",
        "responsable",
    ]


def test_classes_and_function_changes_update_the_membership(establishment: Establishment) -> None:
    run(establishment, "staff", STAFF_HEADER, ROWS)
    rows = [[*ROWS[0][:3], "Mathématiques", ROWS[0][4], "4B"], *ROWS[1:]]
    report = run(establishment, "staff", STAFF_HEADER, rows)
    assert (report.updated, report.unchanged) == (1, 2)
    sophie = Membership.objects.get(account__login="sophie.laurent")
    assert [c.code for c in sophie.classes.all()] == ["4B"]


def test_full_import_ends_staff_missing_from_the_file_but_spares_local_admins(
    establishment: Establishment,
) -> None:
    run(establishment, "staff", STAFF_HEADER, ROWS)
    agnes = Account.objects.get(login="agnes.blanc")
    local_admin_set(actor=None, account=agnes, establishment=establishment)
    report = run(establishment, "staff", STAFF_HEADER, ROWS[:1], full=True)
    assert report.ended == 1
    assert Membership.objects.get(account__login="jerome.leroy").end_date is not None
    assert Membership.objects.get(account=agnes).end_date is None


def test_homonym_teachers_with_different_addresses_are_two_people(
    establishment: Establishment,
) -> None:
    rows = [
        ["MARTIN", "Julie", "enseignant", "SVT", "julie.martin@example.org", ""],
        ["MARTIN", "Julie", "enseignant", "EPS", "j.martin@example.net", ""],
    ]
    run(establishment, "staff", STAFF_HEADER, rows)
    assert sorted(Account.objects.values_list("login", flat=True)) == [
        "julie.martin",
        "julie.martin2",
    ]
    with no_writes():
        assert run(establishment, "staff", STAFF_HEADER, rows).unchanged == 2
