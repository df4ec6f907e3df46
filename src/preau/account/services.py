"""Writes of "Mon compte": the current password's check, contact, notification preferences,
the e-mail change, "se déconnecter partout ailleurs".

The first connection (preau.activation) calls the same services for its contact step. The new
password's write is the sign-in's (:func:`preau.signin.passwords.account_password_set`), shared
by the first connection, "Mon compte" and recovery.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.activation.email_proof import email_verification_issue
from preau.activation.models import EmailVerification
from preau.audit.services import audit_record, client_ip
from preau.directory.models import Account
from preau.directory.services import RevokeReason, accounts_access_revoke
from preau.notify.masks import mask_email
from preau.notify.services import message_queue
from preau.signin.services import FEDERATED_SESSION_KEY
from preau.signin.sessions import own_session_key
from preau.signin.throttle import throttle_check, throttle_fail, throttle_reset
from preau.signin.timeouts import SIGNED_IN_AT

SCOPE_PASSWORD_ACCOUNT = "account.password.account"  # noqa: S105 - a throttle scope
SCOPE_PASSWORD_ADDRESS = "account.password.address"  # noqa: S105


# --- The current password, typed to confirm a change -------------------------------------------

# An account without a password (one that signs in through a federation) confirms a change
# with a sign-in at its provider this recent instead (seconds), as an OpenID Connect
# ``max_age`` would.
RECENT_SIGNIN_SECONDS = 10 * 60


class ChangeProof(enum.Enum):
    """What confirms a sensitive change in "Mon compte" (password, mobile, e-mail address)."""

    PASSWORD = "password"  # noqa: S105 - the current password, typed on the page
    RECENT_SIGNIN = "recent"  # no password: this session's federated sign-in is recent
    SIGNIN_AGAIN = "again"  # no password and no recent federated sign-in: sign in again first


def change_proof(*, request: HttpRequest, account: Account) -> ChangeProof:
    if account.has_usable_password():
        return ChangeProof.PASSWORD
    session = request.session
    signed_in_at = float(session.get(SIGNED_IN_AT) or 0)
    recent = timezone.now().timestamp() - signed_in_at <= RECENT_SIGNIN_SECONDS
    if session.get(FEDERATED_SESSION_KEY) and recent:
        return ChangeProof.RECENT_SIGNIN
    return ChangeProof.SIGNIN_AGAIN


class CheckOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    SIGNIN_AGAIN = "again"  # no password, and the federated sign-in is not recent


@dataclass(frozen=True)
class PasswordCheck:
    outcome: CheckOutcome
    wait: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is CheckOutcome.OK


def current_password_check(
    *, account: Account, password: str, request: HttpRequest | None = None
) -> PasswordCheck:
    """Check the password typed to confirm a sensitive change, with the same growing delays
    as the sign-in (per account and per address). A wrong answer is audited."""
    keys = [(SCOPE_PASSWORD_ACCOUNT, str(account.pk))]
    address = client_ip(request)
    if address:
        keys.append((SCOPE_PASSWORD_ADDRESS, address))
    wait = max(throttle_check(scope, key) for scope, key in keys)
    if wait > 0:
        return PasswordCheck(CheckOutcome.THROTTLED, wait)
    if account.has_usable_password() and check_password(password, account.password):
        throttle_reset(SCOPE_PASSWORD_ACCOUNT, str(account.pk))
        return PasswordCheck(CheckOutcome.OK)
    delay = max(throttle_fail(scope, key) for scope, key in keys)
    audit_record(
        action="account.password.check_failure",
        actor=account,
        target=account,
        request=request,
        data={"throttled_for": delay} if delay else {},
    )
    return PasswordCheck(CheckOutcome.WRONG)


def change_confirm(*, request: HttpRequest, account: Account, password: str) -> PasswordCheck:
    """Confirm a sensitive change by :func:`change_proof`'s rule: the current password typed
    (checked and throttled), or for an account without one a recent federated sign-in."""
    proof = change_proof(request=request, account=account)
    if proof is ChangeProof.PASSWORD:
        return current_password_check(account=account, password=password, request=request)
    if proof is ChangeProof.RECENT_SIGNIN:
        return PasswordCheck(CheckOutcome.OK)
    return PasswordCheck(CheckOutcome.SIGNIN_AGAIN)


# --- The e-mail address ------------------------------------------------------------------------


def account_email_change_request(
    *, actor: Account, account: Account, email: str, request: HttpRequest | None = None
) -> EmailVerification:
    """Ask to replace the account's address with ``email``: a link goes to the new address
    (the change happens when it is followed) and a warning to the old one, if any."""
    with transaction.atomic():
        verification = email_verification_issue(
            actor=actor,
            account=account,
            email=email,
            purpose=EmailVerification.Purpose.CHANGE,
            request=request,
        )
        if account.email and account.email.lower() != email.lower():
            message_queue(
                channel="email",
                to=account.email,
                template="email_change_warning",
                context={
                    "first_name": account.first_name,
                    "login": account.login,
                    "new_email": mask_email(email),
                },
                account=account,
                idempotency_key=f"email_change_warning:{verification.pk}",
            )
        audit_record(
            action="account.email.change_request",
            actor=actor,
            target=account,
            request=request,
            data={"warned_old_address": bool(account.email)},
        )
    return verification


# --- Sessions -----------------------------------------------------------------------------------


@transaction.atomic
def sessions_end_others(*, actor: Account, account: Account, request: HttpRequest) -> int:
    """ "Se déconnecter partout ailleurs": end every session of the account but this one."""
    ended = accounts_access_revoke(
        account_ids=[account.pk],
        reason=RevokeReason.ELSEWHERE,
        keep_session_key=own_session_key(request, account),
    )
    audit_record(
        action="account.sessions.end_others",
        actor=actor,
        target=account,
        request=request,
        data={"sessions_ended": ended},
    )
    return ended
