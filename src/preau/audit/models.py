"""Append-only security events: who did what, to whom, where, when and from which address."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("date"), db_index=True)
    action = models.CharField(_("action"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Labels survive the deletion of the account they name (retention purges accounts, not audit).
    actor_label = models.CharField(_("acteur"), max_length=64, blank=True)
    # Indexed with the time below (audit_target_idx), as the establishment is: every event
    # writes each index, and a sign-in writes one event.
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    target_label = models.CharField(_("cible"), max_length=64, blank=True)
    establishment = models.ForeignKey(
        "directory.Establishment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["target", "created_at"], name="audit_target_idx"),
            models.Index(fields=["establishment", "created_at"], name="audit_establishment_idx"),
            models.Index(fields=["action", "created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.action} {self.actor_label} → {self.target_label}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)
