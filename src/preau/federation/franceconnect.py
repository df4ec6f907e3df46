"""FranceConnect as an OpenID Connect provider of Préau (Préau is the relying party).

Authlib does the protocol: the authorization code flow with ``state`` and ``nonce`` kept in the
browser's session (single use), PKCE (S256), the ID token verified against the provider's JWKS
(signature, ``iss``, ``aud``, ``exp``, ``nonce``), then userinfo. This module adds what
FranceConnect asks of its services (``acr_values=eidas1``, the claim-named scopes) and turns
every way the answer can be wrong into one :class:`FederationError` with a reason code: the
page says what to do, the audit trail keeps the code, and nothing the provider sent is logged.

Configured by ``PREAU["FRANCECONNECT_ISSUER"]``, ``…_CLIENT_ID`` and ``…_CLIENT_SECRET``
(``PREAU_FRANCECONNECT_*`` variables, docs/federation.md); the discovery document is read from
the issuer and kept in the cache for ``FRANCECONNECT_METADATA_SECONDS``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from preau.conf import preau_setting

log = logging.getLogger(__name__)

PROVIDER = "franceconnect"
SCOPES = "openid given_name family_name birthdate gender birthplace email"
ACR_VALUES = "eidas1"
# The levels FranceConnect may answer for eidas1 (a stronger one is fine too).
ACR_ACCEPTED = ("eidas1", "eidas2", "eidas3")
_LOGOUT_SALT = "preau.federation.franceconnect.logout"
# The claims read from userinfo: the pivot identity and the e-mail address.
PIVOT_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "email")


class FederationError(Exception):
    """The provider's answer cannot sign anyone in; ``reason`` is a code (see views)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        # A short code of the provider's own (its ``error``), never its description or claims.
        self.detail = detail


@dataclass(frozen=True)
class FederatedAnswer:
    subject: str
    id_token: str
    claims: dict[str, Any]


def franceconnect_config() -> tuple[str, str, str]:
    return (
        str(preau_setting("FRANCECONNECT_ISSUER") or "").rstrip("/"),
        str(preau_setting("FRANCECONNECT_CLIENT_ID") or ""),
        str(preau_setting("FRANCECONNECT_CLIENT_SECRET") or ""),
    )


def franceconnect_configured() -> bool:
    return all(franceconnect_config())


def franceconnect_start_url() -> str:
    """Where "S'identifier avec FranceConnect" leads ('' when not configured)."""
    return reverse("federation:franceconnect_start") if franceconnect_configured() else ""


def _metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, from the cache or read once from the issuer."""
    key = f"federation:franceconnect:metadata:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("FranceConnect discovery failed: %s", type(exc).__name__)
            raise FederationError("unavailable") from exc
        if metadata.get("issuer", "").rstrip("/") != issuer:
            log.warning("FranceConnect discovery: the document names another issuer")
            raise FederationError("unavailable")
        cache.set(key, metadata, int(preau_setting("FRANCECONNECT_METADATA_SECONDS")))
    return dict(metadata)


def _jwks_key(issuer: str) -> str:
    return f"federation:franceconnect:jwks:{issuer}"


def _client() -> DjangoOAuth2App:
    issuer, client_id, client_secret = franceconnect_config()
    metadata = _metadata(issuer)
    # The provider's keys, as last read (authlib reads them again for a key id it does not
    # know: a rotation); kept by _keys_keep after each answer.
    jwks = cache.get(_jwks_key(issuer))
    if jwks:
        metadata["jwks"] = jwks
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth_method = "client_secret_post" if "client_secret_post" in methods else methods[0]
    return DjangoOAuth2App(
        DjangoIntegration(PROVIDER),
        name=PROVIDER,
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": auth_method,
            "timeout": 10,
        },
        # Loaded already (the cache): authlib must not read the document again.
        _loaded_at=1,
        **metadata,
    )


def franceconnect_authorize(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """The redirection to FranceConnect; ``state``, ``nonce`` and the PKCE verifier are kept
    in this browser's session until the answer comes back (once)."""
    return _client().authorize_redirect(request, redirect_uri, acr_values=ACR_VALUES)


def _claims_options(client: DjangoOAuth2App) -> dict[str, Any]:
    return {
        "iss": {"essential": True, "values": [client.server_metadata["issuer"]]},
        "acr": {"essential": True, "values": list(ACR_ACCEPTED)},
    }


def franceconnect_answer(request: HttpRequest) -> FederatedAnswer:
    """Check the provider's answer at the redirect URI and read the person's identity."""
    client = _client()
    state = request.GET.get("state") or ""
    if not state or not client.framework.get_state_data(request.session, state):
        raise FederationError("state")
    error = request.GET.get("error")
    if error:
        client.framework.clear_state_data(request.session, state)
        raise FederationError("provider_error", detail=error[:40])
    try:
        token = client.authorize_access_token(request, claims_options=_claims_options(client))
    except MismatchingStateError as exc:
        raise FederationError("state") from exc
    except (OAuthError, JoseError, ValueError, KeyError) as exc:
        # OAuthError: the token endpoint refused the code (replayed, expired, another client).
        raise FederationError("token", detail=type(exc).__name__) from exc
    except requests.RequestException as exc:
        raise FederationError("unavailable") from exc
    _keys_keep(client)
    id_claims = token.get("userinfo")
    if not token.get("id_token") or not id_claims or not id_claims.get("sub"):
        raise FederationError("token", detail="no_id_token")
    claims = _userinfo(client, token)
    if claims.get("sub") != id_claims["sub"]:
        raise FederationError("token", detail="userinfo_sub")
    return FederatedAnswer(
        subject=str(id_claims["sub"]),
        id_token=str(token["id_token"]),
        claims={name: claims[name] for name in PIVOT_CLAIMS if name in claims},
    )


def _keys_keep(client: DjangoOAuth2App) -> None:
    jwks = client.server_metadata.get("jwks")
    if jwks:
        cache.set(
            _jwks_key(client.server_metadata["issuer"].rstrip("/")),
            jwks,
            int(preau_setting("FRANCECONNECT_METADATA_SECONDS")),
        )


def _userinfo(client: DjangoOAuth2App, token: dict[str, Any]) -> dict[str, Any]:
    """The userinfo answer: JSON, or a JWT signed with the provider's keys (FranceConnect v2)."""
    try:
        response = client.get(client.server_metadata["userinfo_endpoint"], token=token)
        response.raise_for_status()
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            keys = KeySet.import_key_set(client.fetch_jwk_set())
            decoded = jwt.decode(response.text, keys)
            claims = dict(decoded.claims)
            if claims.get("iss", client.server_metadata["issuer"]) != client.server_metadata[
                "issuer"
            ] or claims.get("aud", client.client_id) not in (client.client_id, [client.client_id]):
                raise FederationError("token", detail="userinfo_claims")
            return claims
        return dict(response.json())
    except (requests.RequestException, ValueError) as exc:
        raise FederationError("unavailable") from exc
    except JoseError as exc:
        raise FederationError("token", detail=type(exc).__name__) from exc


def franceconnect_logout_url(
    *, id_token: str, post_logout_redirect_uri: str, then: str = ""
) -> str:
    """The provider's end-session address for this ID token; its ``state`` is signed, as the
    session it would be kept in ends now, and carries ``then``, where to land afterwards (read
    back by :func:`franceconnect_logout_return_to`)."""
    state = signing.dumps({"n": secrets.token_urlsafe(16), "then": then}, salt=_LOGOUT_SALT)
    result = _client().create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token, state=state
    )
    return str(result["url"])


def franceconnect_logout_return_to(state: str) -> str | None:
    """Where the sign-out that sent ``state`` wanted to land ('' : the sign-in page), or None
    when the state is not one Préau signed in the last 15 minutes."""
    try:
        value = signing.loads(state, salt=_LOGOUT_SALT, max_age=15 * 60)
    except signing.BadSignature:
        return None
    return str(value.get("then") or "") if isinstance(value, dict) else ""
