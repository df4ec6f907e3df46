"""The administrateur local's console. Thin views: parse, call a selector or a service, render.

Every page below ``/console/<uai>/`` resolves the establishment through
``establishment_get_administered``: a URL naming a school the actor does not administer, or an
account or import of another school, answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.console import services, tables
from preau.console.forms import AccountSearchForm, ImportUploadForm, LettersForm
from preau.console.models import PendingImport
from preau.console.selectors import pending_import_get
from preau.directory import selectors
from preau.directory.models import Account, Establishment
from preau.provisioning.services import LettersError, LettersResult, letters_generate
from preau.request_limits import accepts_upload

PAGE_SIZE = 50
AUDIT_EVENTS_SHOWN = 20

View = Callable[..., HttpResponse]


def console_page(view: View) -> View:
    """Sign-in required; ``uai`` in the URL becomes ``establishment`` (404 if not administered)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, uai: str, **kwargs: Any) -> HttpResponse:
        try:
            establishment = selectors.establishment_get_administered(actor=_actor(request), uai=uai)
        except Establishment.DoesNotExist as exc:
            raise Http404(_("Établissement introuvable.")) from exc
        return view(request, establishment, **kwargs)

    return wrapper


def _actor(request: HttpRequest) -> Account:
    """The signed-in account (every console view is behind ``login_required``)."""
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def _class_codes(request: HttpRequest, establishment: Establishment) -> list[str]:
    codes = selectors.school_classes_of(actor=_actor(request), establishment=establishment)
    return sorted(set(codes.values_list("code", flat=True)), key=selectors.class_code_sort_key)


def _render(
    request: HttpRequest,
    template: str,
    *,
    establishment: Establishment | None,
    section: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    context = {"establishment": establishment, "section": section, **context}
    return render(request, template, context, status=status)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    establishments = list(selectors.establishments_administered(actor=_actor(request)))
    if not establishments:
        raise PermissionDenied(_("Vous n'administrez aucun établissement."))
    if len(establishments) == 1:
        return redirect("console:dashboard", uai=establishments[0].uai)
    return _render(
        request,
        "console/home.html",
        establishment=None,
        section="home",
        context={"establishments": establishments},
    )


@require_GET
@console_page
def dashboard(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    board = selectors.activation_dashboard(actor=_actor(request), establishment=establishment)
    search_url = reverse("console:accounts", kwargs={"uai": establishment.uai})
    class_table = tables.StateTable(
        caption=_("Comptes d’élèves par classe et par état"),
        heading=_("Classe"),
        rows=tables.state_rows(
            board.by_class,
            search_url=search_url,
            filters={"profil": "eleve"},
            key_param="classe",
            cell_labels=tables.class_labels(),
        ),
    )
    profile_table = tables.StateTable(
        caption=_("Comptes par profil et par état"),
        heading=_("Profil"),
        rows=tables.state_rows(
            board.by_profile,
            search_url=search_url,
            filters={},
            key_param="profil",
            cell_labels=tables.profile_labels(),
        ),
        total=board.total,
    )
    return _render(
        request,
        "console/dashboard.html",
        establishment=establishment,
        section="dashboard",
        context={"board": board, "class_table": class_table, "profile_table": profile_table},
    )


@require_GET
@console_page
def accounts(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    form = AccountSearchForm(request.GET or None, classes=_class_codes(request, establishment))
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        # A filter that does not validate (a class of another year) is shown in error and
        # left out; the valid ones still apply.
        filters = form.cleaned_data
    results = selectors.account_search(
        actor=_actor(request),
        establishment=establishment,
        query=filters.get("q", ""),
        school_class=filters.get("classe", ""),
        profile=filters.get("profil", ""),
        state=filters.get("etat", ""),
    )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "console/accounts.html",
        establishment=establishment,
        section="accounts",
        context={"form": form, "page": page, "query_string": query.urlencode()},
    )


@require_GET
@console_page
def account_detail(request: HttpRequest, establishment: Establishment, login: str) -> HttpResponse:
    try:
        account = selectors.account_get_for_admin(
            actor=_actor(request), establishment=establishment, login=login
        )
    except Account.DoesNotExist as exc:
        raise Http404(_("Compte introuvable.")) from exc
    events = selectors.account_audit_events(
        actor=_actor(request),
        establishment=establishment,
        account=account,
        limit=AUDIT_EVENTS_SHOWN,
    )
    return _render(
        request,
        "console/account_detail.html",
        establishment=establishment,
        section="accounts",
        context={"account": account, "events": events},
    )


# An oversized body is refused by preau.request_limits before anything reads it (the CSRF
# check would): this page accepts the import limit plus room for the form.
@accepts_upload(services.import_max_bytes)
@require_http_methods(["GET", "POST"])
@console_page
def import_upload(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    limit_mb = services.megabytes(services.import_max_bytes())
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            pending = services.pending_import_create(
                actor=_actor(request),
                establishment=establishment,
                kind=form.cleaned_data["kind"],
                upload=services.UploadedFile(name=upload.name or "import.csv", data=upload.read()),
                full=form.cleaned_data["full"],
                skip_invalid=form.cleaned_data["skip_invalid"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("console:import_detail", uai=establishment.uai, pk=pending.pk)
    return _render(
        request,
        "console/import_form.html",
        establishment=establishment,
        section="import",
        context={"form": form, "limit_mb": limit_mb},
        status=400 if form.errors else 200,
    )


@require_GET
@console_page
def import_detail(request: HttpRequest, establishment: Establishment, pk: UUID) -> HttpResponse:
    try:
        pending = pending_import_get(
            actor=_actor(request), establishment=establishment, pending_import_id=pk
        )
    except PendingImport.DoesNotExist as exc:
        raise Http404(_("Import introuvable.")) from exc
    return _import_page(request, establishment, pending)


def _import_page(
    request: HttpRequest,
    establishment: Establishment,
    pending: PendingImport,
    *,
    review_error: str = "",
) -> HttpResponse:
    """The preview of an import (before its confirmation) or its result (after)."""
    report = pending.result or pending.preview
    return _render(
        request,
        "console/import_detail.html",
        establishment=establishment,
        section="import",
        context={
            "pending": pending,
            "report": report,
            "is_result": pending.result is not None,
            "can_confirm": services.can_confirm(pending),
            "needs_review": services.needs_review(report),
            "review_error": review_error,
        },
        status=400 if review_error else 200,
    )


@require_POST
@console_page
def import_confirm(request: HttpRequest, establishment: Establishment, pk: UUID) -> HttpResponse:
    try:
        pending = pending_import_get(
            actor=_actor(request), establishment=establishment, pending_import_id=pk
        )
    except PendingImport.DoesNotExist as exc:
        raise Http404(_("Import introuvable.")) from exc
    try:
        pending = services.pending_import_confirm(
            actor=_actor(request),
            establishment=establishment,
            pending_import_id=pk,
            identity_checked=request.POST.get("identity_checked") == "1",
            request=request,
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == "identity_unchecked":
            # The preview again, the box to tick in error beside the button.
            return _import_page(request, establishment, pending, review_error=exc.messages[0])
        for message in exc.messages:
            messages.error(request, message)
    else:
        if pending.consumed_at is not None:
            messages.success(request, _("L'import est enregistré."))
        else:
            messages.error(request, _("L'import n'a pas été enregistré : voyez les problèmes."))
    return redirect("console:import_detail", uai=establishment.uai, pk=pk)


def _letters_response(
    request: HttpRequest,
    establishment: Establishment,
    choices: dict[str, Any],
    result: LettersResult,
) -> HttpResponse:
    if result.withheld:
        messages.warning(
            request,
            ngettext(
                "%(n)s personne en attente d'activation est aussi rattachée à un autre "
                "établissement, qui lui remet son courrier : il n'est pas imprimé ici.",
                "%(n)s personnes en attente d'activation sont aussi rattachées à un autre "
                "établissement, qui leur remet leur courrier : ils ne sont pas imprimés ici.",
                result.withheld,
            )
            % {"n": result.withheld},
        )
    if result.letters == 0:
        messages.info(request, _("Aucun compte ne correspond : aucun courrier à imprimer."))
        return redirect("console:letters", uai=establishment.uai)
    parts = [establishment.uai, choices["profile"]]
    if choices["school_class"]:
        parts.append(choices["school_class"])
    filename = "courriers-" + "-".join(slugify(part) for part in parts) + ".pdf"
    response = HttpResponse(result.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@console_page
def letters(request: HttpRequest, establishment: Establishment) -> HttpResponse:
    form = LettersForm(request.POST or None, classes=_class_codes(request, establishment))
    if request.method == "POST" and form.is_valid():
        try:
            result = letters_generate(
                actor=_actor(request),
                establishment=establishment,
                school_class=form.cleaned_data["school_class"] or None,
                profile=form.cleaned_data["profile"],
                pending_only=form.cleaned_data["pending_only"],
                request=request,
            )
        except LettersError as exc:
            form.add_error(None, str(exc))
        else:
            return _letters_response(request, establishment, form.cleaned_data, result)
    return _render(
        request,
        "console/letters_form.html",
        establishment=establishment,
        section="letters",
        context={"form": form},
        status=400 if form.errors else 200,
    )
