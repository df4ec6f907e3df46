"""The mobile API, version 1 (django-ninja): ``/api/mobile/v1/``, schema at ``openapi.json``.

Bearer tokens only: the session cookie is never read here (the authentication is
:class:`DeviceBearer`, and nothing reads ``request.user``), so no CSRF check applies. Every
refusal is ``{"error": code, "message": French}`` (:mod:`preau.mobile.errors`); wrong secrets
count against the client address (``mobile.failure.address``, :mod:`preau.signin.throttle`);
each device has a request budget (:mod:`preau.mobile.rate`).
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from preau.activation.middleware import required_actions_exempt
from preau.audit.services import client_ip
from preau.directory.models import Membership
from preau.mobile import schemas, services
from preau.mobile.errors import MobileError, device_rate_message
from preau.mobile.models import Device, PairingGrant
from preau.mobile.rate import device_rate_spend
from preau.mobile.selectors import (
    EstablishmentSeen,
    children_seen_of,
    device_by_access_token,
    establishments_in,
    memberships_seen_of,
    tiles_of,
)
from preau.notify.preferences import notification_preferences_of
from preau.signin.throttle import throttle_check, throttle_fail

FAILURE_SCOPE = "mobile.failure.address"

api = NinjaAPI(
    title="Préau — API mobile",
    version="1",
    description="L’API de l’application mobile de l’ENT (docs/mobile.md).",
    urls_namespace="mobile_api",
    openapi_url="/openapi.json",
    docs_url=None,
)

# The refusals every operation may answer (docs/mobile.md), in the one error shape.
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 405, 429}): schemas.ErrorOut}


def _address(request: HttpRequest) -> str:
    return client_ip(request) or "-"


def _throttled(request: HttpRequest) -> None:
    wait = throttle_check(FAILURE_SCOPE, _address(request))
    if wait > 0:
        raise MobileError("too_many_requests", retry_after=wait)


def _failed(request: HttpRequest) -> None:
    throttle_fail(FAILURE_SCOPE, _address(request))


class DeviceBearer(HttpBearer):
    """``Authorization: Bearer <access token>`` → the device (``request.auth``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        device = device_by_access_token(token)
        if device is None:
            # A live token is never held back by others' failures from its address (a
            # school's or a family's shared address); wrong ones are counted and slowed.
            _throttled(request)
            _failed(request)
            return None
        if not services.account_usable(device.account):
            raise MobileError("account_unavailable")
        wait = device_rate_spend(device.pk)
        if wait > 0:
            message = device_rate_message(wait)
            raise MobileError("too_many_requests", retry_after=wait, message=message)
        services.device_touch(device)
        return device


def _error(request: HttpRequest, code: str, retry_after: int = 0) -> HttpResponse:
    return _answer(request, MobileError(code, retry_after=retry_after))


def _answer(request: HttpRequest, error: MobileError) -> HttpResponse:
    response = api.create_response(
        request, {"error": error.code, "message": error.message}, status=error.status
    )
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    if error.code == "unauthorized":
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(MobileError)
def _mobile_error(request: HttpRequest, exc: MobileError) -> HttpResponse:
    return _answer(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, "invalid_request")


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, "unauthorized")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {404: "not_found", 405: "method_not_allowed", 429: "too_many_requests"}
    return _error(request, code.get(exc.status_code, "invalid_request"))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, "not_found")


def _tokens(pair: services.TokenPair) -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "access_token": pair.access_token,
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "refresh_expires_in": pair.refresh_expires_in,
        "device_id": pair.device.pk,
    }


def _pair(request: HttpRequest, kind: str, identifier: str, secret: str, body: Any) -> Any:
    _throttled(request)
    try:
        pair = services.device_pair(
            kind=kind,
            identifier=identifier,
            secret=secret,
            name=body.device_name.strip() or "?",
            platform=body.platform,
            ip=client_ip(request),
        )
    except MobileError as error:
        if error.code in {"invalid_grant", "invalid_pin"}:
            _failed(request)
        raise
    return _tokens(pair)


@api.post(
    "/activation",
    response={200: schemas.TokenOut, **ERRORS},
    summary="Associer un appareil avec l’identifiant et le code",
    tags=["Association"],
)
def activation(request: HttpRequest, body: schemas.ActivationIn) -> Any:
    return _pair(request, PairingGrant.Kind.CODE, body.identifier, body.code, body)


@api.post(
    "/pairing",
    response={200: schemas.TokenOut, **ERRORS},
    summary="Associer un appareil avec le QR code et le code PIN",
    tags=["Association"],
)
def pairing(request: HttpRequest, body: schemas.PairingIn) -> Any:
    return _pair(request, PairingGrant.Kind.QR_PIN, body.identifier, body.token, body)


@api.post(
    "/token",
    response={200: schemas.TokenOut, **ERRORS},
    summary="Renouveler les jetons (le jeton de renouvellement ne sert qu’une fois)",
    tags=["Association"],
)
def token(request: HttpRequest, body: schemas.RefreshIn) -> Any:
    _throttled(request)
    try:
        pair = services.token_refresh(refresh_token=body.refresh_token, ip=client_ip(request))
    except MobileError as error:
        if error.code == "invalid_refresh_token":
            _failed(request)
        raise
    return _tokens(pair)


def _establishment(establishment: EstablishmentSeen) -> dict[str, str]:
    return {"uai": establishment.uai, "name": establishment.name}


@api.get("/me", auth=DeviceBearer(), response={200: schemas.MeOut, **ERRORS}, tags=["Compte"])
def me(request: HttpRequest) -> Any:
    """Qui suis-je : noms, profils, établissements, enfants confirmés d’un responsable."""
    account = request.auth.account  # type: ignore[attr-defined]
    seen = memberships_seen_of(account)
    memberships = [
        {
            "establishment": _establishment(m.establishment),
            "profile": m.profile,
            "profile_label": str(Membership.Profile(m.profile).label),
            "classes": list(m.classes),
        }
        for m in seen
    ]
    children = [
        {
            "first_name": child.first_name,
            "last_name": child.last_name,
            "establishment": _establishment(child.establishment),
            "classes": list(child.classes),
        }
        for child in children_seen_of(account)
    ]
    return {
        "login": account.login,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "memberships": memberships,
        "establishments": [_establishment(e) for e in establishments_in(seen)],
        "children": children,
    }


@api.get(
    "/services",
    auth=DeviceBearer(),
    response={200: list[schemas.ServiceGroupOut], **ERRORS},
    tags=["Services"],
)
def services_list(request: HttpRequest, establishment: str = "") -> Any:
    """« Mes services » : les tuiles par catégorie (``establishment`` : un UAI pour n’en
    montrer qu’un)."""
    account = request.auth.account  # type: ignore[attr-defined]
    seen = memberships_seen_of(account)
    chosen = next((e for e in establishments_in(seen) if e.uai == establishment), None)
    groups = tiles_of(chosen, seen)
    return [
        {
            "category": str(group.category),
            "services": [
                {
                    "name": t.name,
                    "slug": t.slug,
                    "description": t.description,
                    "icon": t.icon,
                    "url": t.url,
                }
                for t in group.tiles
            ],
        }
        for group in groups
    ]


@api.post(
    "/web-link",
    auth=DeviceBearer(),
    response={200: schemas.WebLinkOut, **ERRORS},
    tags=["Services"],
)
def web_link(request: HttpRequest, body: schemas.WebLinkIn) -> Any:
    """Un lien à usage unique qui, ouvert dans le navigateur, connecte la personne et ouvre le
    service CAS (un service enregistré dans l’ENT seulement)."""
    device = request.auth  # type: ignore[attr-defined]
    token = services.web_link_create(device=device, service=body.service, ip=client_ip(request))
    url = request.build_absolute_uri(reverse("mobile:web_link", args=[token]))
    return {"url": url, "expires_in": services.mobile_setting("WEB_LINK_SECONDS")}


def _preferences(account: Any) -> dict[str, bool]:
    found = notification_preferences_of(account)
    return {
        "from_establishment": found.from_establishment,
        "from_partners": found.from_partners,
        "sms": found.sms,
    }


@api.get(
    "/preferences",
    auth=DeviceBearer(),
    response={200: schemas.PreferencesOut, **ERRORS},
    tags=["Compte"],
)
def preferences_get(request: HttpRequest) -> Any:
    """Les notifications que la personne accepte de recevoir."""
    return _preferences(request.auth.account)  # type: ignore[attr-defined]


@api.put(
    "/preferences",
    auth=DeviceBearer(),
    response={200: schemas.PreferencesOut, **ERRORS},
    tags=["Compte"],
)
def preferences_put(request: HttpRequest, body: schemas.PreferencesIn) -> Any:
    device = request.auth  # type: ignore[attr-defined]
    services.preferences_update(device=device, ip=client_ip(request), **body.dict())
    return _preferences(device.account)


@api.post("/logout", auth=DeviceBearer(), response={204: None, **ERRORS}, tags=["Association"])
def logout(request: HttpRequest) -> Any:
    """Se déconnecter de cet appareil : il est retiré, ses jetons ne valent plus rien."""
    device = request.auth  # type: ignore[attr-defined]
    services.device_revoke(
        actor=device.account, device=device, reason="logout", ip=client_ip(request)
    )
    return Status(204, None)


@required_actions_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any other address under ``/api/mobile/v1/``: the API's 404, not an HTML page."""
    return _error(request, "not_found")


def _method_not_allowed_in_json(view: Any) -> Any:
    """django-ninja answers a method an address does not take with a plain-text 405; the API
    answers every refusal in its one JSON shape (keeping the ``Allow`` header)."""

    @functools.wraps(view)  # keeps csrf_exempt and the other marks of ninja's view
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            answer = _error(request, "method_not_allowed")
            answer["Allow"] = response["Allow"]
            return answer
        return response

    return wrapped


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, each reachable whatever the required actions of a session
    (the API reads no session: a cookie sent along must not turn into a redirect), each
    refusing an unknown method in JSON."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.callback is not None:
            pattern.callback = required_actions_exempt(
                _method_not_allowed_in_json(pattern.callback)
            )
    return patterns, app_name, namespace
