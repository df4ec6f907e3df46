"""EduConnect's pages (thin: parse, call the protocol or a service, render)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.activation.middleware import required_actions_exempt
from preau.directory.models import Account
from preau.federation import services
from preau.federation.educonnect import (
    LOGOUT_SESSION_KEY,
    PROVIDER,
    EduConnectAnswer,
    educonnect_answer,
    educonnect_authorize,
    educonnect_configured,
    educonnect_logout_request,
    logout_response_ok,
    logout_return_to,
    sp_metadata,
)
from preau.federation.educonnect_match import (
    educonnect_account_proven,
    educonnect_accounts_to_choose,
)
from preau.federation.errors import error_page
from preau.federation.franceconnect import FederationError
from preau.federation.selectors import account_choices, identity_find
from preau.federation.sms_proof import sms_proof_names_set
from preau.federation.views import NEXT_SESSION_KEY, proof_page
from preau.redirects import safe_next
from preau.signin.services import signout

# The ACS's re-post from Préau's own page (below): the session cookie (SameSite=Lax) is not
# sent with the IdP's cross-site POST.
_CONTINUED = "preau_continued"
# The accounts an EduConnect parent may choose between (ids), beside the pending identity.
_CHOICES = "preau_educonnect_choices"


def _configured() -> None:
    if not educonnect_configured():
        raise Http404


@never_cache
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Préau's SP metadata, to give the ministry (and for the IdP to read)."""
    _configured()
    return HttpResponse(sp_metadata(request), content_type="application/samlmetadata+xml")


@required_actions_exempt
@never_cache
@require_GET
def educonnect_start(request: HttpRequest) -> HttpResponse:
    """Where the EduConnect choice leads: off to the IdP, ``next`` kept for later."""
    _configured()
    request.session[NEXT_SESSION_KEY] = safe_next(request, default="/")
    try:
        return educonnect_authorize(request)
    except FederationError as exc:
        services.federation_failure_record(request=request, provider=PROVIDER, reason=exc.reason)
        return error_page(request, exc.reason, provider="EduConnect")


@csrf_exempt  # the IdP posts here; the answer is bound to this session by InResponseTo
@required_actions_exempt
@never_cache
@require_POST
def educonnect_acs(request: HttpRequest) -> HttpResponse:
    """The IdP's answer (HTTP-POST): a known identity signs in, one the school's data proves
    is linked at once, any other asks for the proof of the account."""
    _configured()
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and _CONTINUED not in request.POST:
        # Cross-site POST: the browser kept the session cookie back. One click re-posts it
        # from Préau's own page (no JavaScript).
        return render(
            request,
            "federation/educonnect_continue.html",
            {
                "saml_response": request.POST.get("SAMLResponse", ""),
                "relay_state": request.POST.get("RelayState", ""),
                "continued": _CONTINUED,
            },
        )
    try:
        answer = educonnect_answer(request)
    except FederationError as exc:
        reason = f"{exc.reason}:{exc.detail}" if exc.detail else exc.reason
        services.federation_failure_record(request=request, provider=PROVIDER, reason=reason)
        return error_page(request, exc.reason, provider="EduConnect")
    request.session[LOGOUT_SESSION_KEY] = answer.logout
    next_url = request.session.get(NEXT_SESSION_KEY) or "/"
    identity = identity_find(provider=PROVIDER, subject=answer.subject)
    if identity is not None:
        services.pending_clear(request)
        if not services.identity_signin(request=request, identity=identity, id_token=""):
            return error_page(request, "account_unavailable", provider="EduConnect")
        return redirect(next_url)
    account = educonnect_account_proven(answer)
    if account is None:
        return _unproven(request, answer)
    reason = _("votre INE") if answer.is_pupil else _("les INE de vos enfants")
    return _linked(request, answer.subject, account, next_url, reason)


def _unproven(request: HttpRequest, answer: EduConnectAnswer) -> HttpResponse:
    """The school's data does not prove one account: the chooser when it proves several of a
    parent's records, else the proof page. The identity waits in the session meanwhile."""
    services.pending_set(
        request=request,
        provider=PROVIDER,
        subject=answer.subject,
        id_token="",
        name=f"{answer.first_name} {answer.last_name}".strip(),
    )
    sms_proof_names_set(
        request=request,
        subject=answer.subject,
        first_name=answer.first_name,
        last_name=answer.last_name,
    )
    choices = educonnect_accounts_to_choose(answer)
    if choices:
        # Bound to this identity: another answer in this browser never reuses the choice.
        request.session[_CHOICES] = {"subject": answer.subject, "ids": [a.pk for a in choices]}
        return redirect("federation:educonnect_choose")
    request.session.pop(_CHOICES, None)
    return redirect("federation:educonnect_link")


def _linked(
    request: HttpRequest, subject: str, account: Account, next_url: str, reason: str
) -> HttpResponse:
    try:
        identity = services.identity_link(
            request=request,
            actor=account,
            account=account,
            provider=PROVIDER,
            subject=subject,
        )
    except services.IdentityTakenError:
        return error_page(request, "taken", provider="EduConnect")
    services.pending_clear(request)
    request.session.pop(_CHOICES, None)
    if not services.identity_signin(request=request, identity=identity, id_token=""):
        return error_page(request, "account_unavailable", provider="EduConnect")
    messages.success(
        request,
        _(
            "Votre identité EduConnect a été reconnue grâce à %(reason)s et liée à votre compte "
            "%(login)s. La prochaine fois, EduConnect suffira."
        )
        % {"reason": reason, "login": account.login},
    )
    return redirect(next_url)


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def educonnect_choose(request: HttpRequest) -> HttpResponse:
    """A parent known by several schools, each with its own record, all proved by the
    children EduConnect gives: the person chooses the account to link (the others can be
    merged into it afterwards, in Mon compte)."""
    _configured()
    pending = services.pending_get(request)
    offered = request.session.get(_CHOICES)
    if (
        pending is None
        or pending.get("provider") != PROVIDER
        or not isinstance(offered, dict)
        or offered.get("subject") != pending.get("subject")
    ):
        return error_page(request, "expired", provider="EduConnect")
    choices = account_choices([int(pk) for pk in offered.get("ids", [])])
    if request.method == "POST":
        picked = next(
            (c for c in choices if str(c.account.pk) == request.POST.get("account")), None
        )
        if picked is not None:
            next_url = request.session.get(NEXT_SESSION_KEY) or "/"
            others = [c.account.login for c in choices if c is not picked]
            response = _linked(
                request, pending["subject"], picked.account, next_url, _("les INE de vos enfants")
            )
            if request.user.is_authenticated:
                messages.info(
                    request,
                    _(
                        "Vos autres comptes de parent (%(logins)s) restent séparés : pour n'en "
                        "garder qu'un, utilisez « Fusion de comptes » dans Mon compte."
                    )
                    % {"logins": ", ".join(others)},
                )
            return response
    return render(
        request,
        "federation/educonnect_choose.html",
        {"choices": choices, "name": pending.get("name", ""), "error": request.method == "POST"},
        status=400 if request.method == "POST" else 200,
    )


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def educonnect_link(request: HttpRequest) -> HttpResponse:
    """The proof of the account, as for FranceConnect (identifier and password or the code)."""
    _configured()
    return proof_page(request, provider_name="EduConnect")


@csrf_exempt
@required_actions_exempt
@never_cache
@require_GET
def educonnect_slo(request: HttpRequest) -> HttpResponse:
    """Single logout: the IdP's LogoutResponse after Préau's request (back where the sign-out
    asked, carried in the signed RelayState: a CAS service of ``/cas/logout?service=``, else
    the sign-in page), or the IdP's own LogoutRequest (this session ends, the IdP gets its
    answer)."""
    _configured()
    if "SAMLRequest" in request.GET:
        logout = request.session.get(LOGOUT_SESSION_KEY)
        try:
            location = educonnect_logout_request(
                request, logout if isinstance(logout, dict) else None
            )
        except FederationError as exc:
            services.federation_failure_record(
                request=request, provider=PROVIDER, reason=f"logout:{exc.reason}"
            )
            where = getattr(exc, "location", "")
            return redirect(where) if where else error_page(request, exc.reason, "EduConnect")
        request.session.pop(services.SIGNED_IN_SESSION_KEY, None)  # no LogoutRequest back
        signout(request=request)
        return redirect(location)
    then = (
        logout_return_to(request.GET.get("RelayState", "")) if logout_response_ok(request) else ""
    )
    return redirect(then or "signin:login")
