"""CONFIRM_BIRTH_DATE holds against a guesser with many addresses and all the time in the world:
a few wrong dates per account over the life of its code (``BIRTH_DATE_MAX_FAILURES``), counted
in the database, then the step is blocked, the school's help queue gets a request and only a
new code (a fresh first connection) opens it again."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from preau.activation.models import ActivationJourney
from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.recovery.models import HelpRequest
from preau.recovery.services import account_code_reissue
from tests.activation.conftest import (
    GUARDIAN_CODE,
    STUDENT_CODE,
    Step,
    follow,
    member,
    pending,
    post,
    sign_in,
)

pytestmark = pytest.mark.django_db

URL = "/premiere-connexion/date-de-naissance"
GROUP_URL = "/premiere-connexion/informations"
RIGHT = "14/07/2011"
WRONG = ["01/01/2011", "02/01/2011", "03/01/2011", "04/01/2011", "05/01/2011", "06/01/2011"]
ADMIN_PASSWORD = "Tournesol#42b"
BLOCKED = "La date de naissance a été refusée trop de fois"


def text(page: Step) -> str:
    return html.unescape(page.html).replace("\u00a0", " ")


@pytest.fixture
def steps(preau_options: Any) -> None:
    preau_options(REQUIRED_ACTIONS={"eleve": ["CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"]})


@pytest.fixture
def admin(establishment: Establishment) -> Account:
    account = Account.objects.create_user(
        "sophie.leroy",
        ADMIN_PASSWORD,
        first_name="Sophie",
        last_name="Leroy",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.STAFF,
        school_year=2026,
        is_local_admin=True,
    )
    return account


def from_a_new_address(n: int, login: str = "lea.bernard", code: str = STUDENT_CODE) -> Client:
    """A guesser's fresh client: another address, the letter's code."""
    client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
    sign_in(client, login, code)
    return client


@pytest.mark.usefixtures("steps")
def test_five_wrong_dates_over_days_from_many_addresses_block_the_step_and_tell_the_school(
    student: Account, establishment: Establishment, admin: Account
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(4):
            page = post(from_a_new_address(n), URL, {"birth_date": WRONG[n]})
            assert page.status == 400
            assert "Cette date ne correspond pas" in text(page)
            # A day later, the cache emptied (a Redis restart): the count is in the database.
            traveller.shift(dt.timedelta(days=1))
            cache.clear()
        page = post(from_a_new_address(4), URL, {"birth_date": WRONG[4]})
        assert page.status == 403
        assert BLOCKED in text(page)
        assert "Votre établissement en a été informé" in text(page)
        assert "secrétariat" in text(page)
        assert 'name="birth_date"' not in page.html  # no form any more

        # Even the right date is refused now, from anywhere, days later.
        traveller.shift(dt.timedelta(days=3))
        cache.clear()
        owner = from_a_new_address(9)
        page = post(owner, URL, {"birth_date": RIGHT})
        assert page.status == 403
        assert BLOCKED in text(page)
        # Every other page leads back to the blocked step.
        page = follow(owner, "/mon-compte/")
        assert page.url == URL
        assert page.status == 403
        assert BLOCKED in text(page)

    journey = ActivationJourney.objects.get(account=student)
    assert journey.birth_date_confirmed_at is None
    assert journey.birth_date_failures == 5
    assert journey.birth_date_blocked_at is not None
    assert Account.objects.get(pk=student.pk).state == Account.State.PROVISIONED
    assert AuditEvent.objects.filter(action="activation.birth_date.failure").count() == 5
    assert AuditEvent.objects.filter(
        action="activation.birth_date.blocked", target_id=student.pk
    ).exists()

    [request] = HelpRequest.objects.filter(account=student)
    assert request.establishment == establishment
    assert request.reason == HelpRequest.Reason.BIRTH_DATE_REFUSED
    assert request.status == HelpRequest.Status.NEW
    assert (request.login, request.first_name, request.last_name) == (
        "lea.bernard",
        "Léa",
        "Bernard",
    )

    # The school sees it in its console's queue of help requests.
    console = Client()
    sign_in(console, admin.login, ADMIN_PASSWORD)
    queue = html.unescape(
        console.get(reverse("console:help_requests", kwargs={"uai": establishment.uai}))
        .content.decode()
        .replace("\u00a0", " ")
    )
    assert "lea.bernard" in queue
    assert "Date de naissance refusée" in queue
    detail = html.unescape(
        console.get(
            reverse("console:help_request", kwargs={"uai": establishment.uai, "pk": request.pk})
        ).content.decode()
    )
    assert "la date de naissance a été refusée trop de fois" in detail


@pytest.mark.usefixtures("steps")
def test_the_right_date_before_the_limit_still_works(student: Account) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(4):
            page = post(from_a_new_address(n), URL, {"birth_date": WRONG[n]})
            assert page.status == 400
            traveller.shift(dt.timedelta(days=1))
        page = post(from_a_new_address(5), URL, {"birth_date": RIGHT})
    assert page.url == "/premiere-connexion/coordonnees"
    assert ActivationJourney.objects.get(account=student).birth_date_confirmed_at is not None
    assert not HelpRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="activation.birth_date.blocked").exists()


@pytest.mark.usefixtures("steps")
def test_each_wrong_date_says_how_many_tries_are_left(student: Account) -> None:
    client = from_a_new_address(0)
    page = post(client, URL, {"birth_date": WRONG[0]})
    assert "Il vous reste 4 essais" in text(page)


@pytest.mark.usefixtures("steps")
def test_the_limit_is_a_setting(student: Account, preau_options: Any) -> None:
    preau_options(BIRTH_DATE_MAX_FAILURES=2)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert post(from_a_new_address(0), URL, {"birth_date": WRONG[0]}).status == 400
        traveller.shift(dt.timedelta(days=1))
        page = post(from_a_new_address(1), URL, {"birth_date": WRONG[1]})
    assert page.status == 403
    assert BLOCKED in text(page)


def test_the_grouped_page_is_blocked_too_and_saves_nothing(
    student: Account, preau_options: Any
) -> None:
    preau_options(
        REQUIRED_ACTIONS={"eleve": [["CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"]]},
        BIRTH_DATE_MAX_FAILURES=3,
    )
    form = {"email": "lea@example.fr", "mobile": "", "from_establishment": "on"}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(2):
            page = post(from_a_new_address(n), GROUP_URL, {**form, "birth_date": WRONG[n]})
            assert page.status == 400
            traveller.shift(dt.timedelta(days=1))
        page = post(from_a_new_address(2), GROUP_URL, {**form, "birth_date": WRONG[2]})
        assert page.status == 403
        assert BLOCKED in text(page)
        page = post(from_a_new_address(3), GROUP_URL, {**form, "birth_date": RIGHT})
        assert page.status == 403
    journey = ActivationJourney.objects.get(account=student)
    assert journey.birth_date_confirmed_at is None
    assert journey.contact_updated_at is None
    assert Account.objects.get(pk=student.pk).email == ""
    assert HelpRequest.objects.filter(account=student).count() == 1


@pytest.mark.usefixtures("steps")
def test_a_new_code_from_the_school_starts_a_fresh_journey(
    student: Account, establishment: Establishment, admin: Account
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(5):
            post(from_a_new_address(n), URL, {"birth_date": WRONG[n]})
            traveller.shift(dt.timedelta(days=1))
        request = HelpRequest.objects.get(account=student)
        reissue = account_code_reissue(
            actor=admin,
            account=Account.objects.get(pk=student.pk),
            establishment=establishment,
            delivery="letter",
            help_request=request,
        )
        request.refresh_from_db()
        assert request.status == HelpRequest.Status.DONE
        # The old letter is dead; the new one opens the step again, with fresh counters.
        client = Client()
        assert (
            client.post(
                "/connexion", {"username": "lea.bernard", "password": STUDENT_CODE}
            ).status_code
            == 401
        )
        sign_in(client, "lea.bernard", reissue.code)
        page = post(client, URL, {"birth_date": WRONG[0]})
        assert page.status == 400
        assert "Il vous reste 4 essais" in text(page)
        page = post(client, URL, {"birth_date": RIGHT})
    assert page.url == "/premiere-connexion/coordonnees"


@pytest.mark.usefixtures("steps")
def test_a_guardian_answers_for_one_child_only(
    guardian: Account, establishment: Establishment, preau_options: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"responsable": ["CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"]})
    sibling = pending("tom.bernard", "AAAA3333", birth_date=dt.date(2014, 3, 2))
    member(sibling, establishment, Membership.Profile.STUDENT)
    Guardianship.objects.create(guardian=guardian, student=sibling, establishment=establishment)
    client = from_a_new_address(0, "marc.bernard", GUARDIAN_CODE)
    page = follow(client, URL)
    assert "Léa Bernard" in text(page)
    # Another child's date is no proof for the question asked.
    page = post(client, URL, {"birth_date": "02/03/2014"})
    assert page.status == 400
    assert post(client, URL, {"birth_date": RIGHT}).url == "/premiere-connexion/coordonnees"
