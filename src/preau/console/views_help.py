"""The console's queue of help requests: people without a verified e-mail or mobile who proved
their account and ask for new codes, and what Préau reports (a first connection blocked on the
birth date, a child's link frozen or refused by a guardian). Thin views over
``preau.recovery``'s selectors and services; every page resolves the establishment through
``console_page`` (404 elsewhere)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from preau.console.views import _actor, _render, console_page
from preau.console.views_actions import reissue_form_for
from preau.directory.guardianships import (
    SCHOOL_DECISIONS,
    SchoolDecision,
    guardianship_school_decide,
)
from preau.directory.models import Establishment, Guardianship
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
        context={
            "help_request": help_request,
            "account": account,
            "form": form,
            "child_decisions": _child_decisions(help_request),
        },
    )


# The buttons of the school's answer about a child's link, in the order shown.
_DECISION_LABELS = {
    SchoolDecision.CONFIRM: _("Confirmer le rattachement (vérifié avec la famille)"),
    SchoolDecision.REOPEN: _("Laisser le responsable saisir de nouveau la date de naissance"),
    SchoolDecision.END: _("Supprimer le rattachement (ce n’est pas son responsable)"),
}


def _child_decisions(help_request: HelpRequest) -> list[tuple[str, str]]:
    """The decisions the request's link still admits (none once answered or ended)."""
    link = help_request.guardianship if help_request.about_child else None
    if link is None or not Guardianship.objects.current().filter(pk=link.pk).exists():
        return []
    allowed = SCHOOL_DECISIONS.get(Guardianship.Confirmation(link.confirmation), ())
    return [(str(d), str(_DECISION_LABELS[d])) for d in allowed]


@require_POST
@console_page
def help_request_child(request: HttpRequest, establishment: Establishment, pk: int) -> HttpResponse:
    """The school's answer about the child's link of a "frozen" or "refused" request; the
    request is then marked done."""
    help_request = _help_request(request, establishment, pk)
    link = help_request.guardianship if help_request.about_child else None
    if link is None:
        raise Http404(_("Demande introuvable."))
    actor = _actor(request)
    decision = request.POST.get("decision", "")
    try:
        guardianship_school_decide(
            actor=actor,
            establishment=establishment,
            guardianship_id=link.pk,
            decision=decision,
            request=request,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Vous ne pouvez pas modifier ce rattachement."))
    else:
        helpdesk.help_request_status_set(
            actor=actor,
            help_request=help_request,
            status=HelpRequest.Status.DONE,
            request=request,
        )
        messages.success(request, _DONE_MESSAGES[SchoolDecision(decision)])
    return redirect("console:help_request", uai=establishment.uai, pk=help_request.pk)


_DONE_MESSAGES = {
    SchoolDecision.CONFIRM: _("Le rattachement est confirmé : le responsable voit l’enfant."),
    SchoolDecision.REOPEN: _(
        "Le responsable pourra saisir de nouveau la date de naissance à sa prochaine connexion."
    ),
    SchoolDecision.END: _("Le rattachement est supprimé : corrigez aussi vos fichiers."),
}


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
