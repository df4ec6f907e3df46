"""Where a page may send a person back to: the one check of a ``next`` (or a referer) URL.

Every app that redirects to an address it was given (the sign-in, the first connection, the
CSRF failure page) asks here, so an open redirect cannot come back in one copy of the rule.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def url_is_local(request: HttpRequest, url: str) -> bool:
    """Whether ``url`` stays on this site: refuses other hosts (``//evil.example``,
    ``https://evil.example``, ``/\\evil``), other schemes (``javascript:``) and, on HTTPS, a
    downgrade to HTTP."""
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next(request: HttpRequest, default: str = "") -> str:
    """``next`` from the form or the query string when it stays on this site, else
    ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_is_local(request, target) else default
