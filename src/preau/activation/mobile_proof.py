"""Mobile proof: a code sent by SMS to the account's number, typed back by its owner (signed
in), that shows the person holds the phone. A proven number can then receive a forgotten
password's code.

The code is six digits (:mod:`preau.codes`), good once, for ``RECOVERY_CODE_MINUTES`` and
``RECOVERY_CODE_ATTEMPTS`` tries, and only for the number it went to; sending one counts in
the throttle of messages to that number (``preau.codes.SCOPE_CONTACT``), shared with recovery.

Beside the e-mail proof (:mod:`preau.activation.email_proof`): "Mon compte" and recovery's
pages use both.
"""

from __future__ import annotations

import enum
import hmac
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.activation.models import MobileProof
from preau.audit.services import audit_record
from preau.codes import SCOPE_CONTACT, code_digest, code_new
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.notify.services import message_queue
from preau.signin.throttle import throttle_check, throttle_fail


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
    code = code_new()
    now = timezone.now()
    valid_for = timedelta(minutes=int(preau_setting("RECOVERY_CODE_MINUTES")))
    salt = f"mobile:{account.pk}:{now.timestamp()}"
    with transaction.atomic():
        MobileProof.objects.filter(account=account, ended_at__isnull=True).update(ended_at=now)
        proof = MobileProof.objects.create(
            account=account,
            mobile=account.mobile,
            code_digest=code_digest(salt, code),
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
        typed = code_digest(salt, code)
        if not (proof.code_digest and hmac.compare_digest(proof.code_digest, typed)):
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
