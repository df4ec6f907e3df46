"""An identity of a federation (FranceConnect) linked to a Préau account.

The provider's subject (``sub``) is the only thing kept of the federated identity: it is what
the provider sends again at the next sign-in. The pivot identity (names, birth date…) is read at
each sign-in and never stored: it proves nothing about which account is the person's.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FederatedIdentity(models.Model):
    class Provider(models.TextChoices):
        FRANCECONNECT = "franceconnect", _("FranceConnect")
        EDUCONNECT = "educonnect", _("EduConnect")

    provider = models.CharField(_("fournisseur"), max_length=32, choices=Provider.choices)
    # FranceConnect's subjects are 64 hexadecimal characters; room for other providers.
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="federated_identities",
        verbose_name=_("compte"),
    )
    linked_at = models.DateTimeField(_("lié le"))
    last_used_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité fédérée")
        verbose_name_plural = _("identités fédérées")
        constraints: ClassVar = [
            # One subject of a provider is one account's, never two.
            models.UniqueConstraint(
                fields=["provider", "subject"], name="federated_identity_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.account_id})"
