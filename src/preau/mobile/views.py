""" "Application mobile" in "Mon compte", and the app's one-time web sign-in links (thin:
parse, call a service or a selector, render)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from preau.directory.models import Account
from preau.directory.selectors import children_exist
from preau.mobile import services, tokens
from preau.mobile.forms import PinForm
from preau.mobile.qr import qr_data_url, qr_payload
from preau.mobile.selectors import devices_of, web_link_target
from preau.signin.services import signin_open


def _account(request: HttpRequest) -> Account:
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def _address(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    account = _account(request)
    return render(
        request,
        "mobile/home.html",
        {
            "section": "mobile",
            "has_children": children_exist(account),
            "devices": devices_of(account),
            "pin_form": PinForm(),
            "minutes": services.mobile_setting("GRANT_SECONDS") // 60,
            **context,
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def mobile_view(request: HttpRequest) -> HttpResponse:
    return _render(request, {})


@login_required
@never_cache
@require_POST
def activate_view(request: HttpRequest) -> HttpResponse:
    """ "Activer mon accès": a new identifier and code, shown once with their QR code."""
    account = _account(request)
    issued = services.grant_create(actor=account, account=account, request=request)
    payload = qr_payload(
        address=_address(request), identifier=issued.grant.identifier, code=issued.code
    )
    return _render(
        request,
        {
            "grant": issued.grant,
            "code": tokens.code_display(issued.code),
            "qr": qr_data_url(payload),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("pin")
@require_POST
def qr_pin_view(request: HttpRequest) -> HttpResponse:
    """QR + PIN: the QR code carries the token encrypted with the PIN, never the PIN."""
    account = _account(request)
    form = PinForm(request.POST)
    if not form.is_valid():
        return _render(request, {"pin_form": form}, status=400)
    issued = services.grant_create(
        actor=account, account=account, pin=form.cleaned_data["pin"], request=request
    )
    payload = qr_payload(
        address=_address(request), identifier=issued.grant.identifier, **(issued.qr_fields or {})
    )
    return _render(request, {"pin_grant": issued.grant, "pin_qr": qr_data_url(payload)})


@login_required
@require_POST
def revoke_view(request: HttpRequest, device_id: int) -> HttpResponse:
    account = _account(request)
    device = devices_of(account).filter(pk=device_id).first()
    if device is None:
        raise Http404
    services.device_revoke(actor=account, device=device, reason="removed", request=request)
    messages.success(
        request,
        _("L’appareil « %(name)s » est retiré : l’application y est déconnectée.")
        % {"name": device.name},
    )
    return redirect("mobile:home")


@never_cache
@require_http_methods(["GET", "POST"])
def web_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The app's one-time link. GET only says where it leads, with a button: link previewers
    and mail or chat scanners fetch links with GET and must not spend it. The button's POST
    (CSRF-checked) spends it: the person is signed in, then goes through the CAS login of the
    service (which issues its ticket, after any required action)."""
    if request.method == "GET":
        target = web_link_target(token)
        if target is None:
            return render(request, "mobile/web_link_invalid.html", status=400)
        return render(request, "mobile/web_link.html", {"target": target})
    link = services.web_link_consume(token=token)
    if link is None:
        return render(request, "mobile/web_link_invalid.html", status=400)
    signin_open(request=request, account=link.device.account, method="mobile")
    return redirect(reverse("cas:login") + "?" + urlencode({"service": link.service}))
