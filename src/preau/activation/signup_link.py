"""The end of a parent's proof by SMS before a federated identity is linked (issue 15, part 3).

A ``LINK`` sign-up (:class:`~preau.activation.models.SignUp`, ``purpose``) goes through the
sign-up's own steps (:mod:`preau.activation.signup`: the uniform request, the task, the code
bound to the request and the number, every current child's birth date); this module is its
last step, done by ``preau.federation`` inside the transaction that links the identity and
signs the person in:

- :func:`signup_link_proven` locks the sign-up and the account and says whether the proof
  still holds (the step is due, the account is a PROVISIONED or ACTIVE guardian with the same
  number);
- :func:`signup_link_record` writes what the proof proved (the mobile verified, the children's
  links confirmed, a PROVISIONED account's birth-date step done) and ends the sign-up;
- :func:`signup_link_stop` ends it without linking, for a reason the federation found.

No password is set and the account's state does not change: a PROVISIONED account then goes
through its first connection (charter, contact…) like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from preau.activation.models import ActivationJourney, SignUp
from preau.activation.signup import (
    StepOutcome,
    StepResult,
    signup_children,
    signup_end,
    signup_establishments,
    signup_of,
    signup_problem,
    signup_proof_record,
    signup_step_due,
)
from preau.audit.services import audit_record
from preau.directory.models import Account
from preau.notify.services import message_queue

# The states whose owner may prove the account to link an identity (a DEACTIVATED one is the
# school's to reopen: no code is sent for it, and one deactivated meanwhile stops here).
LINK_STATES = (Account.State.PROVISIONED, Account.State.ACTIVE)


@dataclass(frozen=True)
class Proven:
    """A proof that holds: the locked sign-up and its locked account."""

    row: SignUp
    account: Account


def signup_link_proven(
    *, handle: str, request: HttpRequest | None = None
) -> tuple[StepResult, Proven | None]:
    """Within the caller's transaction: the proof of this browser's handle, locked, when its
    code and birth dates were confirmed and the account is still the one they proved (else
    why not; an account changed meanwhile, deactivated or given another number, ends it)."""
    row = signup_of(handle, lock=True)
    if row is None or row.purpose != SignUp.Purpose.LINK:
        return StepResult(StepOutcome.EXPIRED), None
    if signup_step_due(row) != "link" or row.account_id is None:
        return StepResult(signup_problem(row) or StepOutcome.EXPIRED), None
    account = Account.objects.select_for_update().get(pk=row.account_id)
    if account.state not in LINK_STATES or account.mobile != row.mobile:
        signup_link_stop(row=row, account=account, reason=SignUp.EndReason.REFUSED, request=request)
        outcome = StepOutcome.REFUSED if account.state in LINK_STATES else StepOutcome.UNAVAILABLE
        return StepResult(outcome, establishments=signup_establishments(row)), None
    return StepResult(StepOutcome.OK), Proven(row=row, account=account)


def signup_link_stop(
    *, row: SignUp, account: Account | None, reason: str, request: HttpRequest | None = None
) -> None:
    """End the proof without linking (the row locked by the caller), with an audit event."""
    signup_end(row, reason)
    audit_record(
        action="signup.stopped",
        target=account,
        request=request,
        data={"signup": row.pk, "reason": str(reason), "purpose": SignUp.Purpose.LINK.value},
    )


def signup_link_record(
    *, proven: Proven, provider: str, request: HttpRequest | None = None
) -> None:
    """What the proof proved, once the identity is linked: the mobile verified, every child's
    link confirmed, for a PROVISIONED account the first connection's birth-date step done
    (every child's was given); the sign-up ended; an ACTIVE account's owner told by e-mail.
    ``provider`` is for the audit event."""
    row, account = proven.row, proven.account
    now = timezone.now()
    children = signup_children(row)
    signup_proof_record(account=account, children=children, now=now)
    if account.state == Account.State.PROVISIONED:
        ActivationJourney.objects.update_or_create(
            account=account,
            defaults={"birth_date_confirmed_at": now},
            create_defaults={"started_at": now, "birth_date_confirmed_at": now},
        )
    signup_end(row, SignUp.EndReason.DONE)
    _owner_warn(row, account)
    audit_record(
        action="signup.link",
        actor=account,
        target=account,
        request=request,
        data={
            "signup": row.pk,
            "provider": provider,
            "children": [g.student.login for g in children],
            "mobile_verified": True,
        },
    )


def _owner_warn(row: SignUp, account: Account) -> None:
    """An ACTIVE account got a new way in from a phone and birth dates, not its password: its
    owner hears of it at the verified e-mail address, a channel the SMS proof did not use (the
    SMS went to the phone that proved), with the way to undo it."""
    if account.state != Account.State.ACTIVE or not account.email:
        return
    if account.email_verified_at is None:
        return
    message_queue(
        channel="email",
        to=account.email,
        template="identity_linked",
        context={
            "first_name": account.first_name,
            "login": account.login,
            "provider": row.link_provider,
            "when": timezone.localtime(),
        },
        account=account,
        idempotency_key=f"identity_linked:{row.pk}",
    )
