"""The activation dashboard: figures per class and per profile, in one chart and one table."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from preau.directory.models import Account, Establishment, Membership
from preau.directory.selectors import activation_dashboard
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

ACTIVE, PENDING, OFF = Account.State.ACTIVE, Account.State.PROVISIONED, Account.State.DEACTIVATED


def _fill(school: Establishment) -> None:
    for i in range(3):
        make_person(school, f"a{i}.troisa", classes=["3A"], state=ACTIVE)
    make_person(school, "p.troisa", classes=["3A"], state=PENDING)
    make_person(school, "d.troisa", classes=["3A"], state=OFF)
    for i in range(2):
        make_person(school, f"p{i}.sixb", classes=["6B"], state=PENDING)
    make_person(school, "m.prof", profile=Membership.Profile.TEACHER, classes=["3A", "6B"])
    parent = make_person(school, "j.parent", profile=Membership.Profile.GUARDIAN, state=ACTIVE)
    # The parent also teaches: one person, two profiles, counted once in the total.
    make_person(school, parent.login, profile=Membership.Profile.TEACHER)


def test_figures_per_class_per_profile_and_in_total(school: Establishment, admin: Account) -> None:
    _fill(school)
    board = activation_dashboard(actor=admin, establishment=school)

    classes = {row.label: (row.active, row.pending, row.deactivated) for row in board.by_class}
    assert classes == {"3A": (3, 1, 1), "6B": (0, 2, 0)}

    profiles = {row.key: (row.active, row.pending, row.deactivated) for row in board.by_profile}
    assert profiles == {
        Membership.Profile.STUDENT: (3, 3, 1),
        Membership.Profile.GUARDIAN: (1, 0, 0),
        Membership.Profile.TEACHER: (1, 1, 0),
        Membership.Profile.STAFF: (1, 0, 0),  # the administrator herself
    }
    # 7 students + the parent-teacher + the other teacher + the administrator.
    assert (board.total.active, board.total.pending, board.total.deactivated) == (5, 4, 1)
    assert board.total.total == 10


def test_ended_memberships_and_other_schools_do_not_count(
    school: Establishment, other_school: Establishment, admin: Account
) -> None:
    from datetime import date

    make_person(school, "gone.eleve", classes=["3A"], state=ACTIVE, end_date=date(2020, 7, 1))
    make_person(other_school, "else.where", classes=["3A"], state=ACTIVE)
    board = activation_dashboard(actor=admin, establishment=school)
    assert board.by_class == []
    assert board.total.total == 1  # the administrator


def test_an_actor_who_does_not_administer_the_school_gets_no_figures(
    school: Establishment, other_admin: Account
) -> None:
    _fill(school)
    board = activation_dashboard(actor=other_admin, establishment=school)
    assert board.by_class == [] and board.by_profile == [] and board.total.total == 0


def test_the_page_shows_the_chart_and_the_same_figures_in_a_table(
    admin_client: Any, school: Establishment
) -> None:
    _fill(school)
    response = admin_client.get(reverse("console:dashboard", kwargs={"uai": school.uai}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="3A : 3 activés, 1 en attente, 1 désactivés"' in html
    assert 'style="width: 60.0%"' in html  # 3 of 5, not "60,0" (a French decimal breaks CSS)
    search = reverse("console:accounts", kwargs={"uai": school.uai})
    assert f'href="{search}?profil=eleve&amp;classe=3A&amp;etat=provisioned"' in html
    assert "<caption>" in html and "<script" not in html.split("</main>")[0]


def test_the_dashboard_runs_a_fixed_number_of_queries(
    admin_client: Any, school: Establishment, django_assert_max_num_queries: Any
) -> None:
    url = reverse("console:dashboard", kwargs={"uai": school.uai})
    for code in ("3A", "3B", "4A", "4B", "5A", "5B", "6A", "6B", "6C", "6D"):
        for state in (ACTIVE, PENDING):
            make_person(school, f"{state[:3]}.{code.lower()}", classes=[code], state=state)
    admin_client.get(url)  # warm the session
    # session + account + establishment + two aggregates; nothing per class.
    with django_assert_max_num_queries(5):
        response = admin_client.get(url)
    labels = [row.label for row in response.context["board"].by_class]
    assert labels == ["3A", "3B", "4A", "4B", "5A", "5B", "6A", "6B", "6C", "6D"]


def test_classes_come_in_natural_order(school: Establishment, admin: Account) -> None:
    for code in ("10A", "2B", "2A", "1C"):
        make_person(school, f"eleve.{code.lower()}", classes=[code])
    board = activation_dashboard(actor=admin, establishment=school)
    assert [row.label for row in board.by_class] == ["1C", "2A", "2B", "10A"]
