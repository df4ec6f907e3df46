"""The pages of a parent's proof by SMS before a federated identity is linked (thin: parse, call
:mod:`preau.activation.signup` or :mod:`preau.federation.sms_proof`, render).

From the proof page ("Je suis parent : recevoir un code par SMS"): ``sms_proof`` (names and
the mobile the school has) → ``sms_proof_code`` (the sign-up's uniform answer, the code) →
``sms_proof_children`` (every child's birth date; then the identity is linked and the person
signed in). The browser's handle is in its session beside the identity it is for; each page
checks that this identity is still the pending one and that the step is due.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from preau.activation import signup
from preau.activation.middleware import required_actions_exempt
from preau.activation.models import SignUp
from preau.activation.signup_forms import (
    ChildrenForm,
    SignUpForm,
    birth_dates_wrong_message,
    code_step,
)
from preau.conf import preau_setting
from preau.federation.educonnect import educonnect_configured
from preau.federation.errors import error_page
from preau.federation.franceconnect import franceconnect_configured
from preau.federation.models import FederatedIdentity
from preau.federation.services import pending_get
from preau.federation.sms_proof import (
    NAMES_SESSION_KEY,
    LinkOutcome,
    LinkResult,
    sms_proof_abandon,
    sms_proof_link,
)
from preau.federation.views import NEXT_SESSION_KEY, linked_message
from preau.signin.throttle import wait_message

# This browser's proof: {"handle", "provider", "subject"} (the identity it is for).
PROOF_SESSION_KEY = "preau_federation_sms_proof"

_CONFIGURED: dict[str, Callable[[], bool]] = {
    FederatedIdentity.Provider.FRANCECONNECT: franceconnect_configured,
    FederatedIdentity.Provider.EDUCONNECT: educonnect_configured,
}
_STEP_URLS = {
    "code": "federation:sms_proof_code",
    "children": "federation:sms_proof_children",
    "link": "federation:sms_proof_children",
}
_PROBLEM_STATUS = {
    signup.StepOutcome.EXPIRED: 410,
    signup.StepOutcome.EXHAUSTED: 410,
    signup.StepOutcome.BLOCKED: 403,
    signup.StepOutcome.NO_BIRTH_DATE: 403,
    signup.StepOutcome.REFUSED: 409,
    signup.StepOutcome.UNAVAILABLE: 403,
}


def _provider_name(provider: str) -> str:
    """The provider's name, or 404: not a provider, not configured, or SMS proofs off (they
    are the sign-up's: ``PREAU["SIGNUP_ENABLED"]``)."""
    configured = _CONFIGURED.get(provider)
    if configured is None or not configured() or not preau_setting("SIGNUP_ENABLED"):
        raise Http404
    return str(FederatedIdentity.Provider(provider).label)


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    wait: int = 0,
) -> HttpResponse:
    response = render(request, f"federation/{template}", context, status=status)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _expired(request: HttpRequest, provider: str, name: str) -> HttpResponse:
    """The pending identity is gone: the proof under way (if any) ends, nothing is linked."""
    proof = request.session.pop(PROOF_SESSION_KEY, None)
    if isinstance(proof, dict):
        sms_proof_abandon(request=request, provider=provider, handle=str(proof.get("handle", "")))
    return error_page(request, "expired", provider=name)


def _current(
    request: HttpRequest, provider: str, name: str
) -> tuple[dict[str, Any], str] | HttpResponse:
    """The pending identity and this browser's handle for it, or the page to show instead."""
    pending = pending_get(request)
    proof = request.session.get(PROOF_SESSION_KEY)
    if pending is None or pending.get("provider") != provider:
        return _expired(request, provider, name)
    if not isinstance(proof, dict) or proof.get("provider") != provider:
        return redirect("federation:sms_proof", provider=provider)
    if proof.get("subject") != pending.get("subject"):  # another identity came meanwhile
        return _expired(request, provider, name)
    return pending, str(proof.get("handle", ""))


def _problem(
    request: HttpRequest,
    provider: str,
    name: str,
    outcome: signup.StepOutcome,
    establishments: list[str] | None = None,
) -> HttpResponse:
    if outcome in (signup.StepOutcome.EXPIRED, signup.StepOutcome.EXHAUSTED):
        request.session.pop(PROOF_SESSION_KEY, None)
    context = {
        "status": outcome.value,
        "establishments": establishments or [],
        "provider": provider,
        "provider_name": name,
    }
    return _render(
        request, "sms_proof_problem.html", context, status=_PROBLEM_STATUS.get(outcome, 410)
    )


def _elsewhere(
    request: HttpRequest, provider: str, name: str, row: SignUp | None, here: str
) -> HttpResponse | None:
    """None when ``here`` is the due step; else where to go (or the problem page)."""
    due = signup.signup_step_due(row)
    if due == here or (here == "children" and due == "link"):
        return None
    if due not in _STEP_URLS:
        outcome = signup.signup_problem(row) or signup.StepOutcome.EXPIRED
        names = signup.signup_establishments(row) if row is not None else []
        return _problem(request, provider, name, outcome, names)
    return redirect(_STEP_URLS[due], provider=provider)


def _initial_names(request: HttpRequest, pending: dict[str, Any]) -> dict[str, str]:
    """The provider's names, to start from (the school's records may differ: editable)."""
    names = request.session.get(NAMES_SESSION_KEY)
    if not isinstance(names, dict) or names.get("subject") != pending.get("subject"):
        return {}
    return {"last_name": names.get("last_name", ""), "first_name": names.get("first_name", "")}


# --- Names and mobile ---------------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def sms_proof_start(request: HttpRequest, provider: str) -> HttpResponse:
    name = _provider_name(provider)
    pending = pending_get(request)
    if pending is None or pending.get("provider") != provider:
        return _expired(request, provider, name)
    posted = request.method == "POST"
    form = SignUpForm(request.POST if posted else None, initial=_initial_names(request, pending))
    status, wait, error = 200, 0, ""
    if posted:
        status = 400
        if form.is_valid():
            handle = signup.handle_new()
            result = signup.signup_submit(
                last_name=form.cleaned_data["last_name"],
                first_name=form.cleaned_data["first_name"],
                mobile=form.cleaned_data["mobile"],
                handle=handle,
                request=request,
                purpose=SignUp.Purpose.LINK,
                link_provider=name,
            )
            if result.outcome is signup.SubmitOutcome.ACCEPTED:
                request.session[PROOF_SESSION_KEY] = {
                    "handle": handle,
                    "provider": provider,
                    "subject": pending["subject"],
                }
                return redirect("federation:sms_proof_code", provider=provider)
            status, wait, error = 429, result.wait, wait_message(result.wait)
    context = {"form": form, "error": error, "provider": provider, "provider_name": name}
    return _render(request, "sms_proof_start.html", context, status=status, wait=wait)


# --- The code -----------------------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def sms_proof_code(request: HttpRequest, provider: str) -> HttpResponse:
    name = _provider_name(provider)
    current = _current(request, provider, name)
    if isinstance(current, HttpResponse):
        return current
    _pending, handle = current
    moved = _elsewhere(request, provider, name, signup.signup_of(handle), "code")
    if moved is not None:
        return moved
    step = code_step(request, handle)
    if step.outcome is signup.StepOutcome.OK:
        return redirect("federation:sms_proof_children", provider=provider)
    if step.outcome is not None:
        return _problem(request, provider, name, step.outcome)
    context = {
        "form": step.form,
        "error": step.error,
        "minutes": int(preau_setting("SIGNUP_CODE_MINUTES")),
        "provider": provider,
        "provider_name": name,
    }
    return _render(request, "sms_proof_code.html", context, status=step.status, wait=step.wait)


# --- The children, then the link ------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def sms_proof_children(request: HttpRequest, provider: str) -> HttpResponse:
    name = _provider_name(provider)
    current = _current(request, provider, name)
    if isinstance(current, HttpResponse):
        return current
    pending, handle = current
    row = signup.signup_of(handle)
    moved = _elsewhere(request, provider, name, row, "children")
    if moved is not None:
        return moved
    if signup.signup_step_due(row) == "link":  # proven already (the form sent twice)
        return _link(request, provider, name, pending, handle)
    check, children = signup.signup_children_get(handle=handle)
    if check.outcome is not signup.StepOutcome.OK:
        return _problem(request, provider, name, check.outcome, check.establishments)
    form = ChildrenForm(request.POST if request.method == "POST" else None, children=children)
    status, error = 200, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = signup.signup_children_confirm(
                handle=handle, answers=form.answers(), request=request
            )
            if result.outcome is not signup.StepOutcome.WRONG:
                return _children_confirmed(
                    request,
                    provider=provider,
                    name=name,
                    pending=pending,
                    handle=handle,
                    result=result,
                )
            error = birth_dates_wrong_message(result.tries_left)
    context = {
        "form": form,
        "error": error,
        "count": len(children),
        "provider": provider,
        "provider_name": name,
    }
    return _render(request, "sms_proof_children.html", context, status=status)


def _children_confirmed(
    request: HttpRequest,
    *,
    provider: str,
    name: str,
    pending: dict[str, Any],
    handle: str,
    result: signup.StepResult,
) -> HttpResponse:
    if result.outcome is signup.StepOutcome.OK:
        return _link(request, provider, name, pending, handle)
    return _problem(request, provider, name, result.outcome, result.establishments)


def _link(
    request: HttpRequest, provider: str, name: str, pending: dict[str, Any], handle: str
) -> HttpResponse:
    next_url = request.session.get(NEXT_SESSION_KEY) or "/"
    result = sms_proof_link(
        request=request,
        provider=provider,
        handle=handle,
        subject=str(pending["subject"]),
        pending=pending,
    )
    return _linked(request, provider, name, result, next_url)


def _linked(
    request: HttpRequest, provider: str, name: str, result: LinkResult, next_url: str
) -> HttpResponse:
    if result.outcome is LinkOutcome.STOPPED:
        step = result.step or signup.StepOutcome.EXPIRED
        return _problem(request, provider, name, step, result.establishments)
    request.session.pop(PROOF_SESSION_KEY, None)
    request.session.pop(NAMES_SESSION_KEY, None)
    if result.outcome is LinkOutcome.PENDING_EXPIRED:
        return error_page(request, "expired", provider=name)
    if result.outcome is LinkOutcome.TAKEN:
        return error_page(request, "taken", provider=name)
    if result.outcome is LinkOutcome.UNAVAILABLE or result.account is None:
        return _problem(request, provider, name, signup.StepOutcome.UNAVAILABLE)
    messages.success(request, linked_message(result.account, name))
    return redirect(next_url)
