"""The recovery pages (thin: parse, call a service, render).

Forgotten password: ``password_request`` → ``password_sent`` → (SMS) ``code`` or (e-mail)
``link`` → ``new_password`` → ``done``. Forgotten identifier: ``identifier_request`` →
``identifier_sent``. Without a verified channel: ``proof`` (identifier + birth date) →
``account_status`` (help request) → ``help_sent``. The answers of the request pages never
depend on whether an account matches; only a proven owner learns about their account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from preau.activation import mobile_proof
from preau.activation.signup_forms import SmsCodeForm
from preau.conf import preau_setting
from preau.directory.models import Account, Guardianship, Membership
from preau.notify.phones import mobile_display
from preau.recovery import helpdesk, resets, tokens
from preau.recovery import requests as recovery_requests
from preau.recovery.forms import (
    HelpRequestForm,
    IdentifierRequestForm,
    PasswordRequestForm,
    ProofForm,
)
from preau.recovery.models import HelpRequest, RecoveryRequest
from preau.recovery.selectors import channels_of
from preau.signin.forms import SetPasswordForm
from preau.signin.throttle import wait_message

HANDLE_KEY = "preau_recovery_handle"
REQUESTED_AT_KEY = "preau_recovery_requested_at"
QUERY_KEY = "preau_recovery_query"
TRIES_KEY = "preau_recovery_code_tries"
GRANT_KEY = "preau_recovery_grant"
DONE_KEY = "preau_recovery_done"
PROOF_KEY = "preau_recovery_proof"
HELP_SENT_KEY = "preau_recovery_help_sent"
IDENTIFIER_QUERY_KEY = "preau_recovery_identifier_query"

_LINK_STATUS_CODES = {
    resets.ResetStatus.UNKNOWN: 404,
    resets.ResetStatus.EXPIRED: 410,
    resets.ResetStatus.USED: 410,
    resets.ResetStatus.SUPERSEDED: 410,
    resets.ResetStatus.OBSOLETE: 410,
    resets.ResetStatus.EXHAUSTED: 410,
    resets.ResetStatus.ACCOUNT_CLOSED: 403,
}


def _now() -> float:
    return timezone.now().timestamp()


@dataclass
class _Answer:
    """What a form page says besides its form: the error above it, the status, and, for a
    throttled person, how long to wait (also sent as ``Retry-After``)."""

    error: str = ""
    status: int = 200
    wait: int = 0

    def throttled(self, wait: int) -> None:
        self.error, self.status, self.wait = wait_message(wait), 429, wait

    def render(self, request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
        response = render(request, template, {**context, "error": self.error}, status=self.status)
        if self.wait:
            response["Retry-After"] = str(self.wait)
        return response


def _code_limit() -> int:
    return int(preau_setting("RECOVERY_CODE_ATTEMPTS"))


def _submit_password_request(
    request: HttpRequest, query: recovery_requests.Query, typed: str
) -> int:
    """Hand a forgotten-password request over; remember in the session what the next pages
    need. Returns the seconds to wait when throttled (0: accepted)."""
    handle = tokens.token_new()
    result = recovery_requests.recovery_request_submit(
        kind=RecoveryRequest.Kind.PASSWORD, query=query, handle=handle, request=request
    )
    if result.outcome is recovery_requests.SubmitOutcome.THROTTLED:
        return result.wait
    request.session[HANDLE_KEY] = handle
    request.session[REQUESTED_AT_KEY] = _now()
    request.session[QUERY_KEY] = typed[:254]
    request.session[TRIES_KEY] = 0
    return 0


# --- Forgotten password -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_request_view(request: HttpRequest) -> HttpResponse:
    form = PasswordRequestForm(request.POST if request.method == "POST" else None)
    answer = _Answer()
    if request.method == "POST":
        answer.status = 400
        if form.is_valid():
            wait = _submit_password_request(
                request, form.cleaned_data["query"], str(form.data.get("query", "")).strip()
            )
            if not wait:
                return redirect("recovery:password_sent")
            answer.throttled(wait)
    return answer.render(request, "recovery/password_request.html", {"form": form})


@never_cache
@require_GET
def password_sent_view(request: HttpRequest) -> HttpResponse:
    typed = request.session.get(QUERY_KEY)
    if not typed:
        return redirect("recovery:password_request")
    context = {
        "query": typed,
        "link_minutes": int(preau_setting("RECOVERY_LINK_MINUTES")),
        "code_minutes": int(preau_setting("RECOVERY_CODE_MINUTES")),
    }
    return render(request, "recovery/password_sent.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - one answer per outcome
    handle = str(request.session.get(HANDLE_KEY) or "")
    if not handle:
        return redirect("recovery:password_request")
    limit = _code_limit()
    tries = int(request.session.get(TRIES_KEY) or 0)
    age = _now() - float(request.session.get(REQUESTED_AT_KEY) or 0)
    # Decided from the session alone (when it was asked, how many tries): the same for every
    # request, whether a code was sent or not.
    if age > int(preau_setting("RECOVERY_CODE_MINUTES")) * 60:
        return _code_problem(request, "expired")
    if tries >= limit:
        return _code_problem(request, "exhausted")
    form = SmsCodeForm(request.POST if request.method == "POST" else None)
    answer = _Answer()
    if request.method == "POST":
        answer.status = 400
        if form.is_valid():
            result = resets.password_reset_code_verify(
                handle=handle, code=form.cleaned_data["code"], request=request
            )
            if result.outcome is resets.CodeOutcome.OK:
                for key in (HANDLE_KEY, TRIES_KEY, REQUESTED_AT_KEY):
                    request.session.pop(key, None)
                request.session[GRANT_KEY] = result.grant
                return redirect("recovery:new_password")
            if result.outcome is resets.CodeOutcome.EXPIRED:
                return _code_problem(request, "expired")
            if result.outcome is resets.CodeOutcome.THROTTLED:
                answer.throttled(result.wait)
            else:
                tries += 1
                request.session[TRIES_KEY] = tries
                if tries >= limit:
                    return _code_problem(request, "exhausted")
                left = limit - tries
                answer.error = ngettext(
                    "Ce code n'est pas le bon. Vérifiez le SMS reçu : il vous reste %(count)d "
                    "essai.",
                    "Ce code n'est pas le bon. Vérifiez le SMS reçu : il vous reste %(count)d "
                    "essais.",
                    left,
                ) % {"count": left}
    return answer.render(
        request, "recovery/code.html", {"form": form, "query": request.session.get(QUERY_KEY, "")}
    )


def _code_problem(request: HttpRequest, status: str) -> HttpResponse:
    for key in (HANDLE_KEY, TRIES_KEY, REQUESTED_AT_KEY):
        request.session.pop(key, None)
    return render(
        request,
        "recovery/link_problem.html",
        {"status": status, "sms": True},
        status=410,
    )


@never_cache
@require_GET
def link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the mail: checked (not used: mail scanners open links), kept in the session
    and left out of the address of the next page."""
    check = resets.password_reset_check(token)
    if check.status is not resets.ResetStatus.VALID:
        return _link_problem(request, check.status)
    request.session[GRANT_KEY] = token
    return redirect("recovery:new_password")


def _link_problem(request: HttpRequest, status: resets.ResetStatus) -> HttpResponse:
    return render(
        request,
        "recovery/link_problem.html",
        {"status": status.value, "sms": False},
        status=_LINK_STATUS_CODES.get(status, 410),
    )


@never_cache
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def new_password_view(request: HttpRequest) -> HttpResponse:
    grant = str(request.session.get(GRANT_KEY) or "")
    if not grant and DONE_KEY in request.session:
        return redirect("recovery:done")  # a second submission of the form
    check = resets.password_reset_check(grant)
    if check.status is not resets.ResetStatus.VALID or check.account is None:
        request.session.pop(GRANT_KEY, None)
        return _link_problem(request, check.status)
    account = check.account
    form = SetPasswordForm(request.POST if request.method == "POST" else None, account=account)
    if request.method == "POST" and form.is_valid():
        done = resets.password_reset_complete(
            token=grant, password=form.cleaned_data["password"], request=request
        )
        request.session.pop(GRANT_KEY, None)
        if done.status is not resets.ResetStatus.VALID:
            return _link_problem(request, done.status)
        request.session[DONE_KEY] = account.login
        return redirect("recovery:done")
    return render(
        request,
        "recovery/new_password.html",
        {"form": form, "login": account.login},
        status=400 if form.errors else 200,
    )


@never_cache
@require_GET
def done_view(request: HttpRequest) -> HttpResponse:
    login = request.session.get(DONE_KEY)
    if not login:
        return redirect("signin:login")
    return render(request, "recovery/done.html", {"login": login})


# --- Forgotten identifier -----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def identifier_request_view(request: HttpRequest) -> HttpResponse:
    form = IdentifierRequestForm(request.POST if request.method == "POST" else None)
    answer = _Answer()
    if request.method == "POST":
        answer.status = 400
        if form.is_valid():
            result = recovery_requests.recovery_request_submit(
                kind=RecoveryRequest.Kind.IDENTIFIER,
                query=form.cleaned_data["contact"],
                first_name=form.cleaned_data["first_name"],
                handle="",
                request=request,
            )
            if result.outcome is recovery_requests.SubmitOutcome.ACCEPTED:
                request.session[IDENTIFIER_QUERY_KEY] = str(form.data.get("contact", "")).strip()[
                    :254
                ]
                return redirect("recovery:identifier_sent")
            answer.throttled(result.wait)
    return answer.render(request, "recovery/identifier_request.html", {"form": form})


@never_cache
@require_GET
def identifier_sent_view(request: HttpRequest) -> HttpResponse:
    typed = request.session.get(IDENTIFIER_QUERY_KEY)
    if not typed:
        return redirect("recovery:identifier_request")
    return render(request, "recovery/identifier_sent.html", {"query": typed})


# --- Proving the account, asking the school for help --------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def proof_view(request: HttpRequest) -> HttpResponse:
    form = ProofForm(request.POST if request.method == "POST" else None)
    answer = _Answer()
    if request.method == "POST":
        answer.status = 400
        if form.is_valid():
            result = resets.recovery_proof_check(
                identifier=form.cleaned_data["identifier"],
                birth_date=form.cleaned_data["birth_date"],
                request=request,
            )
            if result.outcome is resets.ProofOutcome.OK and result.account is not None:
                request.session.cycle_key()
                request.session[PROOF_KEY] = {"account": result.account.pk, "at": _now()}
                return redirect("recovery:account_status")
            if result.outcome is resets.ProofOutcome.THROTTLED:
                answer.throttled(result.wait)
            else:
                answer.error = _(
                    "L'identifiant et la date de naissance ne correspondent pas. Vérifiez "
                    "l'identifiant (il figure sur votre courrier) et la date, au format "
                    "JJ/MM/AAAA ; pour un parent, la date de naissance de l'un de vos enfants."
                )
                answer.status = 401
    return answer.render(
        request,
        "recovery/proof.html",
        {"form": form, "identifier": str(form.data.get("identifier", ""))[:150]},
    )


def _proven_account(request: HttpRequest) -> Account | None:
    proof = request.session.get(PROOF_KEY) or {}
    minutes = int(preau_setting("RECOVERY_PROOF_MINUTES"))
    if not proof or _now() - float(proof.get("at", 0)) > minutes * 60:
        return None
    return Account.objects.filter(pk=int(proof.get("account") or 0)).first()


def _profiles(account: Account) -> set[str]:
    return set(
        Membership.objects.filter(account=account)
        .exclude(end_date__lte=timezone.localdate())
        .values_list("profile", flat=True)
    )


@never_cache
@require_http_methods(["GET", "POST"])
def account_status_view(request: HttpRequest) -> HttpResponse:
    """What a proven owner may know: verified channels (masked) or none, and the help request."""
    account = _proven_account(request)
    if account is None:
        return redirect("recovery:proof")
    establishments = helpdesk.establishments_of(account)
    profiles = _profiles(account)
    guardian = Membership.Profile.GUARDIAN in profiles or (
        Guardianship.objects.filter(guardian=account).exists()
    )
    student = Membership.Profile.STUDENT in profiles
    channels = channels_of(account)
    action = request.POST.get("action") if request.method == "POST" else None
    wait = 0
    error = ""
    if action == "resend" and channels.any and not channels.deactivated:
        wait = _submit_password_request(
            request,
            recovery_requests.Query(recovery_requests.QueryKind.IDENTIFIER, account.login),
            account.login,
        )
        if not wait:
            return redirect("recovery:password_sent")
        error = wait_message(wait)
    form_kwargs: dict[str, Any] = {
        "establishments": establishments,
        "guardian": guardian,
        "student": student,
    }
    if action == "help" and establishments:
        form = HelpRequestForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            help_request = helpdesk.help_request_submit(
                account=account,
                establishment=data["establishment"],
                last_name=data["last_name"],
                first_name=data["first_name"],
                school_class=data.get("school_class", ""),
                children=data.get("children", ""),
                delivery=data["delivery"],
                email=data.get("email", ""),
                request=request,
            )
            request.session[HELP_SENT_KEY] = help_request.pk
            return redirect("recovery:help_sent")
    else:
        form = HelpRequestForm(
            initial={
                "last_name": account.last_name,
                "first_name": account.first_name,
                "delivery": HelpRequest.Delivery.PAPER,
            },
            **form_kwargs,
        )
    context = {
        "account": account,
        "channels": channels,
        "form": form,
        "establishments": establishments,
        "error": error,
        "mobile_display": mobile_display,
    }
    status = 429 if wait else (400 if form.errors else 200)
    return render(request, "recovery/account_status.html", context, status=status)


@never_cache
@require_GET
def help_sent_view(request: HttpRequest) -> HttpResponse:
    pk = int(request.session.get(HELP_SENT_KEY) or 0)
    help_request = HelpRequest.objects.select_related("establishment").filter(pk=pk).first()
    if help_request is None:
        return redirect("recovery:proof")
    return render(request, "recovery/help_sent.html", {"help_request": help_request})


# --- Proving a mobile number (signed in) --------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mobile_view(request: HttpRequest) -> HttpResponse:
    account = request.user
    if not isinstance(account, Account):
        raise PermissionDenied
    form = SmsCodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    message = ""
    error = ""
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "send":
            outcome = mobile_proof.mobile_proof_send(account=account, request=request)
            if outcome is mobile_proof.MobileProofOutcome.SENT:
                message = _("Un code vient d'être envoyé par SMS au %(number)s.") % {
                    "number": mobile_display(account.mobile)
                }
            elif outcome is mobile_proof.MobileProofOutcome.THROTTLED:
                error = _("Trop de codes envoyés à ce numéro : réessayez dans une heure.")
                status = 429
        elif form.is_valid():
            outcome = mobile_proof.mobile_proof_confirm(
                account=account, code=form.cleaned_data["code"], request=request
            )
            if outcome is mobile_proof.MobileProofOutcome.CONFIRMED:
                message = _("Votre numéro de mobile est confirmé.")
                form = SmsCodeForm()
            elif outcome is mobile_proof.MobileProofOutcome.EXPIRED:
                error = _("Ce code a expiré ou a été remplacé : demandez un nouveau code.")
                status = 400
            else:
                error = _("Ce code n'est pas le bon : vérifiez le SMS reçu.")
                status = 400
        else:
            status = 400
    context = {
        "form": form,
        "message": message,
        "error": error,
        "mobile": mobile_display(account.mobile),
        "verified": account.mobile_verified_at is not None,
    }
    return render(request, "recovery/mobile.html", context, status=status)
