"""The account's state machine: every allowed move, every refused one, the revocation on the
moves that end an account's ways in, and the audit event of each move."""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

import preau
from preau.audit.models import AuditEvent
from preau.directory.activation_codes import activation_code_matches
from preau.directory.models import Account, Establishment, Membership
from preau.directory.services import RevokeReason, local_admin_set
from preau.directory.signals import access_revoked
from preau.directory.transitions import (
    MOVES,
    Move,
    TransitionRefused,
    account_activate,
    account_create_provisioned,
    account_deactivate,
    account_delete,
    account_reactivate,
    account_reprovision,
    accounts_transition,
    move_allowed,
)
from preau.signin.models import SessionRecord
from tests.factories import account_factory

pytestmark = pytest.mark.django_db

State = Account.State
EXISTING = (State.PROVISIONED, State.ACTIVE, State.DEACTIVATED)
ALL_STATES = (*EXISTING, State.MERGED)

# The table, written out once more as the architecture page draws it.
EXPECTED = {
    Move.CREATE: (set(), State.PROVISIONED),
    Move.ACTIVATE: ({State.PROVISIONED}, State.ACTIVE),
    Move.DEACTIVATE: ({State.PROVISIONED, State.ACTIVE}, State.DEACTIVATED),
    Move.REACTIVATE: ({State.DEACTIVATED}, State.ACTIVE),
    Move.REPROVISION: (set(EXISTING), State.PROVISIONED),
    Move.DELETE: (set(EXISTING), None),
    Move.MERGE: ({State.PROVISIONED, State.ACTIVE}, State.MERGED),
    Move.UNMERGE: ({State.MERGED}, State.ACTIVE),
    Move.UNMERGE_PENDING: ({State.MERGED}, State.PROVISIONED),
}


@pytest.fixture
def revoked() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, signal: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    access_revoked.connect(receiver, dispatch_uid="test_state_machine")
    yield calls
    access_revoked.disconnect(dispatch_uid="test_state_machine")


@pytest.fixture
def admin(establishment: Establishment) -> Account:
    account = account_factory(
        state=State.ACTIVE, establishment=establishment, profile=Membership.Profile.STAFF
    )
    local_admin_set(actor=None, account=account, establishment=establishment)
    return account


def events(action: str, account: Account) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_id=account.pk).order_by("pk"))


def test_the_table_is_the_architecture_pages() -> None:
    for move, (sources, target) in EXPECTED.items():
        rule = MOVES[move]
        assert {s for s in rule.sources if s is not None} == sources, move
        assert rule.target == target, move
    assert MOVES[Move.CREATE].sources == {None}


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("move", [m for m in Move if m is not Move.CREATE])
def test_each_move_from_each_state_is_allowed_or_refused_as_the_table_says(
    move: Move, state: str, establishment: Establishment
) -> None:
    account = account_factory(state=state, establishment=establishment)
    sources, target = EXPECTED[move]
    allowed = state in sources
    assert move_allowed(move, account) is allowed
    if not allowed:
        with pytest.raises(TransitionRefused):
            accounts_transition(move=move, accounts=[account], actor=None, action="account.update")
        account.refresh_from_db()
        assert account.state == state
        assert not AuditEvent.objects.filter(action="account.update").exists()
        return
    accounts_transition(move=move, accounts=[account], actor=None, action="account.update")
    (event,) = AuditEvent.objects.filter(action="account.update")
    assert event.target_label == account.login
    if target is None:
        assert not Account.objects.filter(pk=account.pk).exists()
    else:
        account.refresh_from_db()
        assert account.state == target


def test_create_is_refused_for_a_saved_account(establishment: Establishment) -> None:
    account = account_factory(establishment=establishment)
    with pytest.raises(TransitionRefused):
        accounts_transition(
            move=Move.CREATE, accounts=[account], actor=None, action="account.update"
        )


def test_a_new_account_waits_for_its_first_connection_without_password() -> None:
    account = account_create_provisioned(
        actor=None, login="Lea.Martin", first_name="Léa", last_name="Martin"
    )
    account.refresh_from_db()
    assert account.login == "lea.martin"
    assert account.state == State.PROVISIONED
    assert not account.has_usable_password()
    assert account.activation_expires_at is not None
    assert len(events("account.create", account)) == 1


def test_activation_dates_the_account_and_kills_the_code(establishment: Establishment) -> None:
    account = account_factory(establishment=establishment)
    code = account_reprovision(actor=None, account=account)
    assert account_activate(actor=account, account=account)
    account.refresh_from_db()
    assert account.state == State.ACTIVE
    assert account.activated_at is not None
    assert not activation_code_matches(code, account.activation_code_digest)
    assert len(events("account.activate", account)) == 1
    assert not account_activate(actor=account, account=account)  # a second call: nothing


def test_deactivation_ends_every_way_in_and_is_audited(
    admin: Account, establishment: Establishment, revoked: list[dict[str, Any]]
) -> None:
    pupil = account_factory(state=State.ACTIVE, establishment=establishment)
    client = Client()
    client.force_login(pupil)
    assert SessionRecord.objects.filter(account=pupil, ended_at__isnull=True).count() == 1

    assert account_deactivate(actor=admin, account=pupil, establishment=establishment)

    pupil.refresh_from_db()
    assert pupil.state == State.DEACTIVATED
    assert pupil.deactivated_at is not None
    assert revoked == [
        {"account_ids": [pupil.pk], "reason": RevokeReason.DEACTIVATED, "keep_session_key": None}
    ]
    assert not SessionRecord.objects.filter(account=pupil, ended_at__isnull=True).exists()
    (event,) = events("account.deactivate", pupil)
    assert event.data == {"from": State.ACTIVE, "sessions_ended": 1}
    assert event.actor_id == admin.pk
    assert not account_deactivate(actor=admin, account=pupil, establishment=establishment)


def test_nobody_deactivates_themselves(admin: Account, establishment: Establishment) -> None:
    with pytest.raises(ValidationError):
        account_deactivate(actor=admin, account=admin, establishment=establishment)


def test_reactivation_brings_back_an_activated_account_with_its_password(
    admin: Account, establishment: Establishment, revoked: list[dict[str, Any]]
) -> None:
    pupil = account_factory(state=State.DEACTIVATED, establishment=establishment)
    revoked.clear()
    assert account_reactivate(actor=admin, account=pupil, establishment=establishment)
    pupil.refresh_from_db()
    assert pupil.state == State.ACTIVE
    assert pupil.deactivated_at is None
    assert pupil.has_usable_password()
    assert revoked == []  # nothing to end: the account could not sign in
    assert len(events("account.reactivate", pupil)) == 1


@pytest.mark.parametrize("case", ["never_activated", "no_password"])
def test_reactivation_is_refused_without_a_past_activation_and_a_password(
    case: str, admin: Account, establishment: Establishment
) -> None:
    if case == "never_activated":
        pupil = account_factory(establishment=establishment)
        accounts_transition(
            move=Move.DEACTIVATE, accounts=[pupil], actor=None, action="account.update"
        )
    else:
        pupil = account_factory(state=State.DEACTIVATED, password=None, establishment=establishment)
    assert not move_allowed(Move.REACTIVATE, pupil)
    with pytest.raises(ValidationError) as refused:
        account_reactivate(actor=admin, account=pupil, establishment=establishment)
    assert refused.value.code == "needs_code"
    pupil.refresh_from_db()
    assert pupil.state == State.DEACTIVATED
    assert not events("account.reactivate", pupil)


@pytest.mark.parametrize("state", EXISTING)
def test_reprovision_gives_a_new_code_and_ends_every_way_in(
    state: str, establishment: Establishment, revoked: list[dict[str, Any]]
) -> None:
    pupil = account_factory(state=state, establishment=establishment)
    revoked.clear()
    code = account_reprovision(actor=None, account=pupil, establishment=establishment)
    pupil.refresh_from_db()
    assert pupil.state == State.PROVISIONED
    assert pupil.deactivated_at is None
    assert not pupil.has_usable_password()
    assert activation_code_matches(code, pupil.activation_code_digest)
    assert revoked == [
        {"account_ids": [pupil.pk], "reason": RevokeReason.REISSUE, "keep_session_key": None}
    ]
    (event,) = events("activation_code.issue", pupil)
    assert event.data["reactivated"] is (state == State.DEACTIVATED)
    assert event.establishment_id == establishment.pk


def test_deletion_keeps_its_audit_event(establishment: Establishment) -> None:
    pupil = account_factory(state=State.ACTIVE, establishment=establishment)
    login = pupil.login
    account_delete(actor=None, account=pupil, reason="test")
    assert not Account.objects.filter(login=login).exists()
    event = AuditEvent.objects.get(action="account.delete")
    assert event.data == {"reason": "test", "state": State.ACTIVE}
    assert login in event.target_label


def test_a_refused_move_in_a_batch_moves_nobody(establishment: Establishment) -> None:
    pending = account_factory(establishment=establishment)
    active = account_factory(state=State.ACTIVE, establishment=establishment)
    with pytest.raises(TransitionRefused):
        accounts_transition(
            move=Move.ACTIVATE, accounts=[pending, active], actor=None, action="account.update"
        )
    pending.refresh_from_db()
    assert pending.state == State.PROVISIONED
    assert not AuditEvent.objects.filter(action="account.update").exists()


def _state_writes(tree: ast.AST) -> list[int]:
    """Lines assigning ``.state``, or writing the ``state`` column (``update(state=...)``,
    ``save(update_fields=[..."state"...])``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "state" for t in targets):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            for keyword in node.keywords:
                if node.func.attr == "update" and keyword.arg == "state":
                    lines.append(node.lineno)
                if keyword.arg == "update_fields" and "'state'" in ast.dump(keyword.value):
                    lines.append(node.lineno)
    return lines


def test_no_module_but_the_directory_writes_a_state() -> None:
    root = pathlib.Path(preau.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/migrations/" in relative or relative.startswith("directory/"):
            continue
        tree = ast.parse(path.read_text())
        offenders += [f"{relative}:{line}" for line in _state_writes(tree)]
    assert offenders == []
