"""The console's queue of help requests: people without a verified e-mail or mobile who proved
their account and ask for new codes, and what Préau reports (a first connection blocked on the
birth date, a child's link frozen or refused by a guardian). Thin views over
``preau.recovery``'s selectors and services; every page resolves the establishment through
``console_page`` (404 elsewhere)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from preau.console.views import _actor, _render, console_page
from preau.console.views_actions import reissue_form_for
from preau.directory.models import Establishment
from preau.recovery import helpdesk, selectors
from preau.recovery.models import HelpRequest

PAGE_SIZE = 50


@require_GET
@console_page
def help_requests(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    status = request.GET.get("etat") or HelpRequest.Status.NEW
    if status not in HelpRequest.Status.values:
        status = HelpRequest.Status.NEW
    actor = _actor(request)
    rows = list(
        selectors.help_requests_of(actor=actor, establishment=establishment, status=status)[
            :PAGE_SIZE
        ]
    )
    counts = selectors.help_request_counts(actor=actor, establishment=establishment)
    tabs = [(value, label, counts[value]) for value, label in HelpRequest.Status.choices]
    return _render(
        request,
        "console/help_requests.html",
        establishment=establishment,
        section="help",
        context={"requests": rows, "status": status, "tabs": tabs, "page_size": PAGE_SIZE},
    )


def _help_request(request: HttpRequest, establishment: Establishment, pk: int) -> HelpRequest:
    try:
        return selectors.help_request_get(actor=_actor(request), establishment=establishment, pk=pk)
    except HelpRequest.DoesNotExist as exc:
        raise Http404(_("Demande introuvable.")) from exc


@require_GET
@console_page
def help_request_detail(
    request: HttpRequest, establishment: Establishment, pk: int
) -> HttpResponse:
    help_request = _help_request(request, establishment, pk)
    account = help_request.account
    form = (
        reissue_form_for(account, help_request=help_request)
        if account is not None and help_request.is_open and not help_request.about_child
        else None
    )
    return _render(
        request,
        "console/help_request_detail.html",
        establishment=establishment,
        section="help",
        context={"help_request": help_request, "account": account, "form": form},
    )


@require_POST
@console_page
def help_request_status(
    request: HttpRequest, establishment: Establishment, pk: int
) -> HttpResponse:
    help_request = _help_request(request, establishment, pk)
    try:
        changed = helpdesk.help_request_status_set(
            actor=_actor(request),
            help_request=help_request,
            status=request.POST.get("status", ""),
            request=request,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if changed:
            messages.success(
                request,
                _("La demande est maintenant « %(status)s ».")
                % {"status": help_request.get_status_display()},
            )
    return redirect("console:help_request", uai=establishment.uai, pk=help_request.pk)
