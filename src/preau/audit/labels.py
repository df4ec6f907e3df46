"""Audit actions as people read them: one French label for every action the code writes.

Every ``action="…"`` given to :func:`~preau.audit.services.audit_record` or
:func:`~preau.audit.services.audit_event_build` anywhere in ``preau`` has its label here
(``tests/console/test_audit_labels.py`` reads the source and fails on a missing one, and
``audit_record`` refuses an action that is not here: :data:`AUDIT_ACTIONS`). An action
written by an older version and since renamed is shown as it is stored.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

AUDIT_ACTION_LABELS: dict[str, Any] = {
    # Accounts (the directory, imports, lifecycle, the console)
    "account.activate": _("Première connexion terminée : compte activé"),
    "account.code_reissue": _("Nouveau code d’activation remis par l’établissement"),
    "account.contact.update": _("Coordonnées modifiées"),
    "account.create": _("Compte créé par un import"),
    "account.deactivate": _("Compte désactivé"),
    "account.delete": _("Compte supprimé"),
    "account.merge": _("Compte fusionné dans un autre compte"),
    "account.merge.alias_retire": _("Fusion : ancien identifiant retiré"),
    "account.merge.into": _("Compte ayant reçu la fusion d’un autre compte"),
    "account.merge.proof_failure": _(
        "Fusion : identifiant ou mot de passe de l’autre compte erroné"
    ),
    "account.merge.undo": _("Fusion de comptes annulée"),
    "account.email.change_request": _("Changement d’adresse électronique demandé"),
    "account.mobile.change": _("Numéro de mobile modifié"),
    "account.password.check_failure": _("Mot de passe actuel erroné (Mon compte)"),
    "account.password.set": _("Mot de passe choisi"),
    "account.password_change_demand": _("Nouveau mot de passe exigé à la prochaine connexion"),
    "account.reactivate": _("Compte réactivé"),
    "account.sessions.end_others": _("Déconnexion de toutes les autres sessions"),
    "account.throttles_lift": _("Blocages levés par l’établissement"),
    "account.update": _("Compte modifié par un import"),
    "activation_code.issue": _("Code d’activation émis"),
    "membership.end": _("Départ de l’établissement"),
    "guardianship.confirm": _("Enfant rattaché : date de naissance confirmée"),
    "guardianship.confirm_failure": _("Rattachement d’un enfant : date de naissance erronée"),
    "guardianship.freeze": _("Rattachement d’un enfant bloqué après trop d’erreurs"),
    "guardianship.refuse": _("Rattachement d’un enfant refusé : pas responsable légal"),
    "guardianship.school_confirm": _("Rattachement d’un enfant confirmé par l’établissement"),
    "guardianship.reopen": _("Rattachement d’un enfant à confirmer de nouveau"),
    "guardianship.end": _("Rattachement d’un enfant supprimé par l’établissement"),
    "local_admin.grant": _("Nommé administrateur local"),
    "local_admin.revoke": _("N’est plus administrateur local"),
    "establishment.create": _("Établissement créé"),
    # First connection
    "activation.birth_date.blocked": _("Date de naissance bloquée après trop d’erreurs"),
    "activation.birth_date.confirm": _("Date de naissance confirmée"),
    "activation.birth_date.failure": _("Date de naissance erronée"),
    "charter.accept": _("Charte acceptée"),
    "charter.create": _("Charte : nouvelle version rédigée"),
    "charter.publish": _("Charte : version publiée"),
    "charter.update": _("Charte : version modifiée"),
    "email_verification.confirm": _("Adresse électronique vérifiée"),
    "email_verification.send": _("Lien de vérification de l’adresse électronique envoyé"),
    "mobile_proof.confirm": _("Numéro de mobile vérifié"),
    "mobile_proof.send": _("Code de vérification du mobile envoyé par SMS"),
    # A parent's sign-up by SMS ("Je n'ai pas de compte")
    "signup.birth_dates.blocked": _("Inscription par SMS arrêtée : trop de dates erronées"),
    "signup.birth_dates.confirm": _("Inscription par SMS : dates de naissance confirmées"),
    "signup.birth_dates.failure": _("Inscription par SMS : date de naissance erronée"),
    "signup.code.confirm": _("Inscription par SMS : code confirmé"),
    "signup.code.send": _("Inscription par SMS : code envoyé"),
    "signup.complete": _("Compte activé par l’inscription par SMS"),
    "signup.contact.throttled": _("Inscription par SMS : envoi ralenti pour ce numéro"),
    "signup.identifier.send": _("Inscription par SMS : identifiant rappelé (compte déjà actif)"),
    "signup.link": _(
        "Compte prouvé par SMS et dates de naissance : identité FranceConnect ou EduConnect liée"
    ),
    "signup.none": _("Inscription par SMS : aucun responsable ne correspond"),
    "signup.request": _("Demande d’inscription par SMS"),
    "signup.request.throttled": _("Demandes d’inscription par SMS ralenties"),
    "signup.stopped": _("Inscription par SMS arrêtée : l’établissement doit aider"),
    # Federated identities (FranceConnect)
    # The provider (FranceConnect, EduConnect) is in the event's data.
    "federation.failure": _("Connexion par FranceConnect ou EduConnect refusée"),
    "federation.link": _("Identité FranceConnect ou EduConnect liée au compte"),
    "federation.unlink": _("Identité FranceConnect ou EduConnect retirée du compte"),
    # Sign-in and sessions
    "session.expire": _("Session expirée"),
    "signin.failure": _("Échec de connexion"),
    "signin.success": _("Connexion"),
    "signin.throttled": _("Connexion ralentie après des échecs"),
    "signout": _("Déconnexion"),
    # The mobile application (preau.mobile)
    "mobile.grant.create": _("Application mobile : code d’activation demandé"),
    "mobile.pair": _("Application mobile : appareil associé"),
    "mobile.pair.failure": _("Application mobile : code ou code PIN erroné"),
    "mobile.device.revoke": _("Application mobile : appareil retiré"),
    "mobile.devices.revoke_all": _("Application mobile : tous les appareils retirés"),
    "mobile.refresh.reuse": _("Application mobile : jeton réutilisé, appareil retiré"),
    "mobile.web_link": _("Application mobile : ouverture d’un service dans le navigateur"),
    "mobile.preferences.update": _("Application mobile : préférences de notification modifiées"),
    # Forgotten identifier or password, help requests
    "help_request.create": _("Demande d’aide déposée"),
    "help_request.status": _("Demande d’aide : suivi modifié"),
    "help_request.update": _("Demande d’aide complétée"),
    "recovery.code.failure": _("Mot de passe oublié : code reçu par SMS erroné"),
    "recovery.code.success": _("Mot de passe oublié : code reçu par SMS accepté"),
    "recovery.contact.throttled": _("Mot de passe oublié : envois suspendus vers ce contact"),
    "recovery.identifier.none": _("Identifiant oublié : aucun compte trouvé"),
    "recovery.identifier.send": _("Identifiant oublié : identifiant envoyé"),
    "recovery.password.none": _("Mot de passe oublié : aucun moyen de contact vérifié"),
    "recovery.password.reset": _("Mot de passe oublié : nouveau mot de passe choisi"),
    "recovery.password.send": _("Mot de passe oublié : lien ou code envoyé"),
    "recovery.proof.failure": _("Identifiant et date de naissance erronés (demande d’aide)"),
    "recovery.proof.success": _("Identifiant et date de naissance vérifiés (demande d’aide)"),
    "recovery.request": _("Demande d’identifiant ou de mot de passe oublié"),
    "recovery.request.throttled": _("Demandes d’oubli ralenties après trop d’essais"),
    # Services (CAS, OpenID Connect, the portal)
    "cas.proxy_ticket.issue": _("Accès à un service par un autre service (CAS)"),
    "cas.sso_session.end": _("Fin de la session unique des services (CAS)"),
    "cas.ticket.issue": _("Accès à un service (CAS)"),
    "oidc.authorize": _("Accès à un service autorisé (OpenID Connect)"),
    "oidc.code_replayed": _("Code d’autorisation rejoué : accès du service révoqué"),
    "oidc.deny": _("Accès à un service refusé (OpenID Connect)"),
    "oidc.tokens_revoke": _("Jetons d’accès des services révoqués"),
    "portal.service.register": _("Service enregistré dans le portail"),
    "site_page.update": _("Page du site modifiée (mentions légales, accessibilité…)"),
    # The console, imports, letters, messages
    "console.import_upload": _("Fichier d’import déposé (aperçu)"),
    "import.run": _("Import enregistré"),
    "letters.print": _("Courriers imprimés"),
    "outbound_message.requeue": _("Message relancé"),
}

# THE enumeration of audit actions: ``audit_record`` and ``audit_event_build`` refuse any other.
AUDIT_ACTIONS: frozenset[str] = frozenset(AUDIT_ACTION_LABELS)


class UnknownAuditAction(ValueError):
    """An audit action that is not in :data:`AUDIT_ACTION_LABELS` (add it there, with its
    French label)."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"unknown audit action {action!r}: add it to preau.audit.labels.AUDIT_ACTION_LABELS"
        )


# How a new activation code reached the person (``account.code_reissue``'s ``delivery``, a help
# request's ``resolution``).
DELIVERY_LABELS: dict[str, Any] = {
    "letter": _("nouveau code remis sur un courrier imprimé"),
    "email": _("nouveau code envoyé par courriel"),
    "sms": _("nouveau code envoyé par SMS"),
}


def audit_action_label(action: str) -> str:
    """The French label of ``action``; the stored name when it has none (an old event)."""
    label = AUDIT_ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def delivery_label(value: str) -> str:
    """``letter`` → « nouveau code remis sur un courrier imprimé »; an unknown value is shown
    as it is stored."""
    label = DELIVERY_LABELS.get(value)
    return str(label) if label is not None else value
