""" "Mon compte" (thin: parse, call a selector or a service, render)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.account import services
from preau.account.forms import (
    AccountContactForm,
    EmailChangeForm,
    PasswordChangeForm,
)
from preau.activation.selectors import charter_acceptance_of, charter_current, email_change_pending
from preau.activation.submission import FIELD as SUBMISSION_FIELD
from preau.activation.submission import Submission, submission_token
from preau.directory.models import Account
from preau.directory.selectors import children_exist
from preau.federation.selectors import signin_again_links
from preau.notify.phones import mobile_display
from preau.notify.preferences import notification_preferences_of
from preau.signin.contacts import account_contact_update
from preau.signin.passwords import account_password_set
from preau.signin.sessions import sessions_open
from preau.signin.throttle import wait_message


def _account(request: HttpRequest) -> Account:
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def _render(
    request: HttpRequest, template: str, section: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "section": section,
            "has_children": children_exist(request.user),
            "submission_field": SUBMISSION_FIELD,
            "submission": submission_token(),
            **context,
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def home_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    version = charter_current()
    return _render(
        request,
        "account/home.html",
        "home",
        {
            "account": account,
            "mobile": mobile_display(account.mobile),
            "preferences": notification_preferences_of(account),
            "pending_change": email_change_pending(account),
            "charter": version,
            "acceptance": charter_acceptance_of(account, version),
        },
    )


def _proof_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    """How the page confirms a sensitive change: ``with_current`` (the current password's
    field) and, for an account without a password whose federated sign-in is not recent, the
    providers to sign in again with (then back to this page)."""
    proof = services.change_proof(request=request, account=account)
    context: dict[str, Any] = {
        "with_current": proof is services.ChangeProof.PASSWORD,
        "signin_again": [],
        "proof_needed": proof is services.ChangeProof.SIGNIN_AGAIN,
    }
    if proof is services.ChangeProof.SIGNIN_AGAIN:
        context["signin_again"] = signin_again_links(account, request.path)
    return context


def _current_password_error(form: Any, check: services.PasswordCheck) -> int:
    if check.outcome is services.CheckOutcome.SIGNIN_AGAIN:
        form.add_error(
            None,
            _(
                "Votre compte n'a pas de mot de passe : pour confirmer ce changement, "
                "reconnectez-vous d'abord avec votre identité numérique, ou choisissez un mot "
                "de passe (voir ci-dessous), puis recommencez."
            ),
        )
        return 403
    if check.outcome is services.CheckOutcome.THROTTLED:
        form.add_error("current_password", wait_message(check.wait))
        return 429
    form.add_error(
        "current_password",
        _("Ce n'est pas votre mot de passe actuel : vérifiez-le (majuscules comprises)."),
    )
    return 400


@login_required
@never_cache
@sensitive_post_parameters("current_password", "password", "password_confirm")
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    proof = _proof_context(request, account)
    form = PasswordChangeForm(
        request.POST if request.method == "POST" else None,
        account=account,
        with_current=proof["with_current"],
    )
    status = 200
    if request.method == "POST":
        submission = Submission(request)
        if submission.is_repeat():
            return submission.repeat_response(reverse("account:password"))
        status = 400
        if form.is_valid():
            check = services.change_confirm(
                request=request,
                account=account,
                password=form.cleaned_data.get("current_password", ""),
            )
            if check.ok:
                account_password_set(
                    actor=account,
                    account=account,
                    password=form.cleaned_data["password"],
                    request=request,
                )
                return submission.succeeded(
                    reverse("account:home"),
                    _(
                        "Votre mot de passe a été modifié. Vos autres sessions ont été "
                        "déconnectées."
                    ),
                )
            status = _current_password_error(form, check)
    return _render(
        request,
        "account/password.html",
        "password",
        {"form": form, "first_password": not account.has_usable_password(), **proof},
        status,
    )


@login_required
@never_cache
@sensitive_post_parameters("current_password")
@require_http_methods(["GET", "POST"])
def email_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    proof = _proof_context(request, account)
    form = EmailChangeForm(
        request.POST if request.method == "POST" else None,
        account=account,
        with_current=proof["with_current"],
    )
    status = 200
    if request.method == "POST":
        submission = Submission(request)
        if submission.is_repeat():
            return submission.repeat_response(reverse("account:email"))
        status = 400
        if form.is_valid():
            check = services.change_confirm(
                request=request,
                account=account,
                password=form.cleaned_data.get("current_password", ""),
            )
            if check.ok:
                email = form.cleaned_data["email"]
                services.account_email_change_request(
                    actor=account, account=account, email=email, request=request
                )
                return submission.succeeded(
                    reverse("account:home"),
                    _(
                        "Un lien de confirmation a été envoyé à %(email)s : votre adresse "
                        "changera quand vous l'aurez suivi."
                    )
                    % {"email": email},
                )
            status = _current_password_error(form, check)
    return _render(
        request,
        "account/email.html",
        "email",
        {
            "form": form,
            "account": account,
            "pending_change": email_change_pending(account),
            **proof,
        },
        status,
    )


@login_required
@never_cache
@sensitive_post_parameters("current_password")
@require_http_methods(["GET", "POST"])
def contact_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    preferences = notification_preferences_of(account)
    proof = _proof_context(request, account)
    form = AccountContactForm(
        request.POST if request.method == "POST" else None,
        account=account,
        with_current=proof["with_current"],
        initial={
            "from_establishment": preferences.from_establishment,
            "from_partners": preferences.from_partners,
            "sms": preferences.sms,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            check = None
            if form.password_needed:
                # The mobile is a recovery channel: the same check as for the e-mail address.
                check = services.change_confirm(
                    request=request, account=account, password=data.get("current_password", "")
                )
            if check is None or check.ok:
                changed = account_contact_update(
                    actor=account,
                    account=account,
                    mobile=data["mobile"],
                    from_establishment=data["from_establishment"],
                    from_partners=data["from_partners"],
                    sms=data["sms"],
                    warn_old_contacts=True,
                    request=request,
                )
                saved = _("Vos coordonnées et vos préférences sont enregistrées.")
                if "mobile" in changed and data["mobile"]:
                    saved = _(
                        "Votre nouveau numéro de mobile est enregistré. Confirmez-le par SMS "
                        "pour qu'il permette de retrouver l'accès à votre compte."
                    )
                messages.success(request, saved)
                return redirect("account:home")
            status = _current_password_error(form, check)
    return _render(request, "account/contact.html", "contact", {"form": form, **proof}, status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    if request.method == "POST":
        ended = services.sessions_end_others(actor=account, account=account, request=request)
        messages.success(
            request,
            ngettext(
                "%(count)d autre session a été déconnectée.",
                "%(count)d autres sessions ont été déconnectées.",
                ended,
            )
            % {"count": ended}
            if ended
            else _("Aucune autre session n'était ouverte."),
        )
        return redirect("account:sessions")
    sessions = sessions_open(account, request.session.session_key)
    return _render(
        request,
        "account/sessions.html",
        "sessions",
        {"sessions": sessions, "others": sum(1 for s in sessions if not s.is_current)},
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def charter_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    version = charter_current()
    return _render(
        request,
        "account/charter.html",
        "charter",
        {"version": version, "acceptance": charter_acceptance_of(account, version)},
    )
