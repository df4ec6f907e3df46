"""EduConnect as a SAML 2.0 identity provider of Préau (Préau is the service provider).

A thin layer over pysaml2 (djangosaml2 would bring its own views, sessions and user creation,
which Préau's linking rules replace): pysaml2 builds and signs the requests, reads the metadata
and checks the answers (the signature against the IdP's metadata, the audience, the time
window, ``InResponseTo`` against the request this browser sent); this module adds the replay
check of an assertion's ID, EduConnect's attributes and one :class:`FederationError` reason
code for every way an answer can be wrong (the page says what to do, the audit trail keeps the
code, nothing the IdP sent is logged).

Configured by ``PREAU["EDUCONNECT_METADATA"]`` (a file or an ``https://`` address, kept in the
cache ``EDUCONNECT_METADATA_SECONDS``), ``PREAU["SAML_SP_ENTITY_ID"]`` and the SP's key and
certificate files (``SAML_SP_KEY_FILE``, ``SAML_SP_CERT_FILE``; the encryption pair
``SAML_SP_ENCRYPTION_*`` defaults to them): docs/federation.md.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import saml2
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor, metadata_tostring_fix
from saml2.s_utils import status_message_factory
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from preau.conf import preau_setting
from preau.federation.franceconnect import FederationError

log = logging.getLogger(__name__)

PROVIDER = "educonnect"
# This browser's requests waiting for their answer: {request id: relay state}.
OUTSTANDING_SESSION_KEY = "preau_educonnect_outstanding"
# The NameID and session index of the session opened through EduConnect (single logout).
LOGOUT_SESSION_KEY = "preau_educonnect_logout"
_METADATA_CACHE = "preau:educonnect:metadata"
_REPLAY_CACHE = "preau:educonnect:assertion:"
_SLO_RELAY_SALT = "preau.federation.educonnect.slo"
# Time the clocks of the IdP and Préau may differ by (seconds).
CLOCK_SKEW = 60

# EduConnect's attributes: OID names (urn:oid:…) and the friendly names, to one key each.
ATTRIBUTES = {
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.57": "FrEduCtId",
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.7": "FrEduCtPersonAffiliation",
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.72": "FrEduCtEleveUAI",
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.67": "FrEduCtDateNaissance",
    "urn:oid:2.5.4.4": "sn",
    "urn:oid:2.5.4.42": "givenName",
}
_KNOWN = {*ATTRIBUTES.values(), "FrEduCtEleveINE"}


@dataclass(frozen=True)
class EduConnectAnswer:
    subject: str  # FrEduCtId
    affiliation: str
    last_name: str
    first_name: str
    ine: tuple[str, ...] = ()  # a pupil's own INE, or a parent's pupils'
    uai: str = ""
    logout: dict[str, str] = field(default_factory=dict)

    @property
    def is_pupil(self) -> bool:
        return self.affiliation.startswith("elv")

    @property
    def is_parent(self) -> bool:
        return self.affiliation.startswith("resp")


def educonnect_configured() -> bool:
    return bool(
        preau_setting("EDUCONNECT_METADATA")
        and preau_setting("SAML_SP_ENTITY_ID")
        and preau_setting("SAML_SP_KEY_FILE")
        and preau_setting("SAML_SP_CERT_FILE")
    )


def educonnect_start_url() -> str:
    """Where "EduConnect" leads ('' when not configured)."""
    return reverse("federation:educonnect_start") if educonnect_configured() else ""


def idp_metadata() -> str:
    """The IdP's metadata (XML), read from its file or address and kept in the cache."""
    # A file, or an https:// address (plain http only on loopback: the metadata carries the
    # IdP's signing certificate).
    source = str(preau_setting("EDUCONNECT_METADATA"))
    cached = cache.get(_METADATA_CACHE)
    if isinstance(cached, tuple) and cached[0] == source:
        return str(cached[1])
    try:
        if source.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
            response = requests.get(source, timeout=10)
            response.raise_for_status()
            text = response.text
        else:
            text = Path(source).read_text(encoding="utf-8")
    except (OSError, requests.RequestException) as exc:
        log.warning("EduConnect metadata unreadable (%s)", type(exc).__name__)
        raise FederationError("unavailable") from exc
    cache.set(_METADATA_CACHE, (source, text), int(preau_setting("EDUCONNECT_METADATA_SECONDS")))
    return text


def _sp_config(request: HttpRequest, with_idp: bool = True) -> SPConfig:
    key = str(preau_setting("SAML_SP_KEY_FILE"))
    cert = str(preau_setting("SAML_SP_CERT_FILE"))
    enc_key = str(preau_setting("SAML_SP_ENCRYPTION_KEY_FILE") or key)
    enc_cert = str(preau_setting("SAML_SP_ENCRYPTION_CERT_FILE") or cert)
    acs = request.build_absolute_uri(reverse("federation:educonnect_acs"))
    slo = request.build_absolute_uri(reverse("federation:educonnect_slo"))
    config: dict[str, Any] = {
        "entityid": str(preau_setting("SAML_SP_ENTITY_ID")),
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": enc_key, "cert_file": enc_cert}],
        "accepted_time_diff": CLOCK_SKEW,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "Préau",
                "endpoints": {
                    "assertion_consumer_service": [(acs, saml2.BINDING_HTTP_POST)],
                    "single_logout_service": [(slo, saml2.BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "name_id_format": [NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT],
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }
    if with_idp:
        config["metadata"] = {"inline": [idp_metadata()]}
    sp_config = SPConfig()
    sp_config.load(config)
    return sp_config


def _client(request: HttpRequest) -> tuple[Saml2Client, str]:
    client = Saml2Client(config=_sp_config(request))
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        log.warning("EduConnect metadata names %d identity providers, not one", len(idps))
        raise FederationError("unavailable")
    return client, idps[0]


def sp_metadata(request: HttpRequest) -> str:
    """Préau's SP metadata: entity id, ACS (HTTP-POST), SLO, signing and encryption keys."""
    descriptor = entity_descriptor(_sp_config(request, with_idp=False))
    text = metadata_tostring_fix(descriptor, {}, str(descriptor))
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def _redirect(info: dict[str, Any]) -> HttpResponse:
    location = dict(info["headers"])["Location"]
    return HttpResponseRedirect(location)


def educonnect_authorize(request: HttpRequest) -> HttpResponse:
    """Off to the IdP (HTTP-Redirect, signed) with a RelayState bound to this session."""
    client, idp = _client(request)
    relay_state = secrets.token_urlsafe(24)
    try:
        request_id, info = client.prepare_for_authenticate(
            entityid=idp,
            relay_state=relay_state,
            binding=saml2.BINDING_HTTP_REDIRECT,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
    except Exception as exc:  # pysaml2 raises many kinds for a bad metadata
        log.warning("EduConnect request not built (%s)", type(exc).__name__)
        raise FederationError("unavailable") from exc
    outstanding = dict(request.session.get(OUTSTANDING_SESSION_KEY) or {})
    outstanding = dict(list(outstanding.items())[-4:])  # a few tabs at most
    outstanding[request_id] = relay_state
    request.session[OUTSTANDING_SESSION_KEY] = outstanding
    return _redirect(info)


def _values(assertion: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            name = ATTRIBUTES.get(attribute.name, attribute.name)
            if name not in _KNOWN:
                name = ATTRIBUTES.get(attribute.friendly_name or "", attribute.friendly_name)
            if name not in _KNOWN:
                continue
            values = [str(v.text).strip() for v in attribute.attribute_value or [] if v.text]
            found.setdefault(name, []).extend(values)
    return found


def _first(found: dict[str, list[str]], name: str) -> str:
    return (found.get(name) or [""])[0]


def _not_on_or_after(assertion: Any) -> datetime:
    moments = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        moments.append(assertion.conditions.not_on_or_after)
    for confirmation in getattr(assertion.subject, "subject_confirmation", None) or []:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            moments.append(data.not_on_or_after)
    if not moments:
        raise FederationError("token", "no_expiry")
    parsed = [datetime.fromisoformat(m.replace("Z", "+00:00")) for m in moments]
    return min(p if p.tzinfo else p.replace(tzinfo=UTC) for p in parsed)


def _replay_check(assertion: Any) -> None:
    """An assertion's ID serves once: remembered until it expires (plus the clock skew)."""
    expires = _not_on_or_after(assertion)
    seconds = int((expires - timezone.now()).total_seconds()) + CLOCK_SKEW
    if seconds <= 0:
        raise FederationError("token", "expired")
    digest = hashlib.sha256(str(assertion.id).encode()).hexdigest()
    if not cache.add(_REPLAY_CACHE + digest, 1, timeout=seconds):
        raise FederationError("token", "replay")


def _parse(request: HttpRequest, client: Saml2Client) -> Any:
    outstanding = dict(request.session.get(OUTSTANDING_SESSION_KEY) or {})
    relay_state = request.POST.get("RelayState", "")
    if not relay_state or relay_state not in outstanding.values():
        raise FederationError("state")
    try:
        response = client.parse_authn_request_response(
            request.POST.get("SAMLResponse", ""), saml2.BINDING_HTTP_POST, outstanding
        )
    except saml2.response.StatusError as exc:
        raise FederationError("provider_error", type(exc).__name__) from exc
    except Exception as exc:  # signature, audience, time, InResponseTo, XML: not verified
        raise FederationError("token", type(exc).__name__[:40]) from exc
    if response is None or response.assertion is None:
        raise FederationError("token", "no_assertion")
    if outstanding.get(response.in_response_to) != relay_state:
        raise FederationError("state")
    outstanding.pop(response.in_response_to, None)
    request.session[OUTSTANDING_SESSION_KEY] = outstanding
    return response


def educonnect_answer(request: HttpRequest) -> EduConnectAnswer:
    """The IdP's answer at the ACS (HTTP-POST), checked; its attributes."""
    client, _idp = _client(request)
    response = _parse(request, client)
    assertion = response.assertion
    _replay_check(assertion)
    found = _values(assertion)
    subject = _first(found, "FrEduCtId")
    if not subject:
        raise FederationError("token", "no_subject")
    affiliation = _first(found, "FrEduCtPersonAffiliation").lower()
    name_id = assertion.subject.name_id if assertion.subject is not None else None
    session_index = ""
    for statement in assertion.authn_statement or []:
        session_index = statement.session_index or session_index
    return EduConnectAnswer(
        subject=subject[:255],
        affiliation=affiliation,
        last_name=_first(found, "sn"),
        first_name=_first(found, "givenName"),
        ine=tuple(v.upper() for v in found.get("FrEduCtEleveINE", []) if v),
        uai=_first(found, "FrEduCtEleveUAI").upper(),
        logout={
            "name_id": str(name_id) if name_id is not None else "",
            "session_index": session_index,
        },
    )


def educonnect_logout_url(request: HttpRequest, logout: dict[str, str], then: str = "") -> str:
    """The IdP's SLO address with a signed LogoutRequest for the session opened there; its
    RelayState, signed, carries ``then``: where to land once the IdP answers
    (:func:`logout_return_to`)."""
    client, idp = _client(request)
    name_id = saml2.saml.name_id_from_string(logout.get("name_id", ""))
    destinations = client.metadata.single_logout_service(idp, saml2.BINDING_HTTP_REDIRECT, "idpsso")
    if name_id is None or not destinations:
        raise FederationError("unavailable")
    destination = destinations[0]["location"]
    request_id, logout_request = client.create_logout_request(
        destination,
        idp,
        name_id=name_id,
        session_indexes=[logout["session_index"]] if logout.get("session_index") else None,
        sign=False,
    )
    info = client.apply_binding(
        saml2.BINDING_HTTP_REDIRECT,
        str(logout_request),
        destination,
        relay_state=signing.dumps(
            {"n": secrets.token_urlsafe(16), "then": then}, salt=_SLO_RELAY_SALT
        ),
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return str(dict(info["headers"])["Location"])


def educonnect_logout_request(request: HttpRequest, signed_in: dict[str, str] | None) -> str:
    """An IdP-initiated LogoutRequest (HTTP-Redirect): the address of the LogoutResponse.

    The request must be signed by the IdP and name this browser's EduConnect session;
    ``FederationError`` otherwise. The caller ends the session."""
    client, _idp = _client(request)
    try:
        parsed = client.parse_logout_request(
            request.GET.get("SAMLRequest", ""),
            saml2.BINDING_HTTP_REDIRECT,
            relay_state=request.GET.get("RelayState"),
            sigalg=request.GET.get("SigAlg"),
            signature=request.GET.get("Signature"),
        )
    except Exception as exc:
        raise FederationError("token", type(exc).__name__[:40]) from exc
    if parsed is None or not request.GET.get("Signature"):
        raise FederationError("token", "unsigned_logout")
    message = parsed.message
    ours = signed_in and saml2.saml.name_id_from_string(signed_in.get("name_id", ""))
    status = None
    if not ours or not _same_name_id(message.name_id, ours):
        status = saml2.samlp.STATUS_UNKNOWN_PRINCIPAL
    response = client.create_logout_response(
        message,
        bindings=[saml2.BINDING_HTTP_REDIRECT],
        status=status_message_factory("", status) if status else None,
        sign=False,
    )
    info = client.response_args(message, [saml2.BINDING_HTTP_REDIRECT])
    applied = client.apply_binding(
        info["binding"],
        str(response),
        info["destination"],
        relay_state=request.GET.get("RelayState"),
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    if status:
        raise _NotOurs(str(dict(applied["headers"])["Location"]))
    return str(dict(applied["headers"])["Location"])


class _NotOurs(FederationError):  # noqa: N818 - a FederationError with where to answer
    def __init__(self, location: str) -> None:
        super().__init__("logout_unknown")
        self.location = location


def _same_name_id(a: NameID | None, b: NameID) -> bool:
    return a is not None and (a.text, a.format) == (b.text, b.format)


def logout_return_to(relay_state: str) -> str:
    """Where the sign-out whose LogoutRequest carried ``relay_state`` wanted to land ('': the
    sign-in page, also for a RelayState Préau did not sign in the last 15 minutes)."""
    try:
        value = signing.loads(relay_state, salt=_SLO_RELAY_SALT, max_age=15 * 60)
    except signing.BadSignature:
        return ""
    return str(value.get("then") or "") if isinstance(value, dict) else ""


def logout_response_ok(request: HttpRequest) -> bool:
    """The IdP's LogoutResponse (after Préau's LogoutRequest): read, never trusted for more."""
    if "SAMLResponse" not in request.GET:
        return False
    try:
        client, _idp = _client(request)
        client.parse_logout_request_response(
            request.GET["SAMLResponse"], saml2.BINDING_HTTP_REDIRECT
        )
    except Exception:  # noqa: BLE001 - the person is signed out of Préau anyway
        return False
    return True
