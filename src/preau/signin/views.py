"""The sign-in and sign-out pages (thin: parse, call a service, render)."""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.signin.csrf import signin_csrf_protect
from preau.signin.forms import SigninForm
from preau.signin.messages import signin_failure_message
from preau.signin.services import Outcome, signin_attempt, signout


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """``next`` from the form or the query string when it stays on this site, else ``default``.

    Refuses other hosts (``//evil.example``, ``https://evil.example``, ``/\\evil``), other
    schemes (``javascript:``) and, on HTTPS, a downgrade to HTTP.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def wait_message(seconds: int) -> str:
    """'Trop de tentatives : réessayez dans 30 secondes' (in minutes past two minutes)."""
    if seconds < 120:
        when = ngettext("%(count)d seconde", "%(count)d secondes", seconds) % {"count": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        when = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    # The space before the colon is a no-break space, as French typography wants.
    return _("Trop de tentatives\u00a0: réessayez dans %(when)s.") % {"when": when}


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
            return redirect(safe_next(request))
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
            "next": safe_next(request, default=""),
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
        return redirect("signin:login")
    return render(request, "signin/logout.html", {})
