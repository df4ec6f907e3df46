"""A test EduConnect: Debian's SimpleSAMLphp served by PHP's built-in server on loopback.

The configuration is written into a temporary directory (``SIMPLESAMLPHP_CONFIG_DIR``): Debian's
own ``config.php`` with this IdP's overrides, ``authsources.php`` with ``exampleauth:UserPass``
users carrying EduConnect's attributes (OID names), the hosted IdP (signing key made here,
SHA-256, attributes in the URI name format) and Préau as the remote SP (its signing certificate,
its requests and logout messages checked, assertions encrypted to it).
"""

from __future__ import annotations

import html
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

import requests

SSP_ROOT = Path("/usr/share/simplesamlphp")
DEBIAN_CONFIG = Path("/etc/simplesamlphp/config.php")
OID = "urn:oid:1.3.6.1.4.1.20326.10.999.1."
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

# username -> attributes (password = username)
USERS: dict[str, dict[str, list[str]]] = {
    "eleve": {
        OID + "57": ["ect-eleve-0001"],
        OID + "7": ["elv2d"],
        "urn:oid:2.5.4.4": ["Martin"],
        "urn:oid:2.5.4.42": ["Léa"],
        "FrEduCtEleveINE": ["123456789AB"],
        OID + "72": ["0750001A"],
    },
    "eleve-autre-nom": {
        OID + "57": ["ect-eleve-0002"],
        OID + "7": ["elv2d"],
        "urn:oid:2.5.4.4": ["Durand"],
        "urn:oid:2.5.4.42": ["Léa"],
        "FrEduCtEleveINE": ["123456789AB"],
        OID + "72": ["0750001A"],
    },
    "parent": {
        OID + "57": ["ect-parent-0001"],
        OID + "7": ["resp2d"],
        "urn:oid:2.5.4.4": ["Martin"],
        "urn:oid:2.5.4.42": ["Paul"],
        "FrEduCtEleveINE": ["123456789AB", "223456789AB"],
    },
    "parent-un-enfant": {
        OID + "57": ["ect-parent-0002"],
        OID + "7": ["resp2d"],
        "urn:oid:2.5.4.4": ["Martin"],
        "urn:oid:2.5.4.42": ["Paul"],
        "FrEduCtEleveINE": ["123456789AB"],
    },
}


def ensure_installed() -> None:
    """Debian's packages the test IdP needs (installed when missing and allowed to)."""
    needed = []
    if not (SSP_ROOT / "www" / "saml2" / "idp" / "SSOService.php").exists():
        needed.append("simplesamlphp")
    php = shutil.which("php")
    modules = ""
    if php:
        listed = subprocess.run([php, "-m"], check=False, capture_output=True, text=True)  # noqa: S603
        modules = listed.stdout
    if "dom" not in modules.split():
        needed += ["php-cli", "php-xml", "php-mbstring"]
    if shutil.which("xmlsec1") is None:
        needed.append("xmlsec1")
    if not needed:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"the test EduConnect needs the Debian packages {needed}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", *needed], check=True, env=env)  # noqa: S603,S607


def make_keypair(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(  # noqa: S603
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-days", "2", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def cert_data(cert: Path) -> str:
    text = cert.read_text()
    return "".join(text.split("-----")[2].split())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _php(value: Any) -> str:
    """A Python value as a PHP literal (str, bool, int, list, dict)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"


class TestEduConnect:
    """SimpleSAMLphp's IdP for a Préau reached at ``sp_base`` (``http://testserver`` for
    Django's test client, the live server for the browser)."""

    __test__ = False

    def __init__(self, sp_base: str, sp_entity_id: str = "https://preau.test/saml/metadata/"):
        ensure_installed()
        self.dir = Path(tempfile.mkdtemp(prefix="preau-ssp-"))
        for sub in ("config", "metadata", "cert", "log", "tmp", "data"):
            (self.dir / sub).mkdir()
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.entity_id = f"{self.base}/saml2/idp/metadata.php"
        self.sp_entity_id = sp_entity_id
        self.sp_base = sp_base.rstrip("/")
        self.idp_key, self.idp_cert = make_keypair(self.dir / "cert", "idp")
        self.sp_key, self.sp_cert = make_keypair(self.dir, "sp")
        self.metadata_file = self.dir / "idp-metadata.xml"
        self._write_config()
        self.process = subprocess.Popen(  # noqa: S603
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(SSP_ROOT / "www")],  # noqa: S607
            env={**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(self.dir / "config")},
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "log" / "php.log", "wb"),  # noqa: SIM115
        )
        self._wait()
        self.metadata_file.write_text(
            requests.get(self.entity_id, params={"output": "xml"}, timeout=10).text
        )

    def _write_config(self) -> None:
        overrides = {
            "baseurlpath": self.base + "/",
            "certdir": str(self.dir / "cert") + "/",
            "loggingdir": str(self.dir / "log") + "/",
            "datadir": str(self.dir / "data") + "/",
            "tempdir": str(self.dir / "tmp"),
            "secretsalt": "preau-test-salt-" + str(self.port),
            "auth.adminpassword": "preau-test-admin",
            "admin.protectmetadata": False,
            "timezone": "UTC",
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "enable.saml20-idp": True,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            "store.type": "phpsession",
            "session.cookie.secure": False,
            # SameSite=None needs Secure, which plain http on loopback is not (Chromium).
            "session.cookie.samesite": "Lax",
            "session.phpsession.savepath": str(self.dir / "tmp"),
            "language.default": "fr",
            "metadata.sources": [{"type": "flatfile", "directory": str(self.dir / "metadata")}],
        }
        config = DEBIAN_CONFIG.read_text()
        config += "\n" + "".join(f"$config[{_php(k)}] = {_php(v)};\n" for k, v in overrides.items())
        (self.dir / "config" / "config.php").write_text(config)
        users = {f"{name}:{name}": attrs for name, attrs in USERS.items()}
        authsources = {"admin": ["core:AdminPassword"], "educonnect": ["exampleauth:UserPass", *[]]}
        sources = _php(authsources["admin"])
        users_php = ", ".join(f"{_php(k)} => {_php(v)}" for k, v in users.items())
        (self.dir / "config" / "authsources.php").write_text(
            "<?php\n$config = ['admin' => " + sources + ", 'educonnect' => "
            "['exampleauth:UserPass', " + users_php + "]];\n"
        )
        idp = {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",
            "certificate": "idp.crt",
            "auth": "educonnect",
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "attributes.NameFormat": URI_FORMAT,
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            "validate.authnrequest": True,
            "sign.logout": True,
            "validate.logout": True,
        }
        sp = {
            "AssertionConsumerService": [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                    "Location": f"{self.sp_base}/saml/acs/",
                }
            ],
            "SingleLogoutService": [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                    "Location": f"{self.sp_base}/saml/slo/",
                }
            ],
            "certData": cert_data(self.sp_cert),
            "validate.authnrequest": True,
            "validate.logout": True,
            "sign.logout": True,
            "assertion.encryption": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "attributes.NameFormat": URI_FORMAT,
        }
        (self.dir / "metadata" / "saml20-idp-hosted.php").write_text(
            f"<?php\n$metadata[{_php(self.entity_id)}] = {_php(idp)};\n"
        )
        (self.dir / "metadata" / "saml20-sp-remote.php").write_text(
            f"<?php\n$metadata[{_php(self.sp_entity_id)}] = {_php(sp)};\n"
        )

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log())
            try:
                if requests.get(self.entity_id, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError("SimpleSAMLphp did not answer: " + self.log())

    def log(self) -> str:
        parts = []
        for name in ("php.log", "simplesamlphp.log"):
            path = self.dir / "log" / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def settings(self) -> dict[str, Any]:
        return {
            "EDUCONNECT_METADATA": str(self.metadata_file),
            "SAML_SP_ENTITY_ID": self.sp_entity_id,
            "SAML_SP_KEY_FILE": str(self.sp_key),
            "SAML_SP_CERT_FILE": str(self.sp_cert),
        }

    def authenticate(self, location: str, user: str, session: requests.Session) -> dict[str, str]:
        """Follow Préau's redirect to the IdP, sign ``user`` in: the form the IdP posts back
        to Préau's ACS (``action``, ``SAMLResponse``, ``RelayState``)."""
        page = session.get(location, timeout=20)
        assert page.status_code == 200, (page.status_code, self.log())
        action = _form_action(page.text, page.url)
        fields = _hidden_fields(page.text)
        fields.update({"username": user, "password": user})
        answer = session.post(action, data=fields, timeout=20)
        assert "SAMLResponse" in answer.text, (answer.status_code, answer.text[:2000], self.log())
        return {"action": _form_action(answer.text, answer.url), **_hidden_fields(answer.text)}

    def follow(self, location: str, session: requests.Session) -> requests.Response:
        return session.get(location, timeout=20, allow_redirects=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _form_action(text: str, base: str) -> str:
    match = re.search(r'<form[^>]*action="([^"]*)"', text)
    return urljoin(base, html.unescape(match.group(1))) if match else base


def _hidden_fields(text: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", text):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1) if value else "")
    return fields
