"""Merges in the console: the likely duplicates of the administrator's establishments, the
merge of two of them for a person at the desk, and the operator's undo (30 days).

Thin views over :mod:`preau.directory.merges` (which checks the scope again: both accounts
within the administrator's reach, :attr:`~preau.directory.scope.ConsoleAction.MERGE`) and
:mod:`preau.directory.merge_selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.console.views import _actor, _render, console_page
from preau.directory.merge_selectors import duplicates_likely, merge_preview, merges_undoable
from preau.directory.merges import MergeRefused, account_merge, account_merge_undo
from preau.directory.models import Account, AccountMerge, Establishment, Membership
from preau.directory.scope import administered_ids, is_operator

REASON_LABELS = {
    "mobile": gettext_lazy("même mobile"),
    "email": gettext_lazy("même adresse électronique"),
    "child": gettext_lazy("un enfant en commun"),
}


def _places(request: HttpRequest, establishment: Establishment) -> set[int]:
    """Where the console looks for duplicates: every establishment the actor administers (the
    operator: this one)."""
    actor = _actor(request)
    return {establishment.pk} if is_operator(actor) else administered_ids(actor)


def _member(request: HttpRequest, establishment: Establishment, login: str) -> Account:
    """A current member of one of the console's establishments, else 404."""
    members = Membership.objects.current().filter(
        establishment_id__in=sorted(_places(request, establishment))
    )
    account = Account.objects.filter(login=login, memberships__in=members).distinct().first()
    if account is None:
        # An account already merged into one of them: the merge page says so.
        account = (
            Account.objects.filter(
                login=login,
                state=Account.State.MERGED,
                merged_into__memberships__in=members,
            )
            .distinct()
            .first()
        )
    if account is None:
        raise Http404(_("Compte introuvable."))
    return account


@require_GET
@console_page
def duplicates(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    found = duplicates_likely(establishment_ids=_places(request, establishment))
    rows = [
        {
            "duplicate": duplicate,
            "reasons": ", ".join(str(REASON_LABELS[r]) for r in duplicate.reasons),
        }
        for duplicate in found
    ]
    return _render(
        request,
        "console/duplicates.html",
        establishment=establishment,
        section="duplicates",
        context={"rows": rows, "operator": is_operator(_actor(request))},
    )


@require_http_methods(["GET", "POST"])
@console_page
def duplicate_merge(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    """GET ``?garder=<login>&fusionner=<login>``: what would move; POST: merge."""
    data = request.POST if request.method == "POST" else request.GET
    target = _member(request, establishment, data.get("garder", ""))
    source = _member(request, establishment, data.get("fusionner", ""))
    if request.method == "POST":
        try:
            record = account_merge(
                source=source,
                target=target,
                actor=_actor(request),
                request=request,
                establishment=establishment,
            )
        except MergeRefused as refused:
            messages.error(request, refused.messages[0])
        except PermissionDenied as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                _(
                    "Les comptes sont fusionnés : %(source)s est réuni avec %(target)s. La "
                    "personne se connecte désormais avec l'identifiant %(target)s et son mot de "
                    "passe ; %(source)s reste utilisable jusqu'au %(until)s."
                )
                % {
                    "source": record.source_login,
                    "target": record.target_login,
                    "until": date_format(record.alias_until, "j F Y"),
                },
            )
        return redirect("console:duplicates", uai=establishment.uai)
    return _render(
        request,
        "console/duplicate_merge.html",
        establishment=establishment,
        section="duplicates",
        context={"preview": merge_preview(source=source, target=target)},
    )


def _operator(request: HttpRequest) -> Account:
    actor = _actor(request)
    if not (is_operator(actor) and actor.is_active):
        raise Http404(_("Page introuvable."))
    return actor


@require_GET
@login_required
def merges(request: HttpRequest) -> HttpResponse:
    """The operator's page: the merges of the last 30 days, each with its undo."""
    actor = _operator(request)
    return _render(
        request,
        "console/merges.html",
        establishment=None,
        section="merges",
        context={"merges": list(merges_undoable(actor=actor))},
    )


@require_POST
@login_required
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _operator(request)
    merge = get_object_or_404(AccountMerge, pk=pk)
    try:
        account_merge_undo(merge=merge, actor=actor, request=request)
    except MergeRefused as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(
            request,
            _("La fusion est annulée : le compte %(source)s est rétabli, séparé de %(target)s.")
            % {"source": merge.source_login, "target": merge.target_login},
        )
    return redirect("console:merges")
