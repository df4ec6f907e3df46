"""`preau lifecycle`: activation deadlines and deletion of never-activated accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.lifecycle.services import (
    accounts_deactivate_past_deadline,
    accounts_delete_never_activated,
    lifecycle_run,
)
from preau.provisioning.services import activation_code_issue
from preau.signin.models import SessionRecord

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
State = Account.State


def provision(login: str, establishment: Establishment, *, at: datetime = T0) -> Account:
    """An imported student with a code issued at ``at`` (deadline: ACTIVATION_DAYS later)."""
    with time_machine.travel(at, tick=False):
        account = Account.objects.create_user(login, last_name="Martin", first_name="Zoé")
        Membership.objects.create(
            account=account, establishment=establishment, profile="eleve", school_year=2025
        )
        activation_code_issue(actor=None, account=account)
    account.refresh_from_db()
    return account


def run_at(when: datetime, **kwargs: Any) -> list[Any]:
    with time_machine.travel(when, tick=False):
        return lifecycle_run(**kwargs)


def reload(account: Account) -> Account:
    account.refresh_from_db()
    return account


def test_provisioned_account_is_deactivated_once_its_deadline_has_passed(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    deadline = T0 + timedelta(days=92)
    assert account.activation_expires_at == deadline
    assert account.activation_code_digest

    deactivated, *_ = run_at(deadline - timedelta(minutes=1))
    assert deactivated.count == 0
    assert reload(account).state == State.PROVISIONED

    deactivated, *_ = run_at(deadline + timedelta(minutes=1))
    assert deactivated.count == 1
    account = reload(account)
    assert account.state == State.DEACTIVATED
    assert account.deactivated_at == deadline + timedelta(minutes=1)
    # The digest stays: a deactivated account never signs in, but whoever types the letter's
    # code is told that the deadline passed (tests/signin/test_activation_deadline.py).
    assert account.activation_code_digest
    assert account.updated_at == deadline + timedelta(minutes=1)

    event = AuditEvent.objects.get(action="account.deactivate")
    assert event.target == account
    assert event.target_label == "zoe.martin"
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.establishment == establishment
    assert event.data == {
        "reason": "activation_deadline",
        "activation_expires_at": deadline.isoformat(),
    }


def test_a_first_connection_left_open_ends_with_the_deadline(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        SessionRecord.objects.create(
            account=account,
            session_key="k" * 40,
            created_at=timezone.now(),
            last_seen_at=timezone.now(),
        )
    run_at(T0 + timedelta(days=93))
    record = SessionRecord.objects.get(account=account)
    assert record.ended_at is not None
    assert record.end_reason == SessionRecord.EndReason.DEACTIVATED


def test_second_run_does_nothing(establishment: Establishment) -> None:
    provision("zoe.martin", establishment)
    provision("paul.durand", establishment)
    later = T0 + timedelta(days=400)

    first = run_at(later)
    events = AuditEvent.objects.count()
    second = run_at(later + timedelta(hours=1))

    assert [r.count for r in first[:2]] == [2, 2]
    assert [r.count for r in second] == [0, 0, 0, 0, 0, 0, 0]
    assert AuditEvent.objects.count() == events


def test_active_account_is_never_touched(establishment: Establishment) -> None:
    account = provision("zoe.martin", establishment)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        Account.objects.filter(pk=account.pk).update(
            state=State.ACTIVE, activated_at=T0 + timedelta(days=3)
        )

    results = run_at(T0 + timedelta(days=800))

    assert [r.count for r in results[:2]] == [0, 0]
    account = reload(account)
    assert account.state == State.ACTIVE
    assert account.deactivated_at is None
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_code_issued_again_before_the_deadline_saves_the_account(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    with time_machine.travel(T0 + timedelta(days=80), tick=False):
        activation_code_issue(actor=None, account=account)

    run_at(T0 + timedelta(days=100))
    assert reload(account).state == State.PROVISIONED

    run_at(T0 + timedelta(days=80 + 92, minutes=1))
    assert reload(account).state == State.DEACTIVATED


def test_deactivated_account_gets_a_new_code_and_is_kept_while_the_code_is_valid(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    run_at(T0 + timedelta(days=100))
    assert reload(account).state == State.DEACTIVATED

    # The school reactivates the account shortly before its first anniversary.
    with time_machine.travel(T0 + timedelta(days=360), tick=False):
        activation_code_issue(actor=None, account=account)
    _, deleted, *_ = run_at(T0 + timedelta(days=366))
    assert deleted.count == 0
    assert reload(account).state == State.PROVISIONED

    # The new code expires unused: deactivated, then deleted in the same run.
    deactivated, deleted, *_ = run_at(T0 + timedelta(days=360 + 92, minutes=1))
    assert (deactivated.count, deleted.count) == (1, 1)
    assert not Account.objects.filter(pk=account.pk).exists()


def test_never_activated_account_is_deleted_after_the_configured_days(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    pk = account.pk
    anniversary = T0 + timedelta(days=365)

    _, deleted, *_ = run_at(anniversary - timedelta(minutes=1))
    assert deleted.count == 0
    assert reload(account).state == State.DEACTIVATED  # the 92-day deadline passed long ago

    _, deleted, *_ = run_at(anniversary + timedelta(minutes=1))
    assert deleted.count == 1
    assert not Account.objects.filter(pk=pk).exists()
    assert not Membership.objects.filter(account_id=pk).exists()

    event = AuditEvent.objects.get(action="account.delete")
    assert event.target is None  # the link is emptied (SET_NULL)…
    assert event.target_label == "zoe.martin"  # …the label stays
    assert event.establishment == establishment
    assert event.data["reason"] == "never_activated"
    assert event.data["days"] == 365
    assert event.data["created_at"] == T0.isoformat()
    # Earlier events about the account keep their label too.
    assert set(
        AuditEvent.objects.filter(target_label="zoe.martin").values_list("action", flat=True)
    ) == {"activation_code.issue", "account.deactivate", "account.delete"}
    assert not AuditEvent.objects.filter(target_id=pk).exists()


def test_delays_are_configurable(establishment: Establishment, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ACTIVATION_DAYS": 10, "DELETE_UNACTIVATED_DAYS": 30}
    account = provision("zoe.martin", establishment)

    run_at(T0 + timedelta(days=9))
    assert reload(account).state == State.PROVISIONED
    run_at(T0 + timedelta(days=10, seconds=1))
    assert reload(account).state == State.DEACTIVATED
    run_at(T0 + timedelta(days=29))
    assert Account.objects.filter(pk=account.pk).exists()
    run_at(T0 + timedelta(days=30, seconds=1))
    assert not Account.objects.filter(pk=account.pk).exists()


def test_operator_accounts_are_never_deleted_by_the_rule() -> None:
    with time_machine.travel(T0, tick=False):
        operator = Account.objects.create_user(
            "ops", last_name="Ops", first_name="O", is_staff=True
        )
    run_at(T0 + timedelta(days=1000))
    assert Account.objects.filter(pk=operator.pk).exists()


def test_rules_work_in_batches_and_handle_every_account(establishment: Establishment) -> None:
    accounts = [provision(f"eleve.{n}", establishment) for n in range(7)]

    deactivated = run_at(T0 + timedelta(days=100), batch_size=3)[0]

    assert deactivated.count == 7
    assert Account.objects.filter(state=State.DEACTIVATED).count() == 7
    assert AuditEvent.objects.filter(action="account.deactivate").count() == 7
    assert deactivated.sample == [a.login for a in accounts]


def test_query_count_does_not_grow_with_the_number_of_accounts(
    establishment: Establishment,
) -> None:
    def queries_for(accounts: int, prefix: str) -> tuple[int, int]:
        for n in range(accounts):
            provision(f"{prefix}.{n}", establishment)
        counts = []
        for rule in (accounts_deactivate_past_deadline, accounts_delete_never_activated):
            with (
                time_machine.travel(T0 + timedelta(days=400), tick=False),
                CaptureQueriesContext(connection) as ctx,
            ):
                assert rule(batch_size=1000).count == accounts
            counts.append(len(ctx.captured_queries))
        return counts[0], counts[1]

    assert queries_for(2, "petit") == queries_for(12, "grand")


def test_dry_run_says_what_it_would_do_and_changes_nothing(
    establishment: Establishment,
) -> None:
    account = provision("zoe.martin", establishment)
    provision("paul.durand", establishment, at=T0 + timedelta(days=300))
    out = StringIO()

    with time_machine.travel(T0 + timedelta(days=366), tick=False):
        call_command("lifecycle", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "Simulation : rien n'a été modifié." in text
    assert "Comptes qui seraient désactivés (date limite d'activation passée) : 1" in text
    assert (
        "Comptes qui seraient supprimés (jamais activés, créés il y a plus de 365 jours) : 1"
        in text
    )
    assert "zoe.martin" in text
    assert reload(account).state == State.PROVISIONED
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_command_prints_a_summary(establishment: Establishment) -> None:
    provision("zoe.martin", establishment)
    out = StringIO()
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        call_command("lifecycle", stdout=out)
    assert "Comptes désactivés (date limite d'activation passée) : 1" in out.getvalue()
    assert (
        "Comptes supprimés (jamais activés, créés il y a plus de 365 jours) : 0" in out.getvalue()
    )
