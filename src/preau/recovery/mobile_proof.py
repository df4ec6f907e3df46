"""Proving a mobile number: a code sent by SMS, typed back by its owner (signed in)."""

from __future__ import annotations

import enum

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.directory.transitions import (  # noqa: F401 - the first three are re-exported
    account_can_reactivate,
    account_deactivate,
    account_reactivate,
    account_reprovision,
)
from preau.notify.services import message_queue
from preau.recovery import tokens
from preau.recovery.models import (
    MobileProof,
)
from preau.recovery.requests import SCOPE_CONTACT, _minutes
from preau.signin.throttle import (
    throttle_check,
    throttle_fail,
)

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
