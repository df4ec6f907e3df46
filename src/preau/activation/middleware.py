"""Required actions before any page: a signed-in person with a pending action (a charter to
accept, a first connection to finish…) is sent to the journey, whatever page they asked for.

The journey's own pages, signing in and out, the e-mail link and health checks stay reachable
(views marked with :func:`required_actions_exempt`, and the few names below). The decision is
:func:`preau.activation.selectors.required_actions_pending`; once it found nothing, the session
remembers it for the current charter version, so an ordinary page costs one cache read.

What was found is kept on the request for the page's header (:func:`required_actions_clear`):
while actions are pending it offers no way out of the journey ("Mes services", "Mon compte").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from preau.activation.journey import CLEAR_SESSION_KEY
from preau.activation.selectors import charter_current_id, required_actions_pending
from preau.directory.models import Account
from preau.signin.passwords import PASSWORD_CHANGE_SESSION_KEY

# On the request: True when nothing is pending (see required_actions_clear).
_CLEAR_ATTR = "preau_required_actions_clear"
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


def _clear(user: Any, pending: list[str]) -> bool:
    # A pending account with no step left (a deployment may configure none) still goes
    # through the journey once: that is where it becomes active.
    return not pending and getattr(user, "state", "") != Account.State.PROVISIONED


def required_actions_note(request: HttpRequest, pending: list[str]) -> None:
    """A journey page tells what it found (``pending``), so that the header need not ask."""
    setattr(request, _CLEAR_ATTR, _clear(request.user, pending))


def required_actions_clear(request: HttpRequest) -> bool:
    """Whether the signed-in person has nothing left to do (their journey, if any, ended).

    Decided once per request: an ordinary page has the middleware's answer (the session's mark,
    without a query), a journey page its own (:func:`required_actions_note`); any other page
    (signing out, the e-mail link, an error page) reads the session's mark, else asks the
    selector and remembers a clear answer in the session as the middleware does.
    """
    known = getattr(request, _CLEAR_ATTR, None)
    if known is None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            known = True
        else:
            token = clear_token(request)
            known = request.session.get(CLEAR_SESSION_KEY) == token
            if not known and _clear(user, required_actions_pending(user, request.session)):
                request.session[CLEAR_SESSION_KEY] = token
                known = True
        setattr(request, _CLEAR_ATTR, known)
    return bool(known)


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
            setattr(request, _CLEAR_ATTR, True)
            return None
        if _clear(user, required_actions_pending(user, request.session)):
            request.session[CLEAR_SESSION_KEY] = token
            setattr(request, _CLEAR_ATTR, True)
            return None
        target = reverse("activation:continue")
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
