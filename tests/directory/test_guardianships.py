"""A guardian's answer about a child an import gave them (issue 14, part 2): the right birth
date confirms the link, three wrong ones freeze it and the school's help queue hears of it,
"je ne suis pas responsable légal" refuses it (help queue too, and the child vanishes from
everything the guardian and the services see); only the guardian, only a pending link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from preau.activation.children import child_birth_date_confirm
from preau.activation.selectors import Action, required_actions_pending
from preau.audit.models import AuditEvent
from preau.directory.guardianships import (
    MAX_FAILURES,
    ConfirmOutcome,
    guardianship_confirm,
    guardianship_refuse,
)
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.directory.selectors import (
    children_of,
    children_to_confirm,
    establishments_of,
    memberships_current,
)
from preau.recovery.models import HelpRequest
from preau.sso.cas.attributes import GENERIC, attributes_release, membership_rows
from tests.factories import account_factory

pytestmark = pytest.mark.django_db

HUGO_BIRTH = dt.date(2014, 3, 9)
WRONG = dt.date(2014, 3, 10)


@pytest.fixture
def college(establishment: Establishment) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


def pupil(establishment: Establishment, first_name: str, birth_date: dt.date) -> Account:
    account = account_factory(
        establishment=establishment,
        first_name=first_name,
        last_name="Moreau",
        birth_date=birth_date,
    )
    membership = account.memberships.get()
    school_class, _ = SchoolClass.objects.get_or_create(
        establishment=establishment, school_year=2026, code="6B"
    )
    membership.classes.add(school_class)
    return account


@pytest.fixture
def family(establishment: Establishment, college: Establishment) -> dict[str, object]:
    """Nathalie, active, with Chloé confirmed at the lycée and Hugo pending at the collège
    (a new school: the import gave her a membership there and a pending link)."""
    nathalie = account_factory(
        state=Account.State.ACTIVE,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
        first_name="Nathalie",
        last_name="Moreau",
    )
    Membership.objects.create(
        account=nathalie,
        establishment=college,
        profile=Membership.Profile.GUARDIAN,
        school_year=2026,
    )
    chloe = pupil(establishment, "Chloé", dt.date(2009, 5, 2))
    hugo = pupil(college, "Hugo", HUGO_BIRTH)
    confirmed = Guardianship.objects.create(
        guardian=nathalie, student=chloe, establishment=establishment
    )
    link = Guardianship.objects.create(
        guardian=nathalie,
        student=hugo,
        establishment=college,
        confirmation=Guardianship.Confirmation.PENDING,
    )
    return {"nathalie": nathalie, "hugo": hugo, "link": link, "confirmed": confirmed}


def request_from(address: str = "203.0.113.7") -> object:
    return RequestFactory().post("/", REMOTE_ADDR=address)


def test_the_right_birth_date_confirms_the_link_and_the_child_appears(
    family: dict[str, object], college: Establishment
) -> None:
    nathalie, link = family["nathalie"], family["link"]
    assert isinstance(nathalie, Account) and isinstance(link, Guardianship)
    assert [e.uai for e in establishments_of(nathalie)] == ["0750654D"]
    assert Action.CONFIRM_CHILDREN in required_actions_pending(nathalie)
    guardianship_confirm(guardian=nathalie, guardianship_id=link.pk, birth_date=WRONG)
    result = guardianship_confirm(guardian=nathalie, guardianship_id=link.pk, birth_date=HUGO_BIRTH)
    assert result.outcome is ConfirmOutcome.CONFIRMED
    link.refresh_from_db()
    assert link.confirmation == Guardianship.Confirmation.CONFIRMED
    assert link.confirmation_failures == 0
    assert link.confirmation_changed_at is not None
    assert Action.CONFIRM_CHILDREN not in required_actions_pending(nathalie)
    assert {e.uai for e in establishments_of(nathalie)} == {"0750654D", "0750001A"}
    assert AuditEvent.objects.filter(action="guardianship.confirm", target=nathalie).exists()
    rows = membership_rows(nathalie)
    attributes = attributes_release(nathalie, GENERIC, college.pk, rows)
    assert attributes["enfants"] == [f"{family['hugo'].login}$Moreau$Hugo$0750001A"]  # type: ignore[union-attr]


def test_three_wrong_dates_freeze_the_link_and_the_school_is_asked_to_check(
    family: dict[str, object], college: Establishment
) -> None:
    nathalie, link = family["nathalie"], family["link"]
    assert isinstance(nathalie, Account) and isinstance(link, Guardianship)
    outcomes = [
        guardianship_confirm(guardian=nathalie, guardianship_id=link.pk, birth_date=WRONG)
        for _ in range(MAX_FAILURES)
    ]
    assert [o.outcome for o in outcomes] == [
        ConfirmOutcome.WRONG,
        ConfirmOutcome.WRONG,
        ConfirmOutcome.FROZEN,
    ]
    assert [o.tries_left for o in outcomes[:2]] == [2, 1]
    link.refresh_from_db()
    assert link.confirmation == Guardianship.Confirmation.FROZEN
    # Frozen: even the right date is not checked any more, and nothing is asked.
    late = guardianship_confirm(guardian=nathalie, guardianship_id=link.pk, birth_date=HUGO_BIRTH)
    assert late.outcome is ConfirmOutcome.NOT_PENDING
    assert children_to_confirm(nathalie) == []
    assert Action.CONFIRM_CHILDREN not in required_actions_pending(nathalie)
    help_request = HelpRequest.objects.get()
    assert help_request.establishment == college
    assert help_request.reason == HelpRequest.Reason.LINK_FROZEN
    assert help_request.guardianship == link
    assert help_request.account == nathalie
    assert help_request.children == "Moreau Hugo (6B)"
    assert help_request.get_reason_display() == "Rattachement d’un enfant bloqué"
    assert AuditEvent.objects.filter(action="guardianship.freeze").count() == 1
    assert AuditEvent.objects.filter(action="guardianship.confirm_failure").count() == 3
    # "Mes enfants" still lists it, as frozen; services see nothing of it.
    states = {c.student.first_name: c.confirmation for c in children_of(nathalie)}
    assert states == {"Chloé": "confirmed", "Hugo": "frozen"}
    assert [e.uai for e in establishments_of(nathalie)] == ["0750654D"]


def test_a_refused_child_is_hidden_everywhere_and_the_school_is_told(
    family: dict[str, object], college: Establishment
) -> None:
    nathalie, link = family["nathalie"], family["link"]
    assert isinstance(nathalie, Account) and isinstance(link, Guardianship)
    assert guardianship_refuse(guardian=nathalie, guardianship_id=link.pk) is True
    link.refresh_from_db()
    assert link.confirmation == Guardianship.Confirmation.REFUSED
    assert [c.student.first_name for c in children_of(nathalie)] == ["Chloé"]
    assert Action.CONFIRM_CHILDREN not in required_actions_pending(nathalie)
    assert [m.establishment.uai for m in memberships_current(nathalie)] == ["0750654D"]
    rows = membership_rows(nathalie)
    assert {row[2] for row in rows} == {"0750654D"}
    attributes = attributes_release(nathalie, GENERIC, college.pk, rows)
    assert all("Hugo" not in value for value in attributes["enfants"])
    help_request = HelpRequest.objects.get()
    assert (help_request.establishment, help_request.reason) == (
        college,
        HelpRequest.Reason.LINK_REFUSED,
    )
    assert AuditEvent.objects.filter(action="guardianship.refuse", target=nathalie).exists()
    # Refused once: a second refusal and a late date change nothing.
    assert guardianship_refuse(guardian=nathalie, guardianship_id=link.pk) is False
    late = guardianship_confirm(guardian=nathalie, guardianship_id=link.pk, birth_date=HUGO_BIRTH)
    assert late.outcome is ConfirmOutcome.NOT_PENDING
    assert HelpRequest.objects.count() == 1


def test_only_the_guardian_of_the_link_may_answer(
    family: dict[str, object], establishment: Establishment
) -> None:
    link = family["link"]
    assert isinstance(link, Guardianship)
    other = account_factory(
        state=Account.State.ACTIVE,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
    )
    with pytest.raises(PermissionDenied):
        guardianship_confirm(guardian=other, guardianship_id=link.pk, birth_date=HUGO_BIRTH)
    with pytest.raises(PermissionDenied):
        guardianship_refuse(guardian=other, guardianship_id=link.pk)
    link.refresh_from_db()
    assert (link.confirmation, link.confirmation_failures) == ("pending", 0)


def test_only_a_pending_link_is_answered(family: dict[str, object]) -> None:
    nathalie, confirmed = family["nathalie"], family["confirmed"]
    assert isinstance(nathalie, Account) and isinstance(confirmed, Guardianship)
    result = guardianship_confirm(guardian=nathalie, guardianship_id=confirmed.pk, birth_date=WRONG)
    assert result.outcome is ConfirmOutcome.NOT_PENDING
    assert guardianship_refuse(guardian=nathalie, guardianship_id=confirmed.pk) is False
    confirmed.refresh_from_db()
    assert (confirmed.confirmation, confirmed.confirmation_failures) == ("confirmed", 0)
    assert not HelpRequest.objects.exists()


def test_a_date_in_the_future_is_a_typing_error_not_a_guess(family: dict[str, object]) -> None:
    nathalie, link = family["nathalie"], family["link"]
    assert isinstance(nathalie, Account) and isinstance(link, Guardianship)
    with pytest.raises(ValidationError):
        guardianship_confirm(
            guardian=nathalie, guardianship_id=link.pk, birth_date=dt.date(2999, 1, 1)
        )
    link.refresh_from_db()
    assert link.confirmation_failures == 0


def test_guessing_is_throttled_per_account_and_per_address(
    family: dict[str, object], establishment: Establishment, college: Establishment
) -> None:
    """Many pending links cannot be used to guess fast: past the free failures of the
    birth-date throttle, the account waits, whichever link it answers."""
    nathalie = family["nathalie"]
    assert isinstance(nathalie, Account)
    links = [family["link"]] + [
        Guardianship.objects.create(
            guardian=nathalie,
            student=pupil(college, f"Enfant{n}", HUGO_BIRTH),
            establishment=college,
            confirmation=Guardianship.Confirmation.PENDING,
        )
        for n in range(2)
    ]
    request = request_from()
    answers = [
        child_birth_date_confirm(
            actor=nathalie,
            guardianship_id=link.pk,
            answer=WRONG,
            request=request,  # type: ignore[union-attr]
        )
        for link in links
    ]
    assert [a.wait for a in answers] == [0, 0, 0]
    blocked = child_birth_date_confirm(
        actor=nathalie,
        guardianship_id=links[1].pk,  # type: ignore[union-attr]
        answer=HUGO_BIRTH,
        request=request,
    )
    assert blocked.result is None and blocked.wait > 0
    for link in links:
        link.refresh_from_db()  # type: ignore[union-attr]
        assert link.confirmation == "pending"  # type: ignore[union-attr]


def test_a_first_connection_never_names_a_refused_or_pending_child(
    establishment: Establishment, college: Establishment
) -> None:
    """A guardian given a new code (back to PROVISIONED) proves the letter with a confirmed
    child's birth date only; the pending child waits until the account is active again."""
    from preau.activation.selectors import birth_date_asked, birth_date_subject

    guardian = account_factory(establishment=establishment, profile="responsable")
    refused = pupil(college, "Hugo", HUGO_BIRTH)
    Guardianship.objects.create(
        guardian=guardian, student=refused, establishment=college, confirmation="refused"
    )
    pending = Guardianship.objects.create(
        guardian=guardian,
        student=pupil(college, "Inès", HUGO_BIRTH),
        establishment=college,
        confirmation="pending",
    )
    assert birth_date_subject(guardian, None) is None
    assert birth_date_asked([guardian.pk]) == set()
    assert Action.CONFIRM_CHILDREN not in required_actions_pending(guardian)
    chloe = pupil(establishment, "Chloé", dt.date(2009, 5, 2))
    Guardianship.objects.create(guardian=guardian, student=chloe, establishment=establishment)
    assert birth_date_subject(guardian, None) == chloe
    assert pending.confirmation == "pending"
