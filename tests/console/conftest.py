"""Fixtures of the console tests: two schools, their administrators and a few people, built
with the ORM (the directory's own models)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership, SchoolClass

YEAR = 2026


def make_person(
    establishment: Establishment,
    login: str,
    *,
    first_name: str = "",
    last_name: str = "",
    profile: str = Membership.Profile.STUDENT,
    state: str = Account.State.PROVISIONED,
    classes: Iterable[str] = (),
    is_local_admin: bool = False,
    end_date: date | None = None,
    password: str | None = None,
    year: int = YEAR,
) -> Account:
    """An account (created if needed) with one membership in ``establishment``."""
    first, _, last = login.partition(".")
    account = Account.objects.filter(login=login).first()
    if account is None:
        extra: dict[str, Any] = {}
        if state == Account.State.ACTIVE:
            extra["activated_at"] = timezone.now()
        account = Account.objects.create_user(
            login,
            password,
            first_name=first_name or first.capitalize(),
            last_name=last_name or last.upper(),
            state=state,
            **extra,
        )
    membership = Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=profile,
        school_year=year,
        is_local_admin=is_local_admin,
        end_date=end_date,
    )
    for code in classes:
        school_class, _created = SchoolClass.objects.get_or_create(
            establishment=establishment, school_year=year, code=code
        )
        membership.classes.add(school_class)
    return account


@pytest.fixture
def person() -> Callable[..., Account]:
    return make_person


@pytest.fixture
def school(establishment: Establishment) -> Establishment:
    return establishment


@pytest.fixture
def other_school(db: None) -> Establishment:
    return Establishment.objects.create(
        uai="0690026D", name="Lycée du Parc", kind="lycee", postal_code="69006", city="Lyon"
    )


@pytest.fixture
def admin(school: Establishment) -> Account:
    return make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )


@pytest.fixture
def other_admin(other_school: Establishment) -> Account:
    return make_person(
        other_school,
        "paul.direction",
        first_name="Paul",
        last_name="Direction",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )


@pytest.fixture
def admin_client(client: Any, admin: Account) -> Any:
    client.force_login(admin)
    return client
