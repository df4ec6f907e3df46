"""The outbox: one row per message that Préau must deliver (e-mail now, SMS next); and what
each person agreed to receive (:class:`NotificationPreferences`).

The row, not the task queue, is the source of truth. A message is written in the transaction
that asks for it, so it exists exactly when that transaction commits; a task then delivers it.
A lost task (crash, flushed queue) only delays the message: the sweeper run by ``preau worker``
re-enqueues every due row. A row is claimed before it is sent (status ``sending`` plus a claim
token), so two workers never send the same row.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Courriel")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    channel = models.CharField(_("canal"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("destinataire"), max_length=254)
    template = models.CharField(_("modèle"), max_length=100)
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    # Bodies may carry live secrets (a verification link, an SMS code): they are cleared once
    # the message is sent. A failed message keeps them so that an operator can send it again.
    body_text = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    # When a delivery task was last handed to the task backend (None: not yet, or it could not
    # be): the sweeper re-enqueues a due row whose task has not run for a while.
    enqueued_at = models.DateTimeField(_("confié au worker le"), null=True, blank=True)
    # Set while a worker holds the row; a claim older than the lease is taken as a crash.
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # The same logical message (e.g. "verify this address for this account, this request") is
    # never queued twice: message_queue returns the existing row for a known key.
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_messages",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants")
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [
            # The sweeper's scan: unfinished rows by due time (small, whatever the history).
            models.Index(
                fields=["status", "next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(status__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient} ({self.template})"


class NotificationPreferences(models.Model):
    """What the person agreed to receive (first connection, then "Mon compte")."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    from_establishment = models.BooleanField(_("informations de l'établissement"), default=True)
    from_partners = models.BooleanField(
        _("informations des partenaires (région, académie)"), default=False
    )
    sms = models.BooleanField(_("SMS"), default=False)
    updated_at = models.DateTimeField(_("modifié le"))

    class Meta:
        db_table = "account_notificationpreferences"  # born in the account app (moved in state)
        verbose_name = _("préférences de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return str(self.account_id)
