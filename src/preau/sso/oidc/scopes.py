"""The scopes a client may ask for, described in French on the consent page.

Which claims each scope releases is decided in :mod:`preau.sso.oidc.claims`.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

OPENID = "openid"
PROFILE = "profile"
EMAIL = "email"
ENT = "ent"
CHILDREN = "children"

SCOPES: dict[str, Promise] = {
    OPENID: _("Vous reconnaître quand vous revenez (un identifiant propre à ce service)"),
    PROFILE: _("Vos nom et prénoms, votre identifiant et votre date de naissance"),
    EMAIL: _("Votre adresse électronique et si elle a été vérifiée"),
    ENT: _("Votre établissement (UAI), votre profil (élève, parent, enseignant…) et vos classes"),
    CHILDREN: _(
        "Les enfants dont vous êtes responsable légal et que vous avez confirmés : leurs nom et "
        "prénom et leur établissement"
    ),
}


class PreauScopes(BaseScopes):
    """Every client may ask for every scope; ``openid`` when it names none."""

    def get_all_scopes(self) -> dict[str, Any]:
        return dict(SCOPES)

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(SCOPES)

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return [OPENID]
