"""Every console page is scoped to the establishments the actor administers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db


def _pages(uai: str, login: str) -> list[str]:
    return [
        reverse("console:dashboard", kwargs={"uai": uai}),
        reverse("console:accounts", kwargs={"uai": uai}),
        reverse("console:account_detail", kwargs={"uai": uai, "login": login}),
        reverse("console:import", kwargs={"uai": uai}),
        reverse("console:import_detail", kwargs={"uai": uai, "pk": uuid.uuid4()}),
        reverse("console:letters", kwargs={"uai": uai}),
    ]


def test_anonymous_visitors_are_sent_to_the_sign_in_page(
    client: Any, school: Establishment
) -> None:
    student = make_person(school, "lea.martin", classes=["3A"])
    for url in [reverse("console:home"), *_pages(school.uai, student.login)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("signin:login") + "?next=")
        assert url.replace("/", "%2F") in response["Location"] or url in response["Location"]


def test_another_schools_admin_gets_404_on_every_page(
    client: Any, school: Establishment, other_admin: Account
) -> None:
    student = make_person(school, "lea.martin", classes=["3A"])
    client.force_login(other_admin)
    for url in _pages(school.uai, student.login):
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("console:import", kwargs={"uai": school.uai}),
        reverse("console:letters", kwargs={"uai": school.uai}),
        reverse("console:import_confirm", kwargs={"uai": school.uai, "pk": uuid.uuid4()}),
    ]:
        assert client.post(url, {}).status_code == 404, url


def test_an_account_of_another_school_is_404_under_ones_own_school(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    foreign = make_person(other_school, "hugo.bernard", classes=["2nde1"])
    url = reverse("console:account_detail", kwargs={"uai": school.uai, "login": foreign.login})
    assert admin_client.get(url).status_code == 404
    # Nor does naming the other school help.
    url = reverse(
        "console:account_detail", kwargs={"uai": other_school.uai, "login": foreign.login}
    )
    assert admin_client.get(url).status_code == 404


def test_the_search_never_lists_another_schools_accounts(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    make_person(school, "lea.martin", classes=["3A"])
    make_person(other_school, "lea.martinez", classes=["3A"])
    response = admin_client.get(
        reverse("console:accounts", kwargs={"uai": school.uai}), {"q": "lea"}
    )
    logins = [a.login for a in response.context["page"].object_list]
    assert logins == ["lea.martin"]


def test_a_staff_member_who_is_not_admin_is_refused(client: Any, school: Establishment) -> None:
    teacher = make_person(
        school, "marc.prof", profile=Membership.Profile.TEACHER, state=Account.State.ACTIVE
    )
    client.force_login(teacher)
    assert client.get(reverse("console:home")).status_code == 403
    for url in _pages(school.uai, teacher.login):
        assert client.get(url).status_code == 404, url


def test_an_ended_admin_membership_loses_access(client: Any, school: Establishment) -> None:
    today = timezone.localdate()
    former = make_person(
        school,
        "anne.partie",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        end_date=today,
    )
    client.force_login(former)
    assert client.get(reverse("console:home")).status_code == 403
    dashboard = reverse("console:dashboard", kwargs={"uai": school.uai})
    assert client.get(dashboard).status_code == 404
    # An end date still in the future keeps the access until then.
    Membership.objects.filter(account=former).update(end_date=today + timedelta(days=1))
    assert client.get(dashboard).status_code == 200


def test_home_goes_straight_to_the_only_school(admin_client: Any, school: Establishment) -> None:
    response = admin_client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:dashboard", kwargs={"uai": school.uai})


def test_home_lists_the_schools_of_an_admin_of_several(
    client: Any, school: Establishment, other_school: Establishment, admin: Account
) -> None:
    make_person(
        other_school,
        admin.login,
        profile=Membership.Profile.TEACHER,
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )
    third = Establishment.objects.create(uai="0130001F", name="Collège Mistral")
    make_person(third, admin.login, profile=Membership.Profile.TEACHER)  # not admin there
    client.force_login(admin)
    response = client.get(reverse("console:home"))
    assert response.status_code == 200
    assert {e.uai for e in response.context["establishments"]} == {other_school.uai, school.uai}
    assert third.uai not in response.content.decode()


def test_the_header_shows_the_console_link_to_local_admins_only(
    admin_client: Any, client: Any, school: Establishment
) -> None:
    assert 'href="/console/"' in admin_client.get("/mon-compte/").content.decode()
    teacher = make_person(
        school, "paul.prof", profile="enseignant", state="active", password="Cl@ire-2026-ok"
    )
    client.force_login(teacher)
    page = client.get("/mon-compte/")
    assert page.status_code == 200
    assert "Mon compte" in page.content.decode()
    assert 'href="/console/"' not in page.content.decode()
