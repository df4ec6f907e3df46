"""The sign-in and sign-out pages (thin: parse, call a service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.redirects import safe_next
from preau.signin.csrf import signin_csrf_protect
from preau.signin.forms import SigninForm
from preau.signin.messages import signin_failure_message
from preau.signin.services import Outcome, signin_attempt, signout, signout_continue
from preau.signin.throttle import wait_message


@csrf_exempt  # checked by signin_csrf_protect: see preau.signin.csrf
@sensitive_post_parameters("password")
@signin_csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = SigninForm(request.POST if request.method == "POST" else None)
    error = ""
    error_help = ""
    status = 200
    wait = 0
    if request.method == "POST" and form.is_valid():
        result = signin_attempt(
            request=request,
            identifier=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if result.outcome is Outcome.SUCCESS:
            return redirect(safe_next(request, default="/"))
        if result.outcome is Outcome.THROTTLED:
            wait = result.wait
            error = wait_message(wait)
            status = 429
        else:
            # Only the owner, with the right secret, learns why (deactivated, too late).
            message = signin_failure_message(result)
            error, error_help = message.text, message.help_url
            status = 401
    elif request.method == "POST":
        status = 400
    response = render(
        request,
        "signin/login.html",
        {
            "form": form,
            "error": error,
            "error_help": error_help,
            "username": (form.data.get("username") or "").strip()[:150],
            "next": safe_next(request),
        },
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST (with its CSRF token) signs out."""
    if request.method == "POST":
        signout(request=request)
        messages.success(request, _("Vous êtes déconnecté."))
        # Signed in through a federation: its provider ends its own session, then sends back.
        return redirect(signout_continue(request) or "signin:login")
    return render(request, "signin/logout.html", {})
