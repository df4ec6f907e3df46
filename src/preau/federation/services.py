"""Linking federated identities to accounts, signing in with them, unlinking them.

Rules (issue 15, part 3): a known subject signs its account in; an unknown one is linked only
after the person proved the account once (the sign-in's own check and throttles: see views),
never on names or other claims; a subject linked to an account is never linked to another;
"Mon compte" unlinks one, never the last way into the account.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.directory.models import Account
from preau.federation.models import FederatedIdentity
from preau.signin.services import FEDERATED_SESSION_KEY, signin_open

# The identity waiting to be linked (provider, subject, ID token, since when), between the
# provider's answer and the proof of the account, in this browser's session only.
PENDING_SESSION_KEY = "preau_federation_pending"
# The provider and ID token of the session opened through a federation (sign-out there too).
SIGNED_IN_SESSION_KEY = "preau_federation_signed_in"
# How long the proof of the account may wait after the provider's answer (seconds).
PENDING_SECONDS = 15 * 60
# States whose account a federated identity may sign in (the journey then runs as usual).
SIGNIN_STATES = (Account.State.ACTIVE, Account.State.PROVISIONED)


class IdentityTakenError(Exception):
    """The subject is linked to another account."""


class LastWayInError(Exception):
    """Unlinking would leave the account with no way in."""


def identity_signin(*, request: HttpRequest, identity: FederatedIdentity, id_token: str) -> bool:
    """Sign in the account of a known subject (False: its account cannot sign in now)."""
    account = identity.account
    if account.state not in SIGNIN_STATES:
        audit_record(
            action="federation.failure",
            actor=None,
            target=account,
            request=request,
            data={"provider": identity.provider, "reason": "account_state"},
        )
        return False
    signin_open(request=request, account=account, method=identity.provider, federated=True)
    identity.last_used_at = timezone.now()
    identity.save(update_fields=["last_used_at"])
    signed_in_remember(request=request, provider=identity.provider, id_token=id_token)
    return True


def signed_in_remember(*, request: HttpRequest, provider: str, id_token: str) -> None:
    """Remember that this session's person is signed in at ``provider`` (sign-out there too),
    which makes it a federated session: also after the proof page, where the account was
    proved with a secret, the person came through the provider (no local password asked)."""
    request.session[SIGNED_IN_SESSION_KEY] = {"provider": provider, "id_token": id_token}
    request.session[FEDERATED_SESSION_KEY] = True


def pending_set(
    *, request: HttpRequest, provider: str, subject: str, id_token: str, name: str = ""
) -> None:
    """Keep the identity until the proof; ``name`` (the provider's given and family names) is
    shown to the person only, so that they see who the provider recognised."""
    request.session[PENDING_SESSION_KEY] = {
        "provider": provider,
        "subject": subject,
        "id_token": id_token,
        "name": name[:150],
        "at": timezone.now().timestamp(),
    }


def pending_get(request: HttpRequest) -> dict[str, Any] | None:
    """The identity waiting for its proof, if it has not waited too long."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return pending


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def identity_link(
    *, request: HttpRequest, actor: Account, account: Account, provider: str, subject: str
) -> FederatedIdentity:
    """Link ``subject`` of ``provider`` to ``account``, whose owner just proved it.

    Raises :class:`IdentityTakenError` when the subject is another account's (nothing is
    written then). Linking it again to the same account is a no-op.
    """
    existing = FederatedIdentity.objects.filter(provider=provider, subject=subject).first()
    if existing is not None:
        if existing.account_id == account.pk:
            return existing
        _refused(request, account, provider, "taken")
        raise IdentityTakenError
    now = timezone.now()
    try:
        with transaction.atomic():
            identity = FederatedIdentity.objects.create(
                provider=provider,
                subject=subject,
                account=account,
                linked_at=now,
                last_used_at=now,
            )
            audit_record(
                action="federation.link",
                actor=actor,
                target=account,
                request=request,
                data={"provider": provider, "identity": identity.pk},
            )
    except IntegrityError as exc:  # linked by another request meanwhile
        _refused(request, account, provider, "taken")
        raise IdentityTakenError from exc
    return identity


def _refused(request: HttpRequest, account: Account, provider: str, reason: str) -> None:
    audit_record(
        action="federation.failure",
        actor=None,
        target=account,
        request=request,
        data={"provider": provider, "reason": reason},
    )


def identity_unlink(*, request: HttpRequest, actor: Account, identity: FederatedIdentity) -> None:
    """Unlink ``identity`` from its account, unless it is the account's last way in (no usable
    password and no other identity): :class:`LastWayInError` then."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=identity.account_id)
        others = FederatedIdentity.objects.filter(account=account).exclude(pk=identity.pk)
        if not account.has_usable_password() and not others.exists():
            raise LastWayInError
        identity.delete()
        audit_record(
            action="federation.unlink",
            actor=actor,
            target=account,
            request=request,
            data={"provider": identity.provider},
        )


def federation_failure_record(*, request: HttpRequest, provider: str, reason: str) -> None:
    """An answer that signed nobody in: its reason code only (no claim, no token)."""
    audit_record(
        action="federation.failure",
        actor=None,
        target=None,
        request=request,
        data={"provider": provider, "reason": reason},
    )
