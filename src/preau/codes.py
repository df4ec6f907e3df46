"""Six-digit codes sent to a person's contact and typed back: a forgotten password's SMS code
(``preau.recovery``), the proof of a mobile number (``preau.activation.mobile_proof``).

Six random digits are little, so a code also dies after a few wrong tries and a few minutes
(its caller's rules); it is stored as a keyed SHA-256 digest (HMAC keyed from SECRET_KEY),
bound to a salt of its use, so the same digits sent to two people have two digests. The key's
salt is the one recovery used when the codes were all its own: a code sent before they moved
here still matches.

Whatever sends a code, a link or a reminder to one contact (a number, an address) counts in one
throttle, :data:`SCOPE_CONTACT`, so that nobody can flood someone else's phone or mailbox.
"""

from __future__ import annotations

import secrets
import unicodedata

from django.utils.crypto import salted_hmac

CODE_DIGITS = 6
# Messages sent to one contact, whoever sends them (PREAU["THROTTLES"]["recovery.contact"]).
SCOPE_CONTACT = "recovery.contact"
_KEY_SALT = "preau.recovery.code"


def code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_normalize(raw: str) -> str:
    """What people type from an SMS: ``123 456``, ``123-456``, full-width ``１２３４５６``."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch in "0123456789")


def code_digest(salt: str, code: str) -> str:
    """A code's digest, bound to ``salt`` (its use: a request's handle digest, a proof's
    account and time): the same six digits sent to two people have two different digests."""
    return salted_hmac(_KEY_SALT, f"{salt}:{code_normalize(code)}", algorithm="sha256").hexdigest()
