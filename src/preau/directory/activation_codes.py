"""Activation codes: the 8-character secret printed on the letter.

The alphabet leaves out look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B) so that a code copied by hand
from paper is read back right; 25 symbols and 8 characters give about 37 bits, enough for a
code that is throttled at sign-in and dies with the activation deadline. Codes are stored only
as a keyed SHA-256 digest (an HMAC keyed from SECRET_KEY): fast enough for a bulk import of
hundreds of thousands of accounts, and useless to whoever reads the database without the key.
"""

from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8
_KEY_SALT = "preau.directory.activation_code"


def activation_code_generate() -> str:
    """A fresh random code, e.g. ``K7MQ4XHA``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def activation_code_normalize(raw: str) -> str:
    """What people type: lower case, spaces or a dash in the middle (``k7mq-4xha``)."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")


def activation_code_digest(code: str) -> str:
    return salted_hmac(_KEY_SALT, activation_code_normalize(code), algorithm="sha256").hexdigest()


def activation_code_matches(raw: str, digest: str) -> bool:
    """Constant-time comparison of a typed code with a stored digest."""
    if not digest or not raw:
        return False
    return hmac.compare_digest(activation_code_digest(raw), digest)


def activation_code_display(code: str) -> str:
    """Grouped for reading on paper: ``K7MQ-4XHA``."""
    return f"{code[:4]}-{code[4:]}"
