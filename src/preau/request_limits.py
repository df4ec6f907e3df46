"""Request bodies refused from their announced size, before a byte of them is read.

Django reads a POST body when something first asks for ``request.POST`` — the CSRF middleware
does so for every form, before any view and before anyone is signed in — and its multipart
parser streams uploaded files to memory or to a temporary file whatever their size
(``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count files). A check in the view comes too late: an
anonymous client holding a CSRF cookie could make the server read and spool hundreds of
megabytes. :class:`RequestBodyLimitMiddleware` therefore sits near the top of ``MIDDLEWARE``
and answers 413 with a page in the site's look (under ``/api/``, the API's JSON error) when
``Content-Length`` is over the limit:

- ``PREAU["REQUEST_MAX_BYTES"]`` (1 MiB) everywhere;
- on the few views decorated with :func:`accepts_upload` (the console's import page), their
  own limit (``PREAU["IMPORT_MAX_BYTES"]``) plus a margin for the form's other fields and the
  multipart boundaries.

A body sent in chunks without ``Content-Length`` is refused too (411): under WSGI Django would
read none of it anyway (it reads ``Content-Length`` bytes), and browsers always announce the
length of a form. Whatever a client announces, Django never reads more than ``Content-Length``
bytes. The reverse proxy should refuse oversized bodies first (``client_max_body_size`` in
nginx): see docs/configuration.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from preau.conf import preau_setting

# Room, on an upload page, for the form's other fields and the multipart boundaries.
UPLOAD_MARGIN = 64 * 1024

View = TypeVar("View", bound=Callable[..., Any])

# View function -> the largest file it accepts, read at request time (settings may change).
_UPLOAD_VIEWS: dict[Callable[..., Any], Callable[[], int]] = {}


def accepts_upload(max_file_bytes: Callable[[], int]) -> Callable[[View], View]:
    """Let a view receive a file of ``max_file_bytes()`` bytes (plus :data:`UPLOAD_MARGIN`).

    Put it above every other decorator: the middleware looks up the function the URL resolves to.
    """

    def decorate(view: View) -> View:
        _UPLOAD_VIEWS[view] = max_file_bytes
        return view

    return decorate


def megabytes(size: int) -> str:
    """A size in megabytes as French prose writes it: ``5``, ``1,5``, ``0,1``."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",")


def human_size(size: int) -> str:
    """``5 Mo``, ``0,1 Mo``; below 100 Kio in Ko (``2 Ko``), never ``0 Mo``."""
    if size >= 100 * 1024:
        return f"{megabytes(size)} Mo"
    return f"{max(1, round(size / 1024))} Ko"


def _limits(request: HttpRequest) -> tuple[int, int | None]:
    """The body size accepted for ``request``, and the file size to tell a person about when
    the view accepts an upload (else None)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return int(preau_setting("REQUEST_MAX_BYTES")), None
    max_file_bytes = _UPLOAD_VIEWS.get(match.func)
    if max_file_bytes is None:
        return int(preau_setting("REQUEST_MAX_BYTES")), None
    file_limit = max_file_bytes()
    return file_limit + UPLOAD_MARGIN, file_limit


# Under this prefix the answers are an API's JSON errors (``{"error": code, "message": …}``,
# docs/mobile.md), not the site's pages.
API_PREFIX = "/api/"
_API_ERRORS = {411: "length_required", 413: "request_too_large"}


def _api_refusal(status: int, context: dict[str, Any]) -> HttpResponse:
    if status == 411:  # noqa: PLR2004 - the HTTP status
        message = _("Annoncez la taille de la requête (en-tête Content-Length).")
    else:
        message = _("La requête est trop volumineuse : %(size)s au plus.") % {
            "size": context["max_size"]
        }
    return JsonResponse(
        {"error": _API_ERRORS[status], "message": message},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _refusal(request: HttpRequest, status: int, context: dict[str, Any]) -> HttpResponse:
    # The locale middleware has not run yet: choose the language the same way.
    with translation.override(translation.get_language_from_request(request)):
        if request.path_info.startswith(API_PREFIX):
            response = _api_refusal(status, context)
        else:
            response = render(request, "request_too_large.html", {"status": status, **context})
    response.status_code = status
    # The clickjacking middleware comes later in the chain and will not see this response.
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response


class RequestBodyLimitMiddleware:
    """Refuse a request whose announced body is over its limit, without reading it (413), and
    a chunked body of unknown length (411)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        announced = request.META.get("CONTENT_LENGTH")
        if not announced:
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return _refusal(request, 411, {})
            return self.get_response(request)
        try:
            length = int(announced)
        except ValueError:
            length = 0  # Django reads no body for a length it cannot read
        # The common case (a form, a few kilobytes) costs one comparison: below both the
        # general limit and the margin every upload view accepts, the URL need not be resolved.
        if length <= min(int(preau_setting("REQUEST_MAX_BYTES")), UPLOAD_MARGIN):
            return self.get_response(request)
        limit, file_limit = _limits(request)
        if length <= limit:
            return self.get_response(request)
        return _refusal(
            request,
            413,
            {
                "upload": file_limit is not None,
                "max_size": human_size(file_limit if file_limit is not None else limit),
            },
        )
