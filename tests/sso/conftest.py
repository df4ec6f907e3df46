"""People, a school and registered services for the CAS tests (set up through the models the
importer and the operator's admin write)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership, SchoolClass
from preau.portal.models import Category, Service, ServicePattern
from preau.portal.registry import registry_forget

PASSWORD = "Correct-Horse-Battery-9"
VIE_SCOLAIRE = "https://vie-scolaire.test/"
PRONOTE = "https://0750654d.index-education.net/pronote/"


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    """Each test starts from its own registry (a process keeps a snapshot between requests)."""
    registry_forget()


def make_person(
    login: str,
    establishment: Establishment,
    profile: str = Membership.Profile.STUDENT,
    *,
    first_name: str = "Emma",
    last_name: str = "Petit",
    class_code: str | None = "3A",
    **fields: Any,
) -> Account:
    account = Account.objects.create_user(
        login,
        password=PASSWORD,
        first_name=first_name,
        last_name=last_name,
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        **fields,
    )
    membership = Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=2026
    )
    if class_code:
        school_class, _ = SchoolClass.objects.get_or_create(
            establishment=establishment, school_year=2026, code=class_code
        )
        membership.classes.add(school_class)
    return account


@pytest.fixture
def student(establishment: Establishment) -> Account:
    return make_person(
        "emma.petit",
        establishment,
        birth_date=dt.date(2011, 3, 4),
        postal_code="75005",
        email="emma.petit@example.org",
    )


@pytest.fixture
def teacher(establishment: Establishment) -> Account:
    return make_person(
        "paul.martin",
        establishment,
        Membership.Profile.TEACHER,
        first_name="Paul",
        last_name="Martin",
        class_code=None,
    )


def register(
    name: str,
    *patterns: tuple[str, str],
    slug: str | None = None,
    preset: str = Service.AttributePreset.GENERIC,
    protocol: str = Service.Protocol.CAS,
    launch_url: str = "",
    **fields: Any,
) -> Service:
    # get_or_create: transactional tests flush the rows the data migration wrote.
    category, _ = Category.objects.get_or_create(name="Scolarité", defaults={"order": 10})
    service = Service.objects.create(
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        category=category,
        protocol=protocol,
        attribute_preset=preset,
        launch_url=launch_url,
        **fields,
    )
    for kind, value in patterns:
        ServicePattern.objects.create(service=service, kind=kind, value=value)
    # Inside a test's transaction nothing commits: make this process see the service now.
    registry_forget()
    return service


@pytest.fixture
def vie_scolaire(db: Any) -> Service:
    return register(
        "Vie scolaire", ("prefix", VIE_SCOLAIRE), launch_url=VIE_SCOLAIRE, proxy_allowed=True
    )


@pytest.fixture
def pronote(db: Any) -> Service:
    return register(
        "PRONOTE",
        ("prefix", "https://0750654d.index-education.net/pronote/"),
        preset=Service.AttributePreset.PRONOTE,
        launch_url="https://{uai}.index-education.net/pronote/",
    )


@pytest.fixture
def signed_in(client: Client, student: Account) -> Client:
    client.force_login(student)
    return client


def ticket_from(response: Any) -> str:
    from urllib.parse import parse_qs, urlsplit

    assert response.status_code == 302, response.status_code
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["ticket"][0]
