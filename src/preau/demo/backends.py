"""Where the demo's mail and SMS go: the terminal that runs ``preau demo``.

Nothing leaves the machine: a person trying Préau reads each message in the terminal, and on
the page of the messages sent (``/demo/messages``, see :mod:`preau.demo.views`), where the links
can be followed. ``preau demo`` turns these backends on through ``PREAU_DEMO`` (settings.py),
unless ``EMAIL_URL`` or ``PREAU_SMS_BACKEND`` name others.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from preau.conf import preau_setting
from preau.notify.phones import mobile_display
from preau.notify.sms import Sms, SmsBackend

_LOCK = threading.Lock()
RULE = "─" * 72


def _page() -> str:
    return str(preau_setting("PUBLIC_URL")).rstrip("/") + reverse("demo:messages")


def terminal_write(title: str, lines: Sequence[str]) -> None:
    """One message, framed, on the terminal (whole, even when two requests send at once)."""
    text = "\n".join([RULE, title, RULE, *lines, f"(Aussi sur {_page()})", RULE, ""])
    with _LOCK:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class TerminalEmailBackend(BaseEmailBackend):
    """Each mail's recipients, subject and text, written to the terminal."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            terminal_write(
                f"Courriel pour {', '.join(message.to)}",
                [f"Objet : {message.subject}", "", str(message.body).strip()],
            )
        return len(email_messages)


class TerminalSmsBackend(SmsBackend):
    """Each SMS's number and text, written to the terminal."""

    def send(self, sms: Sms) -> None:
        terminal_write(f"SMS pour le {mobile_display(sms.to)}", [sms.text])
