"""The RSA key that signs ID tokens (RS256), found once when the settings load.

Imported by ``preau.settings``: nothing here touches Django. The key comes, in this order, from
``PREAU_OIDC_RSA_PRIVATE_KEY`` (the PEM text itself), from the file named by
``PREAU_OIDC_RSA_PRIVATE_KEY_FILE``, or from ``oidc_rsa_key.pem`` in ``PREAU_DATA_DIR``, generated
there the first time (like the demo's secret key) and readable by its owner only. A key is never
in the code or the repository.

Rotation: put the new key in place and list the old one's file in
``PREAU_OIDC_RSA_INACTIVE_KEY_FILES``; the JWKS keeps publishing it (ID tokens it signed still
verify) until it is removed from the list.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

KEY_FILE_NAME = "oidc_rsa_key.pem"
# 3072 bits: NIST's floor for keys used past 2030; signing costs about 2 ms.
KEY_SIZE = 3072


def rsa_private_key_generate() -> str:
    """A new RSA private key, as unencrypted PKCS#8 PEM text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def rsa_private_key_pem(*, value: str = "", path: str = "", data_dir: Path) -> str:
    """The signing key's PEM: ``value`` if given, else the file ``path``, else the key kept in
    ``data_dir`` (generated there once, mode 0600; two processes starting together agree on
    the first one written)."""
    if value.strip():
        return value.strip() + "\n"
    if path:
        return Path(path).read_text(encoding="ascii")
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / KEY_FILE_NAME
    if not key_file.exists():
        # Written whole under a temporary name, then linked into place: a process starting at
        # the same time never reads half a key, and the first link wins.
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".oidc-key-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(rsa_private_key_generate())
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, key_file)
            except FileExistsError:
                pass  # another process wrote it first: use theirs
        finally:
            os.unlink(tmp)
    return key_file.read_text(encoding="ascii")


def rsa_inactive_keys_pem(paths: list[str]) -> list[str]:
    """Former signing keys still published in the JWKS (rotation), read from their files."""
    return [Path(p).read_text(encoding="ascii") for p in paths if p]
