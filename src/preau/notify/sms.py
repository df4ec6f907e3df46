"""The SMS channel of the outbox: E.164 numbers, one GSM-7 segment, pluggable backends.

An SMS is queued like an e-mail (``message_queue(channel="sms", to=..., template=...)``) and gets
the same guarantees: stored with the transaction that asks for it, delivered once by a worker,
retried with back-off while the gateway is down, failed for good when the gateway refuses the
message. The text comes from ``notify/<template>_sms.txt``, rendered in the deployment's
language; whitespace is collapsed to single spaces (a template may wrap its lines).

*Numbers* are normalised to E.164 with ``phonenumbers`` (``06 12 34 56 78`` is
``+33612345678``; numbers without a country code are read as French, then as those of the
overseas departments; see ``preau.notify.phones``, which also holds the one rule for what a
*mobile* number is). *Text*: one SMS segment holds 160 characters of the GSM 03.38 alphabet
(7-bit; ``€ [ ] { } ^ ~ | \\`` count twice). A single character outside it (``ê``, ``ô``,
``ç``, ``’``, ``«``…) would turn the whole message into UCS-2, 70 characters a segment: French
text is therefore written with the letters GSM-7 has (é è à ù ì ò É Ç…) and anything else is
folded to its closest GSM-7 spelling (``ê`` → ``e``, ``’`` → ``'``) before sending. Every SMS
template is tested to fit one segment with its longest values (tests/notify/test_sms.py).

*Backends* (``PREAU["SMS_BACKEND"]``, a dotted path or a short name):

- ``console`` (default): the message is written to the log (development, demo);
- ``file``: one JSON line per message appended to ``PREAU["SMS_FILE_PATH"]`` (tests, staging);
- ``http``: an HTTP gateway (most French SMS providers have one) configured by
  ``PREAU["SMS_HTTP"]``: URL, method, JSON or form body built from a payload template with
  ``{to}``, ``{to_digits}``, ``{text}``, ``{sender}``, ``{reference}`` placeholders, HTTP basic
  credentials or a bearer token, extra headers, timeout. 2xx is success; 408, 425, 429, 5xx,
  timeouts and connection errors are retried; 401/403 (our credentials) are retried too so that
  an operator can fix them; any other 4xx refuses the message for good.
"""

from __future__ import annotations

import abc
import base64
import json
import logging
import re
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from preau.conf import preau_setting
from preau.notify.channels import (
    Channel,
    PermanentDeliveryError,
    RenderedMessage,
    TransientDeliveryError,
    _base_context,
)
from preau.notify.phones import PHONE_REGIONS, phone_e164

if TYPE_CHECKING:
    from preau.notify.models import OutboundMessage

logger = logging.getLogger("preau.notify.sms")

# --- GSM 03.38 -----------------------------------------------------------------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
SEGMENT_SEPTETS = 160
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)
# What French (and names) need beyond GSM-7, spelt the closest way GSM-7 allows.
_FOLD = {
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\t": " ",
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
    "`": "'",
}


def gsm7_septets(text: str) -> int:
    """Length of ``text`` in GSM-7 septets (extension characters count twice)."""
    return sum(2 if ch in _EXTENSION else 1 for ch in text)


def gsm7_unsupported(text: str) -> list[str]:
    """Characters of ``text`` that GSM-7 cannot carry (empty: the text is GSM-7)."""
    return [ch for ch in dict.fromkeys(text) if ch not in _BASIC and ch not in _EXTENSION]


def gsm7_fold(text: str) -> str:
    """``text`` in GSM-7: known French signs replaced, other accents dropped (``ê`` → ``e``),
    anything left that has no spelling at all replaced with ``?``."""
    out: list[str] = []
    for ch in text:
        if ch in _BASIC or ch in _EXTENSION:
            out.append(ch)
        elif ch in _FOLD:
            out.append(_FOLD[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(base if base and all(c in _BASIC for c in base) else "?")
    return "".join(out)


def sms_segments(text: str) -> int:
    """How many SMS the text takes (GSM-7: 160 alone, 153 per part once concatenated)."""
    septets = gsm7_septets(text)
    return 1 if septets <= SEGMENT_SEPTETS else -(-septets // 153)


# --- Numbers ------------------------------------------------------------------------------------
# In preau.notify.phones (the one rule for a mobile number); phone_e164 is re-exported here.

# --- Backends -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    text: str
    reference: str  # the same on every attempt: gateways that dedupe may use it
    sender: str


class SmsBackend(abc.ABC):
    """Hands one SMS to something; raises Transient/PermanentDeliveryError on failure."""

    @abc.abstractmethod
    def send(self, sms: Sms) -> None:
        """Deliver ``sms`` or raise a DeliveryError subclass."""


class ConsoleBackend(SmsBackend):
    """Development: the SMS is logged (``preau.notify.sms``, level WARNING so it shows)."""

    def send(self, sms: Sms) -> None:
        logger.warning("SMS to %s (%s): %s", sms.to, sms.reference, sms.text)


class FileBackend(SmsBackend):
    """One JSON line per SMS appended to ``PREAU["SMS_FILE_PATH"]``."""

    def send(self, sms: Sms) -> None:
        configured = str(preau_setting("SMS_FILE_PATH") or "")
        path = Path(configured) if configured else Path(settings.DATA_DIR) / "sms.jsonl"
        line = json.dumps(
            {
                "to": sms.to,
                "text": sms.text,
                "sender": sms.sender,
                "reference": sms.reference,
                "at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise TransientDeliveryError(
                _("Fichier des SMS inaccessible : %(detail)s") % {"detail": exc}
            ) from exc


_PLACEHOLDER = re.compile(r"\{(to|to_digits|text|sender|reference)\}")
# Statuses worth another try: timeouts, rate limits, the gateway's own trouble, and our
# credentials (an operator may fix them before the attempts run out).
_RETRY_STATUSES = frozenset({401, 403, 408, 425, 429})


def _fill(template: Any, values: dict[str, str]) -> Any:
    """The payload template with ``{name}`` placeholders replaced in every string, at any
    depth. Values are inserted as they are, never interpreted again."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values) for value in template]
    return template


def http_settings() -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "URL": "",
        "METHOD": "POST",
        "FORMAT": "json",
        "USERNAME": "",
        "PASSWORD": "",
        "TOKEN": "",
        "HEADERS": {},
        "PAYLOAD": {"to": "{to}", "text": "{text}", "sender": "{sender}"},
        "TIMEOUT": 10,
    }
    return {**defaults, **(preau_setting("SMS_HTTP") or {})}


class HttpGatewayBackend(SmsBackend):
    """An HTTP SMS gateway (see the module docstring and docs/recovery.md)."""

    def request_for(self, sms: Sms) -> urllib.request.Request:
        config = http_settings()
        url = str(config["URL"])
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                "PREAU['SMS_HTTP']['URL'] must be the gateway's http(s) address"
            )
        values = {
            "to": sms.to,
            "to_digits": sms.to.lstrip("+"),
            "text": sms.text,
            "sender": sms.sender,
            "reference": sms.reference,
        }
        payload = _fill(config["PAYLOAD"], values)
        headers = {"User-Agent": "Preau-SMS/1", "Accept": "application/json, */*"}
        if str(config["FORMAT"]).lower() == "form":
            body = urllib.parse.urlencode(payload).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        if config["TOKEN"]:
            headers["Authorization"] = f"Bearer {config['TOKEN']}"
        elif config["USERNAME"]:
            pair = f"{config['USERNAME']}:{config['PASSWORD']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        headers.update({str(k): str(v) for k, v in dict(config["HEADERS"]).items()})
        return urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url, data=body, headers=headers, method=str(config["METHOD"]).upper()
        )

    def send(self, sms: Sms) -> None:
        request = self.request_for(sms)
        timeout = float(http_settings()["TIMEOUT"])
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code} {_excerpt(exc)}".strip()
            if exc.code in _RETRY_STATUSES or exc.code >= 500:
                raise TransientDeliveryError(
                    _("La passerelle SMS a répondu : %(detail)s") % {"detail": detail}
                ) from exc
            raise PermanentDeliveryError(
                _("SMS refusé par la passerelle : %(detail)s") % {"detail": detail}
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TransientDeliveryError(
                _("Passerelle SMS injoignable : %(detail)s") % {"detail": reason}
            ) from exc


def _excerpt(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(300).decode("utf-8", "replace").strip()
    except OSError:
        return ""


BACKENDS = {
    "console": "preau.notify.sms.ConsoleBackend",
    "file": "preau.notify.sms.FileBackend",
    "http": "preau.notify.sms.HttpGatewayBackend",
}


def sms_backend() -> SmsBackend:
    """The configured backend (read at each send: settings may change in tests)."""
    name = str(preau_setting("SMS_BACKEND") or "console")
    backend = import_string(BACKENDS.get(name, name))()
    if not isinstance(backend, SmsBackend):
        raise ImproperlyConfigured(f"{name} is not a preau.notify.sms.SmsBackend")
    return backend


# --- The channel --------------------------------------------------------------------------------


def sms_render(template: str, context: dict[str, Any]) -> str:
    """The raw text of ``notify/<template>_sms.txt`` on one line (not folded to GSM-7)."""
    full = _base_context(context)
    with translation.override(settings.LANGUAGE_CODE):
        text = str(render_to_string(f"notify/{template}_sms.txt", full))
    return " ".join(text.split())


class SmsChannel(Channel):
    name = "sms"

    def normalize_recipient(self, recipient: str) -> str:
        return phone_e164(recipient)

    def render(self, template: str, context: dict[str, Any]) -> RenderedMessage:
        raw = sms_render(template, context)
        text = gsm7_fold(raw)
        if text != raw:
            logger.info("SMS %s folded to GSM-7: %s", template, gsm7_unsupported(raw))
        if sms_segments(text) > 1:
            logger.warning(
                "SMS %s takes %d segments (%d characters)",
                template,
                sms_segments(text),
                gsm7_septets(text),
            )
        return RenderedMessage(subject="", body_text=text, body_html="")

    def send(self, message: OutboundMessage) -> None:
        sender = str(preau_setting("SMS_SENDER") or "")
        sms_backend().send(
            Sms(
                to=message.recipient,
                text=message.body_text,
                reference=f"preau-{message.pk}",
                sender=sender,
            )
        )


__all__ = [
    "ConsoleBackend",
    "FileBackend",
    "PHONE_REGIONS",
    "HttpGatewayBackend",
    "Sms",
    "SmsBackend",
    "SmsChannel",
    "gsm7_fold",
    "gsm7_septets",
    "gsm7_unsupported",
    "phone_e164",
    "sms_backend",
    "sms_render",
    "sms_segments",
]
