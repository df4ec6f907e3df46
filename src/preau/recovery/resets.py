"""Password resets: what a link or an SMS code is worth, the code typed, the new password;
and proving an account without a channel (identifier and birth date).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record, client_ip
from preau.codes import code_digest
from preau.conf import preau_setting
from preau.directory.models import Account, Guardianship, current_q
from preau.directory.transitions import (  # noqa: F401 - the first three are re-exported
    account_can_reactivate,
    account_deactivate,
    account_reactivate,
    account_reprovision,
)
from preau.notify.services import message_queue
from preau.recovery import tokens
from preau.recovery.models import (
    PasswordChangeDemand,
    PasswordReset,
)
from preau.recovery.requests import (
    SCOPE_CODE_ADDRESS,
    SCOPE_PROOF_ADDRESS,
    SCOPE_PROOF_IDENTIFIER,
    _minutes,
)
from preau.signin.passwords import account_password_set
from preau.signin.services import SCOPE_ACCOUNT as SIGNIN_SCOPE_ACCOUNT
from preau.signin.throttle import (
    throttle_check,
    throttle_check_many,
    throttle_fail,
    throttle_reset,
)

# --- Reset links, codes and the new password ----------------------------------------------------


class ResetStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"  # altered, truncated, never issued
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"  # a newer request was made since
    OBSOLETE = "obsolete"  # the password (or the address or number) changed since
    EXHAUSTED = "exhausted"  # too many wrong codes
    ACCOUNT_CLOSED = "account_closed"


@dataclass(frozen=True)
class ResetCheck:
    status: ResetStatus
    reset: PasswordReset | None = None

    @property
    def account(self) -> Account | None:
        return self.reset.account if self.reset is not None else None


_END_STATUSES = {
    PasswordReset.EndReason.USED: ResetStatus.USED,
    PasswordReset.EndReason.SUPERSEDED: ResetStatus.SUPERSEDED,
    PasswordReset.EndReason.TOO_MANY_ATTEMPTS: ResetStatus.EXHAUSTED,
    PasswordReset.EndReason.REVOKED: ResetStatus.OBSOLETE,
}


def _status_of(reset: PasswordReset) -> ResetStatus:
    """One place decides what a reset is worth: ended, expired, obsolete, closed or valid."""
    if reset.end_reason:
        return _END_STATUSES.get(PasswordReset.EndReason(reset.end_reason), ResetStatus.USED)
    if reset.expires_at <= timezone.now():
        return ResetStatus.EXPIRED
    account = reset.account
    contact = account.email if reset.channel == PasswordReset.Channel.EMAIL else account.mobile
    if not tokens.matches(reset.fingerprint, tokens.fingerprint(account, contact)):
        return ResetStatus.OBSOLETE
    if account.state == Account.State.DEACTIVATED:
        return ResetStatus.ACCOUNT_CLOSED
    return ResetStatus.VALID


def password_reset_check(token: str, *, lock: bool = False) -> ResetCheck:
    """What a link's token (or an SMS grant) is worth, without using it."""
    if not token or len(token) > tokens.TOKEN_MAX_LENGTH:
        return ResetCheck(ResetStatus.UNKNOWN)
    wanted = tokens.token_digest(token)
    rows = PasswordReset.objects.select_related("account")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = (
        rows.filter(lookup_digest=wanted)
        .filter(Q(channel=PasswordReset.Channel.EMAIL) | Q(code_verified_at__isnull=False))
        .first()
    )
    if found is None or not tokens.matches(found.lookup_digest, wanted):
        return ResetCheck(ResetStatus.UNKNOWN)
    return ResetCheck(_status_of(found), found)


class CodeOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class CodeResult:
    outcome: CodeOutcome
    grant: str = ""
    wait: int = 0


def password_reset_code_verify(
    *, handle: str, code: str, request: HttpRequest | None = None
) -> CodeResult:
    """Check an SMS code typed in the browser that asked for it (``handle``, from its session).

    A right code becomes a grant (returned once, its digest replaces the handle's) to choose
    the new password within ``RECOVERY_GRANT_MINUTES``. A wrong one counts against every live
    code of the request (``RECOVERY_CODE_ATTEMPTS`` at most) and against the address. "Expired"
    is only said to someone who typed the right code: it tells nothing to others.
    """
    address = client_ip(request)
    if address:
        wait = throttle_check(SCOPE_CODE_ADDRESS, address)
        if wait > 0:
            return CodeResult(CodeOutcome.THROTTLED, wait=wait)
    if not handle:
        return CodeResult(CodeOutcome.WRONG)
    salt = tokens.handle_digest(handle)
    live_rows = PasswordReset.objects.filter(
        lookup_digest=salt,
        channel=PasswordReset.Channel.SMS,
        code_verified_at__isnull=True,
        ended_at__isnull=True,
    )
    with transaction.atomic():
        live = list(
            live_rows.select_for_update(of=("self",)).select_related("account").order_by("pk")
        )
        typed = code_digest(salt, code)
        right = [r for r in live if tokens.matches(r.code_digest, typed)]
        if right:
            reset = right[0]
            status = _status_of(reset)
            if status is ResetStatus.VALID:
                grant = tokens.token_new()
                now = timezone.now()
                reset.lookup_digest = tokens.token_digest(grant)
                reset.code_verified_at = now
                reset.expires_at = now + _minutes("RECOVERY_GRANT_MINUTES")
                reset.save(update_fields=["lookup_digest", "code_verified_at", "expires_at"])
                audit_record(
                    action="recovery.code.success",
                    actor=None,
                    target=reset.account,
                    request=request,
                    data={"reset": reset.pk},
                )
                return CodeResult(CodeOutcome.OK, grant=grant)
            if status is ResetStatus.EXPIRED:
                return CodeResult(CodeOutcome.EXPIRED)
        # A wrong code runs the same statements whether a code was sent for this handle or not
        # (an UPDATE matching no row, one audit row): its timing tells nothing either.
        limit = int(preau_setting("RECOVERY_CODE_ATTEMPTS"))
        live_rows.update(attempts=F("attempts") + 1)
        live_rows.filter(attempts__gte=limit).update(
            ended_at=timezone.now(), end_reason=PasswordReset.EndReason.TOO_MANY_ATTEMPTS
        )
        audit_record(
            action="recovery.code.failure",
            target=live[0].account if live else None,
            request=request,
            data={"resets": [r.pk for r in live]},
        )
    if address:
        throttle_fail(SCOPE_CODE_ADDRESS, address)
    return CodeResult(CodeOutcome.WRONG)


def password_reset_complete(
    *, token: str, password: str, request: HttpRequest | None = None
) -> ResetCheck:
    """Use a link (or an SMS grant) to set the new password (validated by the caller's form).

    In one transaction: the password (which ends every session of the account), the reset
    marked used and the account's other live resets ended, the audit event, and "votre mot de
    passe a été modifié" sent to the verified e-mail (else by SMS to the verified mobile).
    The sign-in throttle of the identifier is lifted: its owner has just proved who they are.
    """
    with transaction.atomic():
        check = password_reset_check(token, lock=True)
        if check.status is not ResetStatus.VALID or check.reset is None:
            return check
        reset = check.reset
        account = Account.objects.select_for_update().get(pk=reset.account_id)
        account_password_set(
            actor=account, account=account, password=password, request=request, reason="recovery"
        )
        now = timezone.now()
        reset.ended_at = now
        reset.end_reason = PasswordReset.EndReason.USED
        reset.save(update_fields=["ended_at", "end_reason"])
        PasswordReset.objects.filter(account=account, ended_at__isnull=True).update(
            ended_at=now, end_reason=PasswordReset.EndReason.SUPERSEDED
        )
        PasswordChangeDemand.objects.filter(account=account).delete()
        audit_record(
            action="recovery.password.reset",
            actor=account,
            target=account,
            request=request,
            data={"reset": reset.pk, "channel": reset.channel},
        )
        _password_changed_notify(account, key=f"password_changed:{reset.pk}")
        transaction.on_commit(partial(throttle_reset, SIGNIN_SCOPE_ACCOUNT, account.login))
    reset.account = account
    # VALID: the reset was good, and is now used.
    return ResetCheck(ResetStatus.VALID, reset)


def _password_changed_notify(account: Account, *, key: str) -> None:
    when = timezone.localtime()
    if account.email and account.email_verified_at is not None:
        message_queue(
            channel="email",
            to=account.email,
            template="password_changed",
            context={"first_name": account.first_name, "login": account.login, "when": when},
            account=account,
            idempotency_key=key,
        )
    elif account.mobile and account.mobile_verified_at is not None:
        message_queue(
            channel="sms",
            to=account.mobile,
            template="password_changed",
            context={"login": account.login},
            account=account,
            idempotency_key=key,
        )


# --- Proving an account without a channel -------------------------------------------------------


class ProofOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class ProofResult:
    outcome: ProofOutcome
    account: Account | None = None
    wait: int = 0


def _proof_dates(account: Account | None) -> list[date]:
    """Birth dates that prove ``account``: its own, and (a guardian's own is rarely known to
    the school) those of its current children. The children's query runs for an unknown
    identifier too, so that a failure costs the same either way."""
    account_id = account.pk if account is not None else 0
    dates: list[date] = [
        d
        for d in Guardianship.objects.filter(
            current_q(), guardian_id=account_id, student__birth_date__isnull=False
        ).values_list("student__birth_date", flat=True)
        if d is not None
    ]
    if account is not None and account.birth_date is not None:
        dates.insert(0, account.birth_date)
    return dates


def recovery_proof_check(
    *, identifier: str, birth_date: date, request: HttpRequest | None = None
) -> ProofResult:
    """Identifier + birth date (the person's, or for a guardian a child's): throttled per
    identifier and per address; a failure answers the same for an unknown identifier."""
    login = identifier.strip().lower()
    address = client_ip(request)
    keys = [(SCOPE_PROOF_IDENTIFIER, login)]
    if address:
        keys.append((SCOPE_PROOF_ADDRESS, address))
    waits = throttle_check_many(keys)
    wait = max(waits)
    account = Account.objects.filter(login=login).first() if login else None
    if wait > 0:
        return ProofResult(ProofOutcome.THROTTLED, wait=wait)
    dates = _proof_dates(account)
    if account is not None and birth_date in dates:
        throttle_reset(SCOPE_PROOF_IDENTIFIER, login)
        audit_record(action="recovery.proof.success", actor=None, target=account, request=request)
        return ProofResult(ProofOutcome.OK, account=account)
    delays = [throttle_fail(scope, key) for scope, key in keys]
    audit_record(
        action="recovery.proof.failure",
        target=account,
        request=request,
        data={"throttled_for": max(delays)} if max(delays) else {},
    )
    return ProofResult(ProofOutcome.WRONG)
