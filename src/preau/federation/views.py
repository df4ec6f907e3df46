"""FranceConnect's pages (thin: parse, call the protocol or a service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.activation.middleware import required_actions_exempt
from preau.conf import preau_setting
from preau.directory.models import Account
from preau.federation import services
from preau.federation.educonnect import educonnect_configured
from preau.federation.errors import error_page
from preau.federation.franceconnect import (
    PROVIDER,
    FederationError,
    franceconnect_answer,
    franceconnect_authorize,
    franceconnect_configured,
    franceconnect_logout_return_to,
)
from preau.federation.models import FederatedIdentity
from preau.federation.selectors import identities_of, identity_find
from preau.federation.sms_proof import sms_proof_names_set
from preau.redirects import safe_next
from preau.signin.forms import SigninForm
from preau.signin.messages import signin_failure_message
from preau.signin.services import Outcome, signin_attempt
from preau.signin.throttle import wait_message

NEXT_SESSION_KEY = "preau_federation_next"


def _configured() -> None:
    if not franceconnect_configured():
        raise Http404


@required_actions_exempt
@never_cache
@require_GET
def franceconnect_start(request: HttpRequest) -> HttpResponse:
    """Where the FranceConnect button leads: off to the provider, ``next`` kept for later."""
    _configured()
    request.session[NEXT_SESSION_KEY] = safe_next(request, default="/")
    try:
        return franceconnect_authorize(
            request, request.build_absolute_uri(reverse("federation:franceconnect_callback"))
        )
    except FederationError as exc:
        services.federation_failure_record(request=request, provider=PROVIDER, reason=exc.reason)
        return error_page(request, exc.reason)


@required_actions_exempt
@never_cache
@require_GET
def franceconnect_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: a known identity signs in, an unknown one asks for the proof."""
    _configured()
    try:
        answer = franceconnect_answer(request)
    except FederationError as exc:
        data_reason = f"{exc.reason}:{exc.detail}" if exc.detail else exc.reason
        services.federation_failure_record(request=request, provider=PROVIDER, reason=data_reason)
        return error_page(request, exc.reason)
    identity = identity_find(provider=PROVIDER, subject=answer.subject)
    if identity is None:
        first, last = (str(answer.claims.get(c) or "") for c in ("given_name", "family_name"))
        services.pending_set(
            request=request,
            provider=PROVIDER,
            subject=answer.subject,
            id_token=answer.id_token,
            name=" ".join(n for n in (first, last) if n),
        )
        sms_proof_names_set(
            request=request, subject=answer.subject, first_name=first, last_name=last
        )
        return redirect("federation:franceconnect_link")
    services.pending_clear(request)
    next_url = request.session.get(NEXT_SESSION_KEY) or "/"
    if not services.identity_signin(request=request, identity=identity, id_token=answer.id_token):
        return error_page(request, "account_unavailable")
    return redirect(next_url)


@required_actions_exempt
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def franceconnect_link(request: HttpRequest) -> HttpResponse:
    """Prove once the account this FranceConnect identity is yours: identifier and password
    (or the letter's activation code), checked and throttled as the sign-in does; or, for a
    parent, an SMS code and the children's birth dates (:mod:`.views_sms_proof`)."""
    _configured()
    return proof_page(request, provider_name="FranceConnect")


def proof_page(request: HttpRequest, *, provider_name: str) -> HttpResponse:
    """The proof page of every federation (the pending identity names its provider)."""
    pending = services.pending_get(request)
    if pending is None:
        return error_page(request, "expired", provider=provider_name)
    form = SigninForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {
        "form": form,
        "error": "",
        "error_help": "",
        "name": pending.get("name", ""),
        "provider_name": provider_name,
        # The third way, for a parent: an SMS code and the children's birth dates (the SMS
        # sign-up's journey: off with it).
        "sms_proof": bool(preau_setting("SIGNUP_ENABLED")),
        "provider": pending.get("provider", ""),
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        next_url = request.session.get(NEXT_SESSION_KEY) or "/"
        result = signin_attempt(
            request=request,
            identifier=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if result.outcome is Outcome.SUCCESS and result.account is not None:
            return _link(request, pending, result.account, next_url, provider_name)
        if result.outcome is Outcome.THROTTLED:
            context["error"], status = wait_message(result.wait), 429
        else:
            message = signin_failure_message(result)
            context["error"], context["error_help"] = message.text, message.help_url
            status = 401
    elif request.method == "POST":
        status = 400
    context["username"] = (form.data.get("username") or "").strip()[:150]
    return render(request, "federation/link.html", context, status=status)


def _link(
    request: HttpRequest,
    pending: dict[str, str],
    account: Account,
    next_url: str,
    provider_name: str,
) -> HttpResponse:
    services.pending_clear(request)
    try:
        services.identity_link(
            request=request,
            actor=account,
            account=account,
            provider=pending["provider"],
            subject=pending["subject"],
        )
    except services.IdentityTakenError:
        return error_page(request, "taken", provider=provider_name)
    services.signed_in_remember(
        request=request, provider=pending["provider"], id_token=pending["id_token"]
    )
    messages.success(request, linked_message(account, provider_name))
    return redirect(next_url)


def linked_message(account: Account, provider_name: str) -> str:
    """What the person reads once the identity is linked (after any of the proofs)."""
    return _(
        "Votre identité %(provider)s est maintenant liée à votre compte %(login)s. La "
        "prochaine fois, %(provider)s suffira."
    ) % {"login": account.login, "provider": provider_name}


@required_actions_exempt
@never_cache
@require_GET
def franceconnect_logout_return(request: HttpRequest) -> HttpResponse:
    """Back from the provider's end-session endpoint: where the sign-out asked to land (a CAS
    service of ``/cas/logout?service=``, carried in the signed state), else the sign-in page
    ("Vous êtes déconnecté" was said by the sign-out). A state that is not ours changes
    nothing."""
    then = franceconnect_logout_return_to(request.GET.get("state", ""))
    return redirect(then or "signin:login")


def _account(request: HttpRequest) -> Account:
    if not isinstance(request.user, Account):
        raise PermissionDenied
    return request.user


@login_required
@never_cache
@require_GET
def identities(request: HttpRequest) -> HttpResponse:
    """In "Mon compte", the identities linked to the account, each with its unlink button."""
    account = _account(request)
    return render(
        request,
        "federation/identities.html",
        {
            "section": "identities",
            "identities": list(identities_of(account)),
            "configured": franceconnect_configured() or educonnect_configured(),
        },
    )


@login_required
@never_cache
@require_POST
def identity_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    identity = get_object_or_404(FederatedIdentity, pk=pk, account=account)
    try:
        services.identity_unlink(request=request, actor=account, identity=identity)
    except services.LastWayInError:
        messages.error(
            request,
            _(
                "Cette identité est le seul moyen d’accéder à votre compte\u00a0: choisissez "
                "d’abord un mot de passe (rubrique «\u00a0Mot de passe\u00a0»), puis retirez-la."
            ),
        )
    else:
        messages.success(
            request,
            _("L’identité %(provider)s n’est plus liée à votre compte.")
            % {"provider": identity.get_provider_display()},
        )
    return redirect("federation:identities")
