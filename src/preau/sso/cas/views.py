"""CAS endpoints (thin: parse the protocol's parameters, call a service, answer).

/cas/login is Préau's sign-in form (same template, same fields, same throttles through
``signin_attempt``) acting as CAS credential requestor and acceptor (§2.1, §2.2). Required
actions (charter, first connection…) always run before a ticket is issued: the person is sent
through the journey and comes back here to get the ticket.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as xml_fromstring
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.activation.journey import CLEAR_SESSION_KEY
from preau.activation.middleware import clear_token, required_actions_exempt
from preau.activation.selectors import required_actions_pending
from preau.conf import preau_setting
from preau.portal.registry import RegisteredService, registry_match
from preau.signin.csrf import signin_csrf_protect
from preau.signin.forms import SigninForm
from preau.signin.messages import signin_failure_message
from preau.signin.services import (
    Outcome,
    signin_attempt,
    signout,
    signout_continue,
    signout_return_set,
)
from preau.signin.throttle import wait_message
from preau.sso.cas import responses, tickets
from preau.sso.cas.errors import CasError, Code
from preau.sso.cas.services import (
    PRIMARY_AUTH_KEY,
    NotAllowed,
    proxy_ticket_issue,
    service_ticket_issue,
    ticket_validate,
)

logger = logging.getLogger(__name__)

LOGIN_TICKET_MAX_AGE = 4 * 3600
_SAML_PROTOCOL = "{urn:oasis:names:tc:SAML:1.0:protocol}"
_SAML_MAX_BYTES = 64 * 1024


def _flag(value: str | None) -> bool:
    """A CAS flag is set when present (``renew``, ``renew=true``), unless it says false."""
    return value is not None and value.strip().lower() not in ("false", "0", "no")


@dataclass(frozen=True)
class LoginParams:
    service: str
    renew: bool
    gateway: bool
    method: str
    warn: bool

    @classmethod
    def read(cls, request: HttpRequest) -> LoginParams:
        def get(name: str) -> str | None:
            if request.method == "POST" and name in request.POST:
                return request.POST.get(name)
            return request.GET.get(name)

        renew = _flag(get("renew"))
        return cls(
            service=(get("service") or "").strip(),
            renew=renew,
            # The specification recommends ignoring gateway when renew is set.
            gateway=_flag(get("gateway")) and not renew,
            method="POST" if (get("method") or "").upper() == "POST" else "GET",
            warn=_flag(get("warn")),
        )

    def query(self, *, warn: bool | None = None) -> str:
        pairs = [("service", self.service)] if self.service else []
        if self.renew:
            pairs.append(("renew", "true"))
        if self.gateway:
            pairs.append(("gateway", "true"))
        if self.method == "POST":
            pairs.append(("method", "POST"))
        if self.warn if warn is None else warn:
            pairs.append(("warn", "true"))
        return urlencode(pairs)


def _login_path(params: LoginParams, *, warn: bool | None = None) -> str:
    query = params.query(warn=warn)
    return reverse("cas:login") + (f"?{query}" if query else "")


def _with_ticket(service_url: str, ticket: str) -> str:
    parts = urlsplit(service_url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("ticket", ticket)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _refusal(request: HttpRequest, service_url: str, *, reason: str) -> HttpResponse:
    try:
        host = urlsplit(service_url).hostname or ""
    except ValueError:
        host = ""
    return render(
        request,
        "cas/refused.html",
        {"host": host[:100], "reason": reason},
        status=403,
    )


def _actions_pending(request: HttpRequest) -> bool:
    """Required actions, as the activation middleware decides them (cached in the session)."""
    token = clear_token(request)
    if request.session.get(CLEAR_SESSION_KEY) == token:
        return False
    if required_actions_pending(request.user, request.session):
        return True
    request.session[CLEAR_SESSION_KEY] = token
    return False


def _login_form(
    request: HttpRequest,
    params: LoginParams,
    service: RegisteredService | None,
    form: SigninForm,
    *,
    error: str = "",
    error_help: str = "",
    status: int = 200,
    wait: int = 0,
) -> HttpResponse:
    response = render(
        request,
        "cas/login.html",
        {
            "form": form,
            "error": error,
            "error_help": error_help,
            "username": (form.data.get("username") or "").strip()[:150],
            "cas": params,
            "service_name": service.name if service else "",
            "login_ticket": tickets.login_ticket_new(int(time.time())),
        },
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _login_ticket_accepted(value: str | None) -> bool:
    """An ``lt`` posted back: absent (it is optional), or genuine, recent and unused."""
    if value is None:
        return True
    issued = tickets.login_ticket_time(value)
    if issued is None or not 0 <= time.time() - issued <= LOGIN_TICKET_MAX_AGE:
        return False
    return bool(cache.add(f"cas:lt:{tickets.ticket_digest(value)}", 1, LOGIN_TICKET_MAX_AGE))


def _grant(  # noqa: PLR0911 - one answer per branch of §2.1–2.2
    request: HttpRequest, params: LoginParams, service: RegisteredService | None, *, fresh: bool
) -> HttpResponse:
    """The signed-in person asked for ``service``: journey first, then the ticket."""
    if service is None:
        # §2.2.4: no service, tell them the SSO session exists.
        return render(request, "cas/logged_in.html", {})
    if _actions_pending(request):
        if params.gateway and not fresh:
            return HttpResponseRedirect(params.service)
        back = _login_path(params)
        if fresh:
            # Credentials were just presented: the ticket issued on the way back counts as
            # such for renew=true (§2.4.1), once, for this very address.
            request.session[PRIMARY_AUTH_KEY] = {"at": time.time(), "path": back}
        return HttpResponseRedirect(
            reverse("activation:continue") + "?" + urlencode({"next": back})
        )
    if params.warn and request.method == "GET":
        return render(
            request,
            "cas/warn.html",
            {"service_name": service.name, "continue_url": _login_path(params, warn=False)},
        )
    try:
        ticket = service_ticket_issue(
            request=request, service=service, service_url=params.service, from_new_login=fresh
        )
    except NotAllowed:
        return _refusal(request, params.service, reason="profile")
    target = _with_ticket(params.service, ticket)
    if params.method == "POST":
        return render(
            request,
            "cas/post_to_service.html",
            {"action": params.service, "ticket": ticket, "service_name": service.name},
        )
    return HttpResponseRedirect(target)


def _primary_marker_valid(request: HttpRequest) -> bool:
    marker = request.session.pop(PRIMARY_AUTH_KEY, None)
    if not isinstance(marker, dict):
        return False
    window = float(preau_setting("CAS_RENEW_WINDOW_SECONDS"))
    fresh_enough = 0 <= time.time() - float(marker.get("at") or 0) <= window
    return fresh_enough and marker.get("path") == request.get_full_path()


@csrf_exempt  # checked by signin_csrf_protect (scripted CAS clients send no Referer)
@sensitive_post_parameters("password")
@signin_csrf_protect
@never_cache
@required_actions_exempt  # decided here, before any ticket: see _grant
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - §2.1–2.2
    params = LoginParams.read(request)
    service = None
    if params.service:
        service = registry_match(params.service, protocols=("cas",))
        if service is None:
            # §2.2.1: an unknown service gets a page that says so, never a redirection.
            return _refusal(request, params.service, reason="unknown")
    if request.method == "POST":
        form = SigninForm(request.POST)
        if not form.is_valid():
            return _login_form(request, params, service, form, status=400)
        if not _login_ticket_accepted(request.POST.get("lt")):
            return _login_form(
                request,
                params,
                service,
                SigninForm(initial={"username": form.cleaned_data["username"]}),
                error=_(
                    "Ce formulaire de connexion a déjà servi ou a expiré : saisissez de nouveau "
                    "votre mot de passe."
                ),
                status=400,
            )
        result = signin_attempt(
            request=request,
            identifier=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if result.outcome is Outcome.SUCCESS:
            return _grant(request, params, service, fresh=True)
        if result.outcome is Outcome.THROTTLED:
            return _login_form(
                request,
                params,
                service,
                form,
                error=wait_message(result.wait),
                status=429,
                wait=result.wait,
            )
        message = signin_failure_message(result)
        return _login_form(
            request,
            params,
            service,
            form,
            error=message.text,
            error_help=message.help_url,
            status=401,
        )

    if request.user.is_authenticated:
        if not params.renew:
            return _grant(request, params, service, fresh=False)
        if _primary_marker_valid(request):
            return _grant(request, params, service, fresh=True)
    elif params.gateway and service is not None:
        # §2.1.1: no SSO session and no asking: back to the service without a ticket.
        return HttpResponseRedirect(params.service)
    return _login_form(request, params, service, SigninForm())


@never_cache
@required_actions_exempt
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """§2.3: end the SSO session (single logout follows), then go to ``service`` only if it is
    a registered service's address. The CAS 2.0 ``url`` is honoured on the same condition. A
    session opened through a federation ends at the provider first, then comes back."""
    target = (request.GET.get("service") or request.GET.get("url") or "").strip()
    allowed = bool(target) and registry_match(target) is not None
    if request.user.is_authenticated:
        signout_return_set(request=request, url=target if allowed else "")
        signout(request=request)
        # Signed in through a federation: its provider ends its own session too, then sends
        # back to the service (carried signed through the round trip) or the sign-in page.
        if provider_end := signout_continue(request):
            return HttpResponseRedirect(provider_end)
    if allowed:
        return HttpResponseRedirect(target)
    return render(request, "cas/logged_out.html", {"refused": bool(target)})


# --- Validation -----------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name)
    if value is None and request.method == "POST":
        value = request.POST.get(name)
    return (value or "").strip()


def _format(request: HttpRequest) -> str | None:
    value = (_param(request, "format") or responses.XML).upper()
    return value if value in responses.FORMATS else None


def _validation(request: HttpRequest, *, allow_proxy_tickets: bool) -> HttpResponse:
    fmt = _format(request)
    if fmt is None:
        return responses.validation_failure(
            Code.INVALID_REQUEST, "Unsupported format: use XML or JSON", responses.XML
        )
    try:
        validated = ticket_validate(
            ticket=_param(request, "ticket"),
            service_url=_param(request, "service"),
            renew=_flag(request.GET.get("renew")),
            pgt_url=_param(request, "pgtUrl"),
            allow_proxy_tickets=allow_proxy_tickets,
        )
    except CasError as error:
        return responses.validation_failure(error.code, error.description, fmt)
    except Exception:  # a database outage must still answer in the protocol
        logger.exception("CAS validation failed")
        return responses.validation_failure(
            Code.INTERNAL_ERROR, "Internal error during ticket validation", fmt
        )
    return responses.validation_success(validated.success, fmt)


_validation_endpoint = [csrf_exempt, never_cache, require_http_methods(["GET", "POST"])]


def _endpoint(view: Any) -> Any:
    for decorator in reversed(_validation_endpoint):
        view = decorator(view)
    return view


@_endpoint
def validate_view(request: HttpRequest) -> HttpResponse:
    """CAS 1.0 (§2.4): service tickets only, ``yes``/``no``."""
    try:
        validated = ticket_validate(
            ticket=_param(request, "ticket"),
            service_url=_param(request, "service"),
            renew=_flag(request.GET.get("renew")),
            with_attributes=False,
        )
    except CasError:
        return responses.validate_v1(None)
    except Exception:
        logger.exception("CAS 1.0 validation failed")
        return responses.validate_v1(None)
    return responses.validate_v1(validated.success.user)


@_endpoint
def service_validate_view(request: HttpRequest) -> HttpResponse:
    return _validation(request, allow_proxy_tickets=False)


@_endpoint
def proxy_validate_view(request: HttpRequest) -> HttpResponse:
    return _validation(request, allow_proxy_tickets=True)


@_endpoint
def p3_service_validate_view(request: HttpRequest) -> HttpResponse:
    return _validation(request, allow_proxy_tickets=False)


@_endpoint
def p3_proxy_validate_view(request: HttpRequest) -> HttpResponse:
    return _validation(request, allow_proxy_tickets=True)


@_endpoint
def proxy_view(request: HttpRequest) -> HttpResponse:
    fmt = _format(request) or responses.XML
    try:
        ticket = proxy_ticket_issue(
            pgt=_param(request, "pgt"), target_service=_param(request, "targetService")
        )
    except CasError as error:
        return responses.proxy_failure(error.code, error.description, fmt)
    except Exception:
        logger.exception("CAS proxy ticket failed")
        return responses.proxy_failure(Code.INTERNAL_ERROR, "Internal error", fmt)
    return responses.proxy_success(ticket, fmt)


def _saml_artifact(body: bytes) -> str:
    if len(body) > _SAML_MAX_BYTES:
        raise CasError(Code.INVALID_REQUEST, "The SAML request is too large")
    # defusedxml refuses a DTD while expat parses, so whatever the document's encoding (a
    # search of the bytes for "<!DOCTYPE" misses UTF-16): no entity, no external reference.
    try:
        root = xml_fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CasError(Code.INVALID_REQUEST, "Document type declarations are not accepted") from exc
    except (ParseError, ValueError, LookupError) as exc:
        # ValueError: a multi-byte encoding expat cannot read; LookupError: an unknown one.
        raise CasError(Code.INVALID_REQUEST, "The SAML request is not well-formed XML") from exc
    artifact = root.find(f".//{_SAML_PROTOCOL}AssertionArtifact")
    if artifact is None or not (artifact.text or "").strip():
        raise CasError(Code.INVALID_REQUEST, "samlp:AssertionArtifact is required")
    return (artifact.text or "").strip()


@csrf_exempt
@never_cache
def saml_validate_view(request: HttpRequest) -> HttpResponse:
    """§4.2: a SAML 1.1 request POSTed with ``TARGET``; attributes only to an HTTPS target."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.GET.get("TARGET", "").strip()
    now = timezone.now()
    try:
        if not target:
            raise CasError(Code.INVALID_REQUEST, "The TARGET parameter is required")
        validated = ticket_validate(
            ticket=_saml_artifact(request.body),
            service_url=target,
            with_attributes=target.lower().startswith("https://"),
        )
    except CasError as error:
        return responses.saml_failure(
            code=error.code, description=error.description, recipient=target, now=now
        )
    except Exception:
        logger.exception("CAS SAML validation failed")
        return responses.saml_failure(
            code=Code.INTERNAL_ERROR, description="Internal error", recipient=target, now=now
        )
    return responses.saml_success(
        success=validated.success, recipient=target, issuer=request.get_host(), now=now
    )
