"""Issuing activation codes: a fresh code per pending account, the old one dies, active ones
are left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.activation_codes import ALPHABET, activation_code_digest
from preau.directory.models import Account, Establishment
from preau.provisioning.services import (
    AccountAlreadyActive,
    activation_code_issue,
    activation_codes_issue,
)

PASSWORD = "Correct-Horse-Battery-9"
NOW = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)


def _account(login: str, state: str = Account.State.PROVISIONED, **fields: Any) -> Account:
    return Account.objects.create_user(
        login,
        last_name=login.rsplit(".", maxsplit=1)[-1],
        first_name=login.split(".", maxsplit=1)[0],
        state=state,
        **fields,
    )


@pytest.fixture
def admin(db: Any) -> Account:
    return _account("sophie.secretariat", Account.State.ACTIVE)


def _signs_in(login: str, secret: str) -> bool:
    return authenticate(None, username=login, password=secret) is not None


@pytest.mark.django_db
def test_issued_code_signs_in_and_only_its_digest_is_stored(admin: Account) -> None:
    account = _account("lea.dupont")
    codes = activation_codes_issue(actor=admin, accounts=[account])

    assert list(codes) == [account.pk]
    code = codes[account.pk]
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    stored = Account.objects.get(pk=account.pk)
    assert stored.activation_code_digest == activation_code_digest(code)
    assert code not in stored.activation_code_digest
    assert _signs_in("lea.dupont", code)
    assert _signs_in("lea.dupont", f"{code[:4].lower()}-{code[4:].lower()}")


@pytest.mark.django_db
def test_code_expires_after_the_activation_period(admin: Account, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ACTIVATION_DAYS": 30}
    account = _account("lea.dupont")
    with time_machine.travel(NOW, tick=False):
        code = activation_code_issue(actor=admin, account=account)
    stored = Account.objects.get(pk=account.pk)
    assert stored.activation_expires_at == NOW + dt.timedelta(days=30)

    with time_machine.travel(NOW + dt.timedelta(days=30) - dt.timedelta(minutes=1), tick=False):
        assert _signs_in("lea.dupont", code)
    with time_machine.travel(NOW + dt.timedelta(days=30, minutes=1), tick=False):
        assert not _signs_in("lea.dupont", code)


@pytest.mark.django_db
def test_issuing_again_kills_the_previous_code(admin: Account) -> None:
    account = _account("lea.dupont")
    first = activation_code_issue(actor=admin, account=account)
    second = activation_code_issue(actor=admin, account=account)

    assert first != second
    assert not _signs_in("lea.dupont", first)
    assert _signs_in("lea.dupont", second)


@pytest.mark.django_db
def test_a_new_code_restarts_an_expired_deadline(admin: Account) -> None:
    account = _account("lea.dupont")
    with time_machine.travel(NOW, tick=False):
        activation_code_issue(actor=admin, account=account)
    later = NOW + dt.timedelta(days=200)
    with time_machine.travel(later, tick=False):
        code = activation_code_issue(actor=admin, account=account)
        assert Account.objects.get(pk=account.pk).activation_expires_at == later + dt.timedelta(
            days=92
        )
        assert _signs_in("lea.dupont", code)


@pytest.mark.django_db
def test_a_deactivated_account_becomes_provisioned_with_a_new_code(admin: Account) -> None:
    account = _account(
        "tom.martin",
        Account.State.DEACTIVATED,
        deactivated_at=timezone.now() - dt.timedelta(days=3),
    )
    assert not account.is_active

    code = activation_code_issue(actor=admin, account=account)

    stored = Account.objects.get(pk=account.pk)
    assert stored.state == Account.State.PROVISIONED
    assert stored.deactivated_at is None
    assert stored.is_active
    assert _signs_in("tom.martin", code)
    event = AuditEvent.objects.get(action="activation_code.issue", target=account)
    assert event.data["reactivated"] is True
    # The caller's instance follows the database.
    assert account.state == Account.State.PROVISIONED


@pytest.mark.django_db
def test_active_accounts_are_skipped_and_left_exactly_as_they_were(admin: Account) -> None:
    active = _account(
        "claire.martin", Account.State.ACTIVE, password=PASSWORD, activated_at=timezone.now()
    )
    pending = _account("lea.dupont")
    before = Account.objects.get(pk=active.pk)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        codes = activation_codes_issue(actor=admin, accounts=[active, pending])

    assert list(codes) == [pending.pk]
    after = Account.objects.get(pk=active.pk)
    assert after.password == before.password
    assert after.state == Account.State.ACTIVE
    assert after.updated_at == before.updated_at
    assert after.activation_code_digest == before.activation_code_digest == ""
    assert after.activation_expires_at is None
    assert not AuditEvent.objects.filter(target=active).exists()
    assert _signs_in("claire.martin", PASSWORD)


@pytest.mark.django_db
def test_single_issue_refuses_an_active_account(admin: Account) -> None:
    active = _account("claire.martin", Account.State.ACTIVE, password=PASSWORD)
    with pytest.raises(AccountAlreadyActive, match="déjà activé"):
        activation_code_issue(actor=admin, account=active)
    assert Account.objects.get(pk=active.pk).activation_code_digest == ""


@pytest.mark.django_db
def test_state_is_read_again_so_an_account_activated_meanwhile_is_skipped(admin: Account) -> None:
    account = _account("lea.dupont")  # the caller holds a PROVISIONED instance…
    Account.objects.filter(pk=account.pk).update(state=Account.State.ACTIVE)  # …now stale

    assert activation_codes_issue(actor=admin, accounts=[account]) == {}
    assert Account.objects.get(pk=account.pk).activation_code_digest == ""


@pytest.mark.django_db
def test_updated_at_moves_although_bulk_update_skips_auto_now(admin: Account) -> None:
    account = _account("lea.dupont")
    later = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        activation_code_issue(actor=admin, account=account)
    assert Account.objects.get(pk=account.pk).updated_at == later


@pytest.mark.django_db
def test_one_audit_event_per_account_with_actor_target_and_establishment(
    admin: Account, establishment: Establishment, rf: Any
) -> None:
    accounts = [_account(f"eleve.numero{i}") for i in range(3)]
    request = rf.post("/", REMOTE_ADDR="192.0.2.7")

    codes = activation_codes_issue(
        actor=admin, accounts=accounts, establishment=establishment, request=request
    )

    events = AuditEvent.objects.filter(action="activation_code.issue")
    assert sorted(e.target_id for e in events) == sorted(codes) == [a.pk for a in accounts]
    for event in events:
        assert event.actor == admin
        assert event.establishment == establishment
        assert event.ip == "192.0.2.7"
        assert event.data["reactivated"] is False
        # The clear code never reaches the audit trail.
        assert codes[event.target_id] not in str(event.data)


@pytest.mark.django_db
def test_many_accounts_in_one_call_get_distinct_working_codes(admin: Account) -> None:
    accounts = [_account(f"eleve.numero{i}") for i in range(25)]
    codes = activation_codes_issue(actor=admin, accounts=accounts)

    assert len(codes) == 25
    assert len(set(codes.values())) == 25
    digests = dict(Account.objects.filter(pk__in=codes).values_list("pk", "activation_code_digest"))
    assert digests == {pk: activation_code_digest(code) for pk, code in codes.items()}
    assert _signs_in("eleve.numero7", codes[accounts[7].pk])
    assert not _signs_in("eleve.numero7", codes[accounts[8].pk])


@pytest.mark.django_db
def test_nothing_to_issue_writes_nothing(admin: Account) -> None:
    assert activation_codes_issue(actor=admin, accounts=[]) == {}
    assert not AuditEvent.objects.exists()
