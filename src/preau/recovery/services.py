"""Writes of recovery: forgotten identifier or password, proofs, help requests, school actions.

The "forgotten" pages never reveal whether an account exists, neither by their answer nor by
their response time: :func:`recovery_request_submit` only counts the request in the throttles,
stores what was typed and hands it to a task; :func:`recovery_request_process` (the task) finds
the accounts and sends the link, the code or the identifiers through the outbox. Both kinds of
request do exactly the same work while the page is answering.

The school's side (:func:`account_code_reissue`, :func:`account_password_change_demand`,
:func:`account_deactivate`, :func:`account_reactivate`, :func:`account_throttles_lift`,
:func:`help_request_status_set`) takes the acting administrator and refuses, with
``PermissionDenied``, an account or a request outside the establishments they administer.
"""

from __future__ import annotations

import enum
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.account.models import SessionRecord
from preau.account.services import account_password_set
from preau.audit.services import audit_record, client_ip
from preau.conf import preau_setting
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.scope import ConsoleAction, scope_check
from preau.directory.selectors import establishments_administered
from preau.directory.transitions import (  # noqa: F401 - the first three are re-exported
    account_can_reactivate,
    account_deactivate,
    account_reactivate,
    account_reprovision,
)
from preau.notify.services import message_queue
from preau.notify.sms import phone_e164
from preau.recovery import tokens
from preau.recovery.letters import account_letter_pdf
from preau.recovery.models import (
    HelpRequest,
    MobileProof,
    PasswordChangeDemand,
    PasswordReset,
    RecoveryRequest,
)
from preau.signin.services import SCOPE_ACCOUNT as SIGNIN_SCOPE_ACCOUNT
from preau.signin.throttle import (
    throttle_check,
    throttle_check_many,
    throttle_fail,
    throttle_first_refusal,
    throttle_reset,
)

logger = logging.getLogger(__name__)

SCOPE_QUERY = "recovery.request.query"
SCOPE_ADDRESS = "recovery.request.address"
SCOPE_CONTACT = "recovery.contact"
SCOPE_CODE_ADDRESS = "recovery.code.address"
SCOPE_PROOF_IDENTIFIER = "recovery.proof.identifier"
SCOPE_PROOF_ADDRESS = "recovery.proof.address"

# Every throttle an administrator may lift for one account, with what keys it: the account's
# identifier, its id, its e-mail address or its mobile number.
ACCOUNT_THROTTLES: tuple[tuple[str, str], ...] = (
    (SIGNIN_SCOPE_ACCOUNT, "login"),
    ("activation.birth_date.account", "pk"),
    ("activation.email_send.account", "pk"),
    ("account.password.account", "pk"),
    (SCOPE_QUERY, "password:login"),
    (SCOPE_QUERY, "password:email"),
    (SCOPE_QUERY, "password:mobile"),
    (SCOPE_QUERY, "identifier:email"),
    (SCOPE_QUERY, "identifier:mobile"),
    (SCOPE_CONTACT, "email"),
    (SCOPE_CONTACT, "mobile"),
    (SCOPE_PROOF_IDENTIFIER, "login"),
)


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(preau_setting(name)))


def _public_url(path: str) -> str:
    return str(preau_setting("PUBLIC_URL")).rstrip("/") + path


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def _current_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}end_date__isnull": True}) | Q(
        **{f"{prefix}end_date__gt": timezone.localdate()}
    )


# --- What people type ---------------------------------------------------------------------------


class QueryKind(enum.StrEnum):
    IDENTIFIER = "login"
    EMAIL = "email"
    MOBILE = "mobile"


@dataclass(frozen=True)
class Query:
    kind: QueryKind
    value: str  # normalised: lower-case identifier, e-mail with its domain in lower case, E.164


def query_parse(raw: str, *, identifiers: bool = True) -> Query:
    """An identifier, an e-mail address or a mobile number as typed; ``ValidationError`` when
    it is none of them (``identifiers=False``: an e-mail or a number only)."""
    text = raw.strip()
    if "@" in text:
        local, _sep, domain = text.rpartition("@")
        address = f"{local}@{domain.lower()}"
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                _(
                    "Cette adresse électronique n'est pas valide : vérifiez-la, elle doit "
                    "ressembler à prenom.nom@exemple.fr."
                ),
                code="invalid_email",
            ) from exc
        return Query(QueryKind.EMAIL, address)
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 6 and all(ch.isdigit() or ch in "+ .-()" for ch in text):
        try:
            return Query(QueryKind.MOBILE, phone_e164(text))
        except ValidationError as exc:
            raise ValidationError(
                _(
                    "Ce numéro de téléphone n'est pas valide : saisissez-le avec ses 10 chiffres, "
                    "par exemple 06 12 34 56 78."
                ),
                code="invalid_phone",
            ) from exc
    if not identifiers:
        raise ValidationError(
            _(
                "Saisissez une adresse électronique (par exemple prenom.nom@exemple.fr) ou un "
                "numéro de mobile (par exemple 06 12 34 56 78)."
            ),
            code="invalid_contact",
        )
    return Query(QueryKind.IDENTIFIER, text.lower())


# --- Forgotten identifier or password: the request ----------------------------------------------


class SubmitOutcome(enum.Enum):
    ACCEPTED = "accepted"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SubmitResult:
    outcome: SubmitOutcome
    wait: int = 0
    request_id: int | None = None


def recovery_request_submit(
    *,
    kind: str,
    query: Query,
    handle: str,
    first_name: str = "",
    request: HttpRequest | None = None,
) -> SubmitResult:
    """Accept a "forgotten" request, whatever it names: count it in the throttles (per typed
    value and per address), store it, and hand it to the task after the commit. Nothing here
    depends on whether an account matches."""
    address = client_ip(request)
    keys = [(SCOPE_QUERY, f"{kind}:{query.value}")]
    if address:
        keys.append((SCOPE_ADDRESS, address))
    waits = throttle_check_many(keys)
    wait, scope, key = max((w, s, k) for w, (s, k) in zip(waits, keys, strict=True))
    if wait > 0:
        if throttle_first_refusal(scope, key, wait):
            audit_record(
                action="recovery.request.throttled",
                request=request,
                data={"kind": kind, "scope": scope, "wait": wait},
            )
        return SubmitResult(SubmitOutcome.THROTTLED, wait=wait)
    for scope, key in keys:
        throttle_fail(scope, key)
    with transaction.atomic():
        row = RecoveryRequest.objects.create(
            kind=kind,
            query=query.value,
            first_name=first_name.strip()[:150],
            handle_digest=tokens.handle_digest(handle) if handle else "",
            ip=address,
            created_at=timezone.now(),
        )
        audit_record(
            action="recovery.request",
            request=request,
            data={"kind": kind, "request": row.pk, "by": query.kind.value},
        )
        transaction.on_commit(partial(_enqueue, row.pk), robust=True)
    return SubmitResult(SubmitOutcome.ACCEPTED, request_id=row.pk)


def _enqueue(request_id: int) -> None:
    from preau.recovery.tasks import process_recovery_request

    process_recovery_request.enqueue(request_id)


# --- Forgotten identifier or password: the task -------------------------------------------------


def _live_accounts() -> Any:
    return Account.objects.exclude(state=Account.State.DEACTIVATED)


def _by_email(address: str) -> list[Account]:
    # Addresses are stored with their domain in lower case; the local part as typed (most
    # people type it in lower case): both spellings use the index.
    candidates = list(dict.fromkeys([address, address.lower()]))
    return list(
        _live_accounts()
        .filter(email__in=candidates, email_verified_at__isnull=False)
        .order_by("pk")[: _max_identifiers()]
    )


def _by_mobile(number: str) -> list[Account]:
    return list(
        _live_accounts()
        .filter(mobile=number, mobile_verified_at__isnull=False)
        .order_by("pk")[: _max_identifiers()]
    )


def _max_identifiers() -> int:
    return max(int(preau_setting("RECOVERY_MAX_IDENTIFIERS")), 1)


def _contact_allowed(destination: str, row: RecoveryRequest, account: Account | None) -> bool:
    """The per-contact throttle: past its limit nothing goes to this address or number."""
    key = destination.strip().lower()
    wait = throttle_check(SCOPE_CONTACT, key)
    if wait > 0:
        audit_record(
            action="recovery.contact.throttled",
            target=account,
            ip=row.ip,
            data={"request": row.pk, "wait": wait},
        )
        return False
    throttle_fail(SCOPE_CONTACT, key)
    return True


def recovery_request_process(*, request_id: int, sweep: bool = True) -> str:
    """Act on one stored request (the task): find the accounts and send. Returns the outcome.

    Claimed with one conditional UPDATE, so two runs of the task process it once. A request
    older than the link lifetime is dropped (a message arriving that late would puzzle).
    ``sweep``: afterwards, process requests whose task was lost (a crash between the commit
    and the enqueue), so that they wait at most until the next request.
    """
    now = timezone.now()
    claimed = RecoveryRequest.objects.filter(pk=request_id, processed_at__isnull=True).update(
        processed_at=now
    )
    if claimed != 1:
        return "skipped"
    row = RecoveryRequest.objects.get(pk=request_id)
    if now - row.created_at > _minutes("RECOVERY_LINK_MINUTES"):
        outcome = "expired"
    else:
        try:
            with transaction.atomic():
                if row.kind == RecoveryRequest.Kind.PASSWORD:
                    outcome = _process_password(row)
                else:
                    outcome = _process_identifier(row)
        except Exception:
            logger.exception("Recovery request %s could not be processed", request_id)
            outcome = "error"
    RecoveryRequest.objects.filter(pk=request_id).update(query="", first_name="", outcome=outcome)
    if sweep:
        recovery_requests_sweep()
    return outcome


def recovery_requests_sweep(*, grace_seconds: int = 120, batch: int = 20) -> int:
    """Process requests left unprocessed longer than ``grace_seconds``; return how many."""
    before = timezone.now() - timedelta(seconds=grace_seconds)
    ids = list(
        RecoveryRequest.objects.filter(processed_at__isnull=True, created_at__lte=before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in ids:
        recovery_request_process(request_id=pk, sweep=False)
    return len(ids)


def _process_password(row: RecoveryRequest) -> str:
    query = query_parse(row.query)
    targets: list[tuple[Account, str, str]] = []  # (account, channel, destination)
    if query.kind is QueryKind.EMAIL:
        targets = [(a, PasswordReset.Channel.EMAIL, a.email) for a in _by_email(query.value)]
    else:
        account = _live_accounts().filter(login=query.value).first()
        if account is not None:
            if account.email and account.email_verified_at is not None:
                targets.append((account, PasswordReset.Channel.EMAIL, account.email))
            if account.mobile and account.mobile_verified_at is not None:
                targets.append((account, PasswordReset.Channel.SMS, account.mobile))
        elif query.kind is QueryKind.MOBILE:
            targets = [(a, PasswordReset.Channel.SMS, a.mobile) for a in _by_mobile(query.value)]
    if not targets:
        audit_record(
            action="recovery.password.none",
            ip=row.ip,
            data={"request": row.pk, "by": query.kind.value},
        )
        return "none"
    sent = 0
    superseded: set[int] = set()
    for account, channel, destination in targets:
        if not _contact_allowed(destination, row, account):
            continue
        if account.pk not in superseded:
            _resets_end(account, PasswordReset.EndReason.SUPERSEDED, exclude_request=row)
            superseded.add(account.pk)
        _reset_send(row, account, channel, destination)
        sent += 1
    return "sent" if sent else "throttled"


def _resets_end(
    account: Account, reason: str, *, exclude_request: RecoveryRequest | None = None
) -> int:
    live = PasswordReset.objects.filter(account=account, ended_at__isnull=True)
    if exclude_request is not None:
        live = live.exclude(recovery_request=exclude_request)
    return live.update(ended_at=timezone.now(), end_reason=reason)


def _reset_send(row: RecoveryRequest, account: Account, channel: str, destination: str) -> None:
    now = timezone.now()
    if channel == PasswordReset.Channel.EMAIL:
        token = tokens.token_new()
        valid_for = _minutes("RECOVERY_LINK_MINUTES")
        reset = PasswordReset.objects.create(
            account=account,
            recovery_request=row,
            channel=channel,
            destination=destination,
            lookup_digest=tokens.token_digest(token),
            fingerprint=tokens.fingerprint(account, destination),
            created_at=now,
            expires_at=now + valid_for,
        )
        message_queue(
            channel="email",
            to=destination,
            template="password_reset",
            context={
                "url": _public_url(reverse("recovery:link", kwargs={"token": token})),
                "valid_for": valid_for,
                "first_name": account.first_name,
                "login": account.login,
            },
            account=account,
            idempotency_key=f"password_reset:{reset.pk}",
        )
    else:
        code = tokens.code_new()
        valid_for = _minutes("RECOVERY_CODE_MINUTES")
        reset = PasswordReset.objects.create(
            account=account,
            recovery_request=row,
            channel=channel,
            destination=destination,
            lookup_digest=row.handle_digest,
            code_digest=tokens.code_digest(row.handle_digest, code),
            fingerprint=tokens.fingerprint(account, destination),
            created_at=now,
            expires_at=now + valid_for,
        )
        message_queue(
            channel="sms",
            to=destination,
            template="password_reset_code",
            context={"code": code, "minutes": int(valid_for.total_seconds() // 60)},
            account=account,
            idempotency_key=f"password_reset:{reset.pk}",
        )
    audit_record(
        action="recovery.password.send",
        actor=None,
        target=account,
        ip=row.ip,
        data={"request": row.pk, "reset": reset.pk, "channel": channel},
    )


def _establishment_names(account_ids: Iterable[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    rows = (
        Membership.objects.filter(_current_q(), account_id__in=list(account_ids))
        .order_by("establishment__name")
        .values_list("account_id", "establishment__name")
    )
    for account_id, name in rows:
        bucket = names.setdefault(account_id, [])
        if name not in bucket:
            bucket.append(name)
    return names


def _process_identifier(row: RecoveryRequest) -> str:
    query = query_parse(row.query, identifiers=False)
    if query.kind is QueryKind.EMAIL:
        accounts = _by_email(query.value)
    else:
        accounts = _by_mobile(query.value)
    if row.first_name:
        wanted = _fold(row.first_name)
        accounts = [a for a in accounts if _fold(a.first_name) == wanted]
    if not accounts:
        audit_record(
            action="recovery.identifier.none",
            ip=row.ip,
            data={"request": row.pk, "by": query.kind.value},
        )
        return "none"
    # The contact as verified (the typed spelling may differ in case).
    contact = accounts[0].email if query.kind is QueryKind.EMAIL else accounts[0].mobile
    if not _contact_allowed(contact, row, accounts[0]):
        return "throttled"
    if query.kind is QueryKind.EMAIL:
        establishments = _establishment_names(a.pk for a in accounts)
        message_queue(
            channel="email",
            to=contact,
            template="identifier_reminder",
            context={
                "accounts": [
                    {
                        "first_name": a.first_name,
                        "last_name": a.last_name,
                        "login": a.login,
                        "establishments": ", ".join(establishments.get(a.pk, [])),
                    }
                    for a in accounts
                ],
                "signin_url": _public_url(reverse("signin:login")),
            },
            account=accounts[0] if len(accounts) == 1 else None,
            idempotency_key=f"identifier_reminder:{row.pk}",
        )
    else:
        for account in accounts:
            message_queue(
                channel="sms",
                to=contact,
                template="identifier_reminder",
                context={"login": account.login},
                account=account,
                idempotency_key=f"identifier_reminder:{row.pk}:{account.pk}",
            )
    for account in accounts:
        audit_record(
            action="recovery.identifier.send",
            target=account,
            ip=row.ip,
            data={"request": row.pk, "channel": query.kind.value},
        )
    return "sent"


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
        typed = tokens.code_digest(salt, code)
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
            _current_q(), guardian_id=account_id, student__birth_date__isnull=False
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


# --- Help requests ------------------------------------------------------------------------------


def establishments_of(account: Account) -> list[Establishment]:
    """The establishments where ``account`` has a current membership (help goes to one)."""
    return list(
        Establishment.objects.filter(
            pk__in=Membership.objects.filter(_current_q(), account=account).values(
                "establishment_id"
            )
        ).order_by("name")
    )


def help_request_submit(
    *,
    account: Account,
    establishment: Establishment,
    last_name: str,
    first_name: str,
    school_class: str,
    children: str,
    delivery: str,
    email: str,
    request: HttpRequest | None = None,
) -> HelpRequest:
    """File (or update: one open request per account and school) a request for new codes."""
    if establishment.pk not in {e.pk for e in establishments_of(account)}:
        raise PermissionDenied("the account has no current membership in this establishment")
    now = timezone.now()
    values = {
        "login": account.login,
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "school_class": school_class.strip()[:50],
        "children": children.strip()[:2000],
        "delivery": delivery,
        "email": email.strip() if delivery == HelpRequest.Delivery.EMAIL else "",
        "updated_at": now,
    }
    with transaction.atomic():
        existing = _open_request_locked(account, establishment)
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(values))
            help_request = existing
            action = "help_request.update"
        else:
            help_request = HelpRequest.objects.create(
                account=account, establishment=establishment, created_at=now, **values
            )
            action = "help_request.create"
        audit_record(
            action=action,
            actor=None,
            target=account,
            establishment=establishment,
            request=request,
            data={"help_request": help_request.pk, "delivery": delivery},
        )
    return help_request


def _open_request_locked(account: Account, establishment: Establishment) -> HelpRequest | None:
    """The account's open request (new or in progress) in ``establishment``, row-locked."""
    return (
        HelpRequest.objects.select_for_update()
        .filter(
            account=account,
            establishment=establishment,
            status__in=[HelpRequest.Status.NEW, HelpRequest.Status.IN_PROGRESS],
        )
        .first()
    )


def _class_codes(account: Account, establishment: Establishment) -> str:
    """The classes of ``account``'s current memberships in ``establishment`` ("4B, Latin")."""
    codes = (
        Membership.objects.filter(_current_q(), account=account, establishment=establishment)
        .values_list("classes__code", flat=True)
        .order_by("classes__code")
    )
    return ", ".join(dict.fromkeys(code for code in codes if code))


def help_request_birth_date_refused(
    *,
    account: Account,
    subject: Account,
    failures: int,
    request: HttpRequest | None = None,
) -> list[HelpRequest]:
    """Tell the school that ``account``'s first connection is blocked: the birth date (of
    ``subject``, the person or a guardian's child) was refused ``failures`` times. One request
    in each establishment where the account has a current membership (a guardian known only
    through a child: the child's), or the open one there marked with this reason. The school
    checks who the person is and hands over a new activation code (a fresh first connection).
    Called inside the transaction that blocks the step (see ``preau.recovery.receivers``)."""
    establishments = establishments_of(account) or establishments_of(subject)
    now = timezone.now()
    filed: list[HelpRequest] = []
    with transaction.atomic():
        for establishment in establishments:
            child = ""
            if subject.pk != account.pk:
                classes = _class_codes(subject, establishment)
                child = f"{subject.last_name} {subject.first_name}" + (
                    f" ({classes})" if classes else ""
                )
            existing = _open_request_locked(account, establishment)
            if existing is not None:
                existing.reason = HelpRequest.Reason.BIRTH_DATE_REFUSED
                existing.updated_at = now
                existing.save(update_fields=["reason", "updated_at"])
                help_request, action = existing, "help_request.update"
            else:
                help_request = HelpRequest.objects.create(
                    account=account,
                    establishment=establishment,
                    reason=HelpRequest.Reason.BIRTH_DATE_REFUSED,
                    login=account.login,
                    last_name=account.last_name,
                    first_name=account.first_name,
                    school_class=_class_codes(account, establishment)[:50],
                    children=child,
                    delivery=HelpRequest.Delivery.PAPER,
                    created_at=now,
                    updated_at=now,
                )
                action = "help_request.create"
            audit_record(
                action=action,
                actor=None,
                target=account,
                establishment=establishment,
                request=request,
                data={
                    "help_request": help_request.pk,
                    "reason": HelpRequest.Reason.BIRTH_DATE_REFUSED.value,
                    "failures": failures,
                },
            )
            filed.append(help_request)
    return filed


# --- The school's side --------------------------------------------------------------------------


def _check_scope(actor: Any, establishment: Establishment) -> None:
    """``PermissionDenied`` unless ``actor`` administers ``establishment``."""
    if not establishments_administered(actor=actor).filter(pk=establishment.pk).exists():
        raise PermissionDenied("not an administrator of this establishment")


def help_request_status_set(
    *,
    actor: Account,
    help_request: HelpRequest,
    status: str,
    resolution: str = "",
    request: HttpRequest | None = None,
) -> bool:
    """Move a request along its queue (new → in progress → done, or back). Returns whether
    it changed."""
    _check_scope(actor, help_request.establishment)
    if status not in HelpRequest.Status.values:
        raise ValidationError(_("État inconnu."), code="status")
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
        if locked.status == status and not resolution:
            return False
        previous = locked.status
        now = timezone.now()
        locked.status = status
        locked.updated_at = now
        locked.handled_by = actor
        locked.handled_at = now
        fields = ["status", "updated_at", "handled_by", "handled_at"]
        if resolution:
            locked.resolution = resolution
            fields.append("resolution")
        locked.save(update_fields=fields)
        audit_record(
            action="help_request.status",
            actor=actor,
            target=locked.account,
            establishment=locked.establishment,
            request=request,
            data={
                "help_request": locked.pk,
                "from": previous,
                "to": status,
                "resolution": resolution,
            },
        )
    for name in ("status", "updated_at", "handled_by", "handled_at", "resolution"):
        setattr(help_request, name, getattr(locked, name))
    return True


class Delivery(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Reissue:
    code: str  # the clear code: the only time it exists
    delivery: Delivery
    destination: str = ""
    was_active: bool = False
    sessions_ended: int = 0
    pdf: bytes = b""  # the letter, for Delivery.LETTER


def account_code_reissue(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    delivery: str,
    email: str = "",
    help_request: HelpRequest | None = None,
    request: HttpRequest | None = None,
) -> Reissue:
    """A new activation code for ``account``, handed over by ``delivery``:

    - ``letter``: the letter's PDF is returned (drawn in the transaction);
    - ``email``: sent to ``email`` (the account's address on file, or the one given in a help
      request), ``sms``: to the account's mobile.

    An active account goes back to "waiting for activation": its password stops working, its
    sessions end, and its owner chooses a new password when signing in with the code (a
    password change is demanded). A deactivated one is reactivated by the code. The help
    request, if any, is marked done. One transaction: if the mail cannot be queued (a wrong
    address), no code is replaced.
    """
    scope_check(
        actor=actor, account=account, establishment=establishment, action=ConsoleAction.REISSUE
    )
    chosen = Delivery(delivery)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        was_active = locked.state == Account.State.ACTIVE
        ended = SessionRecord.objects.filter(account=locked, ended_at__isnull=True).count()
        if was_active:
            _demand_set(locked, actor)
        # The directory's reprovision move: the code replaces the password and ends every
        # session, reset link, token and unfinished first connection of the account.
        code = account_reprovision(
            actor=actor, account=locked, establishment=establishment, request=request
        )
        destination = ""
        pdf = b""
        if chosen is Delivery.LETTER:
            # Drawn inside the transaction: if drawing fails, the old code stays valid.
            pdf = account_letter_pdf(account=locked, establishment=establishment, code=code)
        elif chosen is Delivery.EMAIL:
            destination = (email or locked.email).strip()
            if not destination:
                raise ValidationError(
                    _("Ce compte n'a pas d'adresse électronique : imprimez un courrier."),
                    code="no_email",
                )
            message_queue(
                channel="email",
                to=destination,
                template="activation_code",
                context=_code_context(locked, code, establishment),
                account=locked,
            )
        elif chosen is Delivery.SMS:
            destination = locked.mobile
            if not destination:
                raise ValidationError(
                    _("Ce compte n'a pas de numéro de mobile : imprimez un courrier."),
                    code="no_mobile",
                )
            message_queue(
                channel="sms",
                to=destination,
                template="activation_code",
                context=_code_context(locked, code, establishment),
                account=locked,
            )
        audit_record(
            action="account.code_reissue",
            actor=actor,
            target=locked,
            establishment=establishment,
            request=request,
            data={
                "delivery": chosen.value,
                "was_active": was_active,
                "sessions_ended": ended,
                "help_request": help_request.pk if help_request else None,
            },
        )
        if help_request is not None:
            if help_request.establishment_id != establishment.pk:
                raise PermissionDenied("the help request belongs to another establishment")
            help_request_status_set(
                actor=actor,
                help_request=help_request,
                status=HelpRequest.Status.DONE,
                resolution=chosen.value,
                request=request,
            )
    for name in ("state", "password", "activation_code_digest", "activation_expires_at"):
        setattr(account, name, getattr(locked, name))
    account.deactivated_at = None
    return Reissue(
        code=code,
        delivery=chosen,
        destination=destination,
        was_active=was_active,
        sessions_ended=ended,
        pdf=pdf,
    )


def _code_context(account: Account, code: str, establishment: Establishment) -> dict[str, Any]:
    from preau.directory.activation_codes import activation_code_display

    return {
        "first_name": account.first_name,
        "login": account.login,
        "code": activation_code_display(code),
        "expires_at": account.activation_expires_at,
        "establishment": establishment.name,
        "signin_url": _public_url(reverse("signin:login")),
    }


def _demand_set(account: Account, actor: Account | None) -> PasswordChangeDemand:
    demand, _created = PasswordChangeDemand.objects.update_or_create(
        account=account, defaults={"demanded_at": timezone.now(), "demanded_by": actor}
    )
    return demand


def account_password_change_demand(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> PasswordChangeDemand:
    """Ask ``account`` to choose a new password at its next sign-in (an ``UPDATE_PASSWORD``
    required action before anything else, see :mod:`preau.recovery.receivers`)."""
    scope_check(
        actor=actor,
        account=account,
        establishment=establishment,
        action=ConsoleAction.PASSWORD_DEMAND,
    )
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        demand = _demand_set(locked, actor)
        audit_record(
            action="account.password_change_demand",
            actor=actor,
            target=locked,
            establishment=establishment,
            request=request,
        )
    return demand


def _throttle_pairs(account: Account) -> list[tuple[str, str]]:
    values = {
        "login": account.login,
        "pk": str(account.pk),
        "email": (account.email or "").strip().lower(),
        "mobile": account.mobile or "",
    }
    pairs: list[tuple[str, str]] = []
    for scope, spec in ACCOUNT_THROTTLES:
        prefix, _sep, name = spec.rpartition(":")
        value = values[name]
        if scope == SCOPE_QUERY and name == "email":
            value = account.email or ""  # typed values keep the local part's case
        if value:
            pairs.append((scope, f"{prefix}:{value}" if prefix else value))
    return pairs


def account_throttles_active(account: Account) -> list[tuple[str, int]]:
    """The throttles holding ``account`` back now: (scope, seconds left)."""
    pairs = _throttle_pairs(account)
    waits = throttle_check_many(pairs)
    return [(scope, wait) for (scope, _key), wait in zip(pairs, waits, strict=True) if wait > 0]


def account_throttles_lift(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> int:
    """Forget every failure counted against ``account`` (sign-in, birth date, recovery…).
    Per-address throttles stay: they protect the whole ENT. Returns how many were holding."""
    scope_check(
        actor=actor,
        account=account,
        establishment=establishment,
        action=ConsoleAction.THROTTLES_LIFT,
    )
    active = account_throttles_active(account)
    for scope, key in _throttle_pairs(account):
        throttle_reset(scope, key)
    audit_record(
        action="account.throttles_lift",
        actor=actor,
        target=account,
        establishment=establishment,
        request=request,
        data={"scopes": sorted({scope for scope, _wait in active})},
    )
    return len(active)


# --- Proving a mobile number --------------------------------------------------------------------


class MobileProofOutcome(enum.Enum):
    SENT = "sent"
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    THROTTLED = "throttled"
    NO_MOBILE = "no_mobile"


def mobile_proof_send(
    *, account: Account, request: HttpRequest | None = None
) -> MobileProofOutcome:
    """Send a code to the account's mobile, to prove it (throttled per number)."""
    if not account.mobile:
        return MobileProofOutcome.NO_MOBILE
    key = account.mobile
    if throttle_check(SCOPE_CONTACT, key) > 0:
        return MobileProofOutcome.THROTTLED
    throttle_fail(SCOPE_CONTACT, key)
    code = tokens.code_new()
    now = timezone.now()
    valid_for = _minutes("RECOVERY_CODE_MINUTES")
    salt = f"mobile:{account.pk}:{now.timestamp()}"
    with transaction.atomic():
        MobileProof.objects.filter(account=account, ended_at__isnull=True).update(ended_at=now)
        proof = MobileProof.objects.create(
            account=account,
            mobile=account.mobile,
            code_digest=tokens.code_digest(salt, code),
            created_at=now,
            expires_at=now + valid_for,
        )
        message_queue(
            channel="sms",
            to=account.mobile,
            template="mobile_proof",
            context={"code": code, "minutes": int(valid_for.total_seconds() // 60)},
            account=account,
            idempotency_key=f"mobile_proof:{proof.pk}",
        )
        audit_record(
            action="mobile_proof.send",
            actor=account,
            target=account,
            request=request,
            data={"proof": proof.pk},
        )
    return MobileProofOutcome.SENT


def mobile_proof_confirm(
    *, account: Account, code: str, request: HttpRequest | None = None
) -> MobileProofOutcome:
    """Check the code typed for the latest proof; a right one marks the mobile verified."""
    limit = int(preau_setting("RECOVERY_CODE_ATTEMPTS"))
    with transaction.atomic():
        proof = (
            MobileProof.objects.select_for_update()
            .filter(account=account, ended_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if proof is None:
            return MobileProofOutcome.EXPIRED
        salt = f"mobile:{account.pk}:{proof.created_at.timestamp()}"
        if proof.expires_at <= timezone.now() or proof.mobile != account.mobile:
            proof.ended_at = timezone.now()
            proof.save(update_fields=["ended_at"])
            return MobileProofOutcome.EXPIRED
        if not tokens.matches(proof.code_digest, tokens.code_digest(salt, code)):
            proof.attempts += 1
            fields = ["attempts"]
            if proof.attempts >= limit:
                proof.ended_at = timezone.now()
                fields.append("ended_at")
            proof.save(update_fields=fields)
            return MobileProofOutcome.WRONG
        now = timezone.now()
        proof.ended_at = now
        proof.save(update_fields=["ended_at"])
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.mobile_verified_at = now
        locked.save(update_fields=["mobile_verified_at", "updated_at"])
        account.mobile_verified_at = now
        audit_record(
            action="mobile_proof.confirm",
            actor=account,
            target=account,
            request=request,
            data={"proof": proof.pk},
        )
    return MobileProofOutcome.CONFIRMED
