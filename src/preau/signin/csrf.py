"""CSRF protection of the sign-in form that scripted CAS clients can also pass.

Django's check on an HTTPS POST wants an ``Origin`` or a ``Referer`` header. Programs that sign
a person in through the CAS login form (pronotepy's generic CAS login, which PRONOTE apps use)
send neither: they fetch the form and post back its inputs, token and cookie included. Every
current browser sends ``Origin`` with a POST (``null`` at worst), so a request without both
headers cannot be a cross-site form in a victim's browser; for it we keep the token-and-cookie
check and skip the ``Referer`` check. Any ``Origin`` or ``Referer`` present is still checked.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware


class SigninCsrfViewMiddleware(CsrfViewMiddleware):
    def _check_referer(self, request: HttpRequest) -> None:
        if "HTTP_REFERER" not in request.META:
            return
        super()._check_referer(request)  # type: ignore[misc]


# Use together with ``csrf_exempt`` outside it, so the site-wide middleware leaves the view to us.
signin_csrf_protect = decorator_from_middleware(SigninCsrfViewMiddleware)
