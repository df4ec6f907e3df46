"""The school's answer about a child's link that a guardian froze (three wrong birth dates) or
refused, from the help request Préau filed (issue 14, part 2): the link stands, the guardian
may answer again, or it ends; never for a link of another establishment or out of reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from preau.audit.models import AuditEvent
from preau.directory.guardianships import MAX_FAILURES, guardianship_confirm, guardianship_refuse
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.recovery.models import HelpRequest
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2014, 3, 9)


def _link(school: Establishment, *, login: str = "hugo.moreau") -> Guardianship:
    parent = Account.objects.filter(login="nathalie.moreau").first() or make_person(
        school, "nathalie.moreau", profile=Membership.Profile.GUARDIAN, state=Account.State.ACTIVE
    )
    child = make_person(school, login, classes=["6B"])
    Account.objects.filter(pk=child.pk).update(birth_date=BIRTH)
    return Guardianship.objects.create(
        guardian=parent,
        student=child,
        establishment=school,
        confirmation=Guardianship.Confirmation.PENDING,
    )


def _freeze(link: Guardianship) -> HelpRequest:
    for _ in range(MAX_FAILURES):
        guardianship_confirm(
            guardian=link.guardian, guardianship_id=link.pk, birth_date=dt.date(2014, 3, 10)
        )
    return HelpRequest.objects.get(guardianship=link)


def _decide(client: Any, school: Establishment, help_request: HelpRequest, decision: str) -> Any:
    url = reverse("console:help_request_child", args=[school.uai, help_request.pk])
    return client.post(url, {"decision": decision}, follow=True)


def test_the_school_confirms_a_frozen_link_and_the_request_is_done(
    admin_client: Any, school: Establishment
) -> None:
    link = _link(school)
    help_request = _freeze(link)
    page = admin_client.get(reverse("console:help_request", args=[school.uai, help_request.pk]))
    assert b'id="child-link-form"' in page.content
    response = _decide(admin_client, school, help_request, "confirm")
    assert "Le rattachement est confirmé" in response.content.decode()
    link.refresh_from_db()
    help_request.refresh_from_db()
    assert (link.confirmation, link.confirmation_failures) == ("confirmed", 0)
    assert help_request.status == HelpRequest.Status.DONE
    assert AuditEvent.objects.filter(action="guardianship.school_confirm").count() == 1
    # Answered: the buttons are gone and a second answer changes nothing.
    page = admin_client.get(reverse("console:help_request", args=[school.uai, help_request.pk]))
    assert b'id="child-link-form"' not in page.content
    response = _decide(admin_client, school, help_request, "end")
    assert "n&#x27;attend plus de décision" in response.content.decode()
    link.refresh_from_db()
    assert link.end_date is None


def test_a_reopened_link_is_asked_again_and_an_ended_one_is_gone(
    admin_client: Any, school: Establishment
) -> None:
    link = _link(school)
    _decide(admin_client, school, _freeze(link), "reopen")
    link.refresh_from_db()
    assert (link.confirmation, link.confirmation_failures) == ("pending", 0)
    result = guardianship_confirm(guardian=link.guardian, guardianship_id=link.pk, birth_date=BIRTH)
    assert result.guardianship.confirmation == "confirmed"

    other = _link(school, login="lea.moreau")
    guardianship_refuse(guardian=other.guardian, guardianship_id=other.pk)
    refused_request = HelpRequest.objects.get(guardianship=other)
    # A refused link is never confirmed by the school over the guardian's word.
    page = admin_client.get(reverse("console:help_request", args=[school.uai, refused_request.pk]))
    assert b'value="confirm"' not in page.content
    _decide(admin_client, school, refused_request, "confirm")
    other.refresh_from_db()
    assert other.confirmation == "refused"
    _decide(admin_client, school, refused_request, "end")
    other.refresh_from_db()
    assert other.end_date is not None
    assert not Guardianship.objects.current().filter(pk=other.pk).exists()


def test_another_schools_administrator_cannot_decide(
    client: Any, school: Establishment, other_admin: Account, other_school: Establishment
) -> None:
    link = _link(school)
    help_request = _freeze(link)
    client.force_login(other_admin)
    # Through its own establishment's address: the request is not found there.
    url = reverse("console:help_request_child", args=[other_school.uai, help_request.pk])
    assert client.post(url, {"decision": "confirm"}).status_code == 404
    # Through the other school's address: not administered.
    url = reverse("console:help_request_child", args=[school.uai, help_request.pk])
    assert client.post(url, {"decision": "confirm"}).status_code in (403, 404)
    link.refresh_from_db()
    assert link.confirmation == "frozen"


def test_a_pupil_who_left_the_school_is_out_of_reach(
    admin_client: Any, school: Establishment
) -> None:
    link = _link(school)
    help_request = _freeze(link)
    Membership.objects.filter(account=link.student).update(end_date=dt.date(2020, 1, 1))
    response = _decide(admin_client, school, help_request, "confirm")
    assert "ne fait plus partie de l" in response.content.decode()
    link.refresh_from_db()
    assert link.confirmation == "frozen"
