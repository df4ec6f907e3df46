"""Signing out (Préau's page, /cas/logout, a session timeout: all go through Django's
``logout()``) ends the SSO session and sends single logout; so does a session ended from
elsewhere ("se déconnecter partout ailleurs", a password change or reset: ``session_ended``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from preau.signin.signals import session_ended
from preau.sso.cas.services import sso_session_end


@receiver(user_logged_out, dispatch_uid="preau.sso.cas.sso_session_end")
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    sso_session_end(session=request.session, account=user)


@receiver(session_ended, dispatch_uid="preau.sso.cas.sso_session_end_elsewhere")
def _ended_elsewhere(sender: Any, session: Any, account: Any, **kwargs: Any) -> None:
    sso_session_end(session=session, account=account)
