"""Account search and account detail."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from preau.audit.services import audit_event_build, audit_record
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.selectors import account_search
from tests.console.conftest import make_person


def _stored(action: str, **kwargs: Any) -> None:
    """An event stored with ``action``, a name ``audit_record`` no longer accepts."""
    event = audit_event_build(action="signin.success", **kwargs)
    event.action = action
    event.save()


pytestmark = pytest.mark.django_db


def _logins(admin: Account, school: Establishment, **filters: Any) -> list[str]:
    return [a.login for a in account_search(actor=admin, establishment=school, **filters)]


@pytest.fixture
def people(school: Establishment) -> None:
    make_person(school, "helene.leveque", first_name="Hélène", last_name="Lévêque", classes=["3A"])
    make_person(
        school,
        "zoe.martin",
        first_name="Zoé",
        last_name="Martin",
        classes=["3B"],
        state=Account.State.ACTIVE,
    )
    make_person(
        school,
        "jean.martin",
        first_name="Jean",
        last_name="Martin",
        profile=Membership.Profile.GUARDIAN,
        state=Account.State.DEACTIVATED,
    )


def test_search_by_name_ignores_case_and_accents(
    people: None, school: Establishment, admin: Account
) -> None:
    assert _logins(admin, school, query="MARTIN") == ["jean.martin", "zoe.martin"]
    assert _logins(admin, school, query="hélène") == ["helene.leveque"]
    assert _logins(admin, school, query="HELENE") == ["helene.leveque"]
    assert _logins(admin, school, query="leveque") == ["helene.leveque"]
    assert _logins(admin, school, query="Lévêque") == ["helene.leveque"]
    assert _logins(admin, school, query="zoe martin") == ["zoe.martin"]
    assert _logins(admin, school, query="nobody") == []


def test_search_filters_by_class_profile_and_state(
    people: None, school: Establishment, admin: Account
) -> None:
    assert _logins(admin, school, school_class="3A") == ["helene.leveque"]
    assert _logins(admin, school, profile=Membership.Profile.GUARDIAN) == ["jean.martin"]
    # Ordered by last name: Martin, then Secrétariat.
    assert _logins(admin, school, state=Account.State.ACTIVE) == [
        "zoe.martin",
        "claire.secretariat",
    ]
    assert _logins(
        admin, school, query="martin", profile=Membership.Profile.STUDENT, state="active"
    ) == ["zoe.martin"]


def test_the_search_page_reads_its_filters_from_the_query_string(
    people: None, admin_client: Any, school: Establishment
) -> None:
    url = reverse("console:accounts", kwargs={"uai": school.uai})
    response = admin_client.get(url, {"q": "martin", "etat": "deactivated"})
    assert response.status_code == 200
    assert [a.login for a in response.context["page"].object_list] == ["jean.martin"]
    html = response.content.decode()
    assert "1 compte trouvé" in html
    assert reverse("console:account_detail", kwargs={"uai": school.uai, "login": "jean.martin"})


def test_the_search_is_paginated_with_a_fixed_number_of_queries(
    admin_client: Any, school: Establishment, django_assert_max_num_queries: Any
) -> None:
    for i in range(60):
        make_person(school, f"eleve{i:02d}.nom", classes=[f"{3 + i % 4}A"])
    url = reverse("console:accounts", kwargs={"uai": school.uai})
    admin_client.get(url)
    # session, account, establishment, class list, count, page, memberships, classes.
    with django_assert_max_num_queries(8):
        response = admin_client.get(url, {"page": "2"})
    page = response.context["page"]
    assert page.paginator.count == 61 and page.number == 2
    assert len(page.object_list) == 11
    html = response.content.decode()
    assert "page=1" in html and "Page précédente" in html


def test_the_account_page_shows_identity_links_and_recent_events(
    admin_client: Any, school: Establishment, other_school: Establishment, admin: Account
) -> None:
    student = make_person(
        school, "lea.martin", first_name="Léa", last_name="Martin", classes=["3A"]
    )
    parent = make_person(school, "marc.martin", profile=Membership.Profile.GUARDIAN)
    Guardianship.objects.create(
        guardian=parent, student=student, establishment=school, relationship="pere"
    )
    # Actions written by an older version under names since gone: shown as they are stored.
    _stored("account.test_here", actor=admin, target=student, establishment=school)
    audit_record(action="signin.success", target=student)  # no school: shown, in French
    _stored("account.test_elsewhere", target=student, establishment=other_school)

    url = reverse("console:account_detail", kwargs={"uai": school.uai, "login": "lea.martin"})
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Léa", "lea.martin", "En attente d&#x27;activation", "3A", "marc.martin", "Père"):
        assert text in html or text.replace("&#x27;", "'") in html, text
    assert "account.test_here" in html and "<td>Connexion</td>" in html
    assert "account.test_elsewhere" not in html

    parent_page = admin_client.get(
        reverse("console:account_detail", kwargs={"uai": school.uai, "login": "marc.martin"})
    )
    assert "lea.martin" in parent_page.content.decode()


def test_an_invalid_filter_is_shown_in_error_and_the_others_still_apply(
    people: None, admin_client: Any, school: Establishment
) -> None:
    url = reverse("console:accounts", kwargs={"uai": school.uai})
    response = admin_client.get(url, {"classe": "9Z", "etat": "deactivated"})
    assert response.status_code == 200
    assert response.context["form"].errors["classe"]
    assert [a.login for a in response.context["page"].object_list] == ["jean.martin"]
