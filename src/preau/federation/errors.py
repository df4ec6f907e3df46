"""What a person reads when a federated sign-in did not work: what happened, what to do.

The texts name the provider (``%(provider)s``: FranceConnect, EduConnect)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

_AGAIN = _(
    "Recommencez depuis la page de connexion, ou connectez-vous avec l’identifiant et le mot "
    "de passe de votre compte."
)

# reason -> (title, what happened, HTTP status)
_PAGES = {
    "provider_error": (
        _("La connexion avec %(provider)s n’a pas abouti"),
        _("%(provider)s n’a pas confirmé votre identité (la connexion a été annulée ou refusée)."),
        400,
    ),
    "state": (
        _("Cette connexion avec %(provider)s a expiré"),
        _(
            "La réponse de %(provider)s ne correspond à aucune connexion en cours sur ce "
            "navigateur\u00a0: elle a déjà servi, ou la page est restée ouverte trop longtemps."
        ),
        400,
    ),
    "token": (
        _("La réponse de %(provider)s n’a pas pu être vérifiée"),
        _(
            "Par sécurité, vous n’êtes pas connecté. Si cela se reproduit, prévenez le "
            "secrétariat de votre établissement."
        ),
        400,
    ),
    "unavailable": (
        _("%(provider)s ne répond pas"),
        _("%(provider)s ne répond pas pour le moment. Réessayez dans quelques minutes."),
        502,
    ),
    "expired": (
        _("Cette connexion avec %(provider)s a expiré"),
        _(
            "Votre identité %(provider)s n’a pas été liée\u00a0: le délai pour prouver votre "
            "compte est dépassé."
        ),
        400,
    ),
    "taken": (
        _("Cette identité %(provider)s est déjà liée à un autre compte"),
        _(
            "Elle n’a pas été liée à ce compte. Si c’est une erreur, adressez-vous au "
            "secrétariat de votre établissement."
        ),
        409,
    ),
    "account_unavailable": (
        _("Ce compte ne peut pas être utilisé"),
        _(
            "Le compte lié à cette identité %(provider)s est désactivé\u00a0: contactez votre "
            "établissement."
        ),
        403,
    ),
}


def error_page(request: HttpRequest, reason: str, provider: str = "FranceConnect") -> HttpResponse:
    title, text, status = _PAGES.get(reason, _PAGES["token"])
    names = {"provider": provider}
    return render(
        request,
        "federation/error.html",
        {"title": title % names, "text": text % names, "again": _AGAIN, "reason": reason},
        status=status,
    )
