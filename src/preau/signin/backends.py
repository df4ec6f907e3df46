"""Authentication of local accounts: password, or activation code before the first connection.

:func:`credentials_verify` is the one place that decides; it returns why an attempt failed, for
the audit trail. Whatever the outcome, it costs exactly one Argon2 computation, so the response
time does not tell an unknown identifier from a wrong password, a deactivated account or a
pending account with a wrong code.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest
from django.utils import timezone

from preau.db import CompiledQuery
from preau.directory.activation_codes import activation_code_matches
from preau.directory.merges import merge_alias_target
from preau.directory.models import Account

BACKEND_PATH = "preau.signin.backends.AccountBackend"

# The account a sign-in looks up, compiled once (see preau.db.CompiledQuery). Whether the school
# demanded a new password comes in the same query, since every sign-in asks (see
# preau.recovery.receivers): ``password_change_demand_pending`` is False when there is none.
_ACCOUNT_BY_LOGIN: CompiledQuery[Account] = CompiledQuery(
    lambda login: Account.objects.filter(login=login).annotate(
        password_change_demand_pending=ExpressionWrapper(
            Q(password_change_demand__isnull=False), output_field=BooleanField()
        )
    )
)


class Verdict(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - success with the account's password
    ACTIVATION_CODE = "activation_code"  # success with a pending account's activation code
    UNKNOWN = "unknown"  # no account with this identifier
    BAD_PASSWORD = "bad_password"  # noqa: S105
    NO_PASSWORD = "no_password"  # noqa: S105 - active account without a usable password
    DEACTIVATED = "deactivated"
    BAD_CODE = "bad_code"  # pending account, code wrong (or none issued)
    CODE_EXPIRED = "code_expired"  # pending account, right code past its deadline
    MERGED = "merged"  # the login of an account merged into another, its alias retired

    @property
    def succeeded(self) -> bool:
        return self in (Verdict.PASSWORD, Verdict.ACTIVATION_CODE)


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    account: Account | None
    # For a deactivated account: whether the secret was right (the operator answering
    # "I can't sign in" wants to know it was not a typo). Shown only to whoever typed it.
    secret_correct: bool = False
    # The activation deadline that has passed, when the secret was right (the letter's code,
    # or a password chosen during a first connection never finished): its owner is told.
    activation_expired_at: datetime | None = None
    # The login typed, when it is the alias of an account merged into ``account``.
    alias: str = ""


def normalize_identifier(raw: str) -> str:
    return raw.strip().lower()


def _burn(password: str) -> None:
    """One Argon2 computation with the current parameters, result thrown away."""
    make_password(password)


def _check_password(account: Account, password: str) -> bool:
    """Argon2 verify (and rehash when the parameters changed); burns one hash when unusable."""
    if not account.has_usable_password():
        _burn(password)
        return False
    return account.check_password(password)


def credentials_verify(identifier: str, password: str) -> Verification:
    """Check ``identifier`` + ``password`` (or activation code); one Argon2 computation always."""
    login = normalize_identifier(identifier)
    account = _ACCOUNT_BY_LOGIN.first(login) if login else None
    if account is None:
        _burn(password)
        return Verification(Verdict.UNKNOWN, None)
    special = _BY_STATE.get(account.state)
    if special is not None:
        return special(account, password)
    if not account.has_usable_password():
        _burn(password)
        return Verification(Verdict.NO_PASSWORD, account)
    if account.check_password(password):
        return Verification(Verdict.PASSWORD, account)
    return Verification(Verdict.BAD_PASSWORD, account)


def _verify_alias(merged: Account, password: str) -> Verification:
    """A merged account's login is an alias of the account it went into, for a while (see
    preau.directory.merges): the secret checked is that account's, as if its login was typed."""
    target = merge_alias_target(merged)
    if target is None:
        _burn(password)
        return Verification(Verdict.MERGED, merged)
    result = credentials_verify(target.login, password)
    return replace(result, alias=merged.login) if result.account is not None else result


def _verify_provisioned(account: Account, password: str) -> Verification:
    # The code is an HMAC (microseconds); an account an administrator gave a password to may
    # also use it. Either way exactly one Argon2 computation is made.
    code_right = activation_code_matches(password, account.activation_code_digest)
    expires = account.activation_expires_at
    code_alive = expires is not None and expires > timezone.now()
    if _check_password(account, password):
        return Verification(Verdict.PASSWORD, account)
    if code_right and code_alive:
        return Verification(Verdict.ACTIVATION_CODE, account)
    if code_right:
        return Verification(Verdict.CODE_EXPIRED, account, activation_expired_at=expires)
    return Verification(Verdict.BAD_CODE, account)


def _verify_deactivated(account: Account, password: str) -> Verification:
    if account.has_usable_password():
        # Django's check_password without the setter: a deactivated hash is not upgraded.
        correct = check_password(password, account.password)
    else:
        _burn(password)
        correct = False
    correct = correct or activation_code_matches(password, account.activation_code_digest)
    expires = account.activation_expires_at
    # Never activated, and deactivated once its deadline had passed (by the lifecycle rule,
    # which keeps the code's digest for this): the deadline is the reason.
    too_late = (
        correct
        and account.activated_at is None
        and expires is not None
        and expires <= timezone.now()
        and (account.deactivated_at is None or account.deactivated_at >= expires)
    )
    return Verification(
        Verdict.DEACTIVATED,
        account,
        secret_correct=correct,
        activation_expired_at=expires if too_late else None,
    )


# The states whose check is not the plain password's.
_BY_STATE: dict[str, Callable[[Account, str], Verification]] = {
    Account.State.MERGED: _verify_alias,
    Account.State.DEACTIVATED: _verify_deactivated,
    Account.State.PROVISIONED: _verify_provisioned,
}


class AccountBackend(ModelBackend):
    """Django's authentication backend over :func:`credentials_verify` (``login`` + secret)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Account | None:
        if not username or not password:
            return None
        result = credentials_verify(username, password)
        if result.verdict.succeeded and self.user_can_authenticate(result.account):
            return result.account
        return None
