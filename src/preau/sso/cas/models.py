"""CAS state shared by every application node: SSO sessions (TGT), service and proxy tickets,
proxy-granting tickets. All in the database, so that a ticket issued by one node validates on
another whatever the cache (local memory in the demo, Redis in production); each ticket is one
row reached by the unique index on its digest, written once and consumed by one conditional
UPDATE.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SsoSession(models.Model):
    """A ticket-granting ticket: the CAS side of a signed-in Django session. Its ``TGT-`` value
    lives in the session; the row knows which services got tickets, for single logout."""

    digest = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    authenticated_at = models.DateTimeField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("session CAS")
        indexes: ClassVar = [models.Index(fields=["expires_at"], name="cas_sso_expires_idx")]

    def __str__(self) -> str:
        return f"TGT {self.pk}"


class ServiceTicket(models.Model):
    """A service ticket (``ST-``) or a proxy ticket (``PT-``): valid once, for one address,
    for a few seconds. An UNLOGGED table on PostgreSQL (migration 0003 says why)."""

    class Kind(models.TextChoices):
        SERVICE = "ST", _("ticket de service")
        PROXY = "PT", _("ticket de proxy")

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=2, choices=Kind.choices, default=Kind.SERVICE)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sso_session = models.ForeignKey(
        SsoSession, on_delete=models.CASCADE, related_name="tickets", null=True, blank=True
    )
    service = models.ForeignKey("portal.Service", on_delete=models.CASCADE, related_name="+")
    service_url = models.TextField()
    # The establishment the attributes speak of (the person's current one for this service).
    establishment = models.ForeignKey(
        "directory.Establishment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_new_login = models.BooleanField(default=False)
    # Proxy tickets: the proxies' callback addresses, the most recent first (§2.6.2).
    proxies = models.JSONField(default=list, blank=True)
    # What the validation answers, computed at issuance (the person, the released attributes,
    # when they signed in): validating is then one UPDATE … RETURNING, no other query.
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    validated_at = models.DateTimeField(null=True, blank=True)
    # Written when the service validated the ticket successfully: the ticket is dead by then,
    # and single logout names it in the LogoutRequest's SessionIndex (that is how services
    # find the session to close), so it is kept in clear from that moment only.
    logout_ticket = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("ticket CAS")
        indexes: ClassVar = [models.Index(fields=["expires_at"], name="cas_ticket_expires_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class ProxyGrantingTicket(models.Model):
    """A proxy-granting ticket (``PGT-``), handed to the proxy's callback; it lives as long as
    the SSO session it came from."""

    digest = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sso_session = models.ForeignKey(
        SsoSession, on_delete=models.CASCADE, related_name="granting_tickets", null=True
    )
    service = models.ForeignKey("portal.Service", on_delete=models.CASCADE, related_name="+")
    establishment = models.ForeignKey(
        "directory.Establishment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The callback addresses of the proxy chain, this proxy's first.
    proxies = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket de proxy CAS")

    def __str__(self) -> str:
        return f"PGT {self.pk}"
