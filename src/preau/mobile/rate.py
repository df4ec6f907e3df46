"""Each paired device's request budget on the API: ``DEVICE_REQUESTS`` bearer requests per
``DEVICE_WINDOW_SECONDS`` (``PREAU["MOBILE"]``), counted in Django's cache (Redis across nodes).

Failures are slowed per client address (:mod:`preau.signin.throttle`); this bounds what one
live token may ask, whoever holds it (a looping app, a stolen token), without slowing the other
devices behind the same address. Fixed windows numbered from ``timezone.now()``: the decision
follows the clock that tests move with time-machine, and the cache's expiry only collects
garbage (as the throttle does).
"""

from __future__ import annotations

import math

from django.core.cache import cache
from django.utils import timezone

from preau.mobile.services import mobile_setting


def device_rate_spend(device_id: int) -> int:
    """Count one request of the device; return the seconds it must wait (0: within budget).

    The count is an atomic ``incr``, so concurrent requests on several nodes all count."""
    window = max(1, mobile_setting("DEVICE_WINDOW_SECONDS"))
    now = timezone.now().timestamp()
    number = int(now // window)
    key = f"mobile.rate:{device_id}:{number}"
    cache.add(key, 0, 2 * window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 2 * window)
        count = 1
    if count <= mobile_setting("DEVICE_REQUESTS"):
        return 0
    return max(1, math.ceil((number + 1) * window - now))
