"""Paired devices of the mobile application, their tokens and the grants that pair them.

Every secret here is random (≥ 40 bits for the code a person types, 256 bits for what a machine
reads) and stored as a keyed SHA-256 digest (:mod:`preau.mobile.secrets`), never in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    """A phone or tablet paired with an account; its tokens die with it (``revoked_at``)."""

    class Platform(models.TextChoices):
        ANDROID = "android", _("Android")
        IOS = "ios", _("iOS")
        OTHER = "other", _("Autre")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_devices"
    )
    name = models.CharField(_("nom de l’appareil"), max_length=80)
    platform = models.CharField(_("système"), max_length=16, choices=Platform.choices)
    paired_at = models.DateTimeField(_("associé le"))
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("appareil mobile")
        verbose_name_plural = _("appareils mobiles")
        indexes = [models.Index(fields=["account", "revoked_at"], name="mobile_device_account_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform})"


class DeviceToken(models.Model):
    """An access or refresh token of a device. Refresh tokens form one family per device: each
    use marks the token used and issues the next; a used one presented again revokes the
    device (someone else holds a copy)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("jeton d’accès")
        REFRESH = "refresh", _("jeton de renouvellement")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "kind"], name="mobile_token_device_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class PairingGrant(models.Model):
    """What "Activer mon accès" hands out: a public identifier and a secret (the typed code, or
    the QR + PIN token), valid a few minutes, for one pairing, killed by a few wrong tries."""

    class Kind(models.TextChoices):
        CODE = "code", _("identifiant et code")
        QR_PIN = "qr_pin", _("QR code et code PIN")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_grants"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    identifier = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier}"


class WebLink(models.Model):
    """A one-time link from the app into a CAS service: opened in the browser, its page asks
    "Continuer vers <service>"; the button (a POST) spends it, signs the person in and continues
    at ``/cas/login?service=…`` (a registered CAS service only). A GET spends nothing."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="web_links")
    service = models.URLField(max_length=2000)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.service} #{self.pk}"
