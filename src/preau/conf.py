"""Préau's options: one namespaced dict ``settings.PREAU`` with documented defaults.

Read through :func:`preau_setting` at call time (never at import time), so tests can override
``settings.PREAU`` and deployments can set ``PREAU_*`` environment variables.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Name shown in pages, mails and letters.
    "ENT_NAME": "Préau",
    # Public address of the ENT, printed on letters and in their QR code.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # An activation code, and the account waiting for it, lives this many days.
    "ACTIVATION_DAYS": 92,
    # A never-activated account is deleted this many days after its creation.
    "DELETE_UNACTIVATED_DAYS": 365,
    # Argon2id cost: chosen from bench/bench_argon2.py (see bench/RESULTS.md).
    "ARGON2_MEMORY_KIB": 19 * 1024,
    "ARGON2_TIME_COST": 2,
    "ARGON2_PARALLELISM": 1,
    # Throttles (see preau.signin.throttle): per scope, ``limit`` failures are free, then each
    # failure doubles the wait (2, 4, 8… s) up to ``max_delay``; the count is forgotten ``window``
    # seconds after the last failure. Per address the budget is larger and the cap shorter: a
    # whole school often shares one address, and a prankster must not lock the school out.
    "THROTTLES": {
        "signin.account": {"limit": 5, "window": 15 * 60, "max_delay": 5 * 60},
        "signin.address": {"limit": 100, "window": 15 * 60, "max_delay": 60},
    },
    # Reverse proxies whose X-Forwarded-For is believed (addresses, networks, "unix"); see
    # preau.signin.middleware. Empty: REMOTE_ADDR is the client.
    "TRUSTED_PROXIES": [],
    # Largest import file the console accepts, in bytes.
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # Where to get help, printed on letters and pages.
    "HELP_TEXT": "En cas de difficulté, adressez-vous au secrétariat de votre établissement.",
    # --- Outbox (preau.notify) ---
    # Delivery channels: name -> dotted path of a preau.notify.channels.Channel subclass.
    "NOTIFY_CHANNELS": {"email": "preau.notify.channels.EmailChannel"},
    # A message that keeps failing transiently (server down, 4xx) is tried this many times in
    # all, then marked failed for the operator (admin "Messages sortants").
    "NOTIFY_MAX_ATTEMPTS": 10,
    # Back-off after the n-th failed attempt: BASE * 2**(n-1) seconds, capped at MAX
    # (1, 2, 4, 8, 16, 32 min, then hourly: ten attempts span about four hours).
    "NOTIFY_RETRY_BASE_SECONDS": 60,
    "NOTIFY_RETRY_MAX_SECONDS": 3600,
    # A worker's claim on a message older than this is taken as a crash and the message is
    # queued again. Keep it far above EMAIL_TIMEOUT.
    "NOTIFY_CLAIM_LEASE_SECONDS": 600,
    # The sweeper re-enqueues a due message whose task has not run this long after it was
    # handed to the task backend (a lost task), at most SWEEP_BATCH messages per pass.
    "NOTIFY_SWEEP_GRACE_SECONDS": 300,
    "NOTIFY_SWEEP_BATCH": 500,
    # Sent and failed messages (and finished task results) are deleted by `preau lifecycle`
    # this many days after their creation.
    "NOTIFY_RETENTION_DAYS": 90,
    # --- Lifecycle rules (preau.lifecycle) ---
    # Accounts handled per transaction by `preau lifecycle` (bounded memory and lock time).
    "LIFECYCLE_BATCH_SIZE": 1000,
}


def preau_setting(name: str) -> Any:
    """Return Préau option ``name`` from ``settings.PREAU``, else its documented default."""
    overrides = getattr(settings, "PREAU", {})
    if name in overrides:
        return overrides[name]
    return DEFAULTS[name]
