"""Read queries on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from preau.notify.models import OutboundMessage


@dataclass(frozen=True)
class OutboxSummary:
    labels: dict[str, str]
    counts: dict[str, int]
    oldest_waiting: datetime | None


def outbox_summary() -> OutboxSummary:
    """Messages per status and the creation time of the oldest one not yet sent."""
    rows = OutboundMessage.objects.order_by().values("status").annotate(n=Count("pk"))
    waiting = OutboundMessage.objects.filter(
        status__in=[OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING]
    ).aggregate(oldest=Min("created_at"))
    return OutboxSummary(
        labels={value: str(label) for value, label in OutboundMessage.Status.choices},
        counts={row["status"]: row["n"] for row in rows},
        oldest_waiting=waiting["oldest"],
    )


def outbound_messages_for_account(*, account_id: int) -> list[OutboundMessage]:
    """An account's messages, newest first (support: "did the mail leave?")."""
    return list(OutboundMessage.objects.filter(account_id=account_id).order_by("-created_at")[:50])


def outbound_messages_latest(*, limit: int = 30) -> list[OutboundMessage]:
    """The last messages queued, newest first (the demo's page of the messages sent)."""
    return list(OutboundMessage.objects.order_by("-created_at", "-id")[:limit])
