"""Writes of the console: an import uploaded for preview, then confirmed.

The uploaded bytes wait in the database (:class:`~preau.console.models.PendingImport`), not in
a session or a temporary file, so that the confirmation may reach another application server
than the upload did.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.console.models import PENDING_IMPORT_LIFETIME, PendingImport
from preau.directory.models import Account, Establishment
from preau.provisioning.imports import ImportChange, ImportReport, import_run
from preau.request_limits import megabytes


def import_max_bytes() -> int:
    """Largest file the console accepts for an import."""
    return int(preau_setting("IMPORT_MAX_BYTES"))


def report_to_dict(report: ImportReport) -> dict[str, Any]:
    """The parts of an import report a page shows, as JSON."""
    return {
        "kind": str(report.kind),
        "filename": report.filename,
        "dry_run": bool(report.dry_run),
        "written": bool(report.written),
        "created": report.created,
        "updated": report.updated,
        "ended": report.ended,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "refused": bool(report.refused),
        "problems": [
            {"file": p.file, "line": p.line, "column": p.column, "message": p.message}
            for p in report.problems
        ],
        "changes": [
            # The importer lists the first changes only; the counts say the rest.
            _change_to_dict(c)
            for c in report.changes
        ],
        "changes_total": report.created + report.updated + report.ended,
        # Risky changes, shown apart and confirmed on purpose (see needs_review).
        "identity_changes": report.identity_changes,
        "homonyms": report.homonyms,
        "flagged": [_change_to_dict(c) for c in report.flagged],
        "needs_review": bool(report.identity_changes or report.homonyms),
    }


def _change_to_dict(change: ImportChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "login": change.login,
        "name": change.name,
        "detail": change.detail,
        "identity": [{"field": i.field, "old": i.old, "new": i.new} for i in change.identity],
        "homonym": change.homonym,
    }


def needs_review(report: dict[str, Any]) -> bool:
    """Whether a report (a preview) holds identity changes or new homonyms, which the
    administrator must say they checked before the import is written."""
    return bool(report.get("identity_changes") or report.get("homonyms"))


def pending_import_purge(*, now: Any = None) -> int:
    """Delete pending imports past their lifetime: the files hold personal data."""
    now = now or timezone.now()
    deleted, _details = PendingImport.objects.filter(
        Q(created_at__lt=now - PENDING_IMPORT_LIFETIME) | Q(consumed_at__lt=now - timedelta(days=1))
    ).delete()
    return deleted


@dataclass
class UploadedFile:
    name: str
    data: bytes


def pending_import_create(
    *,
    actor: Account,
    establishment: Establishment,
    kind: str,
    upload: UploadedFile,
    full: bool = False,
    skip_invalid: bool = False,
    request: HttpRequest | None = None,
) -> PendingImport:
    """Run the import as a dry run and keep the file for its confirmation.

    The dry run reads only, outside any transaction (on SQLite a transaction holds the write
    lock): only keeping the file and its audit event form the transaction.
    """
    if len(upload.data) > import_max_bytes():
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(max)s Mo."),
            code="too_large",
            params={"max": megabytes(import_max_bytes())},
        )
    report = import_run(
        actor=actor,
        establishment=establishment,
        kind=kind,
        data=upload.data,
        filename=upload.name,
        dry_run=True,
        full=full,
        skip_invalid=skip_invalid,
        request=request,
    )
    with transaction.atomic():
        pending_import_purge()
        pending = PendingImport.objects.create(
            establishment=establishment,
            actor=actor,
            kind=kind,
            filename=upload.name[:255],
            data=upload.data,
            sha256=hashlib.sha256(upload.data).hexdigest(),
            size=len(upload.data),
            full=full,
            skip_invalid=skip_invalid,
            preview=report_to_dict(report),
        )
        audit_record(
            action="console.import_upload",
            actor=actor,
            establishment=establishment,
            request=request,
            data={
                "pending_import": str(pending.pk),
                "kind": kind,
                "filename": pending.filename,
                "sha256": pending.sha256,
                "size": pending.size,
                "full": full,
                "skip_invalid": skip_invalid,
            },
        )
    return pending


def can_confirm(pending: PendingImport) -> bool:
    """Whether the preview allows a confirmation: not used, not expired, not refused by its
    problems, and something to write."""
    preview = pending.preview
    return (
        pending.consumed_at is None
        and pending.result is None
        and not pending.is_expired
        and not preview.get("refused")
        and bool(preview.get("changes_total"))
    )


@transaction.atomic
def pending_import_confirm(
    *,
    actor: Account,
    establishment: Establishment,
    pending_import_id: UUID | str,
    identity_checked: bool = False,
    request: HttpRequest | None = None,
) -> PendingImport:
    """Write a previewed import, once. The row lock makes a double confirmation a no-op error.

    A preview that flagged identity changes or new homonyms is written only when the
    administrator says they checked them (``identity_checked``)."""
    try:
        pending = PendingImport.objects.select_for_update().get(
            pk=pending_import_id, establishment=establishment
        )
    except (PendingImport.DoesNotExist, ValidationError, ValueError) as exc:
        raise ValidationError(_("Cet import n'existe pas."), code="not_found") from exc
    if pending.actor_id != actor.pk:
        raise ValidationError(
            _("Seule la personne qui a déposé le fichier peut confirmer cet import."),
            code="foreign",
        )
    if pending.consumed_at is not None:
        raise ValidationError(_("Cet import a déjà été confirmé."), code="consumed")
    if pending.is_expired:
        raise ValidationError(
            _("L'aperçu a expiré : déposez de nouveau le fichier pour l'importer."),
            code="expired",
        )
    if needs_review(pending.preview) and not identity_checked:
        raise ValidationError(
            _(
                "Relisez les changements d’identité et les homonymes signalés, puis cochez "
                "« J’ai vérifié les changements d’identité » pour confirmer l’import."
            ),
            code="identity_unchecked",
        )
    data = bytes(pending.data)
    if hashlib.sha256(data).hexdigest() != pending.sha256:
        raise ValidationError(
            _("Le fichier conservé est altéré : déposez-le de nouveau."), code="corrupt"
        )
    report = import_run(
        actor=actor,
        establishment=establishment,
        kind=pending.kind,
        data=data,
        filename=pending.filename,
        dry_run=False,
        full=pending.full,
        skip_invalid=pending.skip_invalid,
        request=request,
    )
    pending.result = report_to_dict(report)
    update_fields = ["result"]
    if not report.refused:
        # Done: the file is used up and its personal data need not wait any longer.
        pending.consumed_at = timezone.now()
        pending.data = b""
        update_fields += ["consumed_at", "data"]
    pending.save(update_fields=update_fields)
    return pending
