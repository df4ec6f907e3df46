"""Operator pages (/operateur/): OpenID Connect clients and the ``sub`` they know people by.

django-oauth-toolkit registers ``Application`` with the class named by its
``APPLICATION_ADMIN_CLASS`` setting: :class:`ApplicationAdmin` below. It only offers what Préau
supports (authorization code with PKCE, ID tokens signed with RS256) and says in French what
each field is for.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import ApplicationForm
from oauth2_provider.models import AbstractApplication

from preau.sso.oidc.models import ClientService, Subject

HELP = {
    "name": _("Nom du service tel que les personnes le voient sur la page de consentement."),
    "redirect_uris": _(
        "Adresses de retour autorisées, une par ligne, comparées exactement (schéma, hôte, "
        "port, chemin et paramètres) : le service ne peut recevoir un code qu'à l'une d'elles."
    ),
    "post_logout_redirect_uris": _(
        "Adresses où le service peut renvoyer la personne après sa déconnexion, une par ligne, "
        "comparées exactement."
    ),
    "skip_authorization": _(
        "Service de l'ENT ou de l'établissement (premier rang) : la page de consentement "
        "n'est pas montrée. Laissez décoché pour un service tiers."
    ),
    "client_type": _(
        "« Confidential » pour un service qui garde un secret côté serveur ; « Public » pour "
        "une application mobile ou une page web sans serveur (PKCE seul)."
    ),
    "client_secret": _(
        "Copiez ce secret maintenant pour le transmettre au service : il est enregistré "
        "sous forme d'empreinte et ne pourra plus être lu."
    ),
}


class PreauApplicationForm(ApplicationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, text in HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text
        # Préau issues codes (with PKCE) and RS256-signed ID tokens, nothing else.
        if "authorization_grant_type" in self.fields:
            self.fields["authorization_grant_type"].choices = [
                (AbstractApplication.GRANT_AUTHORIZATION_CODE, _("Code d'autorisation (PKCE)"))
            ]
            self.fields[
                "authorization_grant_type"
            ].initial = AbstractApplication.GRANT_AUTHORIZATION_CODE
        if "algorithm" in self.fields:
            self.fields["algorithm"].choices = [
                (AbstractApplication.RS256_ALGORITHM, _("RS256 (clé RSA de Préau)"))
            ]
            self.fields["algorithm"].initial = AbstractApplication.RS256_ALGORITHM
            self.fields["algorithm"].required = True


class ClientServiceInline(admin.StackedInline):
    """Link the client to its service of the portal registry (a service of protocol OIDC)."""

    model = ClientService
    fields = ("service",)
    max_num = 1
    extra = 1


class ApplicationAdmin(admin.ModelAdmin):
    form = PreauApplicationForm
    inlines = (ClientServiceInline,)
    list_display = ("name", "client_id", "client_type", "skip_authorization", "updated")
    list_filter = ("client_type", "skip_authorization")
    search_fields = ("name", "client_id", "redirect_uris")
    readonly_fields = ("created", "updated")
    radio_fields = {"client_type": admin.HORIZONTAL}
    # Application.get_absolute_url names django-oauth-toolkit's self-service pages, which
    # Préau does not serve.
    view_on_site = False
    fieldsets = (
        (None, {"fields": ("name", "client_type", "skip_authorization")}),
        (
            _("Identifiants à transmettre au service"),
            {"fields": ("client_id", "client_secret", "hash_client_secret")},
        ),
        (
            _("Adresses du service"),
            {"fields": ("redirect_uris", "post_logout_redirect_uris", "allowed_origins")},
        ),
        (
            _("Protocole"),
            {"fields": ("authorization_grant_type", "algorithm", "created", "updated")},
        ),
    )

    def get_changeform_initial_data(self, request: Any) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("client_type", AbstractApplication.CLIENT_CONFIDENTIAL)
        initial.setdefault("authorization_grant_type", AbstractApplication.GRANT_AUTHORIZATION_CODE)
        initial.setdefault("algorithm", AbstractApplication.RS256_ALGORITHM)
        return initial


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    """Which person a client's ``sub`` names (support requests from a service)."""

    list_display = ("sub", "account", "application", "establishment", "authorized_at")
    list_select_related = ("account", "application", "establishment")
    search_fields = ("=sub", "account__login")
    list_filter = ("application",)
    readonly_fields = (
        "sub",
        "account",
        "application",
        "establishment",
        "created_at",
        "authorized_at",
    )

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
