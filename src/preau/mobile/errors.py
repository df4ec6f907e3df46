"""The mobile API's errors: one stable JSON shape, ``{"error": code, "message": French}``.

Codes are part of the API (docs/mobile.md); messages are for people and may change."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

MESSAGES = {
    "invalid_request": (400, _("La requête est mal formée : vérifiez les champs envoyés.")),
    "invalid_grant": (
        400,
        _(
            "Identifiant ou code incorrect, expiré ou déjà utilisé. Demandez un nouveau code "
            "dans « Mon compte », rubrique « Application mobile »."
        ),
    ),
    "invalid_pin": (
        400,
        _(
            "Code PIN incorrect, ou QR code expiré ou déjà utilisé. Vérifiez le code PIN ou "
            "demandez un nouveau QR code dans « Mon compte »."
        ),
    ),
    "invalid_refresh_token": (
        401,
        _("Votre session sur cet appareil a pris fin. Associez de nouveau l’application."),
    ),
    "unauthorized": (
        401,
        _(
            "Jeton d’accès absent, expiré ou révoqué. Renouvelez-le ou associez de nouveau "
            "l’application."
        ),
    ),
    "account_unavailable": (
        403,
        _("Ce compte n’est pas activé ou n’est plus actif. Connectez-vous sur le site."),
    ),
    "unknown_service": (
        400,
        _("Ce service n’est pas ouvert par l’ENT pour votre compte."),
    ),
    "not_found": (404, _("Cette adresse n’existe pas dans l’API mobile.")),
    "method_not_allowed": (405, _("Cette méthode n’est pas acceptée à cette adresse.")),
    "too_many_requests": (429, _("Trop de tentatives. Réessayez dans quelques minutes.")),
}


def device_rate_message(seconds: int) -> str:
    """``too_many_requests`` for a device past its request budget (preau.mobile.rate)."""
    return ngettext(
        "Trop de requêtes depuis cet appareil\u00a0: réessayez dans %(count)d seconde.",
        "Trop de requêtes depuis cet appareil\u00a0: réessayez dans %(count)d secondes.",
        seconds,
    ) % {"count": seconds}


class MobileError(Exception):
    """A refusal with its code (a key of :data:`MESSAGES`) and an optional wait (429)."""

    def __init__(self, code: str, *, retry_after: int = 0, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after
        self._message = message

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    @property
    def message(self) -> str:
        return self._message or str(MESSAGES[self.code][1])
