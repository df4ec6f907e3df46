"""A person's password: the check of a new one (the policy, with the account's history) and
its write, shared by the first connection, "Mon compte" and the recovery of a forgotten
password.

:data:`PASSWORD_CHANGE_SESSION_KEY` marks a session whose owner must choose a new password
before anything else: set by whoever wants it (an account recovery, an administrator's
temporary password: today recovery, when the school demanded a new password), read by the
first connection's required actions (``UPDATE_PASSWORD``), cleared by
:func:`account_password_set` once a password is chosen in that session.
"""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.directory.services import RevokeReason, accounts_access_revoke
from preau.signin.models import PasswordHistory
from preau.signin.password_policy import password_validate
from preau.signin.sessions import own_session_key, session_record_rekey

PASSWORD_CHANGE_SESSION_KEY = "preau_password_change_required"  # noqa: S105


def password_history_hashes(account: Account) -> list[str]:
    """The hashes of the account's last ``PASSWORD_HISTORY`` passwords, its current one first."""
    limit = int(preau_setting("PASSWORD_HISTORY"))
    hashes = [account.password] if account.has_usable_password() else []
    if limit > 0:
        hashes.extend(
            PasswordHistory.objects.filter(account=account)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[:limit]
        )
    return list(dict.fromkeys(hashes))


def password_errors(account: Account, password: str) -> list[ValidationError]:
    """Why ``password`` cannot be this account's new password (empty: it can)."""
    return password_validate(
        password,
        account=account,
        previous_hashes=password_history_hashes(account),
        activation_code_digest=account.activation_code_digest,
    )


def account_password_set(
    *,
    actor: Account | None,
    account: Account,
    password: str,
    request: HttpRequest | None = None,
    reason: str = "change",
) -> None:
    """Give ``account`` a new password (already validated by the caller's form).

    Hashes with Argon2id outside the transaction (it takes tens of milliseconds), then in one
    transaction: the hash, the history (pruned to ``PASSWORD_HISTORY``), the audit event, and
    the end of every other session of the account. The current session, if it is the
    account's, stays signed in.
    """
    encoded = make_password(password)
    now = timezone.now()
    keep = own_session_key(request, account)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.password = encoded
        locked.save(update_fields=["password", "updated_at"])
        PasswordHistory.objects.create(account=locked, password=encoded, created_at=now)
        limit = max(int(preau_setting("PASSWORD_HISTORY")), 1)
        stale = list(
            PasswordHistory.objects.filter(account=locked)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[limit:]
        )
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()
        # Sessions elsewhere, reset links and OIDC tokens die with the old password.
        ended = accounts_access_revoke(
            account_ids=[locked.pk], reason=RevokeReason.PASSWORD, keep_session_key=keep
        )
        audit_record(
            action="account.password.set",
            actor=actor,
            target=locked,
            request=request,
            data={"reason": reason, "sessions_ended": ended},
        )
    account.password = encoded
    if keep is not None and request is not None:
        # The session stays valid with the new hash (Django ties sessions to the password).
        update_session_auth_hash(request, account)
        request.session.pop(PASSWORD_CHANGE_SESSION_KEY, None)
        # Django gave the session a new key: its record follows, or "Sessions ouvertes" would
        # no longer list the very session the person is using.
        session_record_rekey(old_key=keep, new_key=request.session.session_key)
