"""Forgotten identifier or password: the request and its processing.

The "forgotten" pages never reveal whether an account exists, neither by their answer nor by
their response time: :func:`recovery_request_submit` only counts the request in the throttles,
stores what was typed and hands it to a task; :func:`recovery_request_process` (the task) finds
the accounts and sends the link, the code or the identifiers through the outbox. Both kinds of
request do exactly the same work while the page is answering.
"""

from __future__ import annotations

import enum
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record, client_ip
from preau.codes import SCOPE_CONTACT, code_digest, code_new
from preau.conf import preau_setting
from preau.directory.merges import merge_alias_target
from preau.directory.models import Account, Membership, current_q
from preau.directory.transitions import (  # noqa: F401 - the first three are re-exported
    account_can_reactivate,
    account_deactivate,
    account_reactivate,
    account_reprovision,
)
from preau.notify.services import message_queue
from preau.notify.sms import phone_e164
from preau.recovery import tokens
from preau.recovery.models import (
    PasswordReset,
    RecoveryRequest,
)
from preau.signin.throttle import (
    throttle_check,
    throttle_check_many,
    throttle_fail,
    throttle_first_refusal,
)

logger = logging.getLogger(__name__)

SCOPE_QUERY = "recovery.request.query"
SCOPE_ADDRESS = "recovery.request.address"
SCOPE_CODE_ADDRESS = "recovery.code.address"
SCOPE_PROOF_IDENTIFIER = "recovery.proof.identifier"
SCOPE_PROOF_ADDRESS = "recovery.proof.address"


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(preau_setting(name)))


def _public_url(path: str) -> str:
    return str(preau_setting("PUBLIC_URL")).rstrip("/") + path


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


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
        if account is not None and account.state == Account.State.MERGED:
            # A merged login, while its alias lives, recovers the account it went into.
            account = merge_alias_target(account)
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
        code = code_new()
        valid_for = _minutes("RECOVERY_CODE_MINUTES")
        reset = PasswordReset.objects.create(
            account=account,
            recovery_request=row,
            channel=channel,
            destination=destination,
            lookup_digest=row.handle_digest,
            code_digest=code_digest(row.handle_digest, code),
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
        Membership.objects.filter(current_q(), account_id__in=list(account_ids))
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
