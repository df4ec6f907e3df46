"""The demo's page of the messages sent: what Préau would have mailed or texted, links included.

It exists only in the demo (``PREAU["DEMO"]``, which ``preau demo`` turns on): anywhere else it
is a 404, whoever asks. It shows every message, secrets included (reset links, codes), to
whoever opens it: that is what a demonstration on a laptop needs, and why it is nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from preau.conf import preau_setting
from preau.notify.models import OutboundMessage
from preau.notify.phones import mobile_display
from preau.notify.selectors import outbound_messages_latest

SHOWN = 30


@dataclass(frozen=True)
class Shown:
    pk: int
    sms: bool
    to: str
    subject: str
    body: str
    status: str
    at: datetime
    error: str


def _shown(message: OutboundMessage) -> Shown:
    sms = message.channel == OutboundMessage.Channel.SMS
    return Shown(
        pk=message.pk,
        sms=sms,
        to=mobile_display(message.recipient) if sms else message.recipient,
        subject=message.subject,
        body=message.body_text,
        status=str(message.get_status_display()),
        at=message.sent_at or message.created_at,
        error=message.last_error,
    )


@never_cache
@require_GET
def messages_view(request: HttpRequest) -> HttpResponse:
    if not preau_setting("DEMO"):
        raise Http404
    outbox = [_shown(message) for message in outbound_messages_latest(limit=SHOWN)]
    return render(request, "demo/messages.html", {"outbox": outbox, "shown": SHOWN})
