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

from preau.account.models import NotificationPreferences
from preau.activation.email_proof import email_verification_issue
from preau.activation.models import EmailVerification
from preau.audit.services import audit_record, client_ip
from preau.directory.models import Account
from preau.directory.services import RevokeReason, accounts_access_revoke
from preau.notify.masks import mask_email, mask_mobile
from preau.notify.phones import mobile_is_valid
from preau.notify.services import message_queue
from preau.signin.sessions import own_session_key
from preau.signin.throttle import throttle_check, throttle_fail, throttle_reset

SCOPE_PASSWORD_ACCOUNT = "account.password.account"  # noqa: S105 - a throttle scope
SCOPE_PASSWORD_ADDRESS = "account.password.address"  # noqa: S105


# --- The current password, typed to confirm a change -------------------------------------------


class CheckOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


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


# --- Contact and preferences --------------------------------------------------------------------


@transaction.atomic
def account_contact_update(
    *,
    actor: Account | None,
    account: Account,
    mobile: str,
    from_establishment: bool,
    from_partners: bool,
    sms: bool,
    email: str | None = None,
    warn_old_contacts: bool = False,
    request: HttpRequest | None = None,
) -> list[str]:
    """Save the mobile (E.164, validated by the form), the preferences and, when given, the
    e-mail address (an unproven change: only the first connection sets it directly; "Mon
    compte" goes through :func:`account_email_change_request`). Returns what changed.

    The mobile is a recovery channel: a new one is unproven (``mobile_verified_at`` cleared,
    proven again by recovery's ``mobile_proof_send``). With ``warn_old_contacts`` ("Mon compte",
    where the view has checked the current password first), a change of the mobile is told to
    the old mobile and to the verified address, after the commit, and audited with both
    numbers masked. The first connection does not warn: the person is giving their contacts
    for the first time, over what the school's files said."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    changed: list[str] = []
    fields: list[str] = []
    if email is not None and email != locked.email:
        locked.email = email
        locked.email_verified_at = None
        fields += ["email", "email_verified_at"]
        changed.append("email")
    old_mobile = locked.mobile
    if mobile != old_mobile:
        locked.mobile = mobile
        locked.mobile_verified_at = None
        fields += ["mobile", "mobile_verified_at"]
        changed.append("mobile")
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    if "mobile" in changed and warn_old_contacts:
        _mobile_change_warn(actor=actor, account=locked, old=old_mobile, request=request)
    now = timezone.now()
    preferences, created = NotificationPreferences.objects.select_for_update().get_or_create(
        account=locked,
        defaults={
            "from_establishment": from_establishment,
            "from_partners": from_partners,
            "sms": sms,
            "updated_at": now,
        },
    )
    wanted = {"from_establishment": from_establishment, "from_partners": from_partners, "sms": sms}
    differs = [k for k, v in wanted.items() if getattr(preferences, k) != v]
    if created or differs:
        for key, value in wanted.items():
            setattr(preferences, key, value)
        preferences.updated_at = now
        preferences.save()
        changed.append("preferences")
    if changed:
        audit_record(
            action="account.contact.update",
            actor=actor,
            target=locked,
            request=request,
            data={"changed": changed, "preferences": wanted},
        )
    for field in ("email", "email_verified_at", "mobile", "mobile_verified_at"):
        setattr(account, field, getattr(locked, field))
    return changed


def _mobile_change_warn(
    *, actor: Account | None, account: Account, old: str, request: HttpRequest | None
) -> None:
    """Tell the old contacts that the mobile changed (to ``account.mobile``, "" when removed):
    an SMS to the old number, if there was one, and a mail to the verified address, if any.
    Queued in the caller's transaction, sent after its commit."""
    now = timezone.now()
    when = timezone.localtime(now)
    old_masked = mask_mobile(old) if old else ""
    new_masked = mask_mobile(account.mobile) if account.mobile else ""
    key = f"{account.pk}:{now.timestamp()}"
    warned: list[str] = []
    # A stored number outside the rule (imported before it) can receive no SMS: the channel
    # would refuse it, and nobody is there to be warned.
    if old and mobile_is_valid(old):
        message_queue(
            channel="sms",
            to=old,
            template="mobile_changed",
            context={"login": account.login, "when": when, "new_mobile": new_masked},
            account=account,
            idempotency_key=f"mobile_changed:sms:{key}",
        )
        warned.append("sms")
    if account.email and account.email_verified_at is not None:
        message_queue(
            channel="email",
            to=account.email,
            template="mobile_changed",
            context={
                "first_name": account.first_name,
                "login": account.login,
                "when": when,
                "old_mobile": old_masked,
                "new_mobile": new_masked,
            },
            account=account,
            idempotency_key=f"mobile_changed:email:{key}",
        )
        warned.append("email")
    audit_record(
        action="account.mobile.change",
        actor=actor,
        target=account,
        request=request,
        data={"old": old_masked, "new": new_masked, "warned": warned},
    )


@transaction.atomic
def account_email_set(
    *, actor: Account | None, account: Account, email: str, request: HttpRequest | None = None
) -> bool:
    """Set the address directly, unproven (first connection only: the account has no other
    way in yet). Returns whether it changed."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.email == email:
        return False
    locked.email = email
    locked.email_verified_at = None
    locked.save(update_fields=["email", "email_verified_at", "updated_at"])
    audit_record(
        action="account.contact.update",
        actor=actor,
        target=locked,
        request=request,
        data={"changed": ["email"]},
    )
    account.email = email
    account.email_verified_at = None
    return True


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
