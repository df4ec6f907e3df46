"""The outbox: queue a message, deliver it once, retry with back-off, sweep lost tasks.

Guarantees, and how they are kept:

- *A message exists iff the transaction that asked for it committed*: :func:`message_queue`
  writes the row in the caller's transaction and hands the delivery task to the task backend
  with ``transaction.on_commit``.
- *Never lost*: the row is the truth, the task only a wake-up call. If the process dies between
  the commit and the enqueue, or a task backend loses the task, :func:`outbound_message_sweep`
  (run every minute by ``preau worker``) enqueues again every due row whose task has not run.
  A worker that dies while sending leaves a claim that expires, and the message is tried again.
- *Never sent twice*: a worker claims a row with one conditional UPDATE (status queued → sending,
  with a fresh claim token; on PostgreSQL after ``SELECT … FOR UPDATE SKIP LOCKED`` so that a
  second worker does not even wait), and only the holder of the claim records the outcome.
  Duplicate tasks for one row are therefore harmless. The one window left is a crash after the
  SMTP server accepted the message and before the row says so: the message is then sent again
  after the claim lease, with the same Message-ID so that mail systems can spot the copy.
- *Retries*: a transient failure (server down, 4xx) schedules the next attempt after
  ``NOTIFY_RETRY_BASE_SECONDS * 2**(attempts-1)`` (capped), up to ``NOTIFY_MAX_ATTEMPTS``;
  a permanent one (5xx refusal of the recipient) fails at once. Failed messages stay in the
  admin, where an operator may queue them again.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.notify.channels import PermanentDeliveryError, TransientDeliveryError, channel_get
from preau.notify.models import OutboundMessage

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status
_ERROR_MAX_CHARS = 2000


def message_queue(
    *,
    channel: str,
    to: str,
    template: str,
    context: dict[str, Any],
    account: Any = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Render ``template`` for ``channel`` and put the message in the outbox.

    Call it inside the transaction whose outcome the message announces: the message is stored
    by that transaction and delivered only after it commits. ``to`` is normalised (and validated:
    ``ValidationError`` for an address that cannot be one). With an ``idempotency_key`` already
    used, nothing is queued and the existing message is returned.
    """
    chosen = channel_get(channel)
    recipient = chosen.normalize_recipient(to)
    key = idempotency_key or f"uuid:{uuid.uuid4().hex}"
    with transaction.atomic():
        existing = OutboundMessage.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        rendered = chosen.render(template, context)
        now = timezone.now()
        message = OutboundMessage(
            channel=channel,
            recipient=recipient,
            template=template,
            subject=rendered.subject[:255],
            body_text=rendered.body_text,
            body_html=rendered.body_html,
            idempotency_key=key,
            account=account if getattr(account, "pk", None) else None,
            created_at=now,
            next_attempt_at=now,
            enqueued_at=now,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            # A concurrent transaction queued the same logical message first.
            return OutboundMessage.objects.get(idempotency_key=key)
        transaction.on_commit(partial(_enqueue, [message.pk]), robust=True)
    return message


def _enqueue(message_ids: list[int], run_after: datetime | None = None) -> None:
    """Hand delivery tasks to the task backend (a wake-up call: see the module docstring)."""
    from preau.notify.tasks import deliver_message

    task = deliver_message
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the sweeper enqueues it when due
        task = task.using(run_after=run_after)
    for message_id in message_ids:
        task.enqueue(message_id)


def _uses_skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def _retry_delay(attempts: int) -> timedelta:
    base = int(preau_setting("NOTIFY_RETRY_BASE_SECONDS"))
    cap = int(preau_setting("NOTIFY_RETRY_MAX_SECONDS"))
    # The exponent is bounded: a large NOTIFY_MAX_ATTEMPTS must not build a huge integer.
    return timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 30)))


def outbound_message_claim(*, message_id: int) -> str | None:
    """Take the row for delivery if it is queued and due; return the claim token, else None."""
    token = secrets.token_hex(16)
    now = timezone.now()
    due = OutboundMessage.objects.filter(
        pk=message_id, status=Status.QUEUED, next_attempt_at__lte=now
    )
    with transaction.atomic():
        if _uses_skip_locked():
            # Another worker holding the row makes it invisible here rather than a wait.
            locked = due.select_for_update(skip_locked=True).values_list("pk", flat=True)
            if not list(locked[:1]):
                return None
        # The conditional UPDATE is the claim on every database (SQLite has no row locks):
        # of two workers, exactly one sees status=queued and changes it.
        claimed = due.update(
            status=Status.SENDING,
            claimed_at=now,
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    return token if claimed == 1 else None


def outbound_message_deliver(*, message_id: int) -> str:
    """Deliver one message if it is due and nobody else holds it; return what happened.

    The result is one of ``skipped`` (not due, already sent, held by another worker),
    ``sent``, ``retry`` (a transient failure, tried again later) or ``failed``.
    """
    token = outbound_message_claim(message_id=message_id)
    if token is None:
        return "skipped"
    message = OutboundMessage.objects.get(pk=message_id)
    held = OutboundMessage.objects.filter(pk=message_id, status=Status.SENDING, claim_token=token)
    try:
        channel_get(message.channel).send(message)
    except PermanentDeliveryError as exc:
        _record_failure(held, message, str(exc), permanent=True)
        return "failed"
    except TransientDeliveryError as exc:
        return _record_failure(held, message, str(exc), permanent=False)
    except Exception as exc:
        # A bug or a misconfiguration must not leave the row stuck in "sending": record it and
        # retry with back-off, so that fixing the cause is enough.
        logger.exception("Unexpected error while delivering outbound message %s", message_id)
        return _record_failure(held, message, f"{type(exc).__name__}: {exc}", permanent=False)
    # The bodies may hold live secrets; the recipient has them now. The demo keeps them: its
    # page of the messages sent (preau.demo) is where a person trying Préau reads them.
    cleared = {} if preau_setting("DEMO") else {"body_text": "", "body_html": ""}
    updated = held.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        claimed_at=None,
        claim_token="",
        **cleared,
    )
    if updated != 1:  # only if the claim lease is shorter than one send
        logger.warning("Outbound message %s was sent after its claim expired", message_id)
    return "sent"


def _record_failure(held: Any, message: OutboundMessage, error: str, *, permanent: bool) -> str:
    error = error[:_ERROR_MAX_CHARS]
    max_attempts = int(preau_setting("NOTIFY_MAX_ATTEMPTS"))
    if permanent or message.attempts >= max_attempts:
        held.update(status=Status.FAILED, last_error=error, claimed_at=None, claim_token="")
        logger.warning(
            "Outbound message %s failed after %s attempt(s): %s",
            message.pk,
            message.attempts,
            error,
        )
        return "failed"
    now = timezone.now()
    next_attempt_at = now + _retry_delay(message.attempts)
    deferrable = _task_backend_defers()
    held.update(
        status=Status.QUEUED,
        next_attempt_at=next_attempt_at,
        enqueued_at=now if deferrable else None,
        last_error=error,
        claimed_at=None,
        claim_token="",
    )
    if deferrable:
        transaction.on_commit(partial(_enqueue, [message.pk], next_attempt_at), robust=True)
    return "retry"


def _task_backend_defers() -> bool:
    from preau.notify.tasks import deliver_message

    return bool(deliver_message.get_backend().supports_defer)


@dataclass(frozen=True)
class SweepResult:
    recovered: int  # claims of dead workers released
    abandoned: int  # of which had no attempt left and were marked failed
    enqueued: int  # due messages handed to the task backend again


def outbound_message_sweep() -> SweepResult:
    """Recover what a crash or a lost task left behind; safe to run often and concurrently."""
    now = timezone.now()
    lease = timedelta(seconds=int(preau_setting("NOTIFY_CLAIM_LEASE_SECONDS")))
    grace = timedelta(seconds=int(preau_setting("NOTIFY_SWEEP_GRACE_SECONDS")))
    batch = int(preau_setting("NOTIFY_SWEEP_BATCH"))
    max_attempts = int(preau_setting("NOTIFY_MAX_ATTEMPTS"))

    stale = OutboundMessage.objects.filter(status=Status.SENDING, claimed_at__lte=now - lease)
    interrupted = _("Envoi interrompu (arrêt du worker) : nouvelle tentative.")
    with transaction.atomic():
        abandoned = stale.filter(attempts__gte=max_attempts).update(
            status=Status.FAILED, last_error=interrupted, claimed_at=None, claim_token=""
        )
        released = stale.update(
            status=Status.QUEUED,
            next_attempt_at=now,
            enqueued_at=None,
            last_error=interrupted,
            claimed_at=None,
            claim_token="",
        )
    if abandoned or released:
        logger.warning("Outbox sweep: released %s stale claim(s)", abandoned + released)

    lost = (
        OutboundMessage.objects.filter(status=Status.QUEUED)
        .filter(
            Q(enqueued_at__isnull=True, next_attempt_at__lte=now)
            | Q(enqueued_at__lte=now - grace, next_attempt_at__lte=now - grace)
        )
        .order_by("next_attempt_at", "pk")
    )
    enqueued = 0
    while True:
        ids = list(lost.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        # Mark first: the next pass (or a concurrent sweeper) skips them for `grace` seconds.
        OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(enqueued_at=now)
        _enqueue(ids)
        enqueued += len(ids)
        if len(ids) < batch:
            break
    return SweepResult(recovered=abandoned + released, abandoned=abandoned, enqueued=enqueued)


@transaction.atomic
def outbound_message_requeue(*, actor: Any, message: OutboundMessage) -> bool:
    """An operator sends a failed message again (a fresh series of attempts)."""
    now = timezone.now()
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=now, enqueued_at=now
    )
    if not updated:
        return False
    audit_record(
        action="outbound_message.requeue",
        actor=actor,
        target=message.account,
        data={"message": message.pk, "channel": message.channel, "template": message.template},
    )
    transaction.on_commit(partial(_enqueue, [message.pk]), robust=True)
    return True


def outbound_message_purge(*, before: datetime, batch_size: int, dry_run: bool = False) -> int:
    """Delete sent and failed messages created before ``before``, in batches; return how many."""
    finished = OutboundMessage.objects.filter(
        status__in=[Status.SENT, Status.FAILED], created_at__lt=before
    )
    if dry_run:
        return finished.count()
    deleted = 0
    while True:
        ids = list(finished.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += OutboundMessage.objects.filter(pk__in=ids).delete()[0]
