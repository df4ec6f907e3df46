"""Discovery and JWKS: what clients read before anything else; the signing key's origin."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from django.test import Client

from preau.sso.oidc.keys import KEY_FILE_NAME, rsa_private_key_pem

pytestmark = pytest.mark.django_db


def test_the_discovery_document_says_what_the_provider_accepts(client: Client) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = json.loads(response.content)
    base = "http://127.0.0.1:8000"
    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == base + "/oidc/authorize"
    assert doc["token_endpoint"] == base + "/oidc/token"
    assert doc["userinfo_endpoint"] == base + "/oidc/userinfo"
    assert doc["jwks_uri"] == base + "/oidc/jwks"
    assert doc["end_session_endpoint"] == base + "/oidc/logout"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["id_token_signing_alg_values_supported"][0] == "RS256"
    assert sorted(doc["scopes_supported"]) == ["children", "email", "ent", "openid", "profile"]
    assert {"sub", "preferred_username", "birthdate", "email_verified", "ent_uai"} <= set(
        doc["claims_supported"]
    )
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_the_jwks_publishes_the_public_rsa_key_only(client: Client) -> None:
    response = client.get("/oidc/jwks")
    keys = json.loads(response.content)["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert key["kid"]
    assert "d" not in key and "p" not in key  # no private part
    assert len(key["n"]) >= 512  # at least 3072 bits, base64url


def test_the_key_is_generated_once_in_the_data_folder(tmp_path: Path) -> None:
    first = rsa_private_key_pem(data_dir=tmp_path)
    key_file = tmp_path / KEY_FILE_NAME
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert rsa_private_key_pem(data_dir=tmp_path) == first
    assert list(tmp_path.iterdir()) == [key_file]  # no temporary file left


def test_a_key_from_the_environment_wins(tmp_path: Path) -> None:
    pem = rsa_private_key_pem(data_dir=tmp_path / "a")
    assert rsa_private_key_pem(value=pem, data_dir=tmp_path / "b") == pem
    path = tmp_path / "key.pem"
    path.write_text(pem)
    assert rsa_private_key_pem(path=str(path), data_dir=tmp_path / "c") == pem
    assert not (tmp_path / "b").exists()
    assert not (tmp_path / "c").exists()


def test_the_issuer_must_be_the_public_url(settings: object) -> None:
    from django.core.checks import run_checks

    settings.PREAU = {**settings.PREAU, "PUBLIC_URL": "https://ent.example.fr/"}  # type: ignore[attr-defined]
    errors = [e.id for e in run_checks()]
    assert "preau.E601" in errors
    settings.OAUTH2_PROVIDER = {  # type: ignore[attr-defined]
        **settings.OAUTH2_PROVIDER,  # type: ignore[attr-defined]
        "OIDC_ISS_ENDPOINT": "https://ent.example.fr",
    }
    assert "preau.E601" not in [e.id for e in run_checks()]
