"""State the console keeps between two requests, in the database so that any application
server can answer the next one."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# An uploaded file waits this long for its confirmation.
PENDING_IMPORT_LIFETIME = timedelta(hours=1)


class PendingImport(models.Model):
    """An uploaded import file between its preview (dry run) and its confirmation.

    Single use: ``consumed_at`` is set in the same transaction as the real import, and the bytes
    are dropped then. Only its uploader may confirm it, within ``PENDING_IMPORT_LIFETIME``.
    """

    class Kind(models.TextChoices):
        STUDENTS = "students", _("Élèves")
        GUARDIANS = "guardians", _("Responsables légaux")
        STAFF = "staff", _("Personnels")

    # A random primary key: the URL of a preview is not guessable from another one.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    establishment = models.ForeignKey(
        "directory.Establishment", on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type de fichier"), max_length=12, choices=Kind.choices)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    data = models.BinaryField(_("contenu"))
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("taille"))
    full = models.BooleanField(_("import complet"), default=False)
    skip_invalid = models.BooleanField(_("ignorer les lignes invalides"), default=False)
    # The dry run's report, then the real one (see console.services.report_to_dict).
    preview = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import en attente")
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.kind}, {self.created_at:%Y-%m-%d %H:%M})"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + PENDING_IMPORT_LIFETIME

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
