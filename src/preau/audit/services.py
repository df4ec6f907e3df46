"""The one way to write audit events.

Call :func:`audit_record` inside the same transaction as the change it records, so the event
exists exactly when the change does. Bulk operations (imports) build events with
:func:`audit_event_build` and write them with :func:`audit_record_many`, or, for one event per
person of a file, with :func:`audit_record_bulk`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.http import HttpRequest
from django.utils import timezone

from preau.audit.labels import AUDIT_ACTIONS, UnknownAuditAction
from preau.audit.models import AuditEvent
from preau.db import write_batch_current
from preau.db_bulk import BulkInserter


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the WSGI server saw it (the reverse proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_event_build(
    *,
    action: str,
    actor: Any = None,
    target: Any = None,
    establishment: Any = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """One event, unsaved. ``action`` must be one of :data:`preau.audit.labels.AUDIT_ACTIONS`
    (:class:`~preau.audit.labels.UnknownAuditAction` otherwise): a new action gets its French
    label first, so no school ever reads a raw name."""
    if action not in AUDIT_ACTIONS:
        raise UnknownAuditAction(action)
    return AuditEvent(
        created_at=timezone.now(),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "login", "") or ("system" if actor is None else str(actor)),
        target=target if getattr(target, "pk", None) else None,
        target_label=getattr(target, "login", "") if target is not None else "",
        establishment=establishment,
        ip=ip or client_ip(request),
        data=data or {},
    )


def audit_record(**kwargs: Any) -> AuditEvent:
    """Write one event (inside a :func:`preau.db.write_batch`, with the batch's other rows)."""
    event = audit_event_build(**kwargs)
    batch = write_batch_current()
    if batch is not None:
        batch.insert(event)
    else:
        event.save()
    return event


def audit_record_many(events: Iterable[AuditEvent], *, batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


class AuditTarget(NamedTuple):
    """One event of :func:`audit_record_bulk`: what happened to whom."""

    action: str
    target_id: int
    target_label: str
    data: dict[str, Any]


def audit_record_bulk(
    *,
    actor: Any,
    establishment: Any,
    request: HttpRequest | None,
    targets: Iterable[AuditTarget],
) -> None:
    """Write one event per target, all by ``actor`` in ``establishment`` from one address.

    The event is built once by :func:`audit_event_build` (actor, establishment, address, time)
    and repeated per target, with the target's action, as plain rows streamed by
    :class:`preau.db_bulk.BulkInserter` (COPY on PostgreSQL): an import writes one per person
    of its file, and a model instance per row would cost more than the rest of the write.
    Every action must be one of :data:`~preau.audit.labels.AUDIT_ACTIONS`, as for one event.
    """
    events = list(targets)
    if not events:
        return
    unknown = sorted({t.action for t in events} - AUDIT_ACTIONS)
    if unknown:
        raise UnknownAuditAction(unknown[0])
    action = events[0].action
    template = audit_event_build(
        action=action, actor=actor, establishment=establishment, request=request
    )
    base = {
        f.attname: getattr(template, f.attname)
        for f in AuditEvent._meta.concrete_fields
        if not f.primary_key
    }
    rows = [
        {
            **base,
            "action": t.action,
            "target_id": t.target_id,
            "target_label": t.target_label,
            "data": t.data,
        }
        for t in events
    ]
    BulkInserter().insert(AuditEvent, rows)
