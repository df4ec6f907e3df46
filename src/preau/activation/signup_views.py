"""The pages of the sign-up by SMS (thin: parse, call :mod:`preau.activation.signup`, render).

``signup`` (names and mobile) → ``signup_code`` (the same answer whatever matched, and the code
form) → ``signup_children`` (every child's birth date) → ``signup_charter`` → ``signup_password``
→ ``signup_done`` (the identifier; the person is signed in). The browser's handle is in its
session; each page checks the step is due (:func:`~preau.activation.signup.signup_step_due`)
and sends elsewhere when it is not, so a replayed or skipped form changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from preau.activation import signup
from preau.activation.forms import CharterForm
from preau.activation.middleware import required_actions_exempt
from preau.activation.models import SignUp
from preau.activation.selectors import charter_current
from preau.activation.signup_forms import (
    ChildrenForm,
    SignUpForm,
    birth_dates_wrong_message,
    code_step,
)
from preau.conf import preau_setting
from preau.signin.forms import SetPasswordForm
from preau.signin.throttle import wait_message

HANDLE_KEY = "preau_signup_handle"
DONE_KEY = "preau_signup_done"

_STEP_URLS = {
    "code": "activation:signup_code",
    "children": "activation:signup_children",
    "charter": "activation:signup_charter",
    "password": "activation:signup_password",
}
_PROBLEM_STATUS = {
    signup.StepOutcome.EXPIRED: 410,
    signup.StepOutcome.EXHAUSTED: 410,
    signup.StepOutcome.BLOCKED: 403,
    signup.StepOutcome.NO_BIRTH_DATE: 403,
    signup.StepOutcome.REFUSED: 409,
}


def _enabled() -> None:
    if not preau_setting("SIGNUP_ENABLED"):
        raise Http404


def _handle(request: HttpRequest) -> str:
    return str(request.session.get(HANDLE_KEY) or "")


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    wait: int = 0,
) -> HttpResponse:
    response = render(request, template, context, status=status)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _problem(
    request: HttpRequest, outcome: signup.StepOutcome, establishments: list[str] | None = None
) -> HttpResponse:
    """The sign-up stops: start again (expired, too many codes) or contact the school."""
    if outcome in (signup.StepOutcome.EXPIRED, signup.StepOutcome.EXHAUSTED):
        request.session.pop(HANDLE_KEY, None)
    context = {"status": outcome.value, "establishments": establishments or []}
    return _render(
        request,
        "activation/signup_problem.html",
        context,
        status=_PROBLEM_STATUS.get(outcome, 410),
    )


def _elsewhere(request: HttpRequest, row: SignUp | None, here: str) -> HttpResponse | None:
    """None when ``here`` is the due step; else where to go (or the problem page). A browser
    without a sign-up starts one."""
    if not _handle(request):
        return redirect("activation:signup")
    due = signup.signup_step_due(row)
    if due == here:
        return None
    if due not in _STEP_URLS:  # a proof before a federated link is not a sign-up
        due = "problem"
    if due == "problem":
        outcome = signup.signup_problem(row) or signup.StepOutcome.EXPIRED
        names = signup.signup_establishments(row) if row is not None else []
        return _problem(request, outcome, names)
    return redirect(_STEP_URLS[due])


# --- Names and mobile ---------------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    form = SignUpForm(request.POST if request.method == "POST" else None)
    status, wait, error = 200, 0, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            handle = signup.handle_new()
            result = signup.signup_submit(
                last_name=form.cleaned_data["last_name"],
                first_name=form.cleaned_data["first_name"],
                mobile=form.cleaned_data["mobile"],
                handle=handle,
                request=request,
            )
            if result.outcome is signup.SubmitOutcome.ACCEPTED:
                request.session[HANDLE_KEY] = handle
                return redirect("activation:signup_code")
            status, wait, error = 429, result.wait, wait_message(result.wait)
    context = {"form": form, "error": error}
    return _render(request, "activation/signup_start.html", context, status=status, wait=wait)


# --- The answer and the code ----------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signup_code_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    handle = _handle(request)
    if not handle:
        return redirect("activation:signup")
    row = signup.signup_of(handle)
    moved = _elsewhere(request, row, "code")
    if moved is not None:
        return moved
    step = code_step(request, handle)
    if step.outcome is signup.StepOutcome.OK:
        return redirect("activation:signup_children")
    if step.outcome is not None:
        return _problem(request, step.outcome)
    context = {
        "form": step.form,
        "error": step.error,
        "minutes": int(preau_setting("SIGNUP_CODE_MINUTES")),
    }
    return _render(
        request, "activation/signup_code.html", context, status=step.status, wait=step.wait
    )


# --- The children -------------------------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signup_children_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    handle = _handle(request)
    moved = _elsewhere(request, signup.signup_of(handle), "children")
    if moved is not None:
        return moved
    check, children = signup.signup_children_get(handle=handle)
    if check.outcome is not signup.StepOutcome.OK:
        return _problem(request, check.outcome, check.establishments)
    form = ChildrenForm(request.POST if request.method == "POST" else None, children=children)
    status, error = 200, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = signup.signup_children_confirm(
                handle=handle, answers=form.answers(), request=request
            )
            if result.outcome is signup.StepOutcome.OK:
                return redirect("activation:signup_charter")
            if result.outcome is not signup.StepOutcome.WRONG:
                return _problem(request, result.outcome, result.establishments)
            error = birth_dates_wrong_message(result.tries_left)
    context = {"form": form, "error": error, "count": len(children)}
    return _render(request, "activation/signup_children.html", context, status=status)


# --- The charter and the password -----------------------------------------------------------------


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signup_charter_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    handle = _handle(request)
    moved = _elsewhere(request, signup.signup_of(handle), "charter")
    if moved is not None:
        return moved
    version = charter_current()
    if version is None:
        return redirect("activation:signup_password")
    form = CharterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        signup.signup_charter_accept(handle=handle, version=version)
        return redirect("activation:signup_password")
    context = {"form": form, "version": version}
    return _render(
        request, "activation/signup_charter.html", context, status=400 if form.errors else 200
    )


@required_actions_exempt
@never_cache
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def signup_password_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    handle = _handle(request)
    if not handle and DONE_KEY in request.session:
        return redirect("activation:signup_done")  # the last form sent twice
    row = signup.signup_of(handle)
    moved = _elsewhere(request, row, "password")
    if moved is not None or row is None or row.account is None:
        return moved or redirect("activation:signup")
    account = row.account
    form = SetPasswordForm(request.POST if request.method == "POST" else None, account=account)
    if request.method == "POST" and form.is_valid():
        result, activated = signup.signup_complete(
            handle=handle, password=form.cleaned_data["password"], request=request
        )
        if activated is None:
            return _problem(request, result.outcome, result.establishments)
        signup.signup_signin(request=request, account=activated)
        request.session.pop(HANDLE_KEY, None)
        request.session[DONE_KEY] = activated.login
        return redirect("activation:signup_done")
    context = {"form": form, "login": account.login}
    return _render(
        request, "activation/signup_password.html", context, status=400 if form.errors else 200
    )


@required_actions_exempt
@never_cache
@require_GET
def signup_done_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    login = request.session.get(DONE_KEY)
    user = request.user
    if not login or not user.is_authenticated or getattr(user, "login", None) != login:
        return redirect("home")
    context = {"login": login, "services": reverse("home")}
    return render(request, "activation/signup_done.html", context)
