"""Template filters of the console."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Audit actions as an administrateur local reads them; an unknown one is shown as it is.
AUDIT_ACTIONS = {
    "account.activate": _("Compte activé"),
    "account.create": _("Compte créé"),
    "account.deactivate": _("Compte désactivé"),
    "account.delete": _("Compte supprimé"),
    "account.update": _("Compte modifié"),
    "activation_code.issue": _("Code d’activation émis"),
    "charter.accept": _("Charte acceptée"),
    "email_verification.confirm": _("Adresse électronique vérifiée"),
    "email_verification.send": _("Lien de vérification envoyé"),
    "import.run": _("Import"),
    "letters.print": _("Courrier imprimé"),
    "local_admin.grant": _("Nommé administrateur local"),
    "local_admin.revoke": _("N’est plus administrateur local"),
    "membership.end": _("Départ de l’établissement"),
    "session.expire": _("Session expirée"),
    "signin.failure": _("Échec de connexion"),
    "signin.success": _("Connexion"),
    "signin.throttled": _("Connexion ralentie après des échecs"),
}


@register.filter
def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))
