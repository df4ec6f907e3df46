"""Template tags of the federation: where "S'identifier avec FranceConnect" leads, with the
page to come back to, and whether "Mon compte" shows its identities."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template

from preau.federation.educonnect import educonnect_configured
from preau.federation.franceconnect import franceconnect_configured
from preau.redirects import safe_next

register = template.Library()


@register.simple_tag(takes_context=True)
def federation_start_url(context: Any, start_url: str) -> str:
    """``start_url`` with ``next``: the sign-in page's own ``next``, else this page when it is
    not the sign-in page (the CAS login page, which then issues the service's ticket)."""
    request = context.get("request")
    if request is None:
        return start_url
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name == "signin:login":
        target = safe_next(request, default="/")
    else:
        target = request.get_full_path()
    return f"{start_url}?{urlencode({'next': target})}"


@register.simple_tag
def federation_offered() -> bool:
    return franceconnect_configured() or educonnect_configured()
