"""The console's actions on one account: a new activation code (letter, e-mail or SMS), a
password change at the next sign-in, deactivation and reactivation, lifting throttles.

Thin views over ``preau.recovery.services``, which check the scope again and write the audit
trail; the account is resolved through ``account_get_for_admin`` (404 outside the actor's
establishments), and an action that changes something is a POST.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from preau.console.forms import ReissueForm
from preau.console.views import _actor, _render, console_page
from preau.directory import selectors as directory_selectors
from preau.directory import transitions
from preau.directory.models import Account, Establishment
from preau.directory.scope import ConsoleAction, scope_refusal
from preau.french import de
from preau.notify.phones import mobile_display
from preau.provisioning import reissue
from preau.recovery import helpdesk, selectors
from preau.recovery.models import HelpRequest

# What each throttle an administrator may lift holds back, in the console's words.
THROTTLE_LABELS = {
    "signin.account": gettext_lazy("connexion (mots de passe erronés)"),
    "activation.birth_date.account": gettext_lazy("date de naissance (première connexion)"),
    "activation.email_send.account": gettext_lazy("envoi du lien de confirmation"),
    "account.password.account": gettext_lazy("mot de passe actuel (Mon compte)"),
    "recovery.request.query": gettext_lazy("demandes « mot de passe ou identifiant oublié »"),
    "recovery.contact": gettext_lazy("messages envoyés à ses coordonnées"),
    "recovery.proof.identifier": gettext_lazy("vérification par la date de naissance"),
}


class _OutOfReach(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _account(
    request: HttpRequest, establishment: Establishment, login: str, action: ConsoleAction
) -> Account:
    """The account, if ``action`` on it is within the actor's reach: 404 for someone who is
    not (or no longer) a member of the establishment; for a member out of reach (see
    :mod:`preau.directory.scope`), back to their page, which says why (``_OutOfReach``)."""
    try:
        account = directory_selectors.account_get_for_admin(
            actor=_actor(request), establishment=establishment, login=login
        )
    except Account.DoesNotExist as exc:
        raise Http404(_("Compte introuvable.")) from exc
    refusal = scope_refusal(
        actor=_actor(request), account=account, establishment=establishment, action=action
    )
    if refusal is not None:
        messages.error(request, refusal)
        raise _OutOfReach(_detail(establishment, account))
    return account


def _within_reach(view: Any) -> Any:
    """Turn ``_OutOfReach`` into its redirect."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except _OutOfReach as out:
            return out.response
        return response

    return wrapped


def _detail(establishment: Establishment, account: Account) -> HttpResponse:
    return redirect("console:account_detail", uai=establishment.uai, login=account.login)


def _refused(
    request: HttpRequest, establishment: Establishment, account: Account, exc: PermissionDenied
) -> HttpResponse:
    """An action outside the administrator's reach (see preau.directory.scope): nothing was
    done; the account's page says why."""
    messages.error(request, str(exc))
    return _detail(establishment, account)


def reissue_form_for(
    account: Account, *, help_request: HelpRequest | None = None, data: Any = None
) -> ReissueForm:
    """The form to issue a new code, prefilled from the help request (if any)."""
    wants_email = help_request is not None and help_request.delivery == HelpRequest.Delivery.EMAIL
    email = (help_request.email if wants_email and help_request else "") or account.email
    return ReissueForm(
        data,
        initial={
            "delivery": "email" if wants_email else "letter",
            "email": email,
            "help_request": help_request.pk if help_request else None,
        },
        email_choices=True,
        sms=bool(account.mobile),
    )


def _help_request_of(
    request: HttpRequest, establishment: Establishment, raw: Any
) -> HelpRequest | None:
    try:
        pk = int(raw or 0)
    except (TypeError, ValueError):
        return None
    if not pk:
        return None
    try:
        return selectors.help_request_get(actor=_actor(request), establishment=establishment, pk=pk)
    except HelpRequest.DoesNotExist as exc:
        raise Http404(_("Demande introuvable.")) from exc


def _letter_response(account: Account, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="courrier-{account.login}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@console_page
@_within_reach
def account_reissue(request: HttpRequest, establishment: Establishment, login: str) -> HttpResponse:
    account = _account(request, establishment, login, ConsoleAction.REISSUE)
    raw_request = request.POST.get("help_request") or request.GET.get("demande")
    help_request = _help_request_of(request, establishment, raw_request)
    if help_request is not None and help_request.account_id != account.pk:
        raise Http404(_("Demande introuvable."))
    form = reissue_form_for(
        account,
        help_request=help_request,
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = reissue.account_code_reissue(
                actor=_actor(request),
                account=account,
                establishment=establishment,
                delivery=form.cleaned_data["delivery"],
                email=form.cleaned_data.get("email") or "",
                help_request_id=help_request.pk if help_request else None,
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if result.delivery is reissue.Delivery.LETTER:
                return _letter_response(account, result.pdf)
            where = (
                result.destination
                if result.delivery is reissue.Delivery.EMAIL
                else mobile_display(result.destination)
            )
            messages.success(
                request,
                _("Un nouveau code d'activation a été envoyé à %(where)s.") % {"where": where},
            )
            if help_request is not None:
                return redirect("console:help_request", uai=establishment.uai, pk=help_request.pk)
            return _detail(establishment, account)
    return _render(
        request,
        "console/account_reissue.html",
        establishment=establishment,
        section="help" if help_request else "accounts",
        context={
            "account": account,
            "form": form,
            "help_request": help_request,
            "mobile": mobile_display(account.mobile),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@console_page
@_within_reach
def account_password_demand(
    request: HttpRequest, establishment: Establishment, login: str
) -> HttpResponse:
    account = _account(request, establishment, login, ConsoleAction.PASSWORD_DEMAND)
    try:
        helpdesk.account_password_change_demand(
            actor=_actor(request), account=account, establishment=establishment, request=request
        )
    except PermissionDenied as exc:
        return _refused(request, establishment, account, exc)
    messages.success(
        request,
        _("%(name)s devra choisir un nouveau mot de passe à sa prochaine connexion.")
        % {"name": account.get_full_name()},
    )
    return _detail(establishment, account)


@require_http_methods(["GET", "POST"])
@console_page
@_within_reach
def account_deactivate(
    request: HttpRequest, establishment: Establishment, login: str
) -> HttpResponse:
    account = _account(request, establishment, login, ConsoleAction.DEACTIVATE)
    if request.method == "POST":
        try:
            transitions.account_deactivate(
                actor=_actor(request),
                account=account,
                establishment=establishment,
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied as exc:
            return _refused(request, establishment, account, exc)
        else:
            messages.success(
                request,
                _("Le compte %(of_name)s est désactivé.")
                % {"of_name": de(account.get_full_name())},
            )
        return _detail(establishment, account)
    return _render(
        request,
        "console/account_deactivate.html",
        establishment=establishment,
        section="accounts",
        context={"account": account},
    )


@require_POST
@console_page
@_within_reach
def account_reactivate(
    request: HttpRequest, establishment: Establishment, login: str
) -> HttpResponse:
    account = _account(request, establishment, login, ConsoleAction.REACTIVATE)
    try:
        transitions.account_reactivate(
            actor=_actor(request), account=account, establishment=establishment, request=request
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        return _refused(request, establishment, account, exc)
    else:
        messages.success(
            request,
            _("Le compte %(of_name)s est réactivé : son mot de passe fonctionne de nouveau.")
            % {"of_name": de(account.get_full_name())},
        )
    return _detail(establishment, account)


@require_POST
@console_page
@_within_reach
def account_throttles_lift(
    request: HttpRequest, establishment: Establishment, login: str
) -> HttpResponse:
    account = _account(request, establishment, login, ConsoleAction.THROTTLES_LIFT)
    try:
        helpdesk.account_throttles_lift(
            actor=_actor(request), account=account, establishment=establishment, request=request
        )
    except PermissionDenied as exc:
        return _refused(request, establishment, account, exc)
    messages.success(
        request,
        _("Les blocages %(of_name)s sont levés : il peut réessayer tout de suite.")
        % {"of_name": de(account.get_full_name())},
    )
    return _detail(establishment, account)
