"""The secrets of recovery: link tokens, grants, and account fingerprints.

Tokens (links, grants) are 256 random bits. SMS codes are :mod:`preau.codes`' (six digits,
which is little, so a code also dies after ``RECOVERY_CODE_ATTEMPTS`` wrong tries and
``RECOVERY_CODE_MINUTES``, and is only accepted from the browser that asked for it). All of
them are stored as keyed SHA-256 digests (HMAC keyed from SECRET_KEY, one salt per use) and
compared in constant time.

A *fingerprint* is a keyed digest of what must not have changed for a reset to stay valid: the
account's password hash (so any password change kills every live link and code, the reset
itself included) and the address or number the secret went to.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from django.utils.crypto import salted_hmac

_SALT = "preau.recovery"
# A token in a URL: base64url of 32 bytes is 43 characters; far longer is junk.
TOKEN_MAX_LENGTH = 128


def digest(kind: str, value: str) -> str:
    return salted_hmac(f"{_SALT}.{kind}", value, algorithm="sha256").hexdigest()


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return digest("token", token)


def handle_digest(handle: str) -> str:
    return digest("handle", handle)


def matches(expected: str, actual: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected, actual)


def fingerprint(account: Any, destination: str = "") -> str:
    """What a reset depends on: the password hash, and the contact it was sent to."""
    return digest(
        "fingerprint", f"{account.pk}\x00{account.password}\x00{destination.strip().lower()}"
    )
