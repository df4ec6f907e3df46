""" "Fusion de comptes" in "Mon compte" (thin: parse, call a service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.account.forms import MergeProofForm
from preau.account.merge import (
    ProofOutcome,
    merge_proof_check,
    merge_proof_forget,
    merge_proven,
)
from preau.account.views import _account, _render
from preau.directory.merge_selectors import merge_preview
from preau.directory.merges import MergeRefused, account_merge
from preau.signin.throttle import wait_message


def _wrong_message() -> str:
    return _(
        "Identifiant ou mot de passe de l'autre compte incorrect. Vérifiez-les (ou le code "
        "d'activation de son courrier), puis réessayez."
    )


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def merge_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form = MergeProofForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            proof = merge_proof_check(
                account=account,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                request=request,
            )
            if proof.outcome is ProofOutcome.OK:
                return redirect("account:merge_confirm")
            if proof.outcome is ProofOutcome.THROTTLED:
                form.add_error(None, wait_message(proof.wait))
                status = 429
            elif proof.outcome is ProofOutcome.REFUSED:
                form.add_error(None, proof.message)
            else:
                form.add_error(None, _wrong_message())
                status = 401
    return _render(request, "account/merge.html", "merge", {"form": form}, status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def merge_confirm_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    source = merge_proven(request, account)
    if source is None:
        messages.warning(
            request,
            _(
                "Pour fusionner vos comptes, saisissez d'abord l'identifiant et le mot de passe "
                "de votre autre compte."
            ),
        )
        return redirect("account:merge")
    if request.method == "POST":
        try:
            record = account_merge(source=source, target=account, actor=account, request=request)
        except (MergeRefused, PermissionDenied) as refused:
            merge_proof_forget(request)
            error = refused.messages[0] if isinstance(refused, MergeRefused) else str(refused)
            messages.error(request, error)
            return redirect("account:merge")
        merge_proof_forget(request)
        messages.success(
            request,
            _(
                "Vos comptes sont fusionnés : tout ce qui était rattaché au compte %(source)s "
                "l'est maintenant à votre compte %(target)s. L'identifiant %(source)s reste "
                "utilisable pour vous connecter jusqu'au %(until)s."
            )
            % {
                "source": record.source_login,
                "target": record.target_login,
                "until": date_format(record.alias_until, "j F Y"),
            },
        )
        return redirect("account:home")
    preview = merge_preview(source=source, target=account)
    return _render(request, "account/merge_confirm.html", "merge", {"preview": preview})
