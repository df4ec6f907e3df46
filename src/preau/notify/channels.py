"""Delivery channels: how a message is rendered, addressed and handed over.

A channel knows three things: how to normalise a recipient (an e-mail address, an E.164
number), which templates make a message (``notify/<name>_subject.txt``, ``_body.txt``,
``_body.html`` for e-mail; an SMS channel will read ``notify/<name>_sms.txt``), and how to send
one stored message. It says what went wrong with :class:`TransientDeliveryError` (try again
later: server down, 4xx) or :class:`PermanentDeliveryError` (never retry: 5xx refusal of the
recipient). The outbox (``preau.notify.services``) does the rest: retries, back-off, claims.

Channels are chosen in ``PREAU["NOTIFY_CHANNELS"]`` (name → dotted path of a class), so a
deployment can plug an SMS gateway without touching the outbox.
"""

from __future__ import annotations

import abc
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from preau.conf import preau_setting

if TYPE_CHECKING:
    from preau.notify.models import OutboundMessage


class DeliveryError(Exception):
    """A message could not be handed over."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later (server down, timeout, 4xx)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the recipient is refused for good)."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body_text: str
    body_html: str


class Channel(abc.ABC):
    """Base class of a delivery channel (see the module docstring)."""

    name: str = ""

    @abc.abstractmethod
    def normalize_recipient(self, recipient: str) -> str:
        """The recipient in its canonical form; ValidationError when it is not one."""

    @abc.abstractmethod
    def render(self, template: str, context: dict[str, Any]) -> RenderedMessage:
        """The message's French subject and bodies from its templates."""

    @abc.abstractmethod
    def send(self, message: OutboundMessage) -> None:
        """Hand one message over; raise a DeliveryError subclass when that fails."""


def _base_context(context: dict[str, Any]) -> dict[str, Any]:
    return {
        "ent_name": preau_setting("ENT_NAME"),
        "public_url": str(preau_setting("PUBLIC_URL")).rstrip("/"),
        "help_text": preau_setting("HELP_TEXT"),
        **context,
    }


class EmailChannel(Channel):
    """E-mail through Django's mail API (``EMAIL_URL`` chooses SMTP, console…)."""

    name = "email"

    def normalize_recipient(self, recipient: str) -> str:
        address = recipient.strip()
        # Domain names are case-insensitive; the local part is kept as typed.
        local, _sep, domain = address.rpartition("@")
        address = f"{local}@{domain.lower()}" if local else address
        validate_email(address)
        return address

    def render(self, template: str, context: dict[str, Any]) -> RenderedMessage:
        full = _base_context(context)
        # Mails are written in the deployment's language, whatever the worker's locale.
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(render_to_string(f"notify/{template}_subject.txt", full))
            body_text = str(render_to_string(f"notify/{template}_body.txt", full))
            body_html = str(render_to_string(f"notify/{template}_body.html", full))
        # A header holds one line: templates end with a newline, and a context value must not
        # be able to inject another header.
        return RenderedMessage(
            subject=" ".join(subject.split()),
            body_text=body_text.strip() + "\n",
            body_html=body_html,
        )

    def send(self, message: OutboundMessage) -> None:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": _message_id(message), "Auto-Submitted": "auto-generated"},
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        connection = get_connection(fail_silently=False)
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            detail = "; ".join(f"{code} {_decode(msg)}" for code, msg in exc.recipients.values())
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentDeliveryError(
                    _("Destinataire refusé par le serveur : %(detail)s") % {"detail": detail}
                ) from exc
            raise TransientDeliveryError(
                _("Destinataire refusé temporairement : %(detail)s") % {"detail": detail}
            ) from exc
        except smtplib.SMTPDataError as exc:
            detail = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                # The server accepted the recipient but refuses this very message for good.
                raise PermanentDeliveryError(
                    _("Message refusé par le serveur : %(detail)s") % {"detail": detail}
                ) from exc
            raise TransientDeliveryError(
                _("Message refusé temporairement : %(detail)s") % {"detail": detail}
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # Sender refused, authentication failed…: our configuration, not the recipient;
            # retried (with back-off) so that an operator has time to fix it.
            raise TransientDeliveryError(
                _("Le serveur de courrier a répondu : %(detail)s")
                % {"detail": f"{exc.smtp_code} {_decode(exc.smtp_error)}"}
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                _("Serveur de courrier injoignable : %(detail)s")
                % {"detail": str(exc) or repr(exc)}
            ) from exc


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _message_id(message: OutboundMessage) -> str:
    """The same Message-ID on every attempt: should a retry follow a delivery whose success
    was never recorded (a crash at the wrong instant), mail systems can recognise the copy."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "preau.invalid"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S")
    return f"<preau.{message.pk}.{stamp}@{domain}>"


@cache
def _load(path: str) -> Channel:
    channel = import_string(path)()
    if not isinstance(channel, Channel):
        raise ImproperlyConfigured(f"{path} is not a preau.notify.channels.Channel")
    return channel


def channel_get(name: str) -> Channel:
    """The configured channel called ``name`` (``email``, later ``sms``)."""
    paths: dict[str, str] = preau_setting("NOTIFY_CHANNELS")
    if name not in paths:
        raise ImproperlyConfigured(
            f"No notify channel {name!r}: configure PREAU['NOTIFY_CHANNELS'] (known: "
            f"{', '.join(sorted(paths))})."
        )
    return _load(paths[name])


__all__ = [
    "Channel",
    "DeliveryError",
    "EmailChannel",
    "PermanentDeliveryError",
    "RenderedMessage",
    "TransientDeliveryError",
    "channel_get",
]
