"""A test FranceConnect: Node's `oidc-provider` (npm, certified) on a loopback port.

:func:`oidc_provider_dir` installs ``oidc-provider@8`` once into a cache folder
(``PREAU_NODE_CACHE``, default ``~/.cache/preau-oidc-provider``) with npm, so a clean machine
needs only Node and npm (``.ci/run`` installs them). :class:`TestFranceConnect` starts
``franceconnect_op.mjs`` with a client for Préau, a signing key the tests also hold (to forge
tokens with the provider's own key: expired, other audience, wrong nonce) and test users
carrying the pivot identity.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from joserfc.jwk import RSAKey

HERE = Path(__file__).parent
SCRIPT = HERE / "franceconnect_op.mjs"
NODE_HELP = (
    "Node.js 20 and npm are needed for the FranceConnect tests (the test provider is the npm "
    "package oidc-provider): apt-get install nodejs npm (.ci/run does it)."
)
CLIENT_ID = "preau-test-client"
CLIENT_SECRET = "preau-test-secret-0123456789abcdef0123456789abcdef"  # noqa: S105
PARENT = "parent-fc"
OTHER = "autre-fc"
USERS = {
    PARENT: {
        "given_name": "Marie",
        "family_name": "Martin",
        "birthdate": "1980-05-12",
        "gender": "female",
        "birthplace": "75056",
        "email": "marie.martin@example.org",
    },
    OTHER: {
        "given_name": "Paul",
        "family_name": "Durand",
        "birthdate": "1975-01-02",
        "gender": "male",
        "birthplace": "69123",
        "email": "paul.durand@example.org",
    },
}


def oidc_provider_dir() -> Path:
    """The folder whose node_modules holds oidc-provider, installed there on first use."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.fail(NODE_HELP, pytrace=False)
    base = Path(os.environ.get("PREAU_NODE_CACHE", Path.home() / ".cache" / "preau-oidc-provider"))
    if not (base / "node_modules" / "oidc-provider" / "package.json").exists():
        base.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(base), "--no-audit", "--no-fund", "oidc-provider@8"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return base


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestFranceConnect:
    """One running provider whose client accepts Préau at ``preau_base`` (its redirect URIs)."""

    __test__ = False  # not a test class

    def __init__(self, preau_bases: list[str]) -> None:
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": "op-key", "use": "sig", "alg": "RS256"}, private=True
        )
        config = {
            "issuer": self.issuer,
            "port": self.port,
            "moduleDir": str(oidc_provider_dir()),
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{b}/franceconnect/retour" for b in preau_bases],
                "post_logout_redirect_uris": [
                    f"{b}/franceconnect/deconnexion" for b in preau_bases
                ],
            },
            "jwks": {"keys": [self.key.as_dict(private=True)]},
            "users": USERS,
        }
        self._folder = tempfile.TemporaryDirectory(prefix="preau-op-")
        path = Path(self._folder.name) / "op.json"
        path.write_text(json.dumps(config))
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                pytest.fail(f"the test FranceConnect did not start:\n{output}", pytrace=False)
            try:
                response = requests.get(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=1
                )
                if response.ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail("the test FranceConnect did not answer within 30 s", pytrace=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._folder.cleanup()

    def settings(self) -> dict[str, Any]:
        return {
            "FRANCECONNECT_ISSUER": self.issuer,
            "FRANCECONNECT_CLIENT_ID": CLIENT_ID,
            "FRANCECONNECT_CLIENT_SECRET": CLIENT_SECRET,
        }

    def authenticate(self, authorize_url: str, user: str, session: requests.Session) -> str:
        """Play the person at the provider: from Préau's redirection to the provider until the
        provider sends back to Préau; returns that address (Préau's redirect URI + code)."""
        url = authorize_url
        for _ in range(10):
            if not url.startswith(self.issuer):
                return url
            response = session.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                continue
            form = re.search(r'action="([^"]+/login)"', response.text)
            assert form, response.text[:500]
            response = session.post(
                urljoin(url, form.group(1)),
                data={"login": user},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code in (302, 303), response.text[:500]
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("too many redirections at the provider")
