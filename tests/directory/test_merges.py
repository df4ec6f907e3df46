"""Merging two accounts of one person (issue 14, part 3): what moves, what is refused, the
sign-in alias and its end, the operator's undo, the services' identities."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from oauth2_provider.models import get_application_model

from preau.audit.models import AuditEvent
from preau.directory.merges import (
    MergeRefused,
    account_merge,
    account_merge_undo,
    alias_until,
    merge_aliases_retire,
)
from preau.directory.models import Account, AccountMerge, Establishment, Guardianship, Membership
from preau.directory.signals import access_revoked
from preau.signin.backends import Verdict, credentials_verify
from preau.sso.cas.services import _snapshot, service_logins
from preau.sso.oidc.models import Subject
from tests.factories import PASSWORD, account_factory

pytestmark = pytest.mark.django_db

State = Account.State
G = Membership.Profile.GUARDIAN
C = Guardianship.Confirmation


@pytest.fixture
def second_school(db: None) -> Establishment:
    return Establishment.objects.create(uai="0690026D", name="Collège du Parc", kind="college")


@pytest.fixture
def operator(db: None) -> Account:
    return Account.objects.create_superuser("ope.rateur", PASSWORD, first_name="O", last_name="P")


def _guardian(school: Establishment, *, state: str = State.ACTIVE, **kw: Any) -> Account:
    account = account_factory(
        state=state, establishment=school, profile=G, first_name="Anne", last_name="Martin", **kw
    )
    Membership.objects.filter(account=account).update(source_id=f"R-{account.pk}")
    return account


def _child(school: Establishment, guardian: Account, confirmation: str = C.CONFIRMED) -> Account:
    child = account_factory(establishment=school)
    Guardianship.objects.create(
        guardian=guardian, student=child, establishment=school, confirmation=confirmation
    )
    return child


@pytest.fixture
def pair(establishment: Establishment, second_school: Establishment) -> tuple[Account, Account]:
    """A parent with an active account in each school (records that did not match)."""
    a = _guardian(establishment, email="anne@example.org", email_verified_at=timezone.now())
    b = _guardian(
        second_school,
        mobile="+33612345678",
        mobile_verified_at=timezone.now(),
        email="autre@example.org",
        email_verified_at=timezone.now(),
    )
    return a, b


def test_what_moves_from_b_to_a(
    pair: tuple[Account, Account], establishment: Establishment, second_school: Establishment
) -> None:
    a, b = pair
    child_a = _child(establishment, a)
    child_b = _child(second_school, b, C.PENDING)
    revoked: list[dict[str, Any]] = []
    access_revoked.connect(lambda **kw: revoked.append(kw), weak=False, dispatch_uid="t_merge")
    try:
        record = account_merge(source=b, target=a, actor=a)
    finally:
        access_revoked.disconnect(dispatch_uid="t_merge")
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.state == State.MERGED and b.merged_into_id == a.pk
    assert not b.is_active
    # Memberships: B's school now A's, with its source id (imports find A there).
    moved = Membership.objects.get(account=a, establishment=second_school)
    assert moved.source_id == f"R-{b.pk}"
    assert moved.service_login == b.login
    assert not Membership.objects.filter(account=b).exists()
    # Guardianships, with their confirmation kept.
    assert set(
        Guardianship.objects.filter(guardian=a).values_list("student_id", "confirmation")
    ) == {
        (child_a.pk, C.CONFIRMED),
        (child_b.pk, C.PENDING),
    }
    # Contacts: A's e-mail kept, B's verified mobile fills A's empty one; B keeps none.
    assert a.email == "anne@example.org"
    assert a.mobile == "+33612345678" and a.mobile_verified_at is not None
    assert (b.email, b.mobile) == ("", "")
    # B's ways in end; both identifiers audited.
    assert revoked and revoked[0]["account_ids"] == [b.pk] and revoked[0]["reason"] == "merged"
    event = AuditEvent.objects.get(action="account.merge", target_id=b.pk)
    assert event.data["source"] == b.login and event.data["target"] == a.login
    assert AuditEvent.objects.get(action="account.merge.into", target_id=a.pk).data["merge"] == (
        record.pk
    )
    assert record.source_state == State.ACTIVE


def test_a_duplicate_link_keeps_the_stronger_confirmation(
    pair: tuple[Account, Account], establishment: Establishment
) -> None:
    a, b = pair
    child = _child(establishment, a, C.PENDING)
    Guardianship.objects.create(guardian=b, student=child, establishment=establishment)
    other = _child(establishment, a, C.CONFIRMED)
    Guardianship.objects.create(
        guardian=b, student=other, establishment=establishment, confirmation=C.PENDING
    )
    account_merge(source=b, target=a, actor=a)
    links = dict(Guardianship.objects.filter(guardian=a).values_list("student_id", "confirmation"))
    assert links == {child.pk: C.CONFIRMED, other.pk: C.CONFIRMED}
    assert not Guardianship.objects.filter(guardian=b).exists()


def test_a_duplicate_membership_stays_as_a_holds_it(
    pair: tuple[Account, Account], establishment: Establishment
) -> None:
    a, b = pair
    Membership.objects.filter(account=a).update(source_id="")
    Membership.objects.create(
        account=b, establishment=establishment, profile=G, school_year=2026, source_id="R-9"
    )
    account_merge(source=b, target=a, actor=a)
    kept = Membership.objects.get(account=a, establishment=establishment)
    assert kept.source_id == "R-9" and kept.service_login == ""
    assert Membership.objects.filter(account=a).count() == 2


@pytest.mark.parametrize(
    "case",
    ["itself", "source_deactivated", "target_deactivated", "twice", "into_merged", "operator"],
)
def test_refusals_say_why_in_french(
    case: str, pair: tuple[Account, Account], establishment: Establishment, operator: Account
) -> None:
    a, b = pair
    source, target = b, a
    if case == "itself":
        source = a
    elif case == "source_deactivated":
        source = account_factory(state=State.DEACTIVATED, establishment=establishment)
    elif case == "target_deactivated":
        Account.objects.filter(pk=a.pk).update(state=State.DEACTIVATED)
    elif case == "twice":
        account_merge(source=b, target=a, actor=a)
    elif case == "into_merged":
        c = _guardian(establishment)
        account_merge(source=a, target=c, actor=c)
        target = a
    elif case == "operator":
        source = operator
    before = AccountMerge.objects.count()
    with pytest.raises(MergeRefused) as refused:
        account_merge(source=source, target=target, actor=target)
    assert refused.value.messages[0].endswith(".")
    assert AccountMerge.objects.count() == before


def test_a_parent_and_their_child_are_never_merged(
    pair: tuple[Account, Account], establishment: Establishment
) -> None:
    a, _b = pair
    child = _child(establishment, a)
    with pytest.raises(MergeRefused):
        account_merge(source=child, target=a, actor=a)


def test_someone_else_may_not_merge_without_a_console(pair: tuple[Account, Account]) -> None:
    a, b = pair
    with pytest.raises(PermissionDenied):
        account_merge(source=b, target=a, actor=b)


def test_the_alias_signs_in_a_until_the_end_of_the_next_school_year(
    pair: tuple[Account, Account],
) -> None:
    a, b = pair
    record = account_merge(source=b, target=a, actor=a)
    result = credentials_verify(b.login, PASSWORD)
    assert result.verdict == Verdict.PASSWORD
    assert result.account == a and result.alias == b.login
    assert credentials_verify(b.login, "wrong").verdict == Verdict.BAD_PASSWORD
    assert alias_until(date(2026, 12, 6)) == date(2028, 8, 31)
    assert alias_until(date(2027, 3, 1)) == date(2028, 8, 31)
    assert alias_until(date(2027, 9, 1)) == date(2029, 8, 31)
    with time_machine.travel(record.alias_until + timedelta(days=1), tick=False):
        assert merge_aliases_retire(dry_run=True) == [b.login]
        assert merge_aliases_retire() == [b.login]
        assert merge_aliases_retire() == []
        assert credentials_verify(b.login, PASSWORD).verdict == Verdict.MERGED
    assert AuditEvent.objects.filter(action="account.merge.alias_retire").count() == 1


def test_the_operator_undoes_a_merge_within_30_days(
    pair: tuple[Account, Account],
    establishment: Establishment,
    second_school: Establishment,
    operator: Account,
) -> None:
    a, b = pair
    _child(establishment, a)
    child_b = _child(second_school, b)
    record = account_merge(source=b, target=a, actor=a)
    with pytest.raises(MergeRefused):
        account_merge_undo(merge=record, actor=a)  # not the operator
    account_merge_undo(merge=record, actor=operator)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.state == State.ACTIVE and b.merged_into_id is None
    assert b.check_password(PASSWORD)
    assert b.mobile == "+33612345678" and b.email == "autre@example.org"
    assert a.mobile == "" and a.email == "anne@example.org"
    membership = Membership.objects.get(account=b, establishment=second_school)
    assert membership.service_login == ""
    assert list(Guardianship.objects.filter(guardian=b).values_list("student_id", flat=True)) == [
        child_b.pk
    ]
    assert credentials_verify(b.login, PASSWORD).account == b
    assert AuditEvent.objects.filter(action="account.merge.undo", target_id=b.pk).exists()
    with pytest.raises(MergeRefused):
        account_merge_undo(merge=record, actor=operator)
    # Merged again, then too late to undo.
    again = account_merge(source=b, target=a, actor=a)
    with time_machine.travel(timezone.now() + timedelta(days=31)), pytest.raises(MergeRefused):
        account_merge_undo(merge=again, actor=operator)


def test_undo_puts_back_deleted_duplicates(
    pair: tuple[Account, Account], establishment: Establishment, operator: Account
) -> None:
    a, b = pair
    child = _child(establishment, a, C.PENDING)
    Guardianship.objects.create(guardian=b, student=child, establishment=establishment)
    Membership.objects.create(account=b, establishment=establishment, profile=G, school_year=2026)
    record = account_merge(source=b, target=a, actor=a)
    account_merge_undo(merge=record, actor=operator)
    assert Guardianship.objects.get(guardian=a, student=child).confirmation == C.PENDING
    assert Guardianship.objects.get(guardian=b, student=child).confirmation == C.CONFIRMED
    assert Membership.objects.filter(account=b).count() == 2


def test_services_keep_the_identity_they_knew(
    pair: tuple[Account, Account], establishment: Establishment, second_school: Establishment
) -> None:
    a, b = pair
    application = get_application_model().objects.create(
        name="Cahier",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://cahier.example.org/cb",
        algorithm="RS256",
    )
    both = get_application_model().objects.create(
        name="Both",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://both.example.org/cb",
        algorithm="RS256",
    )
    Subject.objects.create(account=b, application=application, sub="sub-of-b")
    Subject.objects.create(account=b, application=both, sub="b-both")
    Subject.objects.create(account=a, application=both, sub="a-both")
    record = account_merge(source=b, target=a, actor=a)
    assert Subject.objects.get(application=application).account_id == a.pk
    assert Subject.objects.get(account=a, application=both).sub == "a-both"
    assert Subject.objects.get(sub="b-both").account_id == b.pk
    assert record.moved["oidc_subjects"] == [Subject.objects.get(sub="sub-of-b").pk]
    # CAS: the user of B's establishment's services stays B's login, A's stays A's.
    logins = service_logins(a)
    assert logins == {str(second_school.pk): b.login}

    class Service:
        attribute_preset = "generic"

    snapshot = _snapshot(a, Service(), second_school.pk, [], None, service_logins=logins)  # type: ignore[arg-type]
    assert snapshot["user"] == b.login and snapshot["attributes"]["uid"] == [b.login]
    here = _snapshot(a, Service(), establishment.pk, [], None, service_logins=logins)  # type: ignore[arg-type]
    assert here["user"] == a.login


def test_a_pending_account_may_be_merged_and_its_code_dies(
    establishment: Establishment, second_school: Establishment, operator: Account
) -> None:
    a = _guardian(establishment)
    b = _guardian(second_school, state=State.PROVISIONED)
    record = account_merge(source=b, target=a, actor=a)
    assert record.source_state == State.PROVISIONED
    account_merge_undo(merge=record, actor=operator)
    b.refresh_from_db()
    assert b.state == State.PROVISIONED


def test_a_chain_of_merges_is_undone_from_its_end(
    pair: tuple[Account, Account], establishment: Establishment, operator: Account
) -> None:
    a, b = pair
    c = _guardian(establishment)
    first = account_merge(source=b, target=a, actor=a)
    second = account_merge(source=a, target=c, actor=c)
    # B's login follows the chain to the account that holds everything now.
    assert credentials_verify(b.login, PASSWORD).account == c
    with pytest.raises(MergeRefused):
        account_merge_undo(merge=first, actor=operator)
    account_merge_undo(merge=second, actor=operator)
    account_merge_undo(merge=first, actor=operator)
    b.refresh_from_db()
    assert b.state == State.ACTIVE
