"""CAS tickets: random strings with a type prefix, stored only as keyed digests.

``ST-`` service ticket, ``PT-`` proxy ticket, ``PGT-`` proxy-granting ticket, ``PGTIOU-`` its
IOU, ``TGT-`` the SSO session, ``LT-`` the login form's ticket. The random part is 160 bits in
hexadecimal, inside the alphabet CAS 3.0 allows for tickets (A-Z, a-z, 0-9 and ``-``, §3.7).
A ticket is looked up by its HMAC-SHA256 under a key derived from SECRET_KEY: whoever reads
the database cannot present a live ticket, and digests cost microseconds, not milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from django.conf import settings

SERVICE = "ST"
PROXY = "PT"
PROXY_GRANTING = "PGT"
PROXY_GRANTING_IOU = "PGTIOU"
GRANTING = "TGT"
LOGIN = "LT"
KNOWN_PREFIXES = (SERVICE, PROXY, PROXY_GRANTING, PROXY_GRANTING_IOU, GRANTING, LOGIN)
RANDOM_BYTES = 20  # 160 bits
_SHAPE = re.compile(r"^(ST|PT|PGT|PGTIOU|TGT)-[0-9a-f]{40}$")
_KEY_SALT = b"preau.sso.cas.ticket"


def ticket_new(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(RANDOM_BYTES)}"


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(_KEY_SALT + b"\x00" + secret.encode()).digest()


def ticket_digest(ticket: str) -> str:
    """Keyed SHA-256 of a ticket (64 hexadecimal characters)."""
    return hmac.new(_key(settings.SECRET_KEY), ticket.encode(), hashlib.sha256).hexdigest()


def ticket_prefix(ticket: str) -> str:
    """``ST`` for ``ST-…``; '' when the string does not start with a known prefix."""
    head, sep, _rest = ticket.partition("-")
    return head if sep and head in KNOWN_PREFIXES else ""


def ticket_well_formed(ticket: str, prefix: str) -> bool:
    """Whether ``ticket`` has the shape of a ticket this server issues with ``prefix``."""
    match = _SHAPE.match(ticket)
    return match is not None and match.group(1) == prefix


def login_ticket_new(now: int) -> str:
    """A login ticket (§3.5) for the form: ``LT-<time>-<random>-<mac>``, checked without state
    when posted back; single use is enforced then (see views)."""
    body = f"{now:x}-{secrets.token_hex(16)}"
    return f"{LOGIN}-{body}-{_lt_mac(body)}"


def _lt_mac(body: str) -> str:
    return hmac.new(_key(settings.SECRET_KEY), b"LT\x00" + body.encode(), "sha256").hexdigest()[:32]


def login_ticket_time(ticket: str) -> int | None:
    """The issuance time of a genuine login ticket, else None."""
    parts = ticket.split("-")
    if len(parts) != 4 or parts[0] != LOGIN:  # noqa: PLR2004
        return None
    body = f"{parts[1]}-{parts[2]}"
    if not hmac.compare_digest(_lt_mac(body), parts[3]):
        return None
    try:
        return int(parts[1], 16)
    except ValueError:
        return None
