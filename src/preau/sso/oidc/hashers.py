"""Client secrets stored as keyed SHA-256 digests.

django-oauth-toolkit hashes a confidential client's secret with a Django password hasher and
checks it at every token request. Préau's default hasher is Argon2id, chosen to slow down the
guessing of human passwords: on a 128-character random secret it only costs CPU (tens of
milliseconds per sign-in to a service). A keyed HMAC (the key derived from SECRET_KEY) is as
safe for a secret that cannot be guessed, and useless to whoever reads the database alone.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

ALGORITHM = "preau_client_hmac"
_KEY_SALT = "preau.sso.oidc.client_secret"


class ClientSecretHasher(BasePasswordHasher):
    algorithm = ALGORITHM
    salt_entropy = 64

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("A password and a salt without '$' are needed.")
        digest = salted_hmac(_KEY_SALT + salt, password, algorithm="sha256").hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm  # noqa: S101 - Django's hashers do the same
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return hmac.compare_digest(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            gettext_noop("algorithm"): decoded["algorithm"],
            gettext_noop("salt"): mask_hash(decoded["salt"], show=2),
            gettext_noop("hash"): mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
