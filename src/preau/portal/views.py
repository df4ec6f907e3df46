"""'Mes services' (the home page after sign-in) and 'Mes portails' (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from preau.directory.selectors import (
    establishment_current,
    establishments_of,
    membership_profiles_current,
)
from preau.portal.selectors import site_page_get, tiles_for
from preau.portal.services import establishment_choose


@login_required
def home(request: HttpRequest) -> HttpResponse:
    establishments = establishments_of(request.user)
    current = establishment_current(
        account=request.user, session=request.session, establishments=establishments
    )
    groups = tiles_for(request.user, current, membership_profiles_current(request.user))
    return render(
        request,
        "portal/home.html",
        {"groups": groups, "establishments": establishments, "current": current},
    )


@login_required
@require_POST
def portal_choose(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("establishment", "")
    chosen = (
        establishment_choose(actor=request.user, session=request.session, establishment_id=int(raw))
        if raw.isdigit()
        else None
    )
    if chosen is None:
        messages.error(request, _("Choisissez l’un de vos établissements dans la liste."))
    else:
        messages.success(
            request, _("Vous êtes sur le portail de %(name)s.") % {"name": chosen.name}
        )
    return redirect("home")


def site_page(request: HttpRequest, kind: str) -> HttpResponse:
    """A footer page (legal notice, accessibility, personal data, help): open to everyone,
    signed in or not, during a first connection too (see preau.portal.urls)."""
    page = site_page_get(kind=kind)
    return render(request, "portal/site_page.html", {"page": page})
