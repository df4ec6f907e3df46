"""Single logout delivery (§2.3.3): POST each service's LogoutRequest in the background.

Signing out never waits: the requests go to a small pool of threads in this process, each
POST bounded by ``CAS_SLO_TIMEOUT``, ``CAS_SLO_CONCURRENCY`` at a time, so a slow service
only delays itself. Errors are logged and otherwise ignored ("fire and forget", as the
protocol asks). The list of targets was read from the database before: the threads touch no
database.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.utils import timezone

from preau.conf import preau_setting
from preau.sso.cas.responses import logout_request

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogoutTarget:
    service_url: str
    session_index: str  # the service ticket the service validated


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_pending: set[Future[bool]] = set()


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=int(preau_setting("CAS_SLO_CONCURRENCY")), thread_name_prefix="cas-slo"
            )
        return _pool


def logout_post(target: LogoutTarget) -> bool:
    """POST ``logoutRequest=<LogoutRequest>`` to the service; True on a 2xx answer."""
    if not target.service_url.lower().startswith(("https://", "http://")):
        return False
    body = urlencode(
        {"logoutRequest": logout_request(target.session_index, timezone.now())}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        target.service_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Preau-CAS"},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=float(preau_setting("CAS_SLO_TIMEOUT"))
        ) as response:
            return 200 <= int(response.status) < 300  # noqa: PLR2004
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.info("CAS single logout to %s failed: %s", urlsplit(target.service_url).netloc, exc)
        return False


def logout_dispatch(targets: list[LogoutTarget]) -> list[Future[bool]]:
    """Send every LogoutRequest in the background and return at once."""
    futures = []
    for target in targets:
        future = _executor().submit(logout_post, target)
        _pending.add(future)
        future.add_done_callback(_pending.discard)
        futures.append(future)
    return futures


def logout_wait(timeout: float = 10.0) -> None:
    """Wait for the requests in flight (tests and management commands)."""
    for future in list(_pending):
        future.result(timeout=timeout)
