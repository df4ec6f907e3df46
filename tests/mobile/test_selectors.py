"""The API's one-query reads of a person give what the directory's selectors give."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.directory.selectors import (
    children_of,
    establishments_of,
    membership_profiles_current,
    memberships_current,
)
from preau.mobile.selectors import (
    children_seen_of,
    establishments_in,
    memberships_seen_of,
    profiles_in,
    tiles_of,
)
from preau.portal.models import Category, Service
from preau.portal.registry import registry_forget
from preau.portal.selectors import tiles_for

pytestmark = pytest.mark.django_db

CONFIRMED = Guardianship.Confirmation.CONFIRMED
P = Membership.Profile


def _account(login: str, first: str = "Anne") -> Account:
    return Account.objects.create_user(
        login, first_name=first, last_name=login.rsplit(".", maxsplit=1)[-1]
    )


def _member(
    account: Account, place: Establishment, profile: str, *classes: SchoolClass, **fields: Any
) -> Membership:
    membership = Membership.objects.create(
        account=account, establishment=place, profile=profile, school_year=2026, **fields
    )
    membership.classes.set(classes)
    return membership


def _dataset() -> list[Account]:
    """Memberships current, ended or ending tomorrow; guardians' children confirmed, pending,
    frozen, refused or ended; classes of several years, in several establishments."""
    today = timezone.localdate()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    a = Establishment.objects.create(uai="0750001A", name="Collège Colette")
    b = Establishment.objects.create(uai="0750002B", name="Lycée Arago")
    c = Establishment.objects.create(uai="0750000C", name="Collège Colette")  # same name as a

    def school_class(place: Establishment, code: str, year: int = 2026) -> SchoolClass:
        return SchoolClass.objects.create(establishment=place, code=code, school_year=year)

    a5a, a5b, a10a = school_class(a, "5A"), school_class(a, "5B"), school_class(a, "10A")
    a5a_old, b2nd = school_class(a, "5A", 2025), school_class(b, "2NDE")
    guardian = _account("g.durand", "Gaëlle")
    _member(guardian, a, P.GUARDIAN)
    _member(guardian, b, P.GUARDIAN)  # seen through Sam (Nina is pending)
    _member(guardian, c, P.GUARDIAN)  # its only child's link ended: not seen
    _member(guardian, a, P.TEACHER, a10a, a5a, a5a_old)
    _member(guardian, c, P.STAFF, end_date=yesterday)
    _member(guardian, b, P.GUEST, end_date=tomorrow)
    children = []
    for login, first, place, confirmation, end in (
        ("l.durand", "Léo", a, CONFIRMED, None),
        ("m.durand", "Léo", a, CONFIRMED, None),  # same first name: by id
        ("n.durand", "Nina", b, Guardianship.Confirmation.PENDING, None),
        ("o.durand", "Oscar", a, Guardianship.Confirmation.FROZEN, None),
        ("p.durand", "Paul", a, Guardianship.Confirmation.REFUSED, None),
        ("q.durand", "Quentin", c, CONFIRMED, yesterday),
        ("r.durand", "Rose", a, CONFIRMED, tomorrow),
        ("s.durand", "Sam", b, CONFIRMED, None),
    ):
        child = _account(login, first)
        Guardianship.objects.create(
            guardian=guardian,
            student=child,
            establishment=place,
            confirmation=confirmation,
            end_date=end,
        )
        children.append(child)
    leo, leo2, nina, _, _, _, rose, sam = children
    _member(leo, a, P.STUDENT, a5b, a5a, a5a_old)
    _member(leo, b, P.STUDENT, b2nd)  # another establishment than the link's: not shown
    _member(leo2, a, P.STUDENT, a5a, end_date=tomorrow)
    _member(nina, b, P.STUDENT, b2nd)
    _member(rose, a, P.STUDENT, a10a)
    _member(sam, b, P.GUEST, b2nd)  # not a pupil's membership: no class shown
    return [guardian, leo, leo2, sam, _account("z.personne")]


def _old(account: Account) -> dict[str, Any]:
    return {
        "memberships": [
            (
                m.establishment.uai,
                m.establishment.name,
                m.profile,
                [c.code for c in m.classes.all()],
            )
            for m in memberships_current(account)
        ],
        "establishments": [(e.pk, e.uai, e.name) for e in establishments_of(account)],
        "profiles": membership_profiles_current(account),
        "children": [
            (c.student.first_name, c.student.last_name, c.establishment.uai, c.classes)
            for c in children_of(account)
            if c.confirmation == CONFIRMED
        ],
    }


def _new(account: Account) -> dict[str, Any]:
    seen = memberships_seen_of(account)
    return {
        "memberships": [
            (m.establishment.uai, m.establishment.name, m.profile, list(m.classes)) for m in seen
        ],
        "establishments": [(e.id, e.uai, e.name) for e in establishments_in(seen)],
        "profiles": profiles_in(seen),
        "children": [
            (c.first_name, c.last_name, c.establishment.uai, list(c.classes))
            for c in children_seen_of(account)
        ],
    }


def test_the_one_query_reads_give_what_the_directory_selectors_give() -> None:
    accounts = _dataset()
    today = [_new(account) for account in accounts]
    assert today == [_old(account) for account in accounts]
    guardian = today[0]
    assert [c[0] for c in guardian["children"]] == ["Léo", "Léo", "Rose", "Sam"]
    assert guardian["children"][0][3] == ["5A", "5B"]
    assert [m[2] for m in guardian["memberships"]] == [
        "enseignant",
        "responsable",
        "invite",
        "responsable",
    ]
    # Two days later the memberships and links ending tomorrow have ended: the compiled
    # queries follow the day.
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        later = [_new(account) for account in accounts]
        assert later == [_old(account) for account in accounts]
    assert later != today
    # Back on the first day (a clock set back), today's SQL again.
    assert [_new(account) for account in accounts] == today


def test_each_read_is_one_query(django_assert_num_queries: Any) -> None:
    guardian = _dataset()[0]
    memberships_seen_of(guardian)  # compiled once, then a query per call
    children_seen_of(guardian)
    with django_assert_num_queries(2):
        memberships_seen_of(guardian)
        children_seen_of(guardian)


def _services() -> None:
    """Services open to all, to one profile, to one establishment, inactive, without a launch
    address, with the UAI in their address, in two categories."""
    first = Category.objects.create(name="Vie de l’établissement", order=5)
    second = Category.objects.create(name="Pédagogie", order=7)
    a, b = Establishment.objects.get(uai="0750001A"), Establishment.objects.get(uai="0750002B")
    for slug, category, extra, places in (
        ("cantine", first, {"allowed_profiles": []}, ()),
        ("pronote", second, {"launch_url": "https://{uai}.index-education.net/"}, ()),
        ("casier", second, {"allowed_profiles": ["enseignant"]}, ()),
        ("labo", second, {"allowed_profiles": ["responsable"]}, (b,)),
        ("cdi", first, {"order": 1}, (a,)),
        ("ancien", first, {"is_active": False}, ()),
        ("sans-adresse", first, {"launch_url": ""}, ()),
    ):
        fields = {"launch_url": f"https://{slug}.example.fr/", **extra}
        service = Service.objects.create(name=slug.title(), slug=slug, category=category, **fields)
        service.establishments.set(places)
    registry_forget()


def test_the_tiles_are_those_of_mes_services() -> None:
    accounts = _dataset()
    _services()
    for account in accounts:
        seen = memberships_seen_of(account)
        places = [None, *establishments_in(seen)]
        for place in places:
            chosen = Establishment.objects.get(pk=place.id) if place is not None else None
            old = tiles_for(account, chosen, membership_profiles_current(account))
            assert tiles_of(place, seen) == old
    guardian = memberships_seen_of(accounts[0])
    slugs = [[t.slug for t in g.tiles] for g in tiles_of(establishments_in(guardian)[0], guardian)]
    assert slugs == [["cdi", "cantine"], ["casier", "pronote"]]
