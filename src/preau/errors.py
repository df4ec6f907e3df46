"""The error pages that must render whatever is broken: 400 (a request Django refused before
any view, such as an unknown Host) and 500 (an unexpected error, perhaps the database).

Django draws them from ``400.html`` and ``500.html``; these handlers give the templates the
site's frame from the settings alone (:func:`preau.context_processors.site_context`): no
request context, no database, no session. Should even that fail, a plain French page is sent.
403 and 404 are Django's own handlers with ``403.html`` and ``404.html`` (the person's header).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _

from preau.context_processors import site_context

logger = logging.getLogger(__name__)


def _bare_page(template_name: str, response_class: type[HttpResponse]) -> HttpResponse:
    body: str
    try:
        body = loader.render_to_string(template_name, site_context())
    except Exception:  # the error page of last resort must not fail in turn
        logger.exception("The error page %s could not be drawn", template_name)
        body = (
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
            "</head><body><h1>{title}</h1><p>{text}</p></body></html>"
        ).format(
            title=_("Erreur inattendue"),
            text=_("Réessayez dans quelques minutes. Si le problème persiste, signalez-le."),
        )
    return response_class(body)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``."""
    return _bare_page("400.html", HttpResponseBadRequest)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``."""
    return _bare_page("500.html", HttpResponseServerError)
