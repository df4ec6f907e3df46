"""The mobile app's secrets: how they are made, stored and compared, and the QR + PIN cipher.

* Pairing codes (typed from the screen): 10 characters of the activation codes' unambiguous
  alphabet, about 46 bits, living five minutes and a few tries.
* Tokens read by machines (access, refresh, QR + PIN token, web links): 256 random bits.
* All of them are stored as keyed SHA-256 digests (an HMAC keyed from SECRET_KEY) and
  compared in constant time through the digest lookup.

**The QR + PIN cipher.** The QR code carries a random 32-byte token encrypted with AES-256-CTR
under a key derived from the 4-digit PIN (PBKDF2-SHA256). CTR has no authentication tag on
purpose: every PIN "decrypts" the QR into 32 random-looking bytes, so whoever photographs the
QR cannot try the 10,000 PINs offline; only the server knows which bytes are right (their
digest), and it counts the wrong ones (``GRANT_TRIES``) before the grant dies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.utils.crypto import salted_hmac

from preau.directory.activation_codes import ALPHABET

CODE_LENGTH = 10
IDENTIFIER_LENGTH = 8
PIN_ITERATIONS = 100_000
_KEY_SALT = "preau.mobile.tokens"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code_normalize(raw: str) -> str:
    """What people type: lower case, spaces or dashes (``k7mq4-xha3c``)."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")


def digest(secret: str) -> str:
    return salted_hmac(_KEY_SALT, secret, algorithm="sha256").hexdigest()


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def identifier_generate() -> str:
    """The grant's public name, shown and typed too (about 37 bits, unique in the table)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(IDENTIFIER_LENGTH))


def token_generate(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def pin_key(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, PIN_ITERATIONS, dklen=32)


def _ctr(key: bytes, nonce: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def pin_encrypt(*, pin: str, token: bytes) -> dict[str, str | int]:
    """The QR's cipher fields for ``token`` under ``pin`` (see the module's docstring)."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(16)
    return {
        "kdf": "pbkdf2-sha256",
        "iterations": PIN_ITERATIONS,
        "salt": b64url(salt),
        "cipher": "aes-256-ctr",
        "nonce": b64url(nonce),
        "token": b64url(_ctr(pin_key(pin, salt), nonce, token)),
    }


def pin_decrypt(*, pin: str, fields: dict[str, str | int]) -> str:
    """What the app does (here for the tests and docs): the token to send, as text. A wrong
    PIN gives other bytes, which the server refuses and counts."""
    salt, nonce = b64url_decode(str(fields["salt"])), b64url_decode(str(fields["nonce"]))
    return b64url(_ctr(pin_key(pin, salt), nonce, b64url_decode(str(fields["token"]))))
