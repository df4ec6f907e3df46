"""Idle and absolute session timeouts.

At sign-in the session gets the time it was opened (:data:`SIGNED_IN_AT`); each page refreshes
the time it was last used (:data:`SEEN_AT`), at most once a minute so that reading pages does
not rewrite the session row each time. A session unused for ``SESSION_IDLE_TIMEOUT`` seconds,
or opened more than ``SESSION_ABSOLUTE_TIMEOUT`` seconds ago, is closed and the person is sent
to the sign-in page with a message, then back where they were.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.signin.models import SessionRecord
from preau.signin.sessions import session_record_touch

SIGNED_IN_AT = "preau_signed_in_at"
SEEN_AT = "preau_seen_at"
_STAMP_EVERY = 60  # seconds between two refreshes of SEEN_AT
_RECORD_EVERY = 300  # seconds between two refreshes of the session record's last activity


def session_stamp(session: Any, now: datetime) -> None:
    session[SEEN_AT] = now.timestamp()


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = timezone.now()
        stamp = now.timestamp()
        signed_in = float(session.get(SIGNED_IN_AT) or 0)
        seen = float(session.get(SEEN_AT) or 0)
        if not signed_in:  # a session opened before timeouts existed: start counting now
            session[SIGNED_IN_AT] = signed_in = stamp
        if not seen:
            seen = stamp
        idle = int(preau_setting("SESSION_IDLE_TIMEOUT"))
        absolute = int(preau_setting("SESSION_ABSOLUTE_TIMEOUT"))
        which = ""
        if absolute and stamp - signed_in > absolute:
            which = "absolute"
        elif idle and stamp - seen > idle:
            which = "idle"
        if which:
            return self._expire(request, which)
        if stamp - float(session.get(SEEN_AT) or 0) >= _STAMP_EVERY:
            previous = float(session.get(SEEN_AT) or 0)
            session_stamp(session, now)
            if stamp - previous >= _RECORD_EVERY:
                session_record_touch(session_key=session.session_key, seen_at=now)
        return None

    def _expire(self, request: HttpRequest, which: str) -> HttpResponse:
        account = request.user
        request.preau_logout_reason = SessionRecord.EndReason.TIMEOUT  # type: ignore[attr-defined]
        logout(request)
        audit_record(
            action="session.expire",
            actor=account,
            target=account,
            request=request,
            data={"timeout": which},
        )
        messages.info(
            request,
            _("Votre session a expiré après une période d'inactivité : reconnectez-vous.")
            if which == "idle"
            else _("Votre session a atteint sa durée maximale : reconnectez-vous."),
        )
        target = reverse("signin:login")
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
