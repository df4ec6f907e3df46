"""The proxy callback (§2.5.4): hand a new PGT and its IOU to the proxy's ``pgtUrl``.

The callback must be HTTPS with a certificate that verifies (PKIX, against the system's CAs or
``CAS_PROXY_CA_FILE``), and must answer 200; the parameters it already has are kept. Redirects
are followed only to HTTPS addresses. Any failure means no PGT.
"""

from __future__ import annotations

import logging
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from preau.conf import preau_setting

logger = logging.getLogger(__name__)


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not newurl.lower().startswith("https://"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _context() -> ssl.SSLContext:
    cafile = preau_setting("CAS_PROXY_CA_FILE") or None
    return ssl.create_default_context(cafile=cafile)


def callback_url(pgt_url: str, pgt: str, iou: str) -> str:
    parts = urlsplit(pgt_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("pgtId", pgt), ("pgtIou", iou)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def callback_deliver(pgt_url: str, pgt: str, iou: str) -> bool:
    """GET the callback with ``pgtId`` and ``pgtIou``; True when it answered 200."""
    if not pgt_url.lower().startswith("https://"):
        return False
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=_context()), _HttpsOnlyRedirects()
    )
    request = urllib.request.Request(  # noqa: S310 - https only, checked above
        callback_url(pgt_url, pgt, iou), headers={"User-Agent": "Preau-CAS"}
    )
    try:
        with opener.open(request, timeout=float(preau_setting("CAS_PROXY_CALLBACK_TIMEOUT"))) as r:
            return int(r.status) == 200  # noqa: PLR2004
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.info("CAS proxy callback %s failed: %s", urlsplit(pgt_url).netloc, exc)
        return False
