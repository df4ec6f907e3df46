"""CAS response documents: CAS 1.0 text, CAS 2.0/3.0 XML and JSON (``format=JSON``, §2.5.2),
SAML 1.1 for /samlValidate (§4.2.5), and the single-logout request (Appendix C).

Documents are written as strings with every value escaped: they are small, fixed in shape,
and on the hot path of every validation. Every value also loses the characters XML 1.0 forbids
(control characters other than tab and line breaks, U+FFFE, U+FFFF, lone surrogates), in the
JSON answers too, so that a service gets the same values in every format: whatever the
directory holds (a name stored by an old import), the answer is well-formed.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

from django.http import HttpResponse

from preau.sso.cas.attributes import MULTI_VALUED, Attributes
from preau.sso.cas.errors import Code

XML = "XML"
JSON = "JSON"
FORMATS = (XML, JSON)
CAS_NS = "http://www.yale.edu/tp/cas"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Outside XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
# [#x10000-#x10FFFF].
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", value)


def escape(value: str) -> str:
    """Element content: XML characters only; a carriage return as a reference, else the
    parser would read it as a line feed."""
    return _escape(xml_chars(value), {"\r": "&#13;"})


def quoteattr(value: str) -> str:
    """An attribute value in quotes (tabs and line breaks as references)."""
    return _quoteattr(xml_chars(value))


def _json_chars(value: object) -> object:
    if isinstance(value, str):
        return xml_chars(value)
    if isinstance(value, list):
        return [_json_chars(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_chars(item) for key, item in value.items()}
    return value


@dataclass
class Success:
    user: str
    attributes: Attributes = field(default_factory=dict)
    # CAS 3.0 attributes about the authentication (Appendix A), sent with ``attributes``.
    authentication_date: datetime | None = None
    from_new_login: bool = False
    pgt_iou: str | None = None
    proxies: list[str] = field(default_factory=list)
    with_attributes: bool = True


def _iso(moment: datetime) -> str:
    return moment.astimezone().isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _response(body: str, content_type: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type, status=status)
    for header, value in _NO_STORE.items():
        response[header] = value
    return response


def _xml_response(inner: str) -> HttpResponse:
    body = f'<cas:serviceResponse xmlns:cas="{CAS_NS}">\n{inner}</cas:serviceResponse>\n'
    return _response(body, "application/xml; charset=utf-8")


def _json_response(payload: dict[str, object]) -> HttpResponse:
    return _response(
        json.dumps({"serviceResponse": _json_chars(payload)}, ensure_ascii=False),
        "application/json; charset=utf-8",
    )


def _all_attributes(success: Success) -> Attributes:
    merged: Attributes = {}
    if success.authentication_date is not None:
        merged["authenticationDate"] = [_iso(success.authentication_date)]
    merged["longTermAuthenticationRequestTokenUsed"] = ["false"]
    merged["isFromNewLogin"] = ["true" if success.from_new_login else "false"]
    merged.update(success.attributes)
    return merged


def validation_success(success: Success, fmt: str) -> HttpResponse:
    attributes = _all_attributes(success) if success.with_attributes else {}
    if fmt == JSON:
        payload: dict[str, object] = {"user": success.user}
        if attributes:
            payload["attributes"] = {
                name: values if name in MULTI_VALUED or len(values) > 1 else values[0]
                for name, values in attributes.items()
            }
        if success.pgt_iou:
            payload["proxyGrantingTicket"] = success.pgt_iou
        if success.proxies:
            payload["proxies"] = success.proxies
        return _json_response({"authenticationSuccess": payload})
    lines = [" <cas:authenticationSuccess>\n", f"  <cas:user>{escape(success.user)}</cas:user>\n"]
    if attributes:
        lines.append("  <cas:attributes>\n")
        for name, values in attributes.items():
            lines.extend(f"   <cas:{name}>{escape(value)}</cas:{name}>\n" for value in values)
        lines.append("  </cas:attributes>\n")
    if success.pgt_iou:
        lines.append(
            f"  <cas:proxyGrantingTicket>{escape(success.pgt_iou)}</cas:proxyGrantingTicket>\n"
        )
    if success.proxies:
        lines.append("  <cas:proxies>\n")
        lines.extend(f"   <cas:proxy>{escape(proxy)}</cas:proxy>\n" for proxy in success.proxies)
        lines.append("  </cas:proxies>\n")
    lines.append(" </cas:authenticationSuccess>\n")
    return _xml_response("".join(lines))


def validation_failure(code: Code, description: str, fmt: str) -> HttpResponse:
    if fmt == JSON:
        return _json_response(
            {"authenticationFailure": {"code": str(code), "description": description}}
        )
    return _xml_response(
        f" <cas:authenticationFailure code={quoteattr(str(code))}>"
        f"{escape(description)}</cas:authenticationFailure>\n"
    )


def proxy_success(proxy_ticket: str, fmt: str) -> HttpResponse:
    if fmt == JSON:
        return _json_response({"proxySuccess": {"proxyTicket": proxy_ticket}})
    return _xml_response(
        f" <cas:proxySuccess>\n  <cas:proxyTicket>{escape(proxy_ticket)}</cas:proxyTicket>\n"
        " </cas:proxySuccess>\n"
    )


def proxy_failure(code: Code, description: str, fmt: str) -> HttpResponse:
    if fmt == JSON:
        # As in the specification's example (§2.7.2), the JSON failure of /proxy is named
        # authenticationFailure.
        return _json_response(
            {"authenticationFailure": {"code": str(code), "description": description}}
        )
    return _xml_response(
        f" <cas:proxyFailure code={quoteattr(str(code))}>{escape(description)}</cas:proxyFailure>\n"
    )


def validate_v1(user: str | None) -> HttpResponse:
    """CAS 1.0 /validate: ``yes<LF>user<LF>`` or ``no<LF><LF>``."""
    body = f"yes\n{user}\n" if user else "no\n\n"
    return _response(body, "text/plain; charset=utf-8")


# --- SAML 1.1 (/samlValidate) -----------------------------------------------------------------

_SOAP_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    "<SOAP-ENV:Header/><SOAP-ENV:Body>"
)
_SOAP_TAIL = "</SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
_SAML_NS = (
    'xmlns="urn:oasis:names:tc:SAML:1.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" '
    'xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
_ATTRIBUTE_NS = "http://www.ja-sig.org/products/cas/"


def _saml_id() -> str:
    return "_" + secrets.token_hex(16)


def saml_success(
    *, success: Success, recipient: str, issuer: str, now: datetime, validity: int = 30
) -> HttpResponse:
    instant = _utc(now)
    subject = (
        f"<Subject><NameIdentifier>{escape(success.user)}</NameIdentifier>"
        "<SubjectConfirmation><ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:artifact"
        "</ConfirmationMethod></SubjectConfirmation></Subject>"
    )
    attributes = "".join(
        f"<Attribute AttributeName={quoteattr(name)} AttributeNamespace="
        f'"{_ATTRIBUTE_NS}">'
        + "".join(f"<AttributeValue>{escape(value)}</AttributeValue>" for value in values)
        + "</Attribute>"
        for name, values in (_all_attributes(success) if success.with_attributes else {}).items()
    )
    authenticated = _utc(success.authentication_date or now)
    body = (
        f'{_SOAP_HEAD}<Response {_SAML_NS} IssueInstant={quoteattr(instant)} MajorVersion="1" '
        f'MinorVersion="1" Recipient={quoteattr(recipient)} ResponseID="{_saml_id()}">'
        '<Status><StatusCode Value="samlp:Success"></StatusCode></Status>'
        f'<Assertion xmlns="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="{_saml_id()}" '
        f'IssueInstant={quoteattr(instant)} Issuer={quoteattr(issuer)} MajorVersion="1" '
        'MinorVersion="1">'
        f"<Conditions NotBefore={quoteattr(instant)} "
        f"NotOnOrAfter={quoteattr(_utc(now + timedelta(seconds=validity)))}>"
        f"<AudienceRestrictionCondition><Audience>{escape(recipient)}</Audience>"
        "</AudienceRestrictionCondition></Conditions>"
        f"<AttributeStatement>{subject}{attributes}</AttributeStatement>"
        f"<AuthenticationStatement AuthenticationInstant={quoteattr(authenticated)} "
        'AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password">'
        f"{subject}</AuthenticationStatement></Assertion></Response>{_SOAP_TAIL}"
    )
    return _response(body, "text/xml; charset=utf-8")


def saml_failure(*, code: Code, description: str, recipient: str, now: datetime) -> HttpResponse:
    # SAML 1.1 status: the requester's fault (a bad or used ticket) or ours.
    status = "samlp:Responder" if code == Code.INTERNAL_ERROR else "samlp:Requester"
    body = (
        f"{_SOAP_HEAD}<Response {_SAML_NS} IssueInstant={quoteattr(_utc(now))} "
        f'MajorVersion="1" MinorVersion="1" Recipient={quoteattr(recipient)} '
        f'ResponseID="{_saml_id()}"><Status><StatusCode Value="{status}">'
        f'<StatusCode Value="samlp:RequestDenied"/></StatusCode>'
        f"<StatusMessage>{escape(f'{code}: {description}')}</StatusMessage></Status>"
        f"</Response>{_SOAP_TAIL}"
    )
    return _response(body, "text/xml; charset=utf-8")


def logout_request(session_index: str, now: datetime) -> str:
    """The SAML LogoutRequest of single logout (Appendix C)."""
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'ID="{_saml_id()}" Version="2.0" IssueInstant="{_utc(now)}">'
        '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@'
        f"</saml:NameID><samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )
