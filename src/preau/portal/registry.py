"""The registry as each process sees it: an in-memory snapshot of the active services and
their address patterns, so that matching a ``service`` address costs no database query.

Every change of a service or pattern bumps a version number in the shared cache (see
:mod:`preau.portal.receivers`); a process reloads its snapshot when the version it sees
differs from the one it loaded (it reads the version at most once a second), and in any case
after ``PORTAL_REGISTRY_TTL`` seconds (with a local-memory cache other processes do not see the
bump, so the TTL bounds their delay). The process that made the change sees it at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache

from preau.conf import preau_setting
from preau.portal.patterns import pattern_matches

VERSION_KEY = "portal:registry:version"
# The shared version is read at most this often by a process (seconds): matching a service
# address then costs no round trip at all on most requests.
VERSION_CHECK_SECONDS = 1.0
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class RegisteredService:
    id: int
    name: str
    slug: str
    protocol: str
    attribute_preset: str
    single_logout: bool
    proxy_allowed: bool
    allowed_profiles: frozenset[str]
    establishment_ids: frozenset[int]
    patterns: tuple[tuple[str, str], ...]

    def matches(self, url: str) -> bool:
        return any(pattern_matches(kind, value, url) for kind, value in self.patterns)

    def allows(self, memberships: Iterable[tuple[int, str]]) -> bool:
        """Whether a person holding ``memberships`` ((establishment id, profile) pairs) may
        open this service. A person without membership (an operator) only opens services
        open to everyone."""
        if not self.allowed_profiles and not self.establishment_ids:
            return True
        return any(
            (not self.allowed_profiles or profile in self.allowed_profiles)
            and (not self.establishment_ids or establishment_id in self.establishment_ids)
            for establishment_id, profile in memberships
        )


@dataclass
class _Snapshot:
    version: str
    loaded_at: float
    services: tuple[RegisteredService, ...]
    checked_at: float = 0.0


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def registry_forget() -> None:
    """Drop this process's snapshot: the next match reads the registry again."""
    global _snapshot  # noqa: PLW0603
    _snapshot = None


def registry_bump() -> None:
    """Tell every process that the registry changed (call after the change committed)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    registry_forget()


def _load(version: str) -> _Snapshot:
    from preau.portal.models import Service

    services = []
    queryset = (
        Service.objects.filter(is_active=True)
        .prefetch_related("patterns", "establishments")
        .order_by("order", "pk")
    )
    for service in queryset:
        services.append(
            RegisteredService(
                id=service.pk,
                name=service.name,
                slug=service.slug,
                protocol=service.protocol,
                attribute_preset=service.attribute_preset,
                single_logout=service.single_logout,
                proxy_allowed=service.proxy_allowed,
                allowed_profiles=frozenset(service.allowed_profiles or []),
                establishment_ids=frozenset(e.pk for e in service.establishments.all()),
                patterns=tuple((p.kind, p.value) for p in service.patterns.all()),
            )
        )
    return _Snapshot(version=version, loaded_at=time.time(), services=tuple(services))


def registry_services() -> tuple[RegisteredService, ...]:
    global _snapshot  # noqa: PLW0603
    now = time.time()
    snapshot = _snapshot
    ttl = float(preau_setting("PORTAL_REGISTRY_TTL"))
    if (
        snapshot is not None
        and now - snapshot.checked_at < VERSION_CHECK_SECONDS
        and now - snapshot.loaded_at <= ttl
    ):
        return snapshot.services
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh (or flushed) cache: start a version so that every process agrees again.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or ""
    if snapshot is None or snapshot.version != version or now - snapshot.loaded_at > ttl:
        with _lock:
            snapshot = _snapshot = _load(version)
    snapshot.checked_at = now
    return snapshot.services


def url_acceptable(url: str) -> bool:
    """A service address worth matching: absolute http(s), no control character, bounded."""
    if not url or len(url) > MAX_URL_LENGTH:
        return False
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url) or "\\" in url:
        return False
    return url.startswith(("https://", "http://"))


def registry_match(url: str, *, protocols: Iterable[str] | None = None) -> RegisteredService | None:
    """The first active service (in display order) with a pattern matching ``url``."""
    if not url_acceptable(url):
        return None
    wanted = set(protocols) if protocols is not None else None
    for service in registry_services():
        if wanted is not None and service.protocol not in wanted:
            continue
        if service.matches(url):
            return service
    return None


def registry_get(service_id: int) -> RegisteredService | None:
    return next((s for s in registry_services() if s.id == service_id), None)
