"""Issue 11, part 1: a local administrator's file may only match, update or attach people the
way the data proves. Each test uploads a file through the console and confirms it, as the
reviewer did, then checks that nobody of another school was grafted, rewritten or handed a
new code."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from preau.console.models import PendingImport
from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.console.conftest import make_person
from tests.provisioning.import_helpers import (
    GUARDIANS_HEADER,
    STAFF_HEADER,
    STUDENTS_HEADER,
    csv_bytes,
)

pytestmark = pytest.mark.django_db


def _import(client: Any, school: Establishment, kind: str, data: bytes) -> dict[str, Any]:
    """Upload and confirm; the preview of the upload (the page the administrator read)."""
    response = client.post(
        reverse("console:import", kwargs={"uai": school.uai}),
        {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", data, "text/csv")},
    )
    assert response.status_code == 302
    pending = PendingImport.objects.latest("created_at")
    preview = dict(pending.preview)
    if not preview["refused"] and preview["changes_total"]:
        url = reverse("console:import_confirm", kwargs={"uai": school.uai, "pk": pending.pk})
        # Homonyms and identity changes are confirmed on purpose (issue 12, part 8).
        checked = {"identity_checked": "1"} if preview.get("needs_review") else {}
        assert client.post(url, checked).status_code == 302
    return preview


def _schools_of(account: Account) -> set[str]:
    return set(account.memberships.values_list("establishment__uai", flat=True))


@pytest.fixture
def operator(other_school: Establishment) -> Account:
    account = make_person(
        other_school,
        "olivier.durand",
        first_name="Olivier",
        last_name="Durand",
        profile="personnel",
        state=Account.State.ACTIVE,
        password="Operateur+Secret42",
    )
    Account.objects.filter(pk=account.pk).update(
        is_staff=True, email="olivier.durand@ent.example.org", email_verified_at=timezone.now()
    )
    account.refresh_from_db()
    return account


@pytest.mark.parametrize("verified", [False, True])
def test_a_staff_file_never_grafts_the_operator(
    admin_client: Any, school: Establishment, operator: Account, verified: bool
) -> None:
    if not verified:
        Account.objects.filter(pk=operator.pk).update(email_verified_at=None)
    data = csv_bytes(
        STAFF_HEADER,
        [["DURAND", "Olivier", "enseignant", "Maths", "olivier.durand@ent.example.org", ""]],
    )
    preview = _import(admin_client, school, "staff", data)
    assert preview["created"] == 1 and preview["updated"] == 0
    assert "nouveau rattachement" not in str(preview["changes"])
    # The newcomer's numbered identifier is flagged, without naming the other school's person.
    assert preview["homonyms"] == 1
    assert "autre établissement" in preview["flagged"][0]["homonym"]
    assert "Durand" not in preview["flagged"][0]["homonym"]
    assert _schools_of(operator) == {"0690026D"}
    newcomer = Account.objects.get(login="olivier.durand2")
    assert _schools_of(newcomer) == {school.uai}
    # The takeover's second step has nothing to hold on to.
    url = reverse("console:account_reissue", kwargs={"uai": school.uai, "login": operator.login})
    assert admin_client.post(url, {"delivery": "letter"}).status_code == 404


def test_a_staff_file_never_grafts_another_schools_administrator(
    admin_client: Any, school: Establishment, other_admin: Account
) -> None:
    Account.objects.filter(pk=other_admin.pk).update(
        email="paul.direction@example.org", email_verified_at=timezone.now()
    )
    data = csv_bytes(
        STAFF_HEADER, [["Direction", "Paul", "personnel", "", "paul.direction@example.org", ""]]
    )
    preview = _import(admin_client, school, "staff", data)
    assert preview["created"] == 1
    assert _schools_of(other_admin) == {"0690026D"}


def test_a_guardians_file_matches_another_schools_parent_only_by_a_proved_contact(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    make_person(school, "lea.moreau", first_name="Léa", last_name="Moreau")
    Membership.objects.filter(account__login="lea.moreau").update(source_id="1")
    parent = make_person(
        other_school,
        "nathalie.moreau",
        first_name="Nathalie",
        last_name="Moreau",
        profile="responsable",
        state=Account.State.ACTIVE,
    )
    Account.objects.filter(pk=parent.pk).update(email="nathalie@example.org")
    row = ["1", "MOREAU", "Nathalie", "mère", "1", "nathalie@example.org", "", ""]
    preview = _import(admin_client, school, "guardians", csv_bytes(GUARDIANS_HEADER, [row]))
    # An address nobody proved is no proof: a new account, the other school's parent untouched.
    assert preview["created"] == 1
    assert _schools_of(parent) == {"0690026D"}
    assert not Guardianship.objects.filter(guardian=parent).exists()

    # Once she proved it (first connection), the same line is her.
    Account.objects.filter(pk=parent.pk).update(email_verified_at=timezone.now())
    Guardianship.objects.all().delete()
    Membership.objects.filter(account__login="nathalie.moreau2").delete()
    Account.objects.filter(login="nathalie.moreau2").delete()
    preview = _import(admin_client, school, "guardians", csv_bytes(GUARDIANS_HEADER, [row]))
    assert (preview["created"], preview["updated"]) == (0, 1)
    assert _schools_of(parent) == {"0690026D", school.uai}
    # ... and her account, active and shared, is now the operator's to reset, not this school's.
    url = reverse("console:account_reissue", kwargs={"uai": school.uai, "login": parent.login})
    response = admin_client.post(url, {"delivery": "letter"})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.state == Account.State.ACTIVE


def test_a_students_file_does_not_take_another_schools_pupil_by_ine_alone(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    pupil = make_person(other_school, "hugo.bernard", first_name="Hugo", last_name="Bernard")
    Account.objects.filter(pk=pupil.pk).update(ine="070803070AJ", birth_date=date(2010, 4, 2))
    data = csv_bytes(
        STUDENTS_HEADER, [["77", "070803070AJ", "Pirate", "Pierre", "01/01/2012", "3A"]]
    )
    preview = _import(admin_client, school, "students", data)
    assert preview["refused"] and preview["rejected"] == 1
    [problem] = preview["problems"]
    assert problem["line"] == 2 and problem["column"] == "INE"
    assert "autre établissement" in problem["message"]
    assert "hugo" not in problem["message"].lower()  # nothing told of the other pupil
    pupil.refresh_from_db()
    assert (pupil.last_name, pupil.first_name, pupil.birth_date) == (
        "Bernard",
        "Hugo",
        date(2010, 4, 2),
    )
    assert _schools_of(pupil) == {"0690026D"}


def test_a_pupil_changing_school_is_recognised_by_ine_and_identity(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    pupil = make_person(other_school, "hugo.bernard", first_name="Hugo", last_name="Bernard")
    Account.objects.filter(pk=pupil.pk).update(ine="070803070AJ", birth_date=date(2010, 4, 2))
    # Capitals, no accent difference: the same pupil.
    data = csv_bytes(
        STUDENTS_HEADER, [["77", "070803070AJ", "BERNARD", "HUGO", "02/04/2010", "2nde1"]]
    )
    preview = _import(admin_client, school, "students", data)
    assert (preview["created"], preview["updated"], preview["rejected"]) == (0, 1, 0)
    pupil.refresh_from_db()
    assert _schools_of(pupil) == {"0690026D", school.uai}
    assert (pupil.last_name, pupil.first_name) == ("Bernard", "Hugo")  # not rewritten


def test_a_students_file_never_grafts_staff_of_another_school_by_ine(
    admin_client: Any, school: Establishment, other_admin: Account
) -> None:
    Account.objects.filter(pk=other_admin.pk).update(ine="070803070AJ", birth_date=date(1980, 1, 1))
    data = csv_bytes(
        STUDENTS_HEADER, [["77", "070803070AJ", "DIRECTION", "Paul", "01/01/1980", "3A"]]
    )
    preview = _import(admin_client, school, "students", data)
    assert preview["refused"] and preview["rejected"] == 1
    assert _schools_of(other_admin) == {"0690026D"}


def test_the_schools_own_guardian_comes_before_another_schools_account_with_the_same_contact(
    school: Establishment, other_school: Establishment
) -> None:
    from tests.provisioning.import_helpers import run

    # An older account at the other school, with the same names and address, not proved yet.
    theirs = make_person(
        other_school,
        "nathalie.moreau9",
        first_name="Nathalie",
        last_name="Moreau",
        profile="responsable",
    )
    Account.objects.filter(pk=theirs.pk).update(email="nathalie@example.org")
    make_person(school, "lea.moreau", first_name="Léa", last_name="Moreau")
    Membership.objects.filter(account__login="lea.moreau").update(source_id="1")
    row = ["1", "MOREAU", "Nathalie", "mère", "1", "nathalie@example.org", "", ""]
    run(school, "guardians", GUARDIANS_HEADER, [row])
    ours = Account.objects.get(login="nathalie.moreau")
    assert ours.pk > theirs.pk
    # She proves the address on the other school's account; this school's file still means
    # this school's guardian.
    Account.objects.filter(pk=theirs.pk).update(email_verified_at=timezone.now())
    report = run(school, "guardians", GUARDIANS_HEADER, [row])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Guardianship.objects.get().guardian == ours
