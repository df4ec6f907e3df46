"""A person's contacts, the channels that recover an account (the e-mail address, the mobile),
and what they agreed to receive: written by the first connection's contact step and by "Mon
compte", through the same services.

The preferences themselves are the notify app's (:mod:`preau.notify.preferences`); the audit
event of a change says what changed, preferences included.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.directory.models import Account
from preau.notify.masks import mask_mobile
from preau.notify.phones import mobile_is_valid
from preau.notify.preferences import notification_preferences_set
from preau.notify.services import message_queue


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
    compte" goes through ``preau.account.services.account_email_change_request``). Returns
    what changed.

    The mobile is a recovery channel: a new one is unproven (``mobile_verified_at`` cleared,
    proven again by ``preau.activation.mobile_proof.mobile_proof_send``). With
    ``warn_old_contacts`` ("Mon compte", where the view has checked the current password
    first), a change of the mobile is told to the old mobile and to the verified address, after
    the commit, and audited with both numbers masked. The first connection does not warn: the
    person is giving their contacts for the first time, over what the school's files said."""
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
    wanted = {"from_establishment": from_establishment, "from_partners": from_partners, "sms": sms}
    if notification_preferences_set(account=locked, **wanted):
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
