"""Fixtures of the recovery tests: a school, a pupil with a verified e-mail, a parent with a
verified mobile, someone with nothing verified, their administrator; mail to ``mail.outbox``
(immediate tasks, on-commit callbacks run) and SMS to a local HTTP gateway."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.activation.models import ActivationJourney
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.signin.passwords import account_password_set
from tests.notify.sms_gateway import SmsGateway

PASSWORD = "Tournesol#42b"
NEW_PASSWORD = "Girafe+Bleue77"
YEAR = 2026
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    """Tasks run as soon as enqueued, i.e. after the commit."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def preau_options(settings: Any) -> Callable[..., None]:
    def update(**options: Any) -> None:
        settings.PREAU = {**settings.PREAU, **options}

    return update


def member(
    account: Account,
    establishment: Establishment,
    profile: str,
    classes: tuple[str, ...] = (),
    *,
    is_local_admin: bool = False,
) -> Membership:
    membership = Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=profile,
        school_year=YEAR,
        is_local_admin=is_local_admin,
    )
    for code in classes:
        school_class, _created = SchoolClass.objects.get_or_create(
            establishment=establishment, school_year=YEAR, code=code
        )
        membership.classes.add(school_class)
    return membership


def active(login: str, *, password: str = PASSWORD, **fields: Any) -> Account:
    first, _sep, last = login.partition(".")
    fields.setdefault("first_name", first.capitalize())
    fields.setdefault("last_name", last.capitalize())
    account = Account.objects.create_user(
        login, state=Account.State.ACTIVE, activated_at=timezone.now(), **fields
    )
    account_password_set(actor=None, account=account, password=password)
    # Activated through the first connection, whose steps are recorded as done.
    now = timezone.now()
    ActivationJourney.objects.create(
        account=account,
        started_at=now,
        password_updated_at=now,
        birth_date_confirmed_at=now,
        contact_updated_at=now,
        email_step_seen_at=now,
        completed_at=now,
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def pupil(establishment: Establishment) -> Account:
    """A student with a verified e-mail address (a parent's, as pupils often give)."""
    account = active(
        "lea.bernard",
        first_name="Léa",
        birth_date=date(2011, 7, 14),
        email="famille.bernard@example.fr",
        email_verified_at=timezone.now(),
    )
    member(account, establishment, Membership.Profile.STUDENT, ("4B",))
    return account


@pytest.fixture
def parent(establishment: Establishment, pupil: Account) -> Account:
    """Léa's father: no birth date known, a verified mobile, the same verified e-mail."""
    account = active(
        "marc.bernard",
        mobile="+33612345678",
        mobile_verified_at=timezone.now(),
        email="famille.bernard@example.fr",
        email_verified_at=timezone.now(),
    )
    member(account, establishment, Membership.Profile.GUARDIAN)
    Guardianship.objects.create(guardian=account, student=pupil, establishment=establishment)
    return account


@pytest.fixture
def sms_only(establishment: Establishment) -> Account:
    account = active(
        "hugo.petit",
        birth_date=date(2010, 3, 2),
        mobile="+33698765432",
        mobile_verified_at=timezone.now(),
    )
    member(account, establishment, Membership.Profile.STUDENT, ("3A",))
    return account


@pytest.fixture
def unreachable(establishment: Establishment) -> Account:
    """Nothing verified: an unproven address typed at the first connection."""
    account = active("ines.moreau", birth_date=date(2012, 1, 5), email="ines@example.fr")
    member(account, establishment, Membership.Profile.STUDENT, ("6C",))
    return account


@pytest.fixture
def admin(establishment: Establishment) -> Account:
    account = active("sophie.leroy")
    member(account, establishment, Membership.Profile.STAFF, is_local_admin=True)
    return account


@pytest.fixture
def other_school(db: None) -> Establishment:
    return Establishment.objects.create(
        uai="0690026D", name="Lycée du Parc", kind="lycee", postal_code="69006", city="Lyon"
    )


@pytest.fixture
def captured(django_capture_on_commit_callbacks: Any) -> Iterator[Callable[..., Any]]:
    """``captured(fn, *args)``: call ``fn`` and run the on-commit callbacks it registered (the
    task and the outbox's delivery), the way a committed request does."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    yield run


def mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def link_in(message: Any) -> str:
    """The reset link's path in a mail."""
    match = re.search(r"https?://[^/\s]+(/mot-de-passe-oublie/lien/[A-Za-z0-9_\-]+)", message.body)
    assert match, message.body
    return match.group(1)


def signed_in(login: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/connexion", {"username": login, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def gateway_codes(gateway: SmsGateway, number: str) -> list[str]:
    return re.findall(r"\b\d{6}\b", " ".join(gateway.texts_to(number)))
