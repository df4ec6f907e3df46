"""Signed-in people for "Mon compte" and mail delivered to mail.outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.signin.passwords import account_password_set

PASSWORD = "Tournesol#42b"
NEW_PASSWORD = "Girafe+Bleue77"


@pytest.fixture
def preau_options(settings: Any) -> Any:
    def update(**options: Any) -> None:
        settings.PREAU = {**settings.PREAU, **options}

    return update


@pytest.fixture
def person(establishment: Establishment) -> Account:
    account = Account.objects.create_user(
        "claire.martin",
        last_name="Martin",
        first_name="Claire",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        email="claire@example.fr",
        email_verified_at=timezone.now(),
        mobile="+33612345678",
    )
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.TEACHER,
        school_year=2026,
    )
    account_password_set(actor=None, account=account, password=PASSWORD)
    account.refresh_from_db()
    return account


def signed_in(login: str, password: str = PASSWORD, **extra: Any) -> Client:
    client = Client(**extra)
    response = client.post("/connexion", {"username": login, "password": password})
    assert response.status_code == 302, response.content.decode()[:1000]
    return client


@pytest.fixture
def client_in(person: Account) -> Client:
    return signed_in(person.login, HTTP_USER_AGENT="Firefox de la salle 12")
