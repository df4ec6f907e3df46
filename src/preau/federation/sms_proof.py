"""A parent's proof of the account by SMS code and children's birth dates, before a federated
identity is linked to it (issue 15, part 3): the third way of the proof page, beside the
identifier and password and the letter's code.

The proof is the SMS sign-up's journey (:mod:`preau.activation.signup`) with the ``LINK``
purpose: the same uniform request handled by a task, the same throttles, the code bound to the
request and the number (5 tries), every current child's birth date (3 pages). Its end is
:func:`sms_proof_link`: in one transaction, the pending identity linked to the proven account
(never to a second one), what the proof proved recorded on the account, the sign-up ended, and
the person signed in through the federation (the method is the provider).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from preau.activation.models import SignUp
from preau.activation.signup import StepOutcome, signup_of
from preau.activation.signup_link import signup_link_proven, signup_link_record, signup_link_stop
from preau.directory.models import Account
from preau.federation import services

# The provider's names of the pending identity ({"subject", "first_name", "last_name"}), to
# start the proof's form from: shown to the person only, never compared with anything.
NAMES_SESSION_KEY = "preau_federation_names"


def sms_proof_names_set(
    *, request: HttpRequest, subject: str, first_name: str, last_name: str
) -> None:
    """Keep the provider's names of the identity waiting for its proof (``pending_set``'s
    companion): the SMS proof's form starts from them, editable (the school's records may
    spell them otherwise)."""
    request.session[NAMES_SESSION_KEY] = {
        "subject": subject,
        "first_name": first_name[:150],
        "last_name": last_name[:150],
    }


class LinkOutcome(enum.Enum):
    LINKED = "linked"
    PENDING_EXPIRED = "pending_expired"  # the provider's answer waited too long: nothing linked
    TAKEN = "taken"  # the identity is another account's meanwhile
    UNAVAILABLE = "unavailable"  # the account cannot sign in (deactivated meanwhile)
    STOPPED = "stopped"  # the proof cannot go on: ``step`` says why


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    account: Account | None = None
    step: StepOutcome | None = None
    establishments: list[str] = field(default_factory=list)


def sms_proof_link(
    *,
    request: HttpRequest,
    provider: str,
    handle: str,
    subject: str,
    pending: dict[str, Any] | None,
) -> LinkResult:
    """Link the pending identity to the account this browser's proof (``handle``) proved and
    sign the person in, in one transaction. ``provider`` and ``subject`` name the identity the
    proof was started for: the pending one must still be it (the proof is good for no other).
    Nothing is linked when the pending identity expired, the proof does not hold, the identity
    is another account's or the account cannot sign in; the proof then ends."""
    with transaction.atomic():
        check, proven = signup_link_proven(handle=handle, request=request)
        if proven is None:
            return LinkResult(
                LinkOutcome.STOPPED, step=check.outcome, establishments=check.establishments
            )
        row, account = proven.row, proven.account
        if pending is None or (pending.get("provider"), pending.get("subject")) != (
            provider,
            subject,
        ):
            signup_link_stop(row=row, account=account, reason=SignUp.EndReason.LINK_EXPIRED)
            services.federation_failure_record(
                request=request, provider=provider, reason="sms_proof:expired"
            )
            return LinkResult(LinkOutcome.PENDING_EXPIRED)
        try:
            identity = services.identity_link(
                request=request, actor=account, account=account, provider=provider, subject=subject
            )
        except services.IdentityTakenError:
            signup_link_stop(row=row, account=account, reason=SignUp.EndReason.LINK_TAKEN)
            return LinkResult(LinkOutcome.TAKEN)
        signup_link_record(proven=proven, provider=provider, request=request)
        if not services.identity_signin(
            request=request, identity=identity, id_token=str(pending.get("id_token") or "")
        ):
            # The federation's states and the proof's differ: nothing linked, nothing spent.
            transaction.set_rollback(True)
            return LinkResult(LinkOutcome.UNAVAILABLE)
    services.pending_clear(request)
    return LinkResult(LinkOutcome.LINKED, account=account)


def sms_proof_abandon(*, request: HttpRequest, provider: str, handle: str) -> None:
    """The pending identity is gone (too late, or another one came) before the proof's end:
    the proof ends (its code and birth dates are good for no other identity), a failure is
    recorded with its reason code only."""
    with transaction.atomic():
        row = signup_of(handle, lock=True) if handle else None
        if row is not None and row.purpose == SignUp.Purpose.LINK and row.ended_at is None:
            signup_link_stop(row=row, account=row.account, reason=SignUp.EndReason.LINK_EXPIRED)
    services.federation_failure_record(
        request=request, provider=provider, reason="sms_proof:expired"
    )
