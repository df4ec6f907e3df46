"""Importing guardians: one account per person across children and establishments."""

from __future__ import annotations

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.provisioning.import_helpers import GUARDIANS_HEADER, STUDENTS_HEADER, no_writes, run

H = GUARDIANS_HEADER


@pytest.fixture
def school(establishment: Establishment) -> Establishment:
    run(
        establishment,
        "students",
        STUDENTS_HEADER,
        [
            ["1", "", "MOREAU", "Chloé", "01/02/2015", "6B"],
            ["2", "", "MOREAU", "Hugo", "02/02/2012", "3A"],
            ["3", "", "PETIT", "Emma", "03/03/2014", "5A"],
        ],
    )
    return establishment


@pytest.fixture
def lycee(db: None) -> Establishment:
    lycee = Establishment.objects.create(uai="0380002W", name="Lycée Champollion", kind="lycee")
    run(
        lycee,
        "students",
        STUDENTS_HEADER,
        [["900", "", "MOREAU", "Inès", "04/04/2010", "1G2"]],
    )
    return lycee


MOTHER = [
    "MOREAU",
    "Nathalie",
    "Mère",
    "1",
    "Nathalie.Moreau@example.org",
    "06 11 22 33 44",
    "69003",
]


def test_a_guardian_of_two_siblings_is_one_account(school: Establishment) -> None:
    report = run(school, "guardians", H, [["1", *MOTHER], ["2", *MOTHER]])
    assert (report.created, report.rejected) == (1, 0)
    nathalie = Account.objects.get(login="nathalie.moreau")
    assert nathalie.email == "nathalie.moreau@example.org"
    assert nathalie.mobile == "+33611223344"
    assert nathalie.state == Account.State.PROVISIONED
    assert sorted(
        Guardianship.objects.filter(guardian=nathalie).values_list("student__login", flat=True)
    ) == [
        "chloe.moreau",
        "hugo.moreau",
    ]
    assert nathalie.memberships.get().profile == Membership.Profile.GUARDIAN


def test_a_guardian_in_two_establishments_is_one_account(
    school: Establishment, lycee: Establishment
) -> None:
    run(school, "guardians", H, [["1", *MOTHER]])
    # She proved her mobile (first connection, or "Mon compte"): it is hers.
    Account.objects.filter(login="nathalie.moreau").update(mobile_verified_at=timezone.now())
    # The lycée's file spells the name in capitals without accents and gives only the mobile.
    other = ["MOREAU", "NATHALIE", "mere", "1", "", "0611223344", ""]
    report = run(lycee, "guardians", H, [["900", *other]])
    assert (report.created, report.updated) == (0, 1)
    nathalie = Account.objects.get(login="nathalie.moreau")
    assert Account.objects.filter(last_name="MOREAU", first_name__iexact="nathalie").count() == 1
    assert sorted(nathalie.memberships.values_list("establishment__uai", flat=True)) == [
        "0380002W",
        "0750654D",
    ]
    assert nathalie.wards.count() == 2


def test_two_different_parents_sharing_a_family_address_stay_two_accounts(
    school: Establishment,
) -> None:
    shared = "famille.moreau@example.org"
    rows = [
        ["1", "MOREAU", "Nathalie", "Mère", "1", shared, "", "69003"],
        ["1", "MOREAU", "Stéphane", "Père", "1", shared, "", "69003"],
    ]
    assert run(school, "guardians", H, rows).created == 2


def test_a_guardian_without_contact_is_recognised_through_the_children_already_linked(
    school: Establishment,
) -> None:
    father = ["MOREAU", "Stéphane", "Père", "1", "", "", "69003"]
    run(school, "guardians", H, [["1", *father]])
    report = run(school, "guardians", H, [["1", *father], ["2", *father]])
    assert (report.created, report.updated) == (0, 1)
    assert Account.objects.filter(first_name="Stéphane").count() == 1


def test_an_optional_guardian_id_column_recognises_a_renamed_guardian(
    school: Establishment,
) -> None:
    header = ["Identifiant responsable", *H]
    run(school, "guardians", header, [["R7", "1", "DURAND", "Julie", "Mère", "1", "", "", ""]])
    report = run(
        school, "guardians", header, [["R7", "1", "MOREAU", "Julie", "Mère", "1", "", "", ""]]
    )
    assert (report.created, report.updated) == (0, 1)
    julie = Account.objects.get(first_name="Julie")
    assert (julie.login, julie.last_name) == ("julie.durand", "MOREAU")


def test_contact_changes_update_in_place_unless_the_person_verified_their_own(
    school: Establishment,
) -> None:
    run(school, "guardians", H, [["1", *MOTHER]])
    nathalie = Account.objects.get(login="nathalie.moreau")
    new_mobile = [*MOTHER[:5], "07 99 88 77 66", "69007"]
    report = run(school, "guardians", H, [["1", *new_mobile]])
    assert report.updated == 1
    nathalie.refresh_from_db()
    assert (nathalie.mobile, nathalie.postal_code) == ("+33799887766", "69007")
    nathalie.mobile = "+33600000000"
    nathalie.mobile_verified_at = timezone.now()
    nathalie.save()
    with no_writes():
        run(school, "guardians", H, [["1", *new_mobile]])
    nathalie.refresh_from_db()
    assert nathalie.mobile == "+33600000000"


def test_reimporting_guardians_writes_nothing(school: Establishment) -> None:
    rows = [["1", *MOTHER], ["2", *MOTHER], ["3", "PETIT", "Éric", "Père", "2", "", "", ""]]
    run(school, "guardians", H, rows)
    with no_writes():
        report = run(school, "guardians", H, rows)
    assert (report.unchanged, report.written) == (2, False)


def test_an_unknown_student_number_is_reported_with_line_and_column(school: Establishment) -> None:
    report = run(school, "guardians", H, [["1", *MOTHER], ["42", *MOTHER]])
    assert report.refused
    (problem,) = report.problems
    assert (problem.file, problem.line, problem.column) == ("guardians.csv", 3, "Numéro élève")
    assert "42" in problem.message
    assert not Account.objects.filter(login="nathalie.moreau").exists()


def test_full_import_ends_guardianships_and_memberships_missing_from_the_file(
    school: Establishment,
) -> None:
    petit = ["3", "PETIT", "Éric", "Père", "1", "eric.petit@example.org", "", ""]
    run(school, "guardians", H, [["1", *MOTHER], ["2", *MOTHER], petit])
    report = run(school, "guardians", H, [["1", *MOTHER]], full=True)
    today = timezone.localdate()
    assert (report.ended, report.updated) == (1, 0)
    eric = Account.objects.get(login="eric.petit")
    assert eric.memberships.get().end_date == today
    assert Guardianship.objects.get(guardian=eric).end_date == today
    link = Guardianship.objects.get(guardian__login="nathalie.moreau", student__login="hugo.moreau")
    assert link.end_date == today
    assert Account.objects.filter(login="eric.petit").exists()


def test_a_child_linked_to_an_active_guardian_waits_for_the_guardians_confirmation(
    school: Establishment, lycee: Establishment
) -> None:
    """Links present before activation are proved by the letter; a child the files give to an
    account already active (a younger sibling, a second school) is shown nowhere until the
    guardian confirms the birth date in "Mes enfants" (issue 14, part 2)."""
    run(school, "guardians", H, [["1", *MOTHER]])
    nathalie = Account.objects.get(login="nathalie.moreau")
    assert nathalie.wards.get().confirmation == Guardianship.Confirmation.CONFIRMED
    Account.objects.filter(pk=nathalie.pk).update(
        state=Account.State.ACTIVE, mobile_verified_at=timezone.now()
    )
    run(school, "guardians", H, [["1", *MOTHER], ["2", *MOTHER]])
    run(lycee, "guardians", H, [["900", *MOTHER]])
    links = dict(nathalie.wards.values_list("student__login", "confirmation"))
    assert links == {
        "chloe.moreau": Guardianship.Confirmation.CONFIRMED,
        "hugo.moreau": Guardianship.Confirmation.PENDING,
        "ines.moreau": Guardianship.Confirmation.PENDING,
    }
    assert list(
        Guardianship.objects.filter(guardian=nathalie)
        .confirmed()
        .values_list("student__login", flat=True)
    ) == ["chloe.moreau"]
    # The files read again leave each link as the guardian left it.
    Guardianship.objects.filter(student__login="hugo.moreau").update(
        confirmation=Guardianship.Confirmation.REFUSED
    )
    with no_writes():
        run(school, "guardians", H, [["1", *MOTHER], ["2", *MOTHER]])
        run(lycee, "guardians", H, [["900", *MOTHER]])
    assert nathalie.wards.get(student__login="hugo.moreau").confirmation == "refused"
