"""One effect per form, however many times it is sent (a double click, a resent POST).

Each form page carries a random token (``submission_token()``, in a hidden input named
:data:`FIELD`). The first POST carrying a token claims it in the cache; a repeat of the same
POST finds it claimed and, instead of acting again, waits briefly for the first one's outcome
and answers with the same redirect (and message). A form posted without a token (a script) is
processed normally.
"""

from __future__ import annotations

import secrets
import time

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.crypto import salted_hmac

FIELD = "envoi"
_TTL = 3600
_WAIT_SECONDS = 3.0
_POLL_SECONDS = 0.1


def submission_token() -> str:
    return secrets.token_urlsafe(16)


def _key(token: str, kind: str) -> str:
    digest = salted_hmac("preau.activation.submission", token, algorithm="sha256").hexdigest()
    return f"submission:{kind}:{digest[:40]}"


class Submission:
    def __init__(self, request: HttpRequest) -> None:
        token = request.POST.get(FIELD, "")
        self.token = token if 0 < len(token) <= 64 else ""
        self.request = request

    def is_repeat(self) -> bool:
        """True when this token was already claimed by an earlier POST."""
        if not self.token:
            return False
        return not cache.add(_key(self.token, "claim"), 1, _TTL)

    def succeeded(self, url: str, message: str = "") -> HttpResponse:
        """Record the outcome for repeats, and answer it: redirect to ``url`` with ``message``."""
        if self.token:
            cache.set(_key(self.token, "done"), {"url": url, "message": message}, _TTL)
        if message:
            messages.success(self.request, message)
        return redirect(url)

    def repeat_response(self, fallback_url: str) -> HttpResponse:
        """The answer to a repeat: the first POST's outcome, once it is known."""
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            done = cache.get(_key(self.token, "done"))
            if done is not None:
                if done.get("message"):
                    messages.success(self.request, done["message"])
                return redirect(done["url"])
            if time.monotonic() >= deadline:
                return redirect(fallback_url)
            time.sleep(_POLL_SECONDS)
