"""Required actions before any page: a signed-in person with a pending action (a charter to
accept, a first connection to finish…) is sent to the journey, whatever page they asked for.

The journey's own pages, signing in and out, the e-mail link and health checks stay reachable
(views marked with :func:`required_actions_exempt`, and the few names below). The decision is
:func:`preau.activation.selectors.required_actions_pending`; once it found nothing, the session
remembers it for the current charter version, so an ordinary page costs one cache read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from preau.activation.selectors import (
    PASSWORD_CHANGE_SESSION_KEY,
    charter_current_id,
    required_actions_pending,
)
from preau.directory.models import Account

CLEAR_SESSION_KEY = "preau_required_actions_clear"
EXEMPT_VIEW_NAMES = frozenset({"signin:login", "signin:logout", "healthz", "readyz"})

F = TypeVar("F", bound=Callable[..., Any])


def required_actions_exempt(view: F) -> F:
    """Mark a view as reachable while required actions are pending."""
    view.required_actions_exempt = True  # type: ignore[attr-defined]
    return view


def clear_token(request: HttpRequest) -> str:
    flagged = int(bool(request.session.get(PASSWORD_CHANGE_SESSION_KEY)))
    return f"{request.user.pk}:{charter_current_id() or 0}:{flagged}"


def required_actions_forget(session: Any) -> None:
    """Make the next page decide again (after a sign-in, or an action that adds one)."""
    session.pop(CLEAR_SESSION_KEY, None)


class RequiredActionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(view_func, "required_actions_exempt", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEW_NAMES:
            return None
        token = clear_token(request)
        if request.session.get(CLEAR_SESSION_KEY) == token:
            return None
        # A pending account with no step left (a deployment may configure none) still goes
        # through the journey once: that is where it becomes active.
        if (
            not required_actions_pending(user, request.session)
            and getattr(user, "state", "") != Account.State.PROVISIONED
        ):
            request.session[CLEAR_SESSION_KEY] = token
            return None
        target = reverse("activation:continue")
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
