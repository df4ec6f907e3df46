"""What Préau keeps about its OpenID Connect clients besides django-oauth-toolkit's tables.

Clients themselves are ``oauth2_provider.Application`` rows (registered by the operator in the
admin); their codes and tokens are django-oauth-toolkit's ``Grant``, ``AccessToken``,
``RefreshToken`` and ``IDToken``.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import APPLICATION_MODEL, GRANT_MODEL

from preau.directory.models import Establishment


class Subject(models.Model):
    """The ``sub`` claim one client knows one person by, and the establishment the person was
    in when they last signed in to that client.

    ``sub`` is pairwise and opaque: 128 random bits drawn when the person first signs in to
    the client, never derived from the login or the database id. So two services cannot match
    their users by ``sub`` (the people are mostly minors), a ``sub`` survives a change of login
    or of SECRET_KEY, and it is never handed to someone else (a login freed by a deletion can
    be given again; a random value is not). A service that needs the login asks for the
    ``profile`` scope (``preferred_username``).
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_subjects"
    )
    application = models.ForeignKey(
        APPLICATION_MODEL, on_delete=models.CASCADE, related_name="preau_subjects"
    )
    sub = models.CharField(_("identifiant pour le service (sub)"), max_length=64, unique=True)
    # The claims of the ``ent`` scope describe this establishment (see preau.sso.oidc.claims).
    establishment = models.ForeignKey(
        Establishment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    authorized_at = models.DateTimeField(_("dernière autorisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("identifiant OpenID Connect")
        verbose_name_plural = _("identifiants OpenID Connect")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["account", "application"], name="oidc_subject_unique_client"
            )
        ]

    def __str__(self) -> str:
        return self.sub


class ClientService(models.Model):
    """The service of the portal registry (preau.portal) an OpenID Connect client is: the tile
    of "Mes services" that opens it, and who may sign in to it (the service's profiles and
    establishments). A client linked to no service is open to everyone."""

    application = models.OneToOneField(
        APPLICATION_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preau_service",
        verbose_name=_("client OpenID Connect"),
    )
    service = models.OneToOneField(
        "portal.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="oidc_client",
        limit_choices_to={"protocol": "oidc"},
        verbose_name=_("service du portail"),
        help_text=_(
            "Service de protocole OpenID Connect du registre : seules les personnes à qui il "
            "est ouvert (profils, établissements) peuvent s'y connecter."
        ),
    )

    class Meta:
        verbose_name = _("service du portail")
        verbose_name_plural = _("service du portail")

    def __str__(self) -> str:
        return str(self.service or "")


class RedeemedCode(models.Model):
    """An authorization code already exchanged for tokens (its keyed digest only), kept while
    those tokens may live: when the code comes back, the tokens it gave are revoked (RFC 6749
    §4.1.2: whoever replays it may have stolen it)."""

    code_digest = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    # The refresh-token family started by the exchange (rotation keeps it), and the first
    # access token's digest, as django-oauth-toolkit stores them.
    token_family = models.UUIDField(null=True)
    access_token_checksum = models.CharField(max_length=64, blank=True)
    # When the person signed in to the session that approved the code: the ``auth_time`` of
    # the ID tokens the family's refresh tokens give (OpenID Connect Core §12.2).
    signed_in_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("code échangé")

    def __str__(self) -> str:
        return self.code_digest[:12]


class CodeSignIn(models.Model):
    """When the person an authorization code was issued to signed in: the sign-in of the
    session that approved the request, not the account's last sign-in on any device. The ID
    token the code gives carries it as ``auth_time`` (OpenID Connect Core §2), and a client
    that asked for ``max_age`` relies on it. Deleted with the code when it is exchanged or
    expires."""

    grant = models.OneToOneField(
        GRANT_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preau_sign_in"
    )
    signed_in_at = models.DateTimeField()

    class Meta:
        verbose_name = _("connexion d'un code d'autorisation")

    def __str__(self) -> str:
        return str(self.signed_in_at)
