"""Growing delays after repeated failures, counted in Django's cache (Redis across nodes).

A *scope* names what is being guessed and by whom (``signin.account``: the password of one
identifier; ``signin.address``: any password from one client address); a *key* is the value
within that scope (the identifier, the address). Each scope is configured in
``PREAU["THROTTLES"]`` (defaults in :data:`preau.conf.DEFAULTS`)::

    "signin.account": {"limit": 5, "window": 900, "max_delay": 300}

``limit`` failures are free. From the ``limit``-th failure on, each failure makes the next
attempt wait ``2**(n - limit + 1)`` seconds (2, 4, 8…), never more than ``max_delay``. The count
is forgotten ``window`` seconds after the last failure, and a success resets it. There is no
permanent lock: whoever fails on purpose (a classmate) can make the owner wait at most
``max_delay`` seconds, never lock them out.

Callers do, for each attempt::

    wait = throttle_check(scope, key)      # > 0: refuse without checking anything
                                           # (throttle_check_many: several keys, one round trip)
    ...                                    # check the secret
    throttle_fail(scope, key)  or  throttle_reset(scope, key)

Keys are stored as keyed digests (HMAC from SECRET_KEY), so the cache never holds a raw
identifier or address. Every decision compares timestamps stored in the values with
``timezone.now()``; cache expiry only collects garbage. That keeps the logic exact when tests
travel in time with time-machine while Redis' clock does not move.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext

from preau.conf import DEFAULTS, preau_setting

_KEY_SALT = "preau.signin.throttle"


@dataclass(frozen=True)
class ThrottleScope:
    name: str
    limit: int
    window: int
    max_delay: int


def throttle_scope(scope: str) -> ThrottleScope:
    """The configuration of ``scope``: ``PREAU["THROTTLES"]`` first, then the defaults."""
    configured: dict[str, Any] = preau_setting("THROTTLES")
    values = configured.get(scope) or DEFAULTS["THROTTLES"].get(scope)
    if values is None:
        raise KeyError(f"unknown throttle scope {scope!r}: add it to PREAU['THROTTLES']")
    return ThrottleScope(
        name=scope,
        limit=int(values["limit"]),
        window=int(values["window"]),
        max_delay=int(values["max_delay"]),
    )


def throttle_delay(config: ThrottleScope, failures: int) -> int:
    """Seconds to wait after ``failures`` failures in a row: 0, then 2, 4, 8… up to the cap."""
    if failures < config.limit:
        return 0
    exponent = min(failures - config.limit + 1, 32)  # 2**32 s is past any sane cap
    return min(config.max_delay, 2**exponent)


def _cache_keys(scope: str, key: str) -> tuple[str, str]:
    digest = salted_hmac(_KEY_SALT, f"{scope}\x00{key}", algorithm="sha256").hexdigest()[:40]
    base = f"throttle:{scope}:{digest}"
    return f"{base}:n", f"{base}:t"


def _now() -> float:
    return timezone.now().timestamp()


def _remaining(state: dict[str, Any] | None, now: float) -> int:
    if not state:
        return 0
    remaining = float(state.get("until", 0)) - now
    return math.ceil(remaining) if remaining > 0 else 0


def throttle_check(scope: str, key: str) -> int:
    """Seconds the caller must still wait before an attempt on ``key`` (0: go ahead)."""
    _, state_key = _cache_keys(scope, key)
    return _remaining(cache.get(state_key), _now())


@dataclass(frozen=True)
class ThrottleStatus:
    wait: int  # seconds to wait before an attempt (0: go ahead)
    failures: int  # failures counted in the current window (0: nothing to reset)


def throttle_status_many(pairs: Sequence[tuple[str, str]]) -> list[ThrottleStatus]:
    """The status of several (scope, key) pairs, in one cache round trip."""
    state_keys = [_cache_keys(scope, key)[1] for scope, key in pairs]
    states = cache.get_many(state_keys)
    now = _now()
    return [
        ThrottleStatus(_remaining(states.get(k), now), int((states.get(k) or {}).get("n", 0)))
        for k in state_keys
    ]


def throttle_check_many(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """:func:`throttle_check` for several (scope, key) pairs in one cache round trip."""
    return [status.wait for status in throttle_status_many(pairs)]


def throttle_fail(scope: str, key: str) -> int:
    """Count one failure on ``key``; return the delay it now imposes (0 below the limit).

    The count is an atomic ``incr`` so concurrent failures on several nodes all count.
    """
    config = throttle_scope(scope)
    count_key, state_key = _cache_keys(scope, key)
    now = _now()
    ttl = config.window + config.max_delay
    state = cache.get(state_key)
    if state and now - float(state.get("last", 0)) > config.window:
        cache.set(count_key, 0, ttl)  # a quiet window has passed: start again
    cache.add(count_key, 0, ttl)
    try:
        failures = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, ttl)
        failures = 1
    cache.touch(count_key, ttl)
    delay = throttle_delay(config, failures)
    cache.set(state_key, {"last": now, "until": now + delay, "n": failures}, ttl)
    return delay


def throttle_reset(scope: str, key: str) -> None:
    """Forget the failures on ``key`` (after a success)."""
    cache.delete_many(list(_cache_keys(scope, key)))


def throttle_first_refusal(scope: str, key: str, wait: int) -> bool:
    """True once per delay period of ``key``: lets callers audit a refusal without a row per hit.

    Someone hammering a throttled form would otherwise write one audit row per request.
    """
    _, state_key = _cache_keys(scope, key)
    state = cache.get(state_key) or {}
    marker = f"{state_key}:refused:{int(float(state.get('until', 0)))}"
    return bool(cache.add(marker, 1, max(wait, 1)))


def wait_message(seconds: int) -> str:
    """What a throttled person reads, on every page that throttles (sign-in, CAS, Mon compte,
    first connection, recovery): 'Trop de tentatives : réessayez dans 30 secondes' (in
    minutes past two minutes)."""
    if seconds < 120:
        when = ngettext("%(count)d seconde", "%(count)d secondes", seconds) % {"count": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        when = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    # The space before the colon is a no-break space, as French typography wants.
    return gettext("Trop de tentatives\u00a0: réessayez dans %(when)s.") % {"when": when}
