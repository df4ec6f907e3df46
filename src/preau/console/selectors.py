"""Read queries of the console, scoped to the actor."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError

from preau.console.models import PendingImport
from preau.directory.models import Establishment
from preau.directory.selectors import establishments_administered


def pending_import_get(
    *, actor: Any, establishment: Establishment, pending_import_id: UUID | str
) -> PendingImport:
    """A pending import of ``establishment`` that ``actor`` uploaded; ``DoesNotExist`` otherwise.

    Another administrator of the same school does not see it either: the preview shows a file
    that only its uploader chose to import.
    """
    try:
        return PendingImport.objects.defer("data").get(
            pk=pending_import_id,
            establishment=establishment,
            establishment__in=establishments_administered(actor=actor),
            actor=actor,
        )
    except (ValidationError, ValueError) as exc:
        raise PendingImport.DoesNotExist from exc
