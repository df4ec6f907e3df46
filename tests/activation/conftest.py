"""People at their first connection: a student and a guardian with their letters' codes, a
published charter, and helpers to walk the journey with Django's client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.activation.models import CharterVersion
from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership

STUDENT_CODE = "K7MQ4XHA"
GUARDIAN_CODE = "PQRT3469"
STUDENT_BIRTH = dt.date(2011, 7, 14)
CHARTER_TEXT = "Article 1. On respecte les autres.\n\nArticle 2. On protège son mot de passe."
# Passes every preset: a, b (8 to 14, letters and digits) and c.
GOOD_PASSWORD = "Tournesol#42b"


@pytest.fixture
def preau_options(settings: Any) -> Any:
    """``preau_options(PASSWORD_POLICY="c")``: set Préau options for one test."""

    def update(**options: Any) -> None:
        settings.PREAU = {**settings.PREAU, **options}

    return update


def pending(login: str, code: str, **fields: Any) -> Account:
    first, _, last = login.partition(".")
    return Account.objects.create_user(
        login,
        first_name=fields.pop("first_name", first.capitalize()),
        last_name=fields.pop("last_name", last.capitalize()),
        activation_code_digest=activation_code_digest(code),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
        **fields,
    )


def member(account: Account, establishment: Establishment, profile: str) -> Membership:
    return Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=2026
    )


@pytest.fixture
def student(establishment: Establishment) -> Account:
    account = pending("lea.bernard", STUDENT_CODE, first_name="Léa", birth_date=STUDENT_BIRTH)
    member(account, establishment, Membership.Profile.STUDENT)
    return account


@pytest.fixture
def guardian(establishment: Establishment, student: Account) -> Account:
    account = pending(
        "marc.bernard",
        GUARDIAN_CODE,
        first_name="Marc",
        email="marc.bernard@example.fr",
        mobile="+33612345678",
    )
    member(account, establishment, Membership.Profile.GUARDIAN)
    Guardianship.objects.create(guardian=account, student=student, establishment=establishment)
    return account


@pytest.fixture
def charter(db: Any) -> CharterVersion:
    version = charter_version_create(actor=None, title="Charte de l'ENT", body=CHARTER_TEXT)
    charter_version_publish(actor=None, version=version)
    return version


def sign_in(client: Client, login: str, secret: str) -> Any:
    response = client.post("/connexion", {"username": login, "password": secret})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@dataclass
class Step:
    url: str
    html: str
    status: int


def follow(client: Client, url: str = "/premiere-connexion/") -> Step:
    """GET ``url`` and follow redirects; the page where one lands."""
    response = client.get(url, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    return Step(final.split("?")[0], response.content.decode(), response.status_code)


def post(client: Client, url: str, data: dict[str, Any]) -> Step:
    response = client.post(url, data, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    return Step(final.split("?")[0], response.content.decode(), response.status_code)
