"""Sessions are recorded when Django signs someone in or out, whichever code did it (the
sign-in page today; CAS, OIDC or a federation later all go through ``django.contrib.auth``),
and end when the account's access is revoked.

What other apps hang on a sign-in answers the same signals in those apps (the first
connection's journey starts afresh: ``preau.activation.receivers``; a password the school
asked for: ``preau.recovery.receivers``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from preau.db import write_batch_current
from preau.directory.models import Account
from preau.directory.signals import access_revoked
from preau.signin.models import SessionRecord
from preau.signin.sessions import session_record_close, session_record_open, sessions_end_many
from preau.signin.timeouts import SIGNED_IN_AT, session_stamp

# Django's own receiver saves last_login at once; this one joins the sign-in's write batch.
user_logged_in.disconnect(dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="preau.signin.last_login")
def _last_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if not isinstance(user, Account):
        return
    user.last_login = timezone.now()
    batch = write_batch_current()
    if batch is not None:
        batch.update(Account, user.pk, last_login=user.last_login)
    else:
        user.save(update_fields=["last_login"])


@receiver(user_logged_in, dispatch_uid="preau.signin.session_opened")
def _session_opened(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not isinstance(user, Account) or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        # login() flushed the session (it was someone else's, or its password changed since):
        # the new one needs its key now, for its record.
        request.session.create()
    now = timezone.now()
    request.session[SIGNED_IN_AT] = now.timestamp()
    session_stamp(request.session, now)
    session_record_open(account=user, request=request)


@receiver(user_logged_out, dispatch_uid="preau.signin.session_closed")
def _session_closed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    reason = getattr(request, "preau_logout_reason", SessionRecord.EndReason.SIGNOUT)
    session_record_close(session_key=request.session.session_key, reason=reason)


@receiver(access_revoked, dispatch_uid="preau.signin.sessions_end")
def _access_revoked(
    sender: Any, account_ids: list[int], reason: str, keep_session_key: str | None, **kwargs: Any
) -> int:
    """Every session of the accounts ends (single logout included), but the actor's own."""
    return sessions_end_many(account_ids, reason=str(reason), keep=keep_session_key)
