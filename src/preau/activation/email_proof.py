"""E-mail proof: a single-use link that shows a person reads the mail of an address.

The token is 256 random bits in the link; the database keeps only its keyed SHA-256 digest
(HMAC keyed from SECRET_KEY), so a copy of the database opens nothing. A link is good once,
until ``EMAIL_VERIFICATION_HOURS`` after it was sent, and only while it is the latest one of its
kind for the account (asking again supersedes it). Every way a link can be wrong has its own
status, so the page can say what to do next.

These services are used by the first connection (purpose ``activation``: the address is the
account's own) and by "Mon compte" (purpose ``change``: the new address replaces the account's
once the link is followed).
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from preau.activation.models import EmailVerification
from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.notify.services import message_queue

_KEY_SALT = "preau.activation.email_proof"
# A token in a URL: base64url of 32 random bytes is 43 characters; anything far longer is junk.
_TOKEN_MAX_LENGTH = 128


class LinkStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"  # altered, truncated or never issued
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"  # a newer link was sent since
    OBSOLETE = "obsolete"  # the account's address changed since (activation links)
    ACCOUNT_CLOSED = "account_closed"  # the account is deactivated


def email_token_digest(token: str) -> str:
    return salted_hmac(_KEY_SALT, token, algorithm="sha256").hexdigest()


def email_verification_url(token: str) -> str:
    base = str(preau_setting("PUBLIC_URL")).rstrip("/")
    return base + reverse("activation:email_confirm", kwargs={"token": token})


def email_verification_valid_for() -> timedelta:
    return timedelta(hours=int(preau_setting("EMAIL_VERIFICATION_HOURS")))


@transaction.atomic
def email_verification_issue(
    *,
    actor: Account | None,
    account: Account,
    email: str,
    purpose: str,
    request: HttpRequest | None = None,
) -> EmailVerification:
    """Send a fresh link proving ``email`` for ``account``; earlier live links of the same
    purpose stop working. The mail leaves through the outbox after the commit."""
    now = timezone.now()
    EmailVerification.objects.filter(
        account=account, purpose=purpose, ended_at__isnull=True
    ).update(ended_at=now, end_reason=EmailVerification.EndReason.SUPERSEDED)
    token = secrets.token_urlsafe(32)
    valid_for = email_verification_valid_for()
    verification = EmailVerification.objects.create(
        account=account,
        email=email,
        purpose=purpose,
        token_digest=email_token_digest(token),
        created_at=now,
        expires_at=now + valid_for,
    )
    message_queue(
        channel="email",
        to=email,
        template="email_verification",
        context={
            "url": email_verification_url(token),
            "valid_for": valid_for,
            "first_name": account.first_name,
        },
        account=account,
        idempotency_key=f"email_verification:{verification.pk}",
    )
    audit_record(
        action="email_verification.send",
        actor=actor,
        target=account,
        request=request,
        data={"purpose": purpose, "verification": verification.pk},
    )
    return verification


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    verification: EmailVerification | None = None

    @property
    def account(self) -> Account | None:
        return self.verification.account if self.verification is not None else None


def email_verification_check(token: str, *, lock: bool = False) -> LinkCheck:  # noqa: PLR0911
    """What a link's token is worth, without using it (``lock``: inside a transaction, hold the
    row so that two clicks cannot both use it)."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        return LinkCheck(LinkStatus.UNKNOWN)
    digest = email_token_digest(token)
    rows = EmailVerification.objects.select_related("account")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(token_digest=digest).first()
    # The lookup is by digest; the comparison that decides is made in constant time anyway.
    if found is None or not hmac.compare_digest(found.token_digest, digest):
        return LinkCheck(LinkStatus.UNKNOWN)
    if found.end_reason == EmailVerification.EndReason.USED:
        return LinkCheck(LinkStatus.USED, found)
    if found.end_reason == EmailVerification.EndReason.SUPERSEDED:
        return LinkCheck(LinkStatus.SUPERSEDED, found)
    if found.expires_at <= timezone.now():
        return LinkCheck(LinkStatus.EXPIRED, found)
    if found.account.state == Account.State.DEACTIVATED:
        return LinkCheck(LinkStatus.ACCOUNT_CLOSED, found)
    if (
        found.purpose == EmailVerification.Purpose.ACTIVATION
        and found.account.email.lower() != found.email.lower()
    ):
        return LinkCheck(LinkStatus.OBSOLETE, found)
    return LinkCheck(LinkStatus.VALID, found)


def email_verification_use(*, token: str, request: HttpRequest | None = None) -> LinkCheck:
    """Use a link: the address becomes the account's, proven now. Call inside a transaction
    (``activation.services.email_link_follow`` does, and completes the activation)."""
    check = email_verification_check(token, lock=True)
    if check.status is not LinkStatus.VALID or check.verification is None:
        return check
    verification = check.verification
    now = timezone.now()
    verification.ended_at = now
    verification.end_reason = EmailVerification.EndReason.USED
    verification.save(update_fields=["ended_at", "end_reason"])
    account = Account.objects.select_for_update().get(pk=verification.account_id)
    previous = account.email
    account.email = verification.email
    account.email_verified_at = now
    account.save(update_fields=["email", "email_verified_at", "updated_at"])
    audit_record(
        action="email_verification.confirm",
        actor=account,
        target=account,
        request=request,
        data={
            "purpose": verification.purpose,
            "verification": verification.pk,
            "address_changed": previous.lower() != account.email.lower(),
        },
    )
    return LinkCheck(LinkStatus.VALID, verification)
