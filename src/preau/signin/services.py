"""Signing in and out: throttles, the credential check, the session and the audit trail."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, login, logout
from django.http import HttpRequest
from django.utils.translation import gettext as _

from preau.audit.services import audit_record, client_ip
from preau.db import write_batch
from preau.directory.models import Account
from preau.signin.backends import (
    BACKEND_PATH,
    Verdict,
    credentials_verify,
    normalize_identifier,
)
from preau.signin.throttle import (
    throttle_fail,
    throttle_first_refusal,
    throttle_reset,
    throttle_status_many,
)

SCOPE_ACCOUNT = "signin.account"
SCOPE_ADDRESS = "signin.address"
# Where the first-connection journey (issue 4) reads how the session was opened.
AUTH_METHOD_SESSION_KEY = "preau_auth_method"
# True in a session opened through a federation (FranceConnect, EduConnect): its person proved
# who they are at the provider, so the first connection asks for no local password (issue 15,
# part 3) and Mon compte takes a recent federated sign-in where it would ask the password.
FEDERATED_SESSION_KEY = "preau_auth_federated"


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SigninResult:
    outcome: Outcome
    account: Account | None = None
    # Seconds to wait before the next attempt (THROTTLED only).
    wait: int = 0
    # FAILURE of a deactivated account whose secret was right: only its owner can see that,
    # so the page may tell them (nobody else learns the account exists).
    deactivated: bool = False
    # FAILURE with the right secret of an account never activated before this deadline (its
    # letter's code expired, or the account was deactivated for it): told to its owner only.
    activation_expired_at: datetime | None = None


def _throttle_keys(identifier: str, address: str | None) -> list[tuple[str, str]]:
    keys = [(SCOPE_ACCOUNT, identifier)]
    if address:
        keys.append((SCOPE_ADDRESS, address))
    return keys


def signin_attempt(*, request: HttpRequest, identifier: str, password: str) -> SigninResult:
    """One sign-in attempt from the sign-in form: on success the session is opened (rotated).

    The throttles come first: while one holds, nothing is checked. Every failure answers the
    same to the person (the reason goes to the audit trail only) and costs one Argon2 hash.
    """
    login_name = normalize_identifier(identifier)
    address = client_ip(request)
    keys = _throttle_keys(login_name, address)

    states = throttle_status_many(keys)
    failures = [state.failures for state in states]
    wait, scope, key = max(
        (state.wait, scope, key) for state, (scope, key) in zip(states, keys, strict=True)
    )
    if wait > 0:
        account = Account.objects.filter(login=login_name).first() if login_name else None
        if throttle_first_refusal(scope, key, wait):
            audit_record(
                action="signin.throttled",
                actor=request.user,
                target=account,
                request=request,
                data={"scope": scope, "wait": wait, **_unknown_identifier(account, login_name)},
            )
        return SigninResult(Outcome.THROTTLED, account, wait)

    result = credentials_verify(login_name, password)
    account = result.account
    if not result.verdict.succeeded or account is None:
        delays = [throttle_fail(scope, key) for scope, key in keys]
        data: dict[str, object] = {"reason": str(result.verdict)}
        data.update(_unknown_identifier(account, login_name))
        if max(delays) > 0:
            data["throttled_for"] = max(delays)
        if result.verdict == Verdict.DEACTIVATED:
            data["secret_correct"] = result.secret_correct
        if result.activation_expired_at is not None:
            data["activation_expired_at"] = result.activation_expired_at.isoformat()
        audit_record(
            action="signin.failure", actor=request.user, target=account, request=request, data=data
        )
        deactivated = result.verdict == Verdict.DEACTIVATED and result.secret_correct
        return SigninResult(
            Outcome.FAILURE,
            account,
            deactivated=deactivated,
            activation_expired_at=result.activation_expired_at,
        )

    if failures[0]:  # the account's count (the address' one is kept: it spans identifiers)
        throttle_reset(SCOPE_ACCOUNT, login_name)
    # The new session row, its record, last_login and the audit row are written together, in
    # one statement on PostgreSQL (see preau.db): round trips are most of a sign-in's cost
    # besides the hash. The Argon2 hash above ran outside any transaction.
    signin_open(
        request=request,
        account=account,
        method=str(result.verdict),
        data={"alias": result.alias} if result.alias else {},
    )
    if result.alias:
        # Said once, at this sign-in (on /connexion and /cas/login alike).
        messages.info(
            request,
            _(
                "L'identifiant %(alias)s a été fusionné dans votre compte %(login)s : vous êtes "
                "connecté à ce compte. Utilisez désormais l'identifiant %(login)s."
            )
            % {"alias": result.alias, "login": account.login},
        )
    return SigninResult(Outcome.SUCCESS, account)


def signin_open(
    *,
    request: HttpRequest,
    account: Account,
    method: str,
    data: dict[str, object] | None = None,
    federated: bool = False,
) -> None:
    """Open the session of ``account``, whose proof was checked by the caller (a secret here,
    a federation's signed answer in preau.federation), and record it as ``method``
    (``federated``: the proof was a federation's answer, see :data:`FEDERATED_SESSION_KEY`)."""
    if SESSION_KEY in request.session and str(request.session[SESSION_KEY]) != str(account.pk):
        # Someone else's session (a shared computer left signed in): they are signed out, as
        # if they had clicked "Se déconnecter" (their record closed, single logout, audit).
        signout(request=request)
    with write_batch():
        if SESSION_KEY in request.session:
            # login() keeps the key when the same person signs in again: rotate it anyway.
            request.session.cycle_key()
        login(request, account, backend=BACKEND_PATH)
        request.session[AUTH_METHOD_SESSION_KEY] = method
        if federated:
            request.session[FEDERATED_SESSION_KEY] = True
        else:  # the same person signing in again with a secret: no longer a federated session
            request.session.pop(FEDERATED_SESSION_KEY, None)
        audit_record(
            action="signin.success",
            actor=account,
            target=account,
            request=request,
            data={"method": method, **({"federated": True} if federated else {}), **(data or {})},
        )
        # The session row joins the batch (the middleware's save then has nothing to write).
        request.session.save()


# Set on the request by a receiver of ``user_logged_out`` (a federation whose provider must
# end its own session too): where the sign-out page sends the person next.
SIGNOUT_CONTINUE_ATTR = "preau_signout_continue"


def signout_continue_set(*, request: HttpRequest, url: str) -> None:
    """Ask the sign-out page to continue at ``url`` (a provider's end-session endpoint)."""
    setattr(request, SIGNOUT_CONTINUE_ATTR, url)


def signout_continue(request: HttpRequest) -> str:
    """Where the sign-out continues ('' when nobody asked: the sign-in page)."""
    return str(getattr(request, SIGNOUT_CONTINUE_ATTR, "") or "")


# Set on the request before :func:`signout` by a sign-out that has somewhere to go afterwards
# (CAS's ``/cas/logout?service=``, already checked against the registry): a provider's
# end-session round trip carries it, signed, and comes back there.
SIGNOUT_RETURN_ATTR = "preau_signout_return"


def signout_return_set(*, request: HttpRequest, url: str) -> None:
    setattr(request, SIGNOUT_RETURN_ATTR, url)


def signout_return(request: HttpRequest) -> str:
    """Where to land once the provider has ended its session too ('' : the sign-in page)."""
    return str(getattr(request, SIGNOUT_RETURN_ATTR, "") or "")


def signout(*, request: HttpRequest) -> None:
    """Close the session (flushed: a new key, no data) and record it."""
    account = request.user if request.user.is_authenticated else None
    logout(request)
    if account is not None:
        audit_record(action="signout", actor=account, target=account, request=request)


def _unknown_identifier(account: Account | None, login_name: str) -> dict[str, str]:
    """What was typed, for the operator, when it names no account (64 characters at most)."""
    return {} if account is not None else {"identifier": login_name[:64]}
